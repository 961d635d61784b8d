"""Mounted at the root by every deployable that serves this context: the book's paths."""

from django.urls import path

from reservations.api.views import (
    ReservationCancelApi,
    ReservationEventListApi,
    ReservationHistoryApi,
    ReservationListCreateApi,
)

urlpatterns = [
    path("reservations", ReservationListCreateApi.as_view(), name="reservations"),
    path("reservations/events", ReservationEventListApi.as_view(), name="reservation-events"),
    path("reservations/history", ReservationHistoryApi.as_view(), name="reservation-history"),
    path("reservations/<str:flight_id>/<str:seat_num>", ReservationCancelApi.as_view(), name="reservation"),
]
