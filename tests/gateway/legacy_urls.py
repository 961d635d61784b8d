"""The platform's URLs with the strangler catch-all switched on (as LEGACY_UPSTREAM_URL does at startup)."""

from gateway.api.urls import legacy_patterns
from settings.urls.platform import urlpatterns as platform_patterns

urlpatterns = [*platform_patterns, *legacy_patterns()]
