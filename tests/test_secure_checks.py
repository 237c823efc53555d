"""The automatic check of proposals against the commissioning intentions (pure, no database):
proposal lines become plan cells and go through the plan's rules (:mod:`commissioning.plan.rules`),
so a line and the equivalent plan cell get the same verdict for every intention checked."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from commissioning.evidence.catalogue import load_catalogue
from commissioning.plan.inputs import PlanSettings
from commissioning.plan.intentions import Intention, Intentions, load_intentions
from commissioning.plan.rules import check_intentions
from commissioning.policy.parameters import load_parameters
from commissioning.secure.checks import (
    RULE_HARM,
    RULE_INEFFECTIVE,
    RULE_NON_CORE_LOW_RISK,
    RULE_WOMEN,
    CheckRules,
    LineFacts,
    Population,
    check_proposal,
)
from commissioning.secure.rounds import financial_year_start

INEFFECTIVE = "no_effect"
CATALOGUE = {i.id: i for i in load_catalogue()}
ROUND_DATE = financial_year_start("2012-13")
PARAMS = load_parameters([])
INTENTIONS = load_intentions()
RULES = CheckRules.from_policy(PARAMS, INTENTIONS, ROUND_DATE)


def line(
    service: str,
    setting: str = "community",
    tier: str = "low",
    harm: str = "low",
    *,
    women_only: bool = False,
    rationale: str = "",
    line_id: int = 1,
) -> LineFacts:
    return LineFacts(line_id, service, setting, "acquisitive", tier, harm, women_only, rationale)


def test_the_threshold_is_the_one_definition_of_medium_to_high_risk() -> None:
    # risk.medium_high_threshold (50%): the tiers start medium there
    assert RULES.threshold == 50
    assert RULES.risk.tier_medium_from_pct == 50


def test_the_rules_come_from_the_intentions_by_rule_kind() -> None:
    assert [i.id for i in RULES.per_cell] == ["community 3", "community 5", "custody 4",
                                              "custody 7"]
    assert [i.id for i in RULES.women] == ["community 7", "custody 5"]
    assert [i.id for i in RULES.harm] == ["community 4", "custody 6"]


def test_catalogue_names_the_ineffective_category() -> None:
    assert any(i.category == INEFFECTIVE for i in CATALOGUE.values())


def test_non_core_services_for_low_risk_low_harm_offenders_are_flagged() -> None:
    assert not CATALOGUE["mentoring"].core
    found = check_proposal(
        [line("mentoring", line_id=7), line("mentoring", "custody", line_id=8)],
        None,
        CATALOGUE,
        RULES,
    )
    assert [(f.intention, f.rule, f.line_id) for f in found] == [
        ("community 3", RULE_NON_CORE_LOW_RISK, 7),
        ("custody 4", RULE_NON_CORE_LOW_RISK, 8),
    ]
    assert "not in the core rehabilitation offer" in found[0].detail
    assert "below 50%" in found[0].detail
    # the plan's wording of the rule
    assert "no non-core services for low risk, low harm offenders" in found[0].detail
    assert found[0].rationale_given is False


def test_a_rationale_on_the_line_is_recorded_on_the_flag() -> None:
    found = check_proposal(
        [line("mentoring", rationale="Volunteers already recruited")], None, CATALOGUE, RULES
    )
    assert [f.rationale_given for f in found] == [True]


@pytest.mark.parametrize(
    ("tier", "harm"), [("medium", "low"), ("high", "low"), ("low", "medium"), ("low", "high")]
)
def test_non_core_services_for_medium_risk_or_harm_are_not_flagged(tier: str, harm: str) -> None:
    assert check_proposal([line("mentoring", tier=tier, harm=harm)], None, CATALOGUE, RULES) == []


def test_core_services_for_low_risk_low_harm_are_not_flagged() -> None:
    assert CATALOGUE["employment_support"].core
    assert check_proposal([line("employment_support")], None, CATALOGUE, RULES) == []


def test_custody_4_is_for_male_prisoners_so_women_only_lines_are_not_flagged() -> None:
    found = check_proposal([line("mentoring", "custody", women_only=True)], None, CATALOGUE, RULES)
    assert found == []
    # community 3 has no such limit
    found = check_proposal([line("mentoring", women_only=True)], None, CATALOGUE, RULES)
    assert [f.intention for f in found] == ["community 3"]


def test_ineffective_services_are_flagged_in_any_segment() -> None:
    assert CATALOGUE["boot_camp"].category == INEFFECTIVE
    found = check_proposal(
        [line("boot_camp", "custody", tier="high", harm="high")], None, CATALOGUE, RULES
    )
    assert [(f.intention, f.rule) for f in found] == [("custody 7", RULE_INEFFECTIVE)]
    assert "No effect or may increase reoffending" in found[0].detail
    assert "nothing on ineffective services" in found[0].detail


def test_court_ordered_services_say_the_intentions_allow_what_courts_order() -> None:
    found = check_proposal([line("unpaid_work", tier="high")], None, CATALOGUE, RULES)
    assert [f.intention for f in found] == ["community 5"]
    assert "court-ordered volume" in found[0].detail


def test_statutory_sentence_delivery_is_never_flagged() -> None:
    lines = [line("offender_management"), line("prison_place", "custody")]
    assert check_proposal(lines, None, CATALOGUE, RULES) == []


def test_women_in_the_population_without_women_only_provision_are_flagged() -> None:
    population = Population(women={"community": 12, "custody": 0})
    found = check_proposal(
        [line("employment_support", tier="medium")], population, CATALOGUE, RULES
    )
    assert [(f.intention, f.rule, f.line_id) for f in found] == [("community 7", RULE_WOMEN, None)]
    compliant = [line("employment_support", tier="medium", women_only=True)]
    assert check_proposal(compliant, population, CATALOGUE, RULES) == []


def test_medium_or_high_harm_population_without_effective_provision_is_flagged() -> None:
    population = Population(by_harm={("community", "medium"): 30, ("community", "low"): 70})
    # a line for medium harm, but with a service of unknown effect: community 4 asks for
    # best-evidence or promising services
    found = check_proposal(
        [line("accommodation_support", tier="medium", harm="medium")],
        population,
        CATALOGUE,
        RULES,
    )
    assert [(f.intention, f.rule) for f in found] == [("community 4", RULE_HARM)]
    effective = [line("thinking_skills_programme", tier="medium", harm="medium")]
    assert CATALOGUE["thinking_skills_programme"].category == "best_evidence"
    assert check_proposal(effective, population, CATALOGUE, RULES) == []


def test_a_compliant_proposal_has_no_flags() -> None:
    population = Population(
        women={"community": 5, "custody": 3},
        by_harm={("community", "high"): 10, ("custody", "medium"): 4},
    )
    lines = [
        line("thinking_skills_programme", tier="high", harm="high", line_id=1),
        line("employment_support", tier="low", harm="low", women_only=True, line_id=2),
        line("drug_rehabilitation", "custody", tier="medium", harm="medium", line_id=3),
        line("education_training", "custody", tier="low", women_only=True, line_id=4),
    ]
    assert check_proposal(lines, population, CATALOGUE, RULES) == []


# ---------------------------------------------------------------------------------------------
# One implementation: a proposal line and the equivalent plan cell get the same verdict.
# ---------------------------------------------------------------------------------------------

#: Scored records (OGRS3 two-year, risk of serious harm) spanning the segments: classified by
#: the risk rules and segmented by the plan, as the plan's baseline does.
_SCORED = [(0.30, "low"), (0.30, "medium"), (0.495, "low"), (0.505, "low"), (0.62, "high"),
           (0.85, "low"), (0.85, "very_high")]


def _plan_segments() -> list[dict[str, object]]:
    import ibis

    from commissioning.assess.risk import classify
    from commissioning.engine import backend
    from commissioning.plan.baseline import with_segment

    con = backend.connect()
    try:
        frame = pd.DataFrame([{"ogrs3_2y": p, "rosh": r, "region": "x"} for p, r in _SCORED])
        classified = classify(ibis.memtable(frame), RULES.risk)
        rows = backend.execute(con, with_segment(classified, RULES.risk.medium_high_from_pct))
    finally:
        con.disconnect()
    return rows[["risk_tier", "harm", "ogrs_medium_high"]].drop_duplicates().to_dict("records")


def _plan_cells() -> list[dict[str, object]]:
    """Every planned service × setting × segment × sex as the plan's baseline builds a cell
    (:func:`commissioning.plan.baseline.build_cells`: the service spec's attributes), with no
    court-ordered volume. A man's cell of a service for women is left out: a proposal line of
    that service open to all serves women too, so no line is that cell alone."""
    from commissioning.plan.inputs import service_specs

    specs = service_specs(PARAMS.at(ROUND_DATE))
    cells = []
    for spec in specs.values():
        item = CATALOGUE.get(spec.service_id)
        for_women = item is not None and any("women" in g.lower() for g in item.sub_groups)
        for setting in spec.settings:
            for segment in _plan_segments():
                for sex in ("male", "female"):
                    if sex == "male" and for_women and not spec.statutory:
                        continue
                    cells.append({
                        "service_id": spec.service_id, "setting": setting,
                        "offence_group": "acquisitive", **segment, "region": "North West",
                        "sex": sex, "evidence_category": spec.evidence_category,
                        "core": spec.core, "statutory": spec.statutory,
                        "rehabilitation": spec.rehabilitation, "statutory_volume": 0.0,
                        "baseline_volume": 0.0, "baseline_spend": 0.0, "eligible": 0.0,
                        "unit_cost": spec.unit_cost, "planned_unit_cost": spec.unit_cost,
                    })
    return cells


PLAN_CELLS = _plan_cells()
CHECKED = [*RULES.per_cell, *RULES.women, *RULES.harm]


def test_the_grid_covers_every_kind_of_cell() -> None:
    frame = pd.DataFrame(PLAN_CELLS)
    assert {"low", "medium", "high", "very_high"} <= set(frame["risk_tier"])
    assert frame["ogrs_medium_high"].any() and not frame["ogrs_medium_high"].all()
    assert {"no_effect", "best_evidence", "promising"} <= set(frame["evidence_category"])
    assert frame["core"].any() and not frame["core"].all() and frame["statutory"].any()


EVERYONE = Population(
    women={"community": 10, "custody": 10},
    by_harm={(s, h): 10 for s in ("community", "custody") for h in ("low", "medium", "high")},
)


@functools.cache
def _flagged(index: int) -> frozenset[str]:
    """The intentions the proposal check finds against the line of plan cell ``index``."""
    cell = PLAN_CELLS[index]
    line_ = LineFacts(1, str(cell["service_id"]), str(cell["setting"]), "acquisitive",
                      str(cell["risk_tier"]), str(cell["harm"]), cell["sex"] == "female",
                      volume=10, unit_price=float(cell["unit_cost"]))  # type: ignore[arg-type]
    return frozenset(f.intention for f in check_proposal([line_], EVERYONE, CATALOGUE, RULES))


@pytest.mark.parametrize("intention", CHECKED, ids=[i.id for i in CHECKED])
def test_a_proposal_line_and_the_equivalent_plan_cell_get_the_same_verdict(
    intention: Intention,
) -> None:
    """For each intention the proposal check applies: the plan's verdict on the cell alone (a
    volume with no court order for the per-cell rules; a baseline spend with nothing spent for
    the spend rules, which breaks exactly when the rule counts the cell's spend) agrees with
    the proposal's findings on the line for that cell."""
    settings = PlanSettings.from_policy(PARAMS.at(ROUND_DATE))
    spend = str((intention.rule or {})["kind"]) == "spend_at_least_baseline"
    broken = 0
    for index, cell in enumerate(PLAN_CELLS):
        frame = pd.DataFrame([cell])
        if spend:
            frame["baseline_spend"] = 1_000.0
        volume = np.zeros(1) if spend else np.full(1, 10.0)
        (verdict,) = check_intentions(Intentions((intention,)), frame, volume, settings)
        flagged = intention.id in _flagged(index)
        # spend rules: the plan counts the cell's spend ⇔ the line is provision for the rule
        assert (verdict.holds is False) is (not flagged if spend else flagged), (
            cell, verdict.detail)
        broken += verdict.holds is False
    # the grid has cells on both sides of every rule
    assert 0 < broken < len(PLAN_CELLS)
