from django.contrib import admin
from django.urls import include, path

# Django answers 400/404/500 itself with these: JSON in the envelope of the door (skyway/errors.py).
from skyway.errors import handler400, handler404, handler500
from skyway.login_throttle import admin_login_throttled

urlpatterns = [
    path("", include("settings.urls.ops")),
    path("admin/login/", admin_login_throttled(admin.site.login), name="admin-login-throttled"),
    path("admin/", admin.site.urls),
    path("", include("gateway.api.browsable_urls")),  # the browsable API's Log in / Log out
    path("", include("gateway.api.urls")),
]
