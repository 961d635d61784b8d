"""Operational endpoints every deployable serves: /ping, /health, /schema (+ Swagger UI, Redoc), /metrics."""

from django.urls import path
from django_prometheus.exports import ExportToDjangoView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from skyway.health import health, ping

urlpatterns = [
    path("ping", ping, name="ping"),
    path("health", health, name="health"),
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    path("schema/swagger-ui/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path(
        "schema/redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="skyway/redoc.html"),
        name="redoc",
    ),
    path("metrics", ExportToDjangoView, name="metrics"),
]
