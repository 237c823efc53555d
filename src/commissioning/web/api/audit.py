"""API: the audit trail's chain status (commissioning side only)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import django_auth

from commissioning.web import audit
from commissioning.web import models as m
from commissioning.web.api.common import responses
from commissioning.web.walls import require_view

router = Router(tags=["audit"], auth=django_auth)


class ChainOut(Schema):
    entries: int
    ok: bool
    head_seq: int
    head_hash: str
    broken_at: int | None
    problem: str


@router.get("/audit/status", response=responses(ChainOut))
def chain_status(request: HttpRequest) -> ChainOut:
    """Recompute the hash chain: whether any entry was changed, removed or reordered."""
    require_view(request, m.AuditEntry)
    report = audit.verify()
    return ChainOut(
        entries=report.entries,
        ok=report.ok,
        head_seq=report.head_seq,
        head_hash=report.head_hash,
        broken_at=report.broken_at,
        problem=report.problem,
    )
