"""URL configuration: the pages (``commissioning.web.views``) and the JSON API (``/api/``)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from commissioning.web.api import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/", api.urls),
    path("", include("commissioning.web.views.urls")),
]
