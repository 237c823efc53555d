"""Issue 16.2's acceptance test: one workspace policy, used by the CLI, the round and the web
alike, at the round's date.

A small demo workspace whose ``policy/local.yaml`` sets the small-cell threshold to 10 and the
threshold of medium to high risk to 45%: the round's report, the profile CSV files, the web's
pages and the API agree on the threshold (a figure of 1 to 9 people is withheld everywhere) and
on who is "medium to high" (the same tier counts; a proposal line of the low tier is "below
45%").
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from tests.web.conftest import People
from typer.testing import CliRunner

from commissioning.assess.profiles import compute_profiles
from commissioning.assess.risk import RiskRules, score
from commissioning.engine import backend
from commissioning.io.readers import read_table
from commissioning.policy.parameters import load_parameters
from commissioning.web import models as m
from commissioning.web import services

POLICY = (
    "disclosure.small_cell_threshold:\n  2012-04-01: 10\n"
    "risk.medium_high_threshold:\n  2012-04-01: 45\n"
)
ROUND_YEAR = "2012-13"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo workspace (2,000 assessments) with the overrides, run by ``commission demo``."""
    from commissioning.cli.app import _register, app

    _register()
    ws = tmp_path_factory.mktemp("one-policy") / "ws"
    (ws / "policy").mkdir(parents=True)
    (ws / "policy" / "local.yaml").write_text(POLICY, encoding="utf-8")
    result = CliRunner().invoke(
        app, ["demo", "--workspace", str(ws), "--assessments", "2000", "--no-pdf"]
    )
    assert result.exit_code == 0, result.output
    return ws


def _tiers(frame: pd.DataFrame) -> dict[tuple[str, str, str], str]:
    """Offenders by setting, offence group and tier as published (withheld cells ``*``)."""
    return {
        (str(r["setting"]), str(r["offence_group"]), str(r["risk_tier"])):
        "*" if pd.isna(r["offenders"]) or str(r["offenders"]) in ("", "*")
        else str(int(float(r["offenders"])))
        for r in frame.to_dict("records")
    }


def test_the_report_and_the_csv_files_use_the_workspace_policy(workspace: Path) -> None:
    html = (workspace / "reports" / "commissioning-round.html").read_text(encoding="utf-8")
    assert "<code>disclosure.small_cell_threshold</code> = 10" in html
    assert "below 45% low" in html
    national = pd.read_csv(workspace / "exports" / "profiles" / "national" / "risk_profile.csv",
                           dtype=str, keep_default_na=False)
    shown = pd.to_numeric(national["offenders"], errors="coerce")
    assert ((shown > 0) & (shown < 10)).sum() == 0  # nothing of 1-9 people is published
    assert (national["offenders"].isin(["", "*"])).any()  # and something was withheld


def test_the_web_agrees_with_the_report_and_the_csv_files(
    workspace: Path, people: People, settings: Any
) -> None:
    settings.WORKSPACE = workspace
    rnd = m.CommissioningRound.objects.create(year=ROUND_YEAR, title="Round", status="open")
    assert rnd.starts == dt.date(2012, 4, 1)

    # A provider uploads the workspace's assessments: the web profiles them at the round's
    # date under the workspace's policy, and its tiers are the CSV's.
    provider = Client()
    provider.force_login(people.users["provider"])
    proposal = m.Proposal.objects.create(round=rnd, provider=people.orgs["prison"], title="Bid")
    source = read_table(workspace / "inputs" / "assessments.parquet", "assessments")
    upload = workspace / "upload.csv"
    source.table.to_pandas().to_csv(upload, index=False)
    response = provider.post(
        reverse("proposal-upload", args=[proposal.pk]),
        {"file": SimpleUploadedFile("upload.csv", upload.read_bytes())},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    proposal.refresh_from_db()
    from commissioning.publish.disclosure import suppress_risk_profile

    web = suppress_risk_profile(pd.DataFrame(proposal.profile["risk"]), (), 10)
    national = pd.read_csv(workspace / "exports" / "profiles" / "national" / "risk_profile.csv")
    assert _tiers(web) == _tiers(national)
    page = provider.get(reverse("proposal-detail", args=[proposal.pk])).content.decode()
    assert "fewer than 10 people" in page

    # With the built-in 50% the tiers would differ: the override moved people between tiers.
    con = backend.connect()
    try:
        table = backend.from_arrow(con, source.table, "assessments")
        built_in = RiskRules.from_policy(load_parameters([]).at(rnd.starts))
        plain = compute_profiles(con, score(table, built_in)).risk
    finally:
        con.disconnect()
    by_tier = pd.DataFrame(proposal.profile["risk"]).groupby("risk_tier")["offenders"].sum()
    assert by_tier.to_dict() != plain.groupby("risk_tier")["offenders"].sum().to_dict()

    # A low-tier line is "below 45%" on the page and in the API, the one threshold.
    m.ProposalLine.objects.create(
        proposal=proposal, service_id="mentoring", setting="community",
        offence_group="acquisitive", risk_tier="low", harm="low", volume=10,
        unit_price=Decimal("100"),
    )
    services.recheck(proposal)
    flags = provider.get(f"/api/proposals/{proposal.pk}/flags").json()
    assert any(f["intention"] == "community 3" and "below 45%" in f["detail"] for f in flags)
    page = provider.get(reverse("proposal-detail", args=[proposal.pk])).content.decode()
    assert "below 45%" in page

    # Published performance of 7 people: withheld on the transparency page, the API and the
    # OCDS download, which say "fewer than 10".
    contract = m.Contract.objects.create(
        reference="SLA-7", title="Seven", kind="sla", provider=people.orgs["prison"], round=rnd,
        starts=rnd.starts, ends=dt.date(2013, 3, 31), published=True,
    )
    version = m.ContractVersion.objects.create(
        contract=contract, number=1, annual_operating_price=Decimal("1000"))
    m.ScheduleLine.objects.create(
        version=version, service_id="mentoring", setting="custody", offence_group="other",
        risk_tier="medium", harm="low", volume=7, price=Decimal("700"))
    services.agree_version(version, people.users["commissioner"])
    m.PerformanceRecord.objects.create(
        contract=contract, measure="Proven reoffending rate", period="2012-Q1",
        actual=Decimal("0.4286"), unit="proportion", people=7, target=Decimal("0.46"),
    )
    body = Client().get("/transparency/").content.decode()
    assert "fewer than 10 people" in body and "0.4286" not in body
    api = Client().get(f"/api/transparency/contracts/{contract.pk}").json()
    assert api["performance"][0]["actual"] == "*"
    page = Client().get(reverse("contract-detail", args=[contract.pk])).content.decode()
    assert "fewer than 10 people" in page and "0.4286" not in page
    ocds = json.loads(Client().get(reverse("transparency-ocds")).content)
    items = [i for r in ocds["releases"] for c in r.get("contracts", []) for i in c["items"]]
    assert items and all("quantity" not in i for i in items)  # 7 places: withheld


def test_the_web_reports_as_at_the_rounds_date_as_the_report(
    workspace: Path, people: People, settings: Any
) -> None:
    """The round's report says nothing is due on the round's date; so does the web."""
    settings.WORKSPACE = workspace
    summary = json.loads((workspace / "exports" / "secure" / "workspace.json").read_text())
    assert summary["as_of"] == "2012-04-01"
    assert summary["assurance"]["returns"]["Overdue"] == 0
    rnd = m.CommissioningRound.objects.create(year=ROUND_YEAR, title="Round", status="open")
    m.Contract.objects.create(
        reference="SLA-1", title="One", kind="sla", provider=people.orgs["prison"], round=rnd,
        starts=rnd.starts, ends=dt.date(2013, 3, 31),
    )
    client = Client()
    client.force_login(people.users["commissioner"])
    page = client.get(reverse("assurance-overview")).content.decode()
    assert "Status as at 1 April 2012" in page
    assert "Overdue" not in page


def test_the_check_follows_a_changed_policy_file(
    people: People, settings: Any, tmp_path: Path
) -> None:
    """The web reloads the workspace's policy when a file changes: the check's rules too."""
    import os

    from commissioning.web import services

    policy = tmp_path / "ws" / "policy" / "local.yaml"
    policy.parent.mkdir(parents=True)
    policy.write_text("risk.medium_high_threshold:\n  2012-04-01: 45\n", encoding="utf-8")
    settings.WORKSPACE = tmp_path / "ws"
    rnd = m.CommissioningRound.objects.create(year=ROUND_YEAR, title="Round", status="open")
    proposal = m.Proposal.objects.create(round=rnd, provider=people.orgs["prison"], title="Bid")
    m.ProposalLine.objects.create(
        proposal=proposal, service_id="mentoring", setting="community",
        offence_group="acquisitive", risk_tier="low", harm="low", volume=10,
        unit_price=Decimal("100"),
    )
    (flag,) = services.recheck(proposal)
    assert "below 45%" in flag.detail
    policy.write_text("risk.medium_high_threshold:\n  2012-04-01: 40\n", encoding="utf-8")
    later = policy.stat().st_mtime_ns + 2_000_000_000
    os.utime(policy, ns=(later, later))
    (flag,) = services.recheck(proposal)
    assert "below 40%" in flag.detail
