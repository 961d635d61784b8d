"""Mounted at the root by every deployable that serves this context: the book's paths."""

from django.urls import path

from reservations.api.views import EventsView, ReservationsView, ReservationView

urlpatterns = [
    path("reservations", ReservationsView.as_view(), name="reservations"),
    path("reservations/events", EventsView.as_view(), name="reservation-events"),
    path("reservations/<str:flight_id>/<str:seat_num>", ReservationView.as_view(), name="reservation"),
]
