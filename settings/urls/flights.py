from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("settings.urls.ops")),
    path("", include("flights.api.urls")),
    path("admin/", admin.site.urls),
]
