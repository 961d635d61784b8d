from django.urls import include, path

# The reservations routes first: they are the hot path, so resolve them before the ops endpoints.
urlpatterns = [
    path("", include("reservations.api.urls")),
    path("", include("settings.urls.ops")),
]

handler400 = "skyway.http_errors.bad_request"
handler404 = "skyway.http_errors.not_found"
handler500 = "skyway.http_errors.server_error"
