"""Benefit–cost per intervention × segment: the risk principle, quality, Monte Carlo; the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from commissioning.cli.app import _register, app
from commissioning.evidence.benefit_cost import (
    Segment,
    Valuation,
    benefit_cost,
    p_benefit_exceeds_cost,
)
from commissioning.evidence.catalogue import load_catalogue
from commissioning.evidence.outcome import EffectDistribution, risk_ratio, service_effects
from commissioning.evidence.step import evaluate
from commissioning.policy.parameters import ParameterSet
from policy_support import ROUND_DATE

SEGMENTS = [
    Segment(setting, group, tier, 100, base, freq, value)
    for setting in ("community", "custody")
    for group, value in (("sex", 30000.0), ("violence", 7000.0), ("acquisitive", 2000.0),
                         ("other", 1500.0))
    for tier, base, freq in (("low", 0.15, 1.8), ("medium", 0.45, 3.0), ("high", 0.75, 4.5),
                             ("very_high", 0.85, 5.0))
]


def _tsp(params: ParameterSet) -> tuple[object, EffectDistribution]:
    item = load_catalogue().get("thinking_skills_programme")
    return item, service_effects([item], params.at(ROUND_DATE))[item.id]


def test_the_risk_principle_larger_absolute_effects_for_higher_risk(params: ParameterSet) -> None:
    item, effect = _tsp(params)
    valuation = Valuation.from_policy(params.at(ROUND_DATE), interventions=[item])  # type: ignore[list-item]
    table = benefit_cost(item, effect, SEGMENTS, valuation, draws=2000)  # type: ignore[arg-type]
    violence = table[(table.setting == "community") & (table.offence_group == "violence")]
    by_tier = violence.set_index("risk_tier")
    # A constant risk ratio: the reduction grows in proportion to the baseline (RNR), unlike a
    # constant odds ratio whose absolute effect peaks at p = 0.5.
    assert by_tier.loc["low", "reduction_pp"] < by_tier.loc["medium", "reduction_pp"] < \
        by_tier.loc["high", "reduction_pp"] < by_tier.loc["very_high", "reduction_pp"]
    ratio = by_tier["reduction_pp"] / by_tier["baseline"]
    assert ratio.max() == pytest.approx(ratio.min())
    assert not by_tier.loc["low", "eligible"] and by_tier.loc["medium", "eligible"]
    # Hand check of the medium segment (no other service has coverage here).
    rr = float(risk_ratio(effect.log_or, effect.reference_rate))
    medium = by_tier.loc["medium"]
    assert medium["reduction_pp"] == pytest.approx(0.45 * (1 - rr) * 100)
    assert medium["avoided_reoffences"] == pytest.approx(0.45 * (1 - rr) * 3.0)
    assert medium["benefit_gbp"] == pytest.approx(0.45 * (1 - rr) * 3.0 * 7000.0)
    assert medium["cost_gbp"] == pytest.approx(params.value("plan.unit_costs", ROUND_DATE)[
        "thinking_skills_programme"]["cost"])
    assert by_tier.loc["low", "p_benefit_exceeds_cost"] < by_tier.loc["high",
                                                                      "p_benefit_exceeds_cost"]


def test_harmful_programme_has_negative_benefit(params: ParameterSet) -> None:
    item = load_catalogue().get("scared_straight")
    effect = service_effects([item], params.at(ROUND_DATE))[item.id]
    assert effect.risk_ratio > 1
    valuation = Valuation(unit_costs={"scared_straight": 100.0}, draws=500)
    table = benefit_cost(item, effect, SEGMENTS, valuation, draws=500)
    assert (table.benefit_gbp < 0).all()
    assert (table.p_benefit_exceeds_cost < 0.5).all()


def test_other_services_coverage_shrinks_the_value_multiplicatively() -> None:
    effect = EffectDistribution("a", np.log(0.7), 0.1, 0.5, "published", "test")
    alone = Segment("community", "violence", "medium", 100, 0.5, 2.0, 1000.0)
    shared = Segment("community", "violence", "medium", 100, 0.5, 2.0, 1000.0,
                     {"a": 0.3, "b": 0.5})
    item = load_catalogue().get("thinking_skills_programme")
    valuation = Valuation({"thinking_skills_programme": 1.0}, 100)
    rr_b = 0.8
    one = benefit_cost(item, effect, [alone], valuation, {"b": rr_b}, draws=100)
    two = benefit_cost(item, effect, [shared], valuation, {"b": rr_b}, draws=100)
    factor = 1 - 0.5 * (1 - rr_b)
    assert two.others_factor.iloc[0] == pytest.approx(factor)
    assert two.benefit_gbp.iloc[0] == pytest.approx(one.benefit_gbp.iloc[0] * factor)


def test_probability_benefit_exceeds_cost_matches_the_normal_calculation() -> None:
    rng = np.random.default_rng(1)
    effect = EffectDistribution("a", np.log(0.7), 0.2, 0.5, "published", "test")
    # benefit = scale × (1 − RR) > 50 with scale 1000 ⇔ RR < 0.95 ⇔ treated < 0.475 at p0 = 0.5
    p = p_benefit_exceeds_cost(effect, [1000.0], 50.0, 200_000, rng)
    from scipy import stats

    threshold = np.log(0.475 / 0.525)  # θ at which RR = 0.95 (baseline odds 1)
    expected = stats.norm.cdf((threshold - np.log(0.7)) / 0.2)
    assert p[0] == pytest.approx(expected, abs=0.005)


def test_evaluate_values_every_service_with_a_uk_price(params: ParameterSet) -> None:
    result = evaluate(SEGMENTS, params.at(ROUND_DATE), draws=200)
    planned = {k for k, v in params.value("plan.unit_costs", ROUND_DATE).items()
               if v and v.get("cost") is not None and not v.get("statutory")}
    priced = {i.id for i in result.catalogue if i.unit_cost.gbp is not None} | planned
    assert set(result.benefit_cost.intervention_id) == priced
    assert set(result.effects) == set(result.catalogue.ids())


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
