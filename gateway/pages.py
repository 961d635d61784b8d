"""The seat-chart page: a Django template and static JS/CSS that talk to the gateway's own API."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET


@require_GET
@ensure_csrf_cookie  # the page's fetch() calls send it back as X-CSRFToken
def seat_chart_page(request: HttpRequest) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    return render(
        request,
        "gateway/seat_chart.html",
        {"username": user.get_username() if user else "", "today": timezone.now().date().isoformat()},
    )
