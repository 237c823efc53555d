"""The automatic check of proposals against the commissioning intentions (pure, no database)."""

from __future__ import annotations

import pytest

from commissioning.evidence.catalogue import load_catalogue
from commissioning.plan.intentions import load_intentions
from commissioning.policy.parameters import DEFAULT_DATE, load_parameters
from commissioning.web.proposal_checks import (
    INEFFECTIVE,
    RULE_HARM,
    RULE_INEFFECTIVE,
    RULE_NON_CORE_LOW_RISK,
    RULE_WOMEN,
    CheckRules,
    LineFacts,
    Population,
    check_proposal,
)

CATALOGUE = {i.id: i for i in load_catalogue()}
RULES = CheckRules.from_policy(load_parameters([]), load_intentions(), DEFAULT_DATE)


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


def test_the_low_risk_tier_is_the_one_below_the_ogrs3_threshold_of_the_parameters() -> None:
    # one definition: the tiers start medium at risk.medium_high_threshold (50%), so the low
    # tier is exactly the tier below the threshold
    assert RULES.low_risk_tiers == frozenset({"low"})
    assert RULES.threshold == 50


def test_the_rules_come_from_the_intentions_by_rule_kind() -> None:
    assert [i.id for i in RULES.non_core_low_risk] == ["community 3", "custody 4"]
    assert [i.id for i in RULES.ineffective] == ["community 5", "custody 7"]
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
    assert "50%" in found[0].detail
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
