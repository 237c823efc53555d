"""The audit trail: every change is chained, and any edit to the log is detected."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from tests.web.world import World, build_world

from commissioning.web import audit
from commissioning.web import models as m

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    with audit.acting_as("test-builder", "NOMS"):
        return build_world()


def test_every_change_to_an_audited_record_is_chained(world: World) -> None:
    report = audit.verify()
    assert report.ok
    assert report.entries == m.AuditEntry.objects.count() > 20
    line = m.ProposalLine.objects.first()
    assert line is not None
    before = report.head_seq
    with audit.acting_as("provider_a", "HMP A"):
        line.volume = 25
        line.save()
        line.delete()
    entries = list(m.AuditEntry.objects.filter(seq__gt=before))
    assert [(e.action, e.model, e.actor) for e in entries] == [
        ("update", "web.ProposalLine", "provider_a"),
        ("delete", "web.ProposalLine", "provider_a"),
    ]
    assert entries[0].data["volume"] == 25
    assert entries[1].prev_hash == entries[0].entry_hash
    assert audit.verify().ok


def test_sharing_a_contract_is_a_permission_change_in_the_log(world: World) -> None:
    contract = world.contracts["a_published"]
    contract.shared_with.add(world.orgs["partner"])
    contract.shared_with.remove(world.orgs["partner"])
    tail = list(m.AuditEntry.objects.order_by("-seq")[:2])[::-1]
    assert [(e.action, e.data["pks"]) for e in tail] == [
        ("grant", [world.orgs["partner"].pk]),
        ("revoke", [world.orgs["partner"].pk]),
    ]


def test_password_hashes_never_enter_the_log(world: World) -> None:
    users = m.AuditEntry.objects.filter(model="auth.User")
    assert users.exists()
    assert all("password" not in e.data for e in users)


def test_the_database_refuses_to_update_an_entry(world: World) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        m.AuditEntry.objects.filter(seq=1).update(actor="someone else")


def _tamper(sql: str, params: list[object]) -> None:
    """Edit the log as an attacker with direct database access would: drop the guard first."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER web_auditentry_no_update")
        else:
            cursor.execute("ALTER TABLE web_auditentry DISABLE TRIGGER web_auditentry_no_change")
        cursor.execute(sql, params)


def test_verify_finds_an_edited_entry(world: World) -> None:
    entry = m.AuditEntry.objects.filter(model="web.Proposal").order_by("seq")[1]
    data = dict(entry.data)
    data["title"] = "A much better bid"
    import json

    _tamper("UPDATE web_auditentry SET data = %s WHERE seq = %s", [json.dumps(data), entry.seq])
    report = audit.verify()
    assert not report.ok
    assert report.broken_at == entry.seq
    assert "changed" in report.problem


def test_verify_finds_a_deleted_entry(world: World) -> None:
    _tamper("DELETE FROM web_auditentry WHERE seq = %s", [5])
    report = audit.verify()
    assert (report.ok, report.broken_at) == (False, 6)
    assert "missing" in report.problem


def test_verify_finds_a_rewritten_chain_link(world: World) -> None:
    # Recomputing one entry's hash after editing it still breaks the next entry's link.
    entry = m.AuditEntry.objects.get(seq=3)
    forged = audit.entry_hash(
        entry.seq,
        audit._at(entry.at),
        "mallory",
        entry.actor_organisation,
        entry.action,
        entry.model,
        entry.object_pk,
        entry.data,
        entry.prev_hash,
    )
    _tamper(
        "UPDATE web_auditentry SET actor = %s, entry_hash = %s WHERE seq = %s",
        ["mallory", forged, 3],
    )
    report = audit.verify()
    assert (report.ok, report.broken_at) == (False, 4)


def test_money_and_dates_are_logged_as_exact_text(world: World) -> None:
    version = world.contracts["a_published"].versions.get(number=2)
    version.annual_operating_price = Decimal("1234567.89")
    version.save()
    last = m.AuditEntry.objects.order_by("-seq").first()
    assert last is not None
    assert last.data["annual_operating_price"] == "1234567.89"
    assert audit.verify().ok


def test_an_anchored_head_detects_the_newest_entries_being_removed(world: World) -> None:
    anchored = audit.anchor()
    assert anchored["audit_head_seq"] == audit.verify().head_seq
    head = anchored["audit_head_hash"]
    assert audit.verify(expect=head).ok
    # later changes keep the anchor valid: it only has to stay in the chain
    line = m.ProposalLine.objects.first()
    assert line is not None
    line.volume = 31
    line.save()
    assert audit.verify(expect=head).ok
    # removing the newest entries down past the anchor leaves a valid chain, but not the anchor
    _tamper("DELETE FROM web_auditentry WHERE seq >= %s", [anchored["audit_head_seq"]])
    shorter = audit.verify()
    assert shorter.ok and shorter.head_seq == anchored["audit_head_seq"] - 1
    report = audit.verify(expect=head)
    assert not report.ok
    assert "truncated" in report.problem
    assert report.broken_at == anchored["audit_head_seq"]


def test_an_anchor_that_is_not_a_hash_is_refused(world: World) -> None:
    with pytest.raises(ValueError, match="64 hexadecimal"):
        audit.verify(expect="abc")
