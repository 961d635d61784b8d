"""The gateway's public paths: the API under api/ and the seat-chart page at the root.

With a legacy system to strangle, these (with the ops paths, the admin and the static files) are what
the strangler edge sends to the gateway; it derives them from the URLconf (skyway.strangler, ADR 155).
"""

from django.urls import path

from gateway.api import holds as hold_views
from gateway.api import views
from gateway.pages import seat_chart_page

app_name = "gateway"


urlpatterns = [
    path("", seat_chart_page, name="seat-chart"),
    path("api/", views.ApiRootApi.as_view(), name="api-root"),
    path("api/auth/token", views.TokenApi.as_view(), name="auth-token"),
    path("api/auth/session", views.SessionApi.as_view(), name="auth-session"),
    path("api/flights", views.FlightListApi.as_view(), name="flight-list"),
    path("api/flights/<str:flight_id>/seats", views.SeatChartApi.as_view(), name="seat-chart-api"),
    path("api/flights/<str:flight_id>/reservations", views.ReservationCreateApi.as_view(), name="reserve"),
    path(
        "api/flights/<str:flight_id>/reservations/<str:seat>",
        views.ReservationDeleteApi.as_view(),
        name="reservation",
    ),
    path("api/reservations", views.MyReservationsApi.as_view(), name="my-reservations"),
    path("api/reservations/move", views.SeatMoveApi.as_view(), name="reservation-move"),
    path("api/flights/<str:flight_id>/holds", hold_views.HoldCreateApi.as_view(), name="holds"),
    path("api/holds/<str:hold_id>", hold_views.HoldDetailApi.as_view(), name="hold"),
    path("api/holds/<str:hold_id>/confirm", hold_views.HoldConfirmApi.as_view(), name="hold-confirm"),
]
