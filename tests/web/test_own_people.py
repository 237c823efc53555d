"""A workspace of real data: no demo organisations or accounts; people are added by command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from commissioning.web import models as m
from commissioning.web.setup import holds_real_data

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-and-unusual-passphrase"


def test_a_workspace_imported_with_a_real_key_holds_real_data(tmp_path: Path) -> None:
    assert not holds_real_data(tmp_path)  # new: the demo may be seeded
    (tmp_path / "inputs").mkdir()
    manifest = tmp_path / "inputs" / "assessments.manifest.json"
    manifest.write_text(json.dumps({"table": "assessments", "demo_key": True}))
    assert not holds_real_data(tmp_path)  # the synthetic data's demo key
    manifest.write_text(json.dumps({"table": "assessments", "demo_key": False}))
    assert holds_real_data(tmp_path)


def test_add_person_creates_the_organisation_membership_and_audit_entries(
    tmp_path: Path,
) -> None:
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD)
    call_command("add_person", "j.smith", role="provider",
                 organisation="Avon & Somerset Probation Trust", kind="probation_trust",
                 provider_id="ASP", password_file=secret)
    membership = m.Membership.objects.select_related("organisation", "user").get()
    assert (membership.user.username, membership.role) == ("j.smith", "provider")
    assert membership.organisation.provider_id == "ASP"
    assert membership.user.check_password(PASSWORD)
    actors = set(m.AuditEntry.objects.values_list("actor", flat=True))
    assert actors == {"add_person"}
    assert all("password" not in e.data for e in m.AuditEntry.objects.all())


@pytest.mark.parametrize(("options", "message"), [
    ({"organisation": "Nobody", "role": "provider"}, "give --kind to create it"),
    ({"organisation": "HMP X", "kind": "public_prison", "role": "commissioner"},
     "A commissioner cannot belong to a public sector prison."),
    ({"organisation": "Wales Probation", "kind": "probation_trust", "role": "auditor"},
     "An auditor cannot belong to a probation trust."),
])
def test_add_person_refuses_and_changes_nothing(tmp_path: Path, options: dict[str, str],
                                                message: str) -> None:
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD)
    with pytest.raises(CommandError, match=message):
        call_command("add_person", "x", password_file=secret, **options)
    assert not m.Membership.objects.exists()
    assert not m.Organisation.objects.exists()


def test_add_person_applies_the_password_validators(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("123")
    with pytest.raises(CommandError, match="too short"):
        call_command("add_person", "x", role="partner", organisation="PCC", kind="partner",
                     password_file=secret)
