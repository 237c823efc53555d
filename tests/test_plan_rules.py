"""Every intention rule holds for a portfolio that keeps it and breaks for one that does not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commissioning.plan.intentions import Intention
from commissioning.plan.rules import check_intentions, requirements_for
from plan_fixtures import make_cells, settings


def _intention(rule: dict[str, object]) -> Intention:
    return Intention("custody", 99, "maintain", "test", rule=rule)


def _verdict(rule: dict[str, object], cells: pd.DataFrame, volume: list[float]) -> bool | None:
    from commissioning.plan.intentions import Intentions

    [verdict] = check_intentions(Intentions((_intention(rule),)), cells,
                                 np.array(volume, float), settings())
    return verdict.holds


def test_low_risk_low_harm_offenders_get_no_non_core_services_beyond_court_orders() -> None:
    rule = {"kind": "no_non_core_low_risk", "setting": "custody", "sex": "male"}
    cells = make_cells([
        {"ogrs_medium_high": False, "harm": "low", "statutory_volume": 1.0},  # low risk, male
        {"ogrs_medium_high": True},                                           # medium risk
        {"ogrs_medium_high": False, "harm": "low", "sex": "female"},          # women not covered
        {"ogrs_medium_high": False, "harm": "low", "core": True},             # core service
    ])
    assert _verdict(rule, cells, [1, 3, 3, 3]) is True
    assert _verdict(rule, cells, [2, 3, 3, 3]) is False


def test_community_rule_covers_women_too() -> None:
    rule = {"kind": "no_non_core_low_risk", "setting": "community"}
    cells = make_cells([{"setting": "community", "ogrs_medium_high": False, "sex": "female"}])
    assert _verdict(rule, cells, [0]) is True
    assert _verdict(rule, cells, [1]) is False


def test_the_ogrs_threshold_decides_low_risk_not_the_tier() -> None:
    rule = {"kind": "no_non_core_low_risk", "setting": "custody"}
    cells = make_cells([{"risk_tier": "low", "ogrs_medium_high": True}])
    assert _verdict(rule, cells, [3]) is True


def test_nothing_is_spent_on_ineffective_services_beyond_court_orders() -> None:
    rule = {"kind": "no_ineffective", "setting": "custody"}
    cells = make_cells([
        {"evidence_category": "no_effect", "statutory_volume": 1.0},
        {"evidence_category": "promising"},
    ])
    assert _verdict(rule, cells, [1, 3]) is True
    assert _verdict(rule, cells, [1.5, 3]) is False


def test_womens_investment_at_least_its_current_level() -> None:
    rule = {"kind": "spend_at_least_baseline", "setting": "custody", "sex": "female"}
    cells = make_cells([
        {"sex": "female", "baseline_volume": 2.0, "unit_cost": 10.0},
        {"sex": "female", "service_id": "other", "baseline_volume": 0.0, "unit_cost": 5.0},
        {"sex": "male", "baseline_volume": 2.0, "unit_cost": 10.0},
    ])
    assert _verdict(rule, cells, [0, 4, 0]) is True     # £20 moved to another women's service
    assert _verdict(rule, cells, [1, 1, 3]) is False    # £15 < £20


def test_medium_and_high_harm_investment_at_least_current() -> None:
    rule = {"kind": "spend_at_least_baseline", "setting": "custody", "harm": ["medium", "high"]}
    cells = make_cells([{"harm": "high", "baseline_volume": 2.0},
                        {"harm": "low", "baseline_volume": 2.0}])
    assert _verdict(rule, cells, [2, 0]) is True
    assert _verdict(rule, cells, [1, 3]) is False


def test_capacity_at_least_projected_demand() -> None:
    rule = {"kind": "statutory_capacity", "setting": "custody"}
    cells = make_cells([{"service_id": "prison_place", "statutory": True, "rehabilitation": False,
                         "statutory_volume": 2.5, "core": True, "upper": 10.0},
                        {"service_id": "prison_place", "statutory": True,
                         "rehabilitation": False, "statutory_volume": 1.5, "region": "South",
                         "core": True, "upper": 10.0}])
    assert _verdict(rule, cells, [1.0, 3.0]) is True       # national total 4 ≥ 4
    assert _verdict(rule, cells, [2.0, 1.5]) is False


def test_minimum_specifications_delivered_everywhere() -> None:
    rule = {"kind": "minimum_specification", "setting": "custody"}
    cells = make_cells([{"service_id": "prison_place", "statutory": True, "rehabilitation": False,
                         "statutory_volume": 2.5, "core": True, "upper": 10.0},
                        {"service_id": "prison_place", "statutory": True,
                         "rehabilitation": False, "statutory_volume": 1.5, "region": "South",
                         "core": True, "upper": 10.0}])
    assert _verdict(rule, cells, [2.5, 1.5]) is True
    assert _verdict(rule, cells, [1.0, 3.0]) is False      # the national total is not enough


def test_the_core_offer_reaches_its_coverage_in_every_region() -> None:
    rule = {"kind": "core_offer", "setting": "custody"}
    cells = make_cells([{"core": True, "eligible": 10.0}, {"core": True, "eligible": 10.0,
                                                            "region": "South"}])
    coverage = settings().core_offer_coverage
    assert _verdict(rule, cells, [10 * coverage, 10 * coverage]) is True
    assert _verdict(rule, cells, [20 * coverage, 0]) is False


def test_develop_means_volume_at_least_baseline() -> None:
    rule = {"kind": "volume_at_least_baseline", "setting": "custody",
            "services": ["restorative_justice_conferencing"]}
    cells = make_cells([{"service_id": "restorative_justice_conferencing",
                         "baseline_volume": 2.0}])
    assert _verdict(rule, cells, [2]) is True
    assert _verdict(rule, cells, [1]) is False


def test_an_unknown_rule_kind_is_an_error_that_names_the_intention() -> None:
    with pytest.raises(ValueError, match="custody 99"):
        requirements_for(_intention({"kind": "no_such_rule"}), make_cells([{}]), settings())
