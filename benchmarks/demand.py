"""Benchmark: the vectorised prison stock–flow Monte Carlo model vs a per-person Python loop.

The issue's target: 90,000 prisoners, 7 years monthly (84 months), 1,000 Monte Carlo runs in
under 30 s on 2 cores. The baseline is the same model written the plain way - one Python object
per prisoner, released each month with the hazard of their band and months served, receptions
drawn each month - run on a smaller size (``--loop-prisoners``, ``--loop-runs``) in the same
session; the ratio compares time per prisoner-month-run.

It then prints the accuracy benchmarks, each against a same-run baseline:

- the prison backtest (every June origin 2000-2022, 1-5 years ahead): the headline forecast's
  MAPE as a ratio of the best naive benchmark's at each horizon, and interval coverage;
- community starts: the default candidates (closed form) against ETS and ARIMA on every
  rolling origin of the synthetic history, error and time (ratio to seasonal naive).

    .venv/bin/python benchmarks/demand.py
    .venv/bin/python benchmarks/demand.py --runs 200 --loop-prisoners 9000 --loop-runs 1
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time

import numpy as np

from commissioning.assess.demand import prison as P
from commissioning.cli.common import DEFAULT_DATE as ROUND_DATE
from commissioning.policy.parameters import load_parameters


def vectorised(runs: int, months: int, seed: int) -> tuple[float, float]:
    params = load_parameters()
    model = P.calibrate(params.at(ROUND_DATE), horizon=months)
    started = time.perf_counter()
    sim = P.simulate(model, runs=runs, seed=seed)
    seconds = time.perf_counter() - started
    return seconds, float(sim.total[:, -1].mean())


def per_person_loop(prisoners: int, runs: int, months: int, seed: int) -> tuple[float, float]:
    """The same model, one prisoner at a time (the baseline)."""
    params = load_parameters()
    model = P.calibrate(params.at(ROUND_DATE), horizon=months)
    scale = prisoners / model.initial_stock.sum()
    rng = random.Random(seed)
    started = time.perf_counter()
    finals = []
    for _ in range(runs):
        # (stratum, months served)
        people: list[list[int]] = []
        for i, stock in enumerate(model.initial_stock * scale):
            ages = np.random.default_rng(seed).choice(
                P.MAX_AGE, size=round(float(stock)), p=model.initial_ages[i]
            )
            people.extend([i, int(a)] for a in ages)
        for t in range(months):
            hazard = model.hazard[t]
            kept = []
            for person in people:
                if rng.random() >= hazard[person[0], person[1]]:
                    person[1] = min(person[1] + 1, P.MAX_AGE - 1)
                    kept.append(person)
            trend = (1.0 + model.growth) ** ((t + 1) / 12.0)
            for i, rate in enumerate(model.receptions[t] * scale * trend):
                arrivals = np.random.default_rng(rng.randrange(2**32)).poisson(rate)
                kept.extend([i, 0] for _ in range(arrivals))
            people = kept
        finals.append(len(people) / scale)
    return time.perf_counter() - started, float(np.mean(finals))


def prison_accuracy() -> None:
    from commissioning.assess.demand.backtest import BENCHMARKS, prison_backtest

    params = load_parameters()
    started = time.perf_counter()
    bt = prison_backtest(params.at(ROUND_DATE))
    seconds = time.perf_counter() - started
    table = bt.table()
    print(f"\nprison backtest ({seconds:.2f} s): June origins "
          f"{int(bt.errors['origin'].min())}-{int(bt.errors['origin'].max())}, headline "
          f"{bt.headline}")
    print("h  n   headline  " + "  ".join(f"{b:>12}" for b in BENCHMARKS)
          + "  ratio-to-best  cover80  cover90")
    for r in table.to_dict("records"):
        best = min(r[f"mape_{b}_pct"] for b in BENCHMARKS)
        print(f"{r['horizon_years']}  {r['origins']:<3} {r['mape_combination_pct']:8.2f}  "
              + "  ".join(f"{r[f'mape_{b}_pct']:12.2f}" for b in BENCHMARKS)
              + f"  {r['mape_combination_pct'] / best:13.3f}  {r['coverage_80_pct']:7.1f}"
              f"  {r['coverage_90_pct']:7.1f}")


def community_accuracy() -> None:
    from commissioning.assess.demand import community as C
    from commissioning.synth.demand_history import community_history

    params = load_parameters()
    table = C.series_table(community_history(params.at(ROUND_DATE)))
    mape: dict[str, list[float]] = {m: [] for m in C.MODELS}
    seconds = dict.fromkeys(C.MODELS, 0.0)
    with C.quiet():
        for _, part in table.groupby(["kind", "series"]):
            y = part.sort_values("quarter")["starts"].to_numpy(float)
            for m in C.MODELS:
                started = time.perf_counter()
                mape[m].append(C.backtest_errors(y, [m], None, 4, (0.5, 1.5))[m])
                seconds[m] += time.perf_counter() - started
    base = float(np.mean(mape["seasonal_naive"]))
    print(f"\ncommunity starts, {len(mape['seasonal_naive'])} series, every origin "
          f"(synthetic history): mean MAPE and time, ratio to seasonal naive")
    for m in C.MODELS:
        print(f"  {m:16} {np.mean(mape[m]):6.2f}% ({np.mean(mape[m]) / base:5.2f}x)  "
              f"{seconds[m]:7.2f} s ({seconds[m] / max(seconds['seasonal_naive'], 1e-9):7.0f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--months", type=int, default=84)
    parser.add_argument("--loop-prisoners", type=int, default=9_000)
    parser.add_argument("--loop-runs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2012)
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, numpy {np.__version__}")
    v_sec, v_final = vectorised(args.runs, args.months, args.seed)
    v_units = 85_951 * args.months * args.runs
    print(
        f"vectorised : {args.runs} runs x {args.months} months x ~86,000 prisoners "
        f"in {v_sec:.2f} s (final mean {v_final:,.0f}; target under 30 s)"
    )
    l_sec, l_final = per_person_loop(args.loop_prisoners, args.loop_runs, args.months, args.seed)
    l_units = args.loop_prisoners * args.months * args.loop_runs
    print(
        f"per-person : {args.loop_runs} runs x {args.months} months x {args.loop_prisoners:,} "
        f"prisoners in {l_sec:.2f} s (final mean scaled {l_final:,.0f})"
    )
    ratio = (l_sec / l_units) / (v_sec / v_units)
    print(f"speed-up per prisoner-month-run: {ratio:,.0f}x")
    print(f"per-person loop at full size would take about {l_sec / l_units * v_units:,.0f} s")
    prison_accuracy()
    community_accuracy()
    print(f"1-minute load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
