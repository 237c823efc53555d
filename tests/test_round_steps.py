"""The round: the foundation runs once and later steps read its result; capabilities declare
step and section in one place and are checked; the product's list is the round's six."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from commissioning import round as round_module
from commissioning.capabilities import CAPABILITIES
from commissioning.engine import backend
from commissioning.io.pseudonymise import DEMO_KEY, PseudonymKey
from commissioning.io.workspace import Workspace
from commissioning.policy.parameters import load_parameters
from commissioning.publish import Section
from commissioning.round import FOUNDATION_ID, Foundation, foundation, round_context
from commissioning.steps import Capability, StepContext, check_capabilities, run_steps
from test_headline_totals import forty_assessments

WHEN = dt.date(2012, 4, 1)


def _ws(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    ws.import_table("assessments", forty_assessments(tmp_path),
                    PseudonymKey(DEMO_KEY, "demo", True))
    return ws


def _probe(ctx: StepContext) -> Foundation:
    return foundation(ctx)


PROBE = Capability("probe", "Probe", 10, _probe,
                   Section("probe", "Probe", 150, lambda context: "<p>probe</p>"))


def _count_scoring(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = round_module.score_workspace

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(round_module, "score_workspace", counted)
    return calls


def test_the_foundation_runs_once_and_later_steps_read_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _count_scoring(monkeypatch)
    context = round_context(_ws(tmp_path), load_parameters().at(WHEN), [PROBE], log=lambda m: None)
    assert len(calls) == 1
    found = context.extras[FOUNDATION_ID]
    assert isinstance(found, Foundation)
    assert context.extras["probe"] is found
    assert context.risk_profile is found.published.risk
    assert int(found.totals["offenders"].sum()) == 40
    assert [s.id for s in context.sections] == ["probe"]


def test_a_foundation_already_run_is_not_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    ws, params = _ws(tmp_path), load_parameters()
    con = backend.connect(ws.database_path)
    try:
        done = round_module.run_foundation(StepContext(ws, params, WHEN, con))
        calls = _count_scoring(monkeypatch)
        context = round_context(ws, params.at(WHEN), [PROBE], con=con, done=done,
                                log=lambda m: None)
    finally:
        con.disconnect()
    assert calls == []
    assert context.extras["probe"] is done


def test_a_step_before_the_foundation_is_told_so(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    con = backend.connect()
    try:
        with pytest.raises(round_module.RoundError, match="foundation"):
            run_steps(StepContext(ws, load_parameters(), WHEN, con), [PROBE])
    finally:
        con.disconnect()


def test_capability_ids_are_unique_well_formed_and_not_the_foundations() -> None:
    with pytest.raises(ValueError, match="two capabilities have the id 'probe'"):
        check_capabilities([PROBE, PROBE])
    with pytest.raises(ValueError, match="'foundation'"):
        check_capabilities([Capability(FOUNDATION_ID, "x", 1, _probe)], (FOUNDATION_ID,))
    with pytest.raises(ValueError, match="lower-case"):
        check_capabilities([Capability("Bad Id", "x", 1, _probe)])


def test_the_products_capabilities_are_the_rounds_six_in_order() -> None:
    assert [(c.id, c.order) for c in CAPABILITIES] == [
        ("evidence", 200), ("demand", 300), ("plan", 400), ("secure", 450), ("review", 500),
        ("equality", 600)]
    for cap in CAPABILITIES:
        assert cap.section is not None and cap.section.id == cap.id
        assert cap.section.order == cap.order


def _never(ctx: StepContext) -> None:
    raise AssertionError("a step whose tables are missing must not run")


NEEDS_COHORT = Capability("needs_cohort", "Needs the cohort", 20, _never,
                          Section("needs_cohort", "Needs cohort", 160, lambda c: "<p>ran</p>"),
                          requires=("cohort", "reoffences"))
AFTER_IT = Capability("after_it", "After it", 30, _never, after=("needs_cohort",))


def test_a_step_without_its_tables_is_not_run_and_the_round_goes_on(tmp_path: Path) -> None:
    logged: list[str] = []
    context = round_context(_ws(tmp_path), load_parameters().at(WHEN),
                            [NEEDS_COHORT, AFTER_IT, PROBE], log=logged.append)
    assert "needs_cohort" not in context.extras and "after_it" not in context.extras
    assert context.extras["probe"] is context.extras[FOUNDATION_ID]  # later steps still run
    assert context.skipped == {"needs_cohort": (
        "the workspace has no `cohort` and `reoffences` tables (import with "
        "`commission import TABLE FILE`)")}
    assert any(m.startswith("after_it: not run (it needs the needs_cohort step") for m in logged)
    from commissioning.publish.report import render_sections

    body = {s.id: str(s.html) for s in render_sections(context)}
    assert 'id="needs_cohort-not-run"' in body["needs_cohort"]
    assert "<code>cohort</code>" in body["needs_cohort"] and "ran" not in body["needs_cohort"]
    assert "did not run</strong>" in body["bulletin"] and "#needs_cohort-not-run" in body[
        "bulletin"]


def test_the_report_of_a_workspace_of_assessments_only_says_what_did_not_run(
    tmp_path: Path,
) -> None:
    """Issue 11, found using one's own data: `commission report` on a workspace holding only
    assessments (README: all that risk and profiles need) stopped with a traceback in the
    evidence step; now every step that lacks its tables says so and the report is written."""
    from typer.testing import CliRunner

    from commissioning.cli.app import _register, app

    _register()
    ws = _ws(tmp_path)
    result = CliRunner().invoke(app, ["report", "--workspace", str(ws.path)])
    assert result.exit_code == 0, result.output
    html = (ws.path / "reports" / "commissioning-round.html").read_text(encoding="utf-8")
    for section in ("evidence", "plan", "review", "equality"):
        assert f'id="{section}-not-run"' in html, section
    assert 'id="demand-not-run"' not in html  # demand needs only the assessments
    assert "4 steps did not run</strong>" in html
    # no plan: the bulletin does not point at an investment table that is not there
    assert "the investment and disinvestment above" not in html
    assert "evidence: not run (the workspace has no `cohort` and `reoffences`" in " ".join(
        result.output.split())
