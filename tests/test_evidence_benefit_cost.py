"""Benefit–cost per intervention × segment: the risk principle, quality, Monte Carlo; the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from commissioning.cli.app import _register, app
from commissioning.evidence.benefit_cost import Segment, Valuation, benefit_cost, monte_carlo
from commissioning.evidence.catalogue import load_catalogue
from commissioning.evidence.rating import rate_all
from commissioning.evidence.step import evaluate
from commissioning.policy.parameters import ParameterSet

SEGMENTS = [
    Segment(setting, group, tier, 100, base)
    for setting in ("community", "custody")
    for group in ("sex", "violence", "acquisitive", "other")
    for tier, base in (("low", 0.2), ("medium", 0.6), ("high", 0.8), ("very_high", 0.9))
]


def _tsp(params: ParameterSet):  # type: ignore[no-untyped-def]
    item = load_catalogue().get("thinking_skills_programme")
    rating = rate_all([item], params)[0]
    return item, rating


def test_risk_principle_low_risk_segments_gain_little(params: ParameterSet) -> None:
    item, rating = _tsp(params)
    table = benefit_cost(item, rating, SEGMENTS, Valuation.from_parameters(params), draws=2000)
    violence = table[(table.setting == "community") & (table.offence_group == "violence")]
    low = violence[violence.risk_tier == "low"].iloc[0]
    medium = violence[violence.risk_tier == "medium"].iloc[0]
    assert low.reduction_pp < medium.reduction_pp / 5
    assert low.p_benefit_exceeds_cost < 0.1 < 0.9 < medium.p_benefit_exceeds_cost
    assert not low.eligible and medium.eligible
    # Hand check of the medium segment: OR 0.654 at quality "adequate" (0.75), baseline 0.6.
    lor = np.log(0.654) * 0.75
    treated = 0.6 * np.exp(lor) / (1 - 0.6 + 0.6 * np.exp(lor))
    assert medium.reduction_pp == pytest.approx((0.6 - treated) * 100)
    value = params.value("evidence.cost_of_crime")["violence"] + params.value(
        "evidence.cjs_cost")["violence"]
    assert medium.benefit_gbp == pytest.approx((0.6 - treated) * 3.2 * value)
    assert medium.cost_gbp == pytest.approx(1395 * 0.62)


def test_harmful_programme_has_negative_benefit(params: ParameterSet) -> None:
    item = load_catalogue().get("scared_straight")
    rating = rate_all([item], params)[0]
    table = benefit_cost(item, rating, SEGMENTS, Valuation.from_parameters(params), draws=500)
    assert (table.benefit_gbp < 0).all()


def test_monte_carlo_probability_matches_the_normal_calculation() -> None:
    rng = np.random.default_rng(1)
    # benefit = reduction × 1 × 1000 > 50  ⇔  reduction > 0.05; baseline 0.5, fraction 1.
    p = monte_carlo([0.5], [1.0], [1000.0], np.log(0.7), 0.2, 50.0, 1.0, 200_000, rng)
    # reduction > 0.05 ⇔ treated < 0.45 ⇔ θ < logit(0.45) (baseline odds 1)
    from scipy import stats

    expected = stats.norm.cdf((np.log(0.45 / 0.55) - np.log(0.7)) / 0.2)
    assert p[0] == pytest.approx(expected, abs=0.005)


def test_evaluate_values_every_service_with_an_effect(params: ParameterSet) -> None:
    result = evaluate(SEGMENTS, params, draws=200)
    assert set(result.benefit_cost.intervention_id) == {
        "thinking_skills_programme", "scared_straight", "boot_camp"}


def _cli(*args: str) -> tuple[int, str]:
    _register()
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_cli_meta_prints_the_interface_json(tmp_path: Path) -> None:
    csv = tmp_path / "bcg.csv"
    rows = ["study,ai,bi,ci,di", "1,4,119,11,128", "2,6,300,29,274", "3,3,228,11,209",
            "4,62,13536,248,12619", "5,33,5036,47,5761", "6,180,1361,372,1079",
            "7,8,2537,10,619", "8,505,87886,499,87892", "9,29,7470,45,7232",
            "10,17,1699,65,1600", "11,186,50448,141,27197", "12,5,2493,3,2338",
            "13,27,16886,29,17825"]
    csv.write_text("\n".join(rows) + "\n")
    code, output = _cli("evidence", "meta", str(csv), "--method", "REML", "--measure", "RR",
                        "--json")
    assert code == 0, output
    data = json.loads(output)
    assert set(data) == {"k", "method", "measure", "estimate", "se", "ci_lower", "ci_upper",
                         "tau2", "i2", "h2", "q", "q_df", "q_p"}
    assert data["k"] == 13 and data["q_df"] == 12 and data["measure"] == "RR"
    assert round(data["estimate"], 4) == -0.7145 and round(data["tau2"], 4) == 0.3132


def test_cli_meta_gen_and_bad_input(tmp_path: Path) -> None:
    csv = tmp_path / "gen.csv"
    csv.write_text("study,yi,vi\na,0.1,0.04\nb,0.3,0.09\n")
    code, output = _cli("evidence", "meta", str(csv), "--method", "DL", "--knha", "--json")
    assert code == 0 and json.loads(output)["k"] == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("study,yi\na,0.1\n")
    code, output = _cli("evidence", "meta", str(bad), "--json")
    assert code == 2 and "needs columns yi and vi" in output


def test_cli_list_show_and_rate() -> None:
    code, output = _cli("evidence", "list", "--format", "csv")
    assert code == 0 and "thinking_skills_programme" in output
    code, output = _cli("evidence", "show", "scared_straight", "--json")
    assert code == 0 and json.loads(output)["rating"]["rules_category"] == "no_effect"
    code, output = _cli("evidence", "show", "no_such_service")
    assert code == 2 and "no intervention" in output
    code, output = _cli("evidence", "rate", "--format", "json")
    assert code == 0 and len(json.loads(output)) == len(load_catalogue())
