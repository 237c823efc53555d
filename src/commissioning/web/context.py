"""Template context: who is looking, and which parts of the workspace they may open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from commissioning.web.walls import viewer_of


def workspace(request: HttpRequest) -> dict[str, Any]:
    viewer = viewer_of(getattr(request, "user", None))
    return {"viewer": viewer, "service_name": "Commission offender services"}
