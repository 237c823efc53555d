"""Benchmarks of the review: proven reoffending and propensity matching.

    .venv/bin/python benchmarks/review.py [--people 1000000] [--reoffences 5000000]
        [--treated 5000] [--pool 1000000] [--psmpy-pool 100000]

1. Proven reoffending for a cohort of ``--people`` and ``--reoffences`` rows: the Ibis
   expressions of commissioning.review.proven against hand-written DuckDB SQL of the same
   measure (same answer asserted); target within 1.5x.
2. Matching ``--treated`` people against a pool of ``--pool`` (propensity + 1:1 caliper
   matching); target under 30 s.
3. The same against psmpy on a ``--psmpy-pool`` pool: time and the largest |SMD| after.
"""

from __future__ import annotations

import argparse
import time

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from commissioning.cli.common import DEFAULT_DATE
from commissioning.engine import backend
from commissioning.policy.parameters import load_parameters
from commissioning.review.evaluate import EvaluationOptions, evaluate
from commissioning.review.proven import FollowUp, person_outcomes, summarise

POLICY = load_parameters().at(DEFAULT_DATE)

SQL = """
WITH proven AS (
  SELECT r.offender_id, c.index_date,
         count(*) AS n,
         count(DISTINCT CASE WHEN r.disposal_type = 'conviction'
               THEN coalesce(r.court_appearance_id,
                             r.offender_id || '@' || CAST(r.disposal_date AS VARCHAR)) END) AS ev
  FROM cohort c JOIN reoffences r USING (offender_id)
  WHERE date_diff('day', c.index_date, r.offence_date) BETWEEN 1 AND 365
    AND date_diff('day', c.index_date, r.disposal_date) <= 548
  GROUP BY 1, 2)
SELECT c.provider_id, count(*) AS cohort_size, count(p.n) AS reoffenders,
       coalesce(sum(p.n), 0) AS reoffences, coalesce(sum(p.ev), 0) AS reconviction_events
FROM cohort c LEFT JOIN proven p USING (offender_id, index_date)
GROUP BY 1 ORDER BY 1
"""


def make_tables(people: int, reoffences: int, seed: int = 1) -> tuple[pa.Table, pa.Table]:
    rng = np.random.default_rng(seed)
    base = np.datetime64("2010-01-01")
    index = base + rng.integers(0, 730, people).astype("timedelta64[D]")
    ids = np.array([f"p{i}" for i in range(people)])
    cohort = pa.table({
        "offender_id": ids,
        "index_date": pa.array(index.astype("datetime64[D]")),
        "index_type": np.where(rng.random(people) < 0.25, "release", "court_order"),
        "provider_id": np.array([f"P{i:03d}" for i in range(150)])[rng.integers(0, 150, people)],
    })
    who = rng.integers(0, people, reoffences)
    offence = index[who] + rng.integers(-100, 700, reoffences).astype("timedelta64[D]")
    disposal = offence + rng.integers(0, 300, reoffences).astype("timedelta64[D]")
    caution = rng.random(reoffences) < 0.2
    appearance = np.char.add(ids[who], np.char.add("-A", rng.integers(1, 4, reoffences)
                                                    .astype(str)))
    reoff = pa.table({
        "offender_id": ids[who],
        "offence_date": pa.array(offence.astype("datetime64[D]")),
        "disposal_date": pa.array(disposal.astype("datetime64[D]")),
        "disposal_type": np.where(caution, "caution", "conviction"),
        "court_appearance_id": pa.array(np.where(caution, None, appearance)),
    })
    return cohort, reoff


def bench_proven(people: int, reoffences: int) -> None:
    cohort, reoff = make_tables(people, reoffences)
    con = backend.connect()
    c = backend.from_arrow(con, cohort, "cohort")
    r = backend.from_arrow(con, reoff, "reoffences")
    rules = FollowUp(365, 183, None)
    expr = summarise(person_outcomes(c, r, rules), ["provider_id"])
    raw: duckdb.DuckDBPyConnection = con.con  # type: ignore[attr-defined]
    times: dict[str, float] = {}
    for label, run in (("ibis", lambda: backend.execute(con, expr)),
                       ("sql", lambda: raw.sql(SQL).df())):
        run()  # warm
        start = time.perf_counter()
        result = run()
        times[label] = time.perf_counter() - start
        if label == "ibis":
            ours = result
        else:
            theirs = result
    cols = ["cohort_size", "reoffenders", "reoffences", "reconviction_events"]
    assert (ours[cols].to_numpy() == theirs[cols].to_numpy()).all(), "measures differ"
    print(f"proven reoffending, {people:,} people / {reoffences:,} reoffences: "
          f"ibis {times['ibis']:.2f} s, hand SQL {times['sql']:.2f} s, "
          f"ratio {times['ibis'] / times['sql']:.2f}x")


def matching_frame(pool: int, treated: int, seed: int = 2) -> tuple[pd.DataFrame, list[str]]:
    rng = np.random.default_rng(seed)
    n = pool + treated
    ogrs = rng.uniform(0.05, 0.95, n)
    frame = pd.DataFrame({
        "offender_id": [f"p{i}" for i in range(n)],
        "index_date": pd.Timestamp("2010-06-01"),
        "index_type": np.where(rng.random(n) < 0.3, "release", "court_order"),
        "sex": np.where(rng.random(n) < 0.15, "female", "male"),
        "previous_sanctions": rng.poisson(2 + 10 * ogrs),
        "ogrs3_2y": ogrs,
        "need_drugs": rng.random(n) < 0.3,
        "need_thinking": rng.random(n) < 0.5,
    })
    score = 2.0 * ogrs + 0.5 * frame["need_thinking"] + rng.normal(0, 1, n)
    order = np.argsort(-score.to_numpy())
    treated_rows = rng.choice(order[: 4 * treated], treated, replace=False)
    frame["reoffended"] = rng.random(n) < ogrs * 0.8
    frame["reoffences"] = np.where(frame["reoffended"], 1 + rng.poisson(2, n), 0)
    frame["days_to_first"] = np.where(frame["reoffended"], rng.integers(1, 366, n), np.nan)
    return frame, frame["offender_id"].iloc[treated_rows].tolist()


def bench_matching(treated: int, pool: int) -> None:
    frame, ids = matching_frame(pool, treated)
    start = time.perf_counter()
    result = evaluate(frame, ids, "benchmark", EvaluationOptions.from_policy(POLICY))
    seconds = time.perf_counter() - start
    worst = max(abs(b.smd_after) for b in result.balance)
    print(f"matching {treated:,} treated vs a {pool:,} pool: {seconds:.1f} s "
          f"(target < 30 s), {result.matched_n:,} matched, max |SMD| after {worst:.3f}")


def bench_psmpy(treated: int, pool: int) -> None:
    from psmpy import PsmPy

    frame, ids = matching_frame(pool, treated)
    start = time.perf_counter()
    ours = evaluate(frame, ids, "benchmark", EvaluationOptions.from_policy(POLICY))
    t_ours = time.perf_counter() - start
    cols = ["ogrs3_2y", "previous_sanctions", "need_drugs", "need_thinking"]
    data = frame[["offender_id", *cols]].copy()
    data[["need_drugs", "need_thinking"]] = data[["need_drugs", "need_thinking"]].astype(int)
    data["treatment"] = data["offender_id"].isin(set(ids)).astype(int)
    start = time.perf_counter()
    psm = PsmPy(data, treatment="treatment", indx="offender_id", exclude=[])
    psm.logistic_ps(balance=False)
    psm.kdtree_matched(matcher="propensity_logit", replacement=False, caliper=None)
    t_psm = time.perf_counter() - start
    matched = data[data["offender_id"].isin(set(psm.df_matched["offender_id"]))]
    t = matched[matched["treatment"] == 1][cols]
    c = matched[matched["treatment"] == 0][cols]
    sd = np.sqrt((data.loc[data.treatment == 1, cols].var() + data.loc[data.treatment == 0,
                                                                        cols].var()) / 2)
    psm_smd = ((t.mean() - c.mean()) / sd).abs().max()
    our_smd = max(abs(b.smd_after) for b in ours.balance)
    print(f"vs psmpy, {treated:,} treated / {pool:,} pool: ours {t_ours:.1f} s (max |SMD| "
          f"{our_smd:.3f}), psmpy {t_psm:.1f} s (max |SMD| {psm_smd:.3f}), "
          f"speed-up {t_psm / t_ours:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--reoffences", type=int, default=5_000_000)
    parser.add_argument("--treated", type=int, default=5_000)
    parser.add_argument("--pool", type=int, default=1_000_000)
    parser.add_argument("--psmpy-pool", type=int, default=100_000)
    args = parser.parse_args()
    bench_proven(args.people, args.reoffences)
    bench_matching(args.treated, args.pool)
    if args.psmpy_pool > 0:  # psmpy's matching is slow: 0 skips it
        bench_psmpy(args.treated, args.psmpy_pool)


if __name__ == "__main__":
    main()
