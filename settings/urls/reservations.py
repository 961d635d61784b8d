from django.urls import include, path

# Django answers 400/404/500 itself with these: JSON in the envelope of the door (skyway/errors.py).
from skyway.errors import handler400, handler404, handler500

# The reservations routes first: they are the hot path, so resolve them before the ops endpoints.
urlpatterns = [
    path("", include("reservations.api.urls")),
    path("", include("settings.urls.ops")),
]
