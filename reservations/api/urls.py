"""Mounted at the root by every deployable that serves this context: the book's paths."""

from django.urls import path, re_path

from reservations import validation
from reservations.api.holds import HoldConfirmApi, HoldDetailApi, HoldListCreateApi
from reservations.api.views import (
    ReservationCancelApi,
    ReservationEventListApi,
    ReservationHistoryApi,
    ReservationListCreateApi,
)

# A hold's path takes only a hold id (it has a dot; no seat has): /reservations/holds/12C stays the
# book's cancel of seat 12C on a flight called "holds".
_HOLD = f"(?P<hold_id>{validation.HOLD_ID_PATTERN[1:-1]})"

urlpatterns = [
    path("reservations", ReservationListCreateApi.as_view(), name="reservations"),
    path("reservations/events", ReservationEventListApi.as_view(), name="reservation-events"),
    path("reservations/history", ReservationHistoryApi.as_view(), name="reservation-history"),
    path("reservations/holds", HoldListCreateApi.as_view(), name="holds"),
    re_path(rf"^reservations/holds/{_HOLD}$", HoldDetailApi.as_view(), name="hold"),
    re_path(rf"^reservations/holds/{_HOLD}/confirm$", HoldConfirmApi.as_view(), name="hold-confirm"),
    path("reservations/<str:flight_id>/<str:seat_num>", ReservationCancelApi.as_view(), name="reservation"),
]
