"""The web's published figures follow the workspace's policy, as the report and CSVs do: with
``policy/local.yaml`` setting the small-cell threshold to 10, the transparency page and the API
withhold a result based on 7 people and say "fewer than 10"."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.test import Client
from tests.web.conftest import People

from commissioning.web import models as m
from commissioning.web.policy import small_cell_threshold


def _world(people: People) -> m.Contract:
    contract = m.Contract.objects.create(
        reference="SLA-SEVEN", title="Seven people", kind="sla", provider=people.orgs["prison"],
        starts=dt.date(2012, 4, 1), ends=dt.date(2013, 3, 31), published=True,
    )
    m.ContractVersion.objects.create(
        contract=contract, number=1, status="agreed", annual_operating_price=Decimal("1000")
    )
    m.PerformanceRecord.objects.create(
        contract=contract, measure="Proven reoffending rate", period="2012-Q1",
        actual=Decimal("0.4286"), unit="proportion", people=7, target=Decimal("0.4600"),
    )
    return contract


def _policy(settings: Any, tmp_path: Path, threshold: int | None) -> None:
    workspace = tmp_path / "ws"
    (workspace / "policy").mkdir(parents=True, exist_ok=True)
    if threshold is not None:
        (workspace / "policy" / "local.yaml").write_text(
            f"disclosure.small_cell_threshold:\n  2010-01-01: {threshold}\n", encoding="utf-8")
    settings.WORKSPACE = workspace


def test_the_built_in_threshold_shows_seven_people(people: People, settings: Any,
                                                   tmp_path: Path) -> None:
    _policy(settings, tmp_path, None)
    contract = _world(people)
    body = Client().get("/transparency/").content.decode()
    assert "0.4286" in body and "fewer than 5 people" in body
    api = Client().get(f"/api/transparency/contracts/{contract.pk}").json()
    assert api["performance"][0]["people"] == "7"


def test_a_workspace_threshold_of_10_withholds_seven_people_everywhere(
    people: People, settings: Any, tmp_path: Path
) -> None:
    _policy(settings, tmp_path, 10)
    assert small_cell_threshold(dt.date(2012, 6, 1)) == 10
    contract = _world(people)
    body = Client().get("/transparency/").content.decode()
    assert "0.4286" not in body
    assert "fewer than 10 people" in body
    api = Client().get(f"/api/transparency/contracts/{contract.pk}").json()
    assert api["performance"][0]["actual"] == "*" and api["performance"][0]["people"] == "*"
