"""The gateway's admin: who holds which seat per flight (read through the clients), idempotency keys
and seat-move sagas. All read-only: the API is the one place that changes them."""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from gateway import selectors
from gateway.errors import GatewayError
from gateway.models import IdempotencyKey, SeatHolders, SeatMove
from skyway.seat_map_picture import seat_map_picture_html


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable, never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ["customer_id", "key", "status_code", "created_at", "completed_at"]
    list_filter = ["status_code"]
    search_fields = ["=customer_id", "key"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]


@admin.register(SeatMove)
class SeatMoveAdmin(ReadOnlyAdmin):
    list_display = [
        "customer_id",
        "from_flight_id",
        "from_seat",
        "to_flight_id",
        "to_seat",
        "state",
        "attempts",
        "updated_at",
    ]
    list_filter = ["state"]
    search_fields = ["=customer_id", "key", "=from_flight_id", "=to_flight_id"]
    ordering = ["-updated_at"]


@admin.register(SeatHolders)
class SeatHoldersAdmin(ReadOnlyAdmin):
    """Flights (from the flights service) and, per flight, its seat holders (from reservations)."""

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("", view(self.changelist_view), name="gateway_seatholders_changelist"),
            path("<str:flight_id>/", view(self.flight_view), name="gateway_seatholders_flight"),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise admin.sites.PermissionDenied
        flight_no = request.GET.get("flight_no", "").strip()
        date = request.GET.get("date", "").strip() or (
            None if flight_no else datetime.now(UTC).date().isoformat()
        )
        flights, error = [], None
        try:
            flights = selectors.flights_for_admin(date=date, flight_no=flight_no)
        except GatewayError as exc:
            error = exc.detail
        context = {
            **self.admin_site.each_context(request),
            "title": "Seat holders: pick a flight",
            "opts": self.model._meta,
            "flights": flights,
            "date": date or "",
            "flight_no": flight_no,
            "error": error,
        }
        return TemplateResponse(request, "admin/gateway/seatholders/flights.html", context)

    def flight_view(self, request: HttpRequest, flight_id: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise admin.sites.PermissionDenied
        at = request.GET.get("at", "").strip() or None  # an instant: who held which seat then
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "at": at or ""}
        try:
            data = selectors.flight_seat_holders(flight_id=flight_id, at=at)
        except GatewayError as exc:
            context.update(title="Seat holders", error=exc.detail)
            return TemplateResponse(
                request, "admin/gateway/seatholders/flight.html", context, status=exc.status_code
            )
        context.update(
            title=f"Seat holders of {data.flight['flight_no']}" + (f" at {at}" if at else ""),
            data=data,
            picture=seat_map_picture_html(data.seat_map, holders=data.labels()),
        )
        return TemplateResponse(request, "admin/gateway/seatholders/flight.html", context)
