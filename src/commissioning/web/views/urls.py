"""Page URLs: one module per part of the workspace."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from commissioning.web import downloads
from commissioning.web.views import (
    accounts,
    assurance,
    competition,
    contracts,
    proposals,
    public,
    rounds,
)

urlpatterns: list[URLPattern | URLResolver] = [
    *public.urlpatterns,
    *accounts.urlpatterns,
    *rounds.urlpatterns,
    *proposals.urlpatterns,
    *competition.urlpatterns,
    *contracts.urlpatterns,
    *assurance.urlpatterns,
    *downloads.urlpatterns,
]
