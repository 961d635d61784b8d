from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class GatewayConfig(AppConfig):
    name = "gateway"

    def ready(self) -> None:
        from gateway.api.authentication import connect_signals
        from gateway.seat_moves import PAUSE_STATES

        connect_signals()
        pause_at = getattr(settings, "SEAT_MOVE_PAUSE_AT", None)
        if pause_at:
            # A test hook that parks a saga mid-way (fault runs): never in production, like skyway.faults.
            if getattr(settings, "SKYWAY_ENV", "production") == "production":
                raise ImproperlyConfigured("SEAT_MOVE_PAUSE_AT is refused when SKYWAY_ENV=production.")
            if pause_at not in PAUSE_STATES:
                raise ImproperlyConfigured(f"SEAT_MOVE_PAUSE_AT must be one of {sorted(PAUSE_STATES)}.")
