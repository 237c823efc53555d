"""URL configuration: the pages (``commissioning.web.views``) and the JSON API (``/api/``)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("commissioning.web.views.urls")),
]
