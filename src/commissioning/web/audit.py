"""The audit trail: every change to a proposal, contract, rating or permission, in an
append-only, hash-chained log.

Each entry's hash is SHA-256 over its canonical JSON (sequence number, time, actor, action,
record, data) and the previous entry's hash. :func:`verify` recomputes the chain and reports
the first entry that does not match — an edited, deleted, inserted or reordered entry breaks
it. The database also refuses UPDATE on the table (and DELETE on PostgreSQL) by trigger.
Deleting the newest entries leaves a shorter valid chain, so the head is *anchored*: its hash
is written outside the database (the round's ``exports/secure/workspace.json`` and report
section, and every export the web publishes, see :func:`anchor`), and ``verify(expect=HASH)``
(``commission audit verify --expect HASH``) fails when that entry is no longer in the chain.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

GENESIS = "0" * 64
#: Fields never copied into the log (secrets).
SECRET_FIELDS = frozenset({"password"})

_actor: contextvars.ContextVar[tuple[str, str]] = contextvars.ContextVar(
    "audit_actor", default=("system", "")
)


@contextmanager
def acting_as(actor: str, organisation: str = "") -> Iterator[None]:
    """Attribute changes made inside the block (e.g. by a command) to ``actor``."""
    token = _actor.set((actor, organisation))
    try:
        yield
    finally:
        _actor.reset(token)


class ActorMiddleware:
    """Attributes every change made while serving a request to the signed-in user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from commissioning.web.walls import viewer_of

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            viewer = viewer_of(user)
            org = viewer.organisation.name if viewer.organisation is not None else ""
            with acting_as(user.get_username(), org):
                return self.get_response(request)
        with acting_as("anonymous"):
            return self.get_response(request)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | float | uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot(instance: Model) -> dict[str, Any]:
    """The record's concrete field values, JSON-safe, without secrets."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in SECRET_FIELDS:
            continue
        data[field.attname] = _plain(getattr(instance, field.attname))
    return data


def canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(
    seq: int,
    at: str,
    actor: str,
    organisation: str,
    action: str,
    model: str,
    object_pk: str,
    data: Any,
    prev_hash: str,
) -> str:
    body = {
        "seq": seq,
        "at": at,
        "actor": actor,
        "actor_organisation": organisation,
        "action": action,
        "model": model,
        "object_pk": object_pk,
        "data": data,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical(body)).hexdigest()


def _at(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def append(action: str, model: str, object_pk: Any, data: Any) -> None:
    """Add one entry at the head of the chain (inside the caller's transaction)."""
    from commissioning.web.models import AuditEntry

    actor, organisation = _actor.get()
    data = _plain(data)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE web_auditentry IN SHARE ROW EXCLUSIVE MODE")
        last = AuditEntry.objects.order_by("-seq").values_list("seq", "entry_hash").first()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        at = timezone.now()
        digest = entry_hash(
            seq, _at(at), actor, organisation, action, model, str(object_pk), data, prev
        )
        AuditEntry.objects.create(
            seq=seq,
            at=at,
            actor=actor,
            actor_organisation=organisation,
            action=action,
            model=model,
            object_pk=str(object_pk),
            data=data,
            prev_hash=prev,
            entry_hash=digest,
        )


@dataclass(frozen=True)
class ChainReport:
    """The outcome of :func:`verify`."""

    entries: int
    ok: bool
    head_seq: int
    head_hash: str
    broken_at: int | None = None
    problem: str = ""


def verify(expect: str | None = None) -> ChainReport:
    """Recompute every entry's hash and link; report the first break.

    With ``expect`` (a head hash anchored earlier, e.g. printed in a report or an export), the
    chain must still hold an entry with that hash: later entries may follow it, but if the log
    was truncated below it (or rewritten) the report is not ok and says so.
    """
    report = _verify_links()
    if expect is None or not report.ok:
        return report
    wanted = expect.strip().lower()
    if len(wanted) != 64 or any(c not in "0123456789abcdef" for c in wanted):
        raise ValueError(f"--expect {expect!r}: an audit head hash is 64 hexadecimal characters")
    from commissioning.web.models import AuditEntry

    if wanted == GENESIS or AuditEntry.objects.filter(entry_hash=wanted).exists():
        return report
    return ChainReport(
        report.entries,
        False,
        report.head_seq,
        report.head_hash,
        report.head_seq + 1,
        f"the anchored head {wanted[:16]}… is not in the chain: entries were removed from the "
        f"end (truncated) or the log was rewritten; it now ends at entry {report.head_seq}",
    )


def anchor() -> dict[str, Any]:
    """The audit head to write into something published outside the database (the round's
    summary, an export): ``{"audit_head_seq": N, "audit_head_hash": HASH}``. Verify later with
    ``commission audit verify --expect HASH``."""
    from commissioning.web.models import AuditEntry

    last = AuditEntry.objects.order_by("-seq").values_list("seq", "entry_hash").first()
    seq, digest = last if last else (0, GENESIS)
    return {"audit_head_seq": seq, "audit_head_hash": digest}


def _verify_links() -> ChainReport:
    from commissioning.web.models import AuditEntry

    prev = GENESIS
    expected_seq = 1
    count = 0
    head_seq, head_hash = 0, GENESIS
    for e in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        count += 1
        if e.seq != expected_seq:
            return ChainReport(
                count,
                False,
                head_seq,
                head_hash,
                e.seq,
                f"entry {expected_seq} is missing (found {e.seq} next)",
            )
        if e.prev_hash != prev:
            return ChainReport(
                count,
                False,
                head_seq,
                head_hash,
                e.seq,
                "its link to the previous entry does not match",
            )
        digest = entry_hash(
            e.seq,
            _at(e.at),
            e.actor,
            e.actor_organisation,
            e.action,
            e.model,
            e.object_pk,
            e.data,
            e.prev_hash,
        )
        if digest != e.entry_hash:
            return ChainReport(
                count,
                False,
                head_seq,
                head_hash,
                e.seq,
                "its content was changed after it was written",
            )
        prev = e.entry_hash
        head_seq, head_hash = e.seq, e.entry_hash
        expected_seq += 1
    return ChainReport(count, True, head_seq, head_hash)


# ---------------------------------------------------------------------------------------------
# What is audited: every change to proposals, competition, contracts, assurance, ratings and
# permissions (memberships, organisations, user accounts, sharing).
# ---------------------------------------------------------------------------------------------


def audited_models() -> list[type[Model]]:
    from django.contrib.auth import get_user_model

    from commissioning.web import models as m

    return [
        get_user_model(),
        m.Organisation,
        m.Membership,
        m.CommissioningRound,
        m.RoundEnvelope,
        m.Lot,
        m.LotBudget,
        m.Proposal,
        m.ProposalLine,
        m.Subcontract,
        m.ProposalFlag,
        m.Criterion,
        m.Score,
        m.ModeratedScore,
        m.Award,
        m.Contract,
        m.ContractVersion,
        m.ScheduleLine,
        m.TargetLevel,
        m.Variation,
        m.ActionPlan,
        m.AssuranceReturn,
        m.ExternalAudit,
        m.RiskEntry,
        m.PerformanceRecord,
        m.Rating,
    ]


def _label(model: type[Model]) -> str:
    return model._meta.label


def _on_save(
    sender: type[Model],
    instance: Model,
    created: bool,
    raw: bool = False,
    update_fields: Any = None,
    **_: Any,
) -> None:
    if raw:
        return
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # signing in is not a change to the record
    append("create" if created else "update", _label(sender), instance.pk, snapshot(instance))


def _on_delete(sender: type[Model], instance: Model, **_: Any) -> None:
    append("delete", _label(sender), instance.pk, snapshot(instance))


def _on_m2m(
    sender: Any, instance: Model, action: str, model: type[Model], pk_set: set[Any] | None, **_: Any
) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    verb = {"post_add": "grant", "post_remove": "revoke", "post_clear": "revoke"}[action]
    field = sender._meta.model_name
    append(
        verb,
        _label(type(instance)),
        instance.pk,
        {"relation": field, "to": _label(model), "pks": sorted(pk_set or [])},
    )


_connected = False


def connect() -> None:
    """Connect the signal handlers (called once from the app's ``ready``)."""
    global _connected
    if _connected:
        return
    from commissioning.web import models as m

    for model in audited_models():
        post_save.connect(_on_save, sender=model, dispatch_uid=f"audit-save-{_label(model)}")
        post_delete.connect(_on_delete, sender=model, dispatch_uid=f"audit-del-{_label(model)}")
    m2m_changed.connect(_on_m2m, sender=m.Contract.shared_with.through, dispatch_uid="audit-share")
    from django.contrib.auth import get_user_model

    user = get_user_model()
    for rel in (user.groups.through, user.user_permissions.through):
        m2m_changed.connect(_on_m2m, sender=rel, dispatch_uid=f"audit-m2m-{rel._meta.label}")
    _connected = True
