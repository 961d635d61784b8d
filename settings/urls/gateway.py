from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("settings.urls.ops")),
    path("", include("gateway.api.urls")),
    path("admin/", admin.site.urls),
]
