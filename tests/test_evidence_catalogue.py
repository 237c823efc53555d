"""The catalogue: coverage of the document's services, ids shared with the synthetic data,
validation errors that name file and field, and the rating rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
import yaml

from commissioning.evidence.catalogue import PACKAGE_DIR, CatalogueError, load_catalogue
from commissioning.evidence.effect_sizes import SMD_TO_LOG_OR, from_rate_difference_ci
from commissioning.evidence.rating import RatingRules, rate, rate_all
from commissioning.policy.parameters import ParameterSet
from policy_support import POLICY, ROUND_DATE

WHEN = dt.date(2012, 4, 1)


def test_every_synthetic_intervention_id_is_in_the_catalogue(params: ParameterSet) -> None:
    synth_ids = set(params.value("synth_outcomes.interventions", ROUND_DATE))
    assert synth_ids <= set(load_catalogue().ids())


def test_catalogue_covers_the_documents_lists() -> None:
    catalogue = load_catalogue()
    by_category: dict[str, int] = {}
    for item in catalogue:
        by_category[item.category] = by_category.get(item.category, 0) + 1
    # five best (two accredited programmes) + RJ conferencing; eight promising;
    # eight "no effect" + community payback;
    # five never evaluated + named services without evaluation data.
    assert by_category["best_evidence"] == 7
    assert by_category["promising"] == 8
    assert by_category["no_effect"] == 9
    for named in ("multisystemic_therapy", "scared_straight", "boot_camp", "yoga", "pet_therapy",
                  "music_therapy", "personality_disorder_pathway", "drug_free_wing",
                  "drug_recovery_wing", "extremism_assessment", "approved_premises",
                  "family_support", "specified_activities",
                  "circles_of_support_and_accountability"):
        catalogue.get(named)


def test_entries_without_studies_say_so() -> None:
    for item in load_catalogue():
        assert item.studies or (item.study_data and "No study data entered" in item.study_data)


def test_restorative_justice_eligibility_follows_the_document() -> None:
    rj = load_catalogue().get("restorative_justice_conferencing")
    assert rj.eligibility.personal_victim is True
    assert rj.eligibility.admits("medium", "violence")
    assert not rj.eligibility.admits("low", "acquisitive")
    assert not rj.eligibility.admits("high", "sex")


def _write(folder: Path, entry: dict[str, object]) -> None:
    (folder / f"{entry['id']}.yaml").write_text(yaml.safe_dump(entry), encoding="utf-8")


def _entry() -> dict[str, object]:
    raw = yaml.safe_load(
        (Path(load_catalogue().get("yoga").source_file or "")).read_text(encoding="utf-8")
    )
    assert isinstance(raw, dict)
    return raw


def test_a_local_entry_with_a_bad_level_names_file_and_field(tmp_path: Path) -> None:
    entry = _entry()
    entry["id"] = "local_yoga"
    entry["studies"] = [{"citation": "x", "kind": "primary", "design": "rct", "sms_level": 7,
                         "outcome": "reoffending", "significant": True}]
    _write(tmp_path, entry)
    with pytest.raises(CatalogueError, match=r"local_yoga\.yaml.*studies\[1\].*sms_level"):
        load_catalogue([tmp_path])


def test_a_wrong_category_lists_the_allowed_ones(tmp_path: Path) -> None:
    entry = _entry()
    entry["category"] = "works"
    _write(tmp_path, entry)
    with pytest.raises(CatalogueError, match=r"category.*best_evidence, promising"):
        load_catalogue([tmp_path])


def test_a_local_entry_replaces_the_built_in_one(tmp_path: Path) -> None:
    entry = _entry()
    entry["name"] = "Yoga (local)"
    _write(tmp_path, entry)
    assert load_catalogue([tmp_path]).get("yoga").name == "Yoga (local)"


def test_rules_rate_entered_studies_and_say_why(params: ParameterSet) -> None:
    catalogue = load_catalogue()
    ratings = {r.intervention_id: r
               for r in rate_all(catalogue.interventions, params.at(ROUND_DATE))}
    scared = ratings["scared_straight"]
    assert scared.rules_category == "no_effect"
    assert "significantly harmful" in scared.reasons[0]
    assert scared.pooled is not None and scared.pooled.odds_ratio == pytest.approx(1.68)
    assert ratings["thinking_skills_programme"].rules_category == "best_evidence"
    assert ratings["boot_camp"].rules_category == "no_effect"
    # A randomised study and a review: best evidence, as the document says.
    rj = ratings["restorative_justice_conferencing"]
    assert rj.rules_category == "best_evidence" and rj.agrees_with_document
    # One significant matched study is not enough for best evidence under the default rules.
    housing = ratings["accommodation_support"]
    assert housing.rules_category == "promising" and not housing.agrees_with_document
    # Studies of an analogue give the effect, not the category.
    mental = ratings["mental_health_treatment"]
    assert mental.rules_category is None and mental.category == "not_evaluated"
    assert "analogue" in mental.reasons[0] and mental.pooled is not None
    assert ratings["yoga"].rules_category is None and ratings["yoga"].category == "not_evaluated"


#: The quality-of-delivery factors and assumed standard error in force (rate_all reads them).
DELIVERY = (
    {k: float(v) for k, v in POLICY.mapping("evidence.quality_of_delivery").items()},
    float(POLICY.mapping("evidence.benefit_cost")["se_when_not_reported"]),
)


def _rules(**changes: object) -> RatingRules:
    """The rules in force with some thresholds changed."""
    return dataclasses.replace(RatingRules.from_policy(POLICY), **changes)  # type: ignore[arg-type]


def test_rules_are_configurable() -> None:
    full = load_catalogue().get("restorative_justice_conferencing")
    assert full.studies[0].citation.startswith("Shapland")
    rj = dataclasses.replace(full, studies=full.studies[:1])  # the randomised study alone
    assert rate(rj, _rules(best_min_studies=1), *DELIVERY).rules_category == "promising"
    lenient = _rules(strong_sms_level=5, review_counts_as_best=False, best_min_studies=1)
    # A single study cannot be pooled, so pooled_best needs k >= 1 and a standard error:
    assert rate(rj, lenient, *DELIVERY).rules_category == "promising"
    assert rate(rj, _rules(min_sms_level=5), *DELIVERY).rules_category == "promising"
    boot = load_catalogue().get("boot_camp")
    assert rate(boot, _rules(min_sms_level=4), *DELIVERY).rules_category == "not_evaluated"


def test_minimum_conditions_gate_lists_what_is_missing(params: ParameterSet) -> None:
    catalogue = load_catalogue()
    ratings = {r.intervention_id: r
               for r in rate_all(catalogue.interventions, params.at(ROUND_DATE))}
    yoga = ratings["yoga"]
    assert yoga.gate.applies and len(yoga.gate.missing) == 4
    assert any("disinvest" in r or "fails" in r for r in yoga.disinvest_reasons)
    pd_pathway = ratings["personality_disorder_pathway"]
    assert pd_pathway.gate.applies and pd_pathway.gate.passes
    assert ratings["thinking_skills_programme"].gate.applies is False
    assert ratings["thinking_skills_programme"].what_works_score == 1.0


def test_the_parameter_service_lists_are_the_catalogues(params: ParameterSet) -> None:
    from commissioning.evidence.catalogue import check_services
    from commissioning.plan.inputs import STATUTORY_SERVICES

    catalogue = load_catalogue()
    check_services(catalogue, params.at(WHEN))  # the built-in lists agree with the catalogue
    priced = set(params.value("plan.unit_costs", WHEN))
    # every priced service is a catalogue entry, or sentence delivery (statutory)
    assert priced - set(catalogue.ids()) == set(STATUTORY_SERVICES)


def test_a_service_list_naming_a_service_outside_the_catalogue_is_refused(
    params: ParameterSet,
) -> None:
    from commissioning.evidence.catalogue import ServiceListError, check_services
    from commissioning.plan.inputs import service_specs
    from commissioning.policy.parameters import ParameterError

    costs = dict(params.value("plan.unit_costs", WHEN))
    costs["peer_mentoring_x"] = {"cost": 500}
    priced = params.with_overrides({"plan.unit_costs": {"2012-04-01": costs}})
    with pytest.raises(ServiceListError, match="prices 'peer_mentoring_x', which is not in the "
                                               "catalogue"):
        service_specs(priced.at(WHEN))
    assert issubclass(ServiceListError, ParameterError)  # the CLI exits 2 with the message

    synthetic = {k: dict(v) for k, v in params.value("synth_outcomes.interventions",
                                                     WHEN).items()}
    synthetic["thinking_skills_programme"]["evidence"] = "no_effect"
    disagree = params.with_overrides(
        {"synth_outcomes.interventions": {"2012-04-01": synthetic}})
    with pytest.raises(ServiceListError, match=r"thinking_skills_programme\.evidence is "
                                               "'no_effect' but the catalogue"):
        check_services(load_catalogue(), disagree.at(WHEN))

    from commissioning.synth.interventions import InterventionRules

    synthetic.pop("thinking_skills_programme")
    synthetic["made_up_service"] = dict(params.value("synth_outcomes.interventions",
                                                     WHEN)["thinking_skills_programme"])
    unknown = params.with_overrides({"synth_outcomes.interventions": {"2012-04-01": synthetic}})
    with pytest.raises(ServiceListError, match="lists 'made_up_service'"):
        InterventionRules.from_policy(unknown.at(WHEN))


def test_every_figure_entered_names_a_reference_table_copied_into_the_package() -> None:
    sources = (PACKAGE_DIR / "data/reference/evidence/SOURCES.md").read_text(encoding="utf-8")
    for item in load_catalogue():
        for study in item.studies:
            if study.value is None and not study.has_table:
                continue  # significance only: no figure to trace
            assert study.data_file, (item.id, study.citation)
            assert (PACKAGE_DIR / study.data_file).is_file(), (item.id, study.data_file)
            assert Path(study.data_file).name in sources, study.data_file


def test_a_data_file_that_is_not_in_the_package_is_refused(tmp_path: Path) -> None:
    entry = _entry()
    entry["id"] = "local_yoga"
    entry["studies"] = [{"citation": "x", "kind": "primary", "design": "rct", "sms_level": 4,
                         "outcome": "reoffending", "measure": "OR", "value": 0.8,
                         "data_file": "data/reference/evidence/no_such_table.csv"}]
    _write(tmp_path, entry)
    with pytest.raises(CatalogueError, match=r"studies\[1\].*data_file.*no_such_table"):
        load_catalogue([tmp_path])


def test_a_standardised_mean_difference_is_pooled_on_the_log_odds_scale(
    tmp_path: Path, params: ParameterSet,
) -> None:
    entry = _entry()
    entry["id"] = "local_yoga"
    entry["studies"] = [{"citation": "a review (2000)", "kind": "systematic_review",
                         "design": "meta-analysis", "sms_level": 3, "outcome": "reoffending",
                         "measure": "SMD", "value": -0.18, "se": 0.05}]
    _write(tmp_path, entry)
    item = load_catalogue([tmp_path]).get("local_yoga")
    rating = rate_all([item], params.at(ROUND_DATE))[0]
    assert rating.pooled is not None
    assert rating.pooled.log_or == pytest.approx(-0.18 * SMD_TO_LOG_OR)
    assert rating.pooled.se == pytest.approx(0.05 * SMD_TO_LOG_OR)
    entry["studies"] = [{"citation": "t", "kind": "primary", "design": "rct", "sms_level": 4,
                         "outcome": "reoffending", "measure": "SMD",
                         "ai": 1, "bi": 2, "ci": 3, "di": 4}]
    _write(tmp_path, entry)
    with pytest.raises(CatalogueError, match="SMD is for a published standardised"):
        load_catalogue([tmp_path])


@pytest.mark.parametrize(("service", "rates", "interval"), [
    ("accommodation_support", (0.26, 0.35), (0.02, 0.14)),   # Langley House Trust
    ("education_training", (0.19, 0.26), (0.05, 0.08)),      # Prisoners' Education Trust 2014
])
def test_justice_data_lab_entries_are_the_delta_method_conversion_of_the_published_rates(
    service: str, rates: tuple[float, float], interval: tuple[float, float],
) -> None:
    import math

    study = next(s for s in load_catalogue().get(service).studies
                 if "Justice Data Lab" in s.citation and s.ci_lower is not None)
    es = from_rate_difference_ci(*rates, *interval)
    assert study.value == pytest.approx(math.exp(es.yi), abs=5e-4)
    assert study.ci_lower == pytest.approx(math.exp(es.yi - 1.959963984540054 * es.se), abs=5e-4)
    assert study.ci_upper == pytest.approx(math.exp(es.yi + 1.959963984540054 * es.se), abs=5e-4)


#: The catalogue's US-dollar unit costs and the WSIPP programme (2017 scrape) each copies.
WSIPP_COSTS = {
    "curfew_surveillance_only": "Intensive supervision -surveillance only",
    "education_training": "Vocational education in prison",
    "employment_support": "Employment counseling and job training in the community",
    "intensive_supervision_with_treatment": "Intensive supervision -surveillance and treatment",
    "therapeutic_community": "Therapeutic communities -during incarceration for individuals with "
                             "substance use disorders",
    "thinking_skills_programme": "Cognitive Behavioral Therapy -CBT -for individuals classified "
                                 "as high- or moderate-risk",
}


def test_every_unit_cost_has_its_currency_and_price_year_and_the_dollar_ones_are_wsipps() -> None:
    import pandas as pd

    scrape = pd.read_csv(PACKAGE_DIR / "data/reference/evidence/wsipp_adult_cj_2017_scrape.csv")
    dollars = set()
    for item in load_catalogue():
        cost = item.unit_cost
        if cost.amount is None:
            continue
        assert cost.currency in ("GBP", "USD") and cost.price_year, item.id
        if cost.currency == "USD":
            dollars.add(item.id)
            row = scrape[scrape["program_name"] == WSIPP_COSTS[item.id]]
            assert len(row) == 1, item.id
            assert cost.amount == pytest.approx(-float(row["costs"].iloc[0])), item.id
            assert cost.gbp is None  # never a UK price
    assert dollars == set(WSIPP_COSTS)
