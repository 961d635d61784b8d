"""Book paths of the flights service. Included at the root by every deployable that serves flights."""

from django.urls import path

from flights.api.views import FlightDetailApi, FlightListApi, SeatMapApi

app_name = "flights"

urlpatterns = [
    path("flights", FlightListApi.as_view(), name="flight-list"),
    path("flights/<str:slot>/seat_map", SeatMapApi.as_view(), name="seat-map"),
    path("flights/<str:flight_id>", FlightDetailApi.as_view(), name="flight-detail"),
]
