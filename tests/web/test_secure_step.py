"""The round's secure step: the web workspace prepared in its own process, summarised for
the report, and prepared only once."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from commissioning.web.report_section import render_secure
from commissioning.web.seed import DEMO_DIR
from commissioning.web.step import SecureResult


def current_prices() -> Decimal:
    """The demo contracts' annual operating prices in their latest agreed versions (after
    each contract's variations), from contracts.yaml."""
    doc = yaml.safe_load((DEMO_DIR / "contracts.yaml").read_text(encoding="utf-8"))
    total = Decimal(0)
    for k in doc["contracts"]:
        price = Decimal(k["annual_operating_price"])
        for v in k.get("variations", []):
            price = Decimal(v.get("annual_operating_price", price))
        total += price
    return total


def summarise(workspace: Path, out: Path) -> dict[str, object]:
    subprocess.run(
        [sys.executable, "-m", "commissioning.web.round_summary", str(workspace), str(out),
         "2012-11-15"],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.read_text())  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    ws = tmp_path_factory.mktemp("secure")
    return ws, summarise(ws, ws / "first.json")


def test_the_summary_counts_what_the_workspace_holds(
    prepared: tuple[Path, dict[str, object]],
) -> None:
    _, s = prepared
    assert s["organisations"] == {
        "assurance": 1, "commissioner": 1, "contracted_prison": 11, "partner": 16,
        "probation_trust": 35, "public_prison": 124, "voluntary_sector": 4,
    }
    assert s["proposals"] == {"draft": 1, "submitted": 3}
    # London's mentoring for low risk, low harm (with a rationale) and its self-esteem group;
    # the women's charity's uploaded population has women of medium or high risk of harm whom
    # no line serves (community 4: a check only a proposal's profile makes possible)
    assert s["flags"] == {
        "community 3": {"flags": 1, "with_rationale": 1, "proposals": 1},
        "community 4": {"flags": 1, "with_rationale": 0, "proposals": 1},
        "community 5": {"flags": 1, "with_rationale": 0, "proposals": 1},
    }
    # 46.5 + 38.2 + 152.0 + 61.0 (£M), SLA-LEI-2012 varied by +£0.14M
    assert s["contracts_total_price"] == f"{current_prices():.2f}" == "297840000.00"
    assert s["audit"]["ok"] is True  # type: ignore[index]
    # 2012-Q2 returns were due by 31 October 2012: none was received
    assert s["assurance"]["returns"]["Overdue"] == 4  # type: ignore[index]


def test_a_second_round_reuses_the_workspace_without_seeding_again(
    prepared: tuple[Path, dict[str, object]],
) -> None:
    ws, first = prepared
    again = summarise(ws, ws / "second.json")
    assert again["audit"] == first["audit"]  # no new entry: nothing was created twice
    assert again["proposals"] == first["proposals"]


def test_the_report_section_shows_the_flags_contracts_and_chain(
    prepared: tuple[Path, dict[str, object]],
) -> None:
    ws, s = prepared
    context = SimpleNamespace(extras={"secure": SecureResult(s, None, 1.0, ws)})
    html = render_secure(context)  # type: ignore[arg-type]
    assert "Disinvest in ineffective services and interventions" in html
    assert "£297.8M a year in all" in html
    assert "SLA-LEI-2012" in html and "Service level agreement" in html
    assert "chain verified" in html
    assert f"commission serve --workspace {ws}" in html


def test_a_workspace_that_cannot_be_prepared_is_reported_not_hidden(tmp_path: Path) -> None:
    context = SimpleNamespace(extras={"secure": SecureResult(None, "disk full", 0.1, tmp_path)})
    assert "could not be prepared: disk full" in render_secure(context)  # type: ignore[arg-type]


def test_a_workspace_of_real_data_is_reported_without_demo_wording(
    prepared: tuple[Path, dict[str, object]],
) -> None:
    ws, s = prepared
    assert s["demo"] is True
    real = {**s, "demo": False}
    context = SimpleNamespace(extras={"secure": SecureResult(real, None, 1.0, ws)})
    html = render_secure(context)  # type: ignore[arg-type]
    assert "demo-accounts.txt" not in html and "manage.py add_person" in html
