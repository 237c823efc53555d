"""The proven-reoffending measure at every boundary, on hand-built cohorts."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
from ibis.backends import BaseBackend

from commissioning.engine import backend
from commissioning.review.proven import FollowUp, person_outcomes, summarise, with_intervals

INDEX = dt.date(2010, 3, 1)
RULES = FollowUp(follow_up_days=365, disposal_days=183, data_cutoff=None)


def day(n: int) -> dt.date:
    return INDEX + dt.timedelta(days=n)


def outcomes(con: BaseBackend, rows: list[tuple[str, int, int, str, str | None]],
             people: tuple[str, ...] = ("a",), rules: FollowUp = RULES) -> pd.DataFrame:
    """Per-person outcomes for people indexed on INDEX and reoffences given as day offsets."""
    cohort = pa.table({
        "offender_id": list(people),
        "index_date": pa.array([INDEX] * len(people), pa.date32()),
        "index_type": ["release"] * len(people),
        "provider_id": ["P1"] * len(people),
    })
    reoffences = pa.table({
        "offender_id": [r[0] for r in rows],
        "offence_date": pa.array([day(r[1]) for r in rows], pa.date32()),
        "disposal_date": pa.array([day(r[2]) for r in rows], pa.date32()),
        "disposal_type": [r[3] for r in rows],
        "court_appearance_id": pa.array([r[4] for r in rows], pa.string()),
    })
    c = backend.from_arrow(con, cohort, "cohort_t")
    r = backend.from_arrow(con, reoffences, "reoffences_t")
    frame = backend.execute(con, person_outcomes(c, r, rules))
    return frame.set_index("offender_id").loc[list(people)]


def test_offence_on_day_365_counts_and_on_day_366_does_not(con: BaseBackend) -> None:
    o = outcomes(con, [("a", 365, 400, "conviction", "A1"), ("b", 366, 400, "conviction", "B1")],
                 ("a", "b"))
    assert o.loc["a", "reoffended"] and o.loc["a", "days_to_first"] == 365
    assert not o.loc["b", "reoffended"] and o.loc["b", "reoffences"] == 0


def test_disposal_on_the_last_day_of_the_six_months_counts_and_the_day_after_does_not(
    con: BaseBackend,
) -> None:
    o = outcomes(con, [("a", 300, 548, "conviction", "A1"), ("b", 300, 549, "conviction", "B1")],
                 ("a", "b"))
    assert o.loc["a", "reoffences"] == 1 and o.loc["a", "reconviction_events"] == 1
    assert o.loc["b", "reoffences"] == 0 and o.loc["b", "reconviction_events"] == 0


def test_offences_before_or_on_the_index_date_never_count(con: BaseBackend) -> None:
    o = outcomes(con, [("a", -10, 20, "conviction", "A1"), ("a", 0, 20, "conviction", "A1"),
                       ("a", 1, 20, "caution", None)])
    assert o.loc["a", "reoffences"] == 1
    assert o.loc["a", "days_to_first"] == 1
    assert o.loc["a", "reconviction_events"] == 0


def test_several_offences_at_one_appearance_are_one_reconviction_event(con: BaseBackend) -> None:
    o = outcomes(con, [("a", 10, 60, "conviction", "A1"), ("a", 20, 60, "conviction", "A1"),
                       ("a", 30, 60, "conviction", "A1"), ("a", 100, 150, "conviction", "A2")])
    assert o.loc["a", "reoffences"] == 4
    assert o.loc["a", "reconviction_events"] == 2


def test_cautions_are_proven_reoffences_but_not_reconviction_events(con: BaseBackend) -> None:
    o = outcomes(con, [("a", 10, 12, "caution", None), ("a", 40, 41, "caution", None)])
    assert o.loc["a", "reoffended"]
    assert o.loc["a", "reoffences"] == 2
    assert o.loc["a", "reconviction_events"] == 0


def test_a_conviction_without_appearance_id_is_one_event_per_disposal_date(
    con: BaseBackend,
) -> None:
    o = outcomes(con, [("a", 10, 50, "conviction", None), ("a", 11, 50, "conviction", None),
                       ("a", 12, 80, "conviction", None)])
    assert o.loc["a", "reconviction_events"] == 2


def test_the_data_cutoff_drops_late_disposals_and_incomplete_windows(con: BaseBackend) -> None:
    cutoff = FollowUp(365, 183, data_cutoff=day(548))
    o = outcomes(con, [("a", 10, 548, "conviction", "A1")], rules=cutoff)
    assert o.loc["a", "reoffences"] == 1
    short = FollowUp(365, 183, data_cutoff=day(547))
    c = pa.table({"offender_id": ["a"], "index_date": pa.array([INDEX], pa.date32()),
                  "index_type": ["release"], "provider_id": ["P"]})
    r = pa.table({"offender_id": ["a"], "offence_date": pa.array([day(10)], pa.date32()),
                  "disposal_date": pa.array([day(20)], pa.date32()),
                  "disposal_type": ["conviction"], "court_appearance_id": ["A1"]})
    frame = backend.execute(con, person_outcomes(backend.from_arrow(con, c, "c2"),
                                                 backend.from_arrow(con, r, "r2"), short))
    assert len(frame) == 0  # the window ends after the cut-off: not in the measure


def test_summary_columns_rates_and_intervals(con: BaseBackend) -> None:
    people = ("a", "b", "c", "d")
    rows = [("a", 10, 40, "conviction", "A1"), ("a", 50, 90, "conviction", "A2"),
            ("b", 100, 101, "caution", None)]
    cohort = pa.table({
        "offender_id": list(people), "index_date": pa.array([INDEX] * 4, pa.date32()),
        "index_type": ["release"] * 4, "provider_id": ["P1", "P2", "P1", "P2"],
    })
    reoffences = pa.table({
        "offender_id": [r[0] for r in rows],
        "offence_date": pa.array([day(r[1]) for r in rows], pa.date32()),
        "disposal_date": pa.array([day(r[2]) for r in rows], pa.date32()),
        "disposal_type": [r[3] for r in rows],
        "court_appearance_id": pa.array([r[4] for r in rows], pa.string()),
    })
    o = person_outcomes(backend.from_arrow(con, cohort, "c3"),
                        backend.from_arrow(con, reoffences, "r3"), RULES)
    s = with_intervals(backend.execute(con, summarise(o, ["provider_id"])))
    p1 = s.set_index("provider_id").loc["P1"]
    assert (p1["cohort_size"], p1["reoffenders"], p1["reoffences"]) == (2, 1, 2)
    assert p1["binary_rate"] == 0.5 and p1["frequency_per_reoffender"] == 2.0
    assert p1["frequency_per_offender"] == 1.0 and p1["reconviction_events"] == 2
    p2 = s.set_index("provider_id").loc["P2"]
    assert p2["binary_rate"] == 0.5 and p2["reconviction_events"] == 0
    assert 0.0 < p2["binary_rate_lower"] < 0.5 < p2["binary_rate_upper"] < 1.0
