"""WSGI entry of every deployable (served by `python -m skyway.serve`); DJANGO_SETTINGS_MODULE picks which."""

import os

from django.apps import apps
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.platform")

application = get_wsgi_application()
if apps.is_installed("gateway"):
    # A serving gateway process finishes the seat moves a crashed one left (docs/adr/0055).
    from gateway.seat_moves import seat_moves_recover_in_background

    seat_moves_recover_in_background()
