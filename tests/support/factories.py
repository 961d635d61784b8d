"""Test data factories (factory_boy): customers with tokens, aircraft layouts with seat maps, flights.

Each factory makes a valid object with nothing passed; a test names only the fields its behaviour
depends on (``FlightFactory(flight_no="SK1", departure=...)``). Model factories go through each
model's default manager, so the database router (not the factory) picks the context's database.

- ``SeatMapFactory()``: a seat map in the book's shape (8 business + 24 economy seats by default;
  pass ``cabins=`` for another layout), built and validated by flights.seat_maps.
- ``AircraftLayoutFactory()``: a layout with such a seat map and its seat count.
- ``FlightFactory()``: a departure on its own layout, in the future whatever today is.
- ``CustomerFactory()``: a gateway user with password ``skyway-demo`` and a DRF token;
  ``customer_client(user)`` turns one into an authenticated APIClient.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import factory
from django.conf import settings
from factory.django import DjangoModelFactory
from rest_framework.authtoken.models import Token

from flights.seat_maps import CabinSpec, seat_map_build, seat_map_validate

PASSWORD = "skyway-demo"
# Far enough ahead that a flight made today is still "upcoming" for the life of the suite.
FIRST_DEPARTURE = datetime(2031, 3, 1, 6, 0, tzinfo=UTC)

SMALL_CABINS = (
    CabinSpec("Business", 1, 2, "AC DF"),
    CabinSpec(
        "Economy",
        7,
        10,
        "ABC DEF",
        wing=(8, 9),
        exit_rows=frozenset({8}),
        restricted_recline_rows=frozenset({7}),
    ),
)


class _RoutedModelFactory(DjangoModelFactory):
    """factory_boy pins `using("default")`; the router must choose, as it does for the code under test."""

    class Meta:
        abstract = True

    @classmethod
    def _get_manager(cls, model_class):
        return model_class._default_manager


class SeatMapFactory(factory.Factory):
    """A seat map dict in the book's Cabin/Row/Seat shape."""

    class Meta:
        model = staticmethod(seat_map_build)

    cabins = SMALL_CABINS


class AircraftLayoutFactory(_RoutedModelFactory):
    class Meta:
        model = "flights.AircraftLayout"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"TST-{n:03d}")
    aircraft_type = "Test Jet"
    seat_map = factory.LazyFunction(SeatMapFactory)
    seat_count = factory.LazyAttribute(lambda layout: seat_map_validate(seat_map=layout.seat_map).seat_count)


class FlightFactory(_RoutedModelFactory):
    class Meta:
        model = "flights.Flight"

    flight_no = factory.Sequence(lambda n: f"SK{100 + n}")
    departure = factory.Sequence(lambda n: FIRST_DEPARTURE + timedelta(hours=n))
    origin_code = "JFK"
    destination_code = "LAX"
    layout = factory.SubFactory(AircraftLayoutFactory)


class CustomerFactory(_RoutedModelFactory):
    """A gateway customer: a Django user with a usable password and a DRF token (`user.auth_token`)."""

    class Meta:
        model = settings.AUTH_USER_MODEL
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"customer{n}")

    @factory.post_generation
    def password(user, create: bool, extracted: str | None, **kwargs: object) -> None:
        user.set_password(extracted or PASSWORD)
        if create:
            user.save(update_fields=["password"])

    @factory.post_generation
    def token(user, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            Token.objects.get_or_create(user=user)
