"""DRF's login/logout pages for the browsable API, under the `rest_framework` namespace its renderer
links to ("Log in" top right). Mounted at the URL conf's root (a namespace nested in `gateway` would
hide it from the renderer); the login goes through the same throttle as the admin's (docs/adr/0065)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from skyway.login_throttle import admin_login_throttled

app_name = "rest_framework"

urlpatterns = [
    path(
        "api/auth/login/",
        admin_login_throttled(auth_views.LoginView.as_view(template_name="rest_framework/login.html")),
        name="login",
    ),
    path("api/auth/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
