from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("settings.urls.ops")),
    path("admin/", admin.site.urls),
    path("", include("gateway.api.urls")),  # last: it may forward what nobody else owns to a legacy upstream
]

handler400 = "skyway.http_errors.bad_request"
handler404 = "skyway.http_errors.not_found"
handler500 = "skyway.http_errors.server_error"
