"""Benchmarks: OGRS3 scoring and profiling with commissioning vs hand-written DuckDB SQL vs pandas.

Each measurement runs in a fresh subprocess of this session (so peak memory is that run's own
resident set, read with ``os.wait4``); the three implementations run on the same Parquet file,
one after the other, and the script prints ratios against the baselines measured in this run.

    .venv/bin/python benchmarks/run.py                       # 1M and 10M rows, best of 3
    .venv/bin/python benchmarks/run.py --rows 200000 --repeat 1

Data: the synthetic national assessments (``commission synth``), cached in benchmarks/data/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from commissioning.cli.common import DEFAULT_DATE as ROUND_DATE
from commissioning.policy.parameters import load_parameters

POLICY = load_parameters().at(ROUND_DATE)

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
IMPLEMENTATIONS = ("commissioning", "duckdb_sql", "pandas")
CASES = ("score", "profile")


# ---------------------------------------------------------------- workers (run in a subprocess)


def _worker_commissioning(case: str, path: str, out: str) -> None:
    from commissioning.assess.profiles import compute_profiles
    from commissioning.assess.risk import RiskRules, score
    from commissioning.engine import backend
    from commissioning.policy.parameters import load_parameters

    con = backend.connect()
    rules = RiskRules.from_policy(load_parameters().at(ROUND_DATE))
    scored = score(backend.read_parquet(con, path), rules)
    if case == "score":
        backend.write(con, scored, Path(out))
    else:
        profiles = compute_profiles(con, scored)
        assert len(profiles.risk) == 32, len(profiles.risk)


def _ogrs3_sql(source: str) -> str:
    """OGRS3 written by hand in DuckDB SQL from Howard et al. (2009), the baseline."""
    from commissioning.assess import ogrs3

    def age(on: str) -> str:
        return (
            f"(year({on}) - year(date_of_birth) - CASE WHEN month({on}) * 100 + day({on}) < "
            "month(date_of_birth) * 100 + day(date_of_birth) THEN 1 ELSE 0 END)"
        )

    bands = list(zip(ogrs3.AGE_BAND_LOWER, ogrs3.AGE_SEX_MALE, ogrs3.AGE_SEX_FEMALE, strict=True))
    agesex = "CASE " + " ".join(
        f"WHEN a_age >= {lo} THEN CASE WHEN sex = 'female' THEN {f!r} ELSE {m!r} END"
        for lo, m, f in reversed(bands)
    ) + f" ELSE CASE WHEN sex = 'female' THEN {bands[0][2]!r} ELSE {bands[0][1]!r} END END"
    offence = "CASE offence " + " ".join(
        f"WHEN '{k}' THEN {v!r}" for k, v in ogrs3.OFFENCE_COEFFICIENTS.items()
    ) + " END"
    groups = {
        "sex": ("sexual_not_child", "sexual_child"),
        "violence": ("violence", "robbery"),
        "acquisitive": ("burglary_domestic", "burglary_other", "theft_non_motor", "handling",
                        "taking_driving_away", "theft_from_vehicle"),
    }
    group = "CASE " + " ".join(
        f"WHEN offence IN ({', '.join(repr(c) for c in cats)}) THEN '{g}'"
        for g, cats in groups.items()
    ) + " ELSE 'other' END"
    return f"""
    WITH aged AS (
      SELECT *, {age('assessment_date')} AS a_age, {age('conviction_date')} AS c_age,
             {age('first_sanction_date')} AS f_age,
             least(previous_sanctions, 50) AS prev
      FROM read_parquet('{source}')
    ), y AS (
      SELECT *, {agesex} + CASE WHEN prev > 0 THEN 0.463062792 ELSE 0.126142106 END
             + 1.251124464 * ln((prev + 1)::DOUBLE / (10 + c_age - f_age)) + {offence} AS y
      FROM aged
    ), p AS (
      SELECT * EXCLUDE (a_age, c_age, f_age, prev, y), a_age AS age_at_assessment,
             {group} AS offence_group,
             1 / (1 + exp(-(1.402562384 + y))) AS ogrs3_1y,
             1 / (1 + exp(-(2.121705678 + y))) AS ogrs3_2y
      FROM y
    )
    SELECT *,
      CASE WHEN greatest(1, least(99, floor(ogrs3_2y * 100 + 0.5))) >= 90 THEN 'very_high'
           WHEN greatest(1, least(99, floor(ogrs3_2y * 100 + 0.5))) >= 75 THEN 'high'
           WHEN greatest(1, least(99, floor(ogrs3_2y * 100 + 0.5))) >= 50 THEN 'medium'
           ELSE 'low' END AS ogrs3_band,
      CASE WHEN rosh IN ('high', 'very_high') THEN 'very_high'
           WHEN greatest(1, least(99, floor(ogrs3_2y * 100 + 0.5))) >= 75 THEN 'high'
           WHEN greatest(1, least(99, floor(ogrs3_2y * 100 + 0.5))) >= 50 THEN 'medium'
           ELSE 'low' END AS risk_tier
    FROM p
    """


def _worker_duckdb_sql(case: str, path: str, out: str) -> None:
    import duckdb

    con = duckdb.connect()
    scored = _ogrs3_sql(path)
    if case == "score":
        con.execute(f"COPY ({scored}) TO '{out}' (FORMAT parquet)")
        return
    needs = ["accommodation", "ete", "finance", "relationships", "lifestyle", "drugs",
             "alcohol", "emotional", "thinking", "attitudes"]
    con.execute(f"CREATE TEMP VIEW scored AS {scored}")
    risk = con.execute(
        """SELECT setting, offence_group, risk_tier, count(*) AS offenders,
                  100.0 * count(*) / sum(count(*)) OVER (PARTITION BY setting, offence_group)
                    AS share_pct,
                  100.0 * sum(CASE WHEN age_at_assessment < 25 THEN 1 ELSE 0 END) / count(*)
                    AS under_25_pct,
                  100.0 * sum(CASE WHEN sex = 'female' THEN 1 ELSE 0 END) / count(*)
                    AS female_pct
           FROM scored GROUP BY setting, offence_group, risk_tier"""
    ).df()
    need_sql = " UNION ALL ".join(
        f"""SELECT setting, offence_group, '{n}' AS need,
                   sum(need_{n}::INT) AS offenders_with_need,
                   100.0 * sum(need_{n}::INT) / count(need_{n}) AS prevalence_pct
            FROM scored GROUP BY setting, offence_group"""
        for n in needs
    )
    need = con.execute(need_sql).df()
    assert len(risk) == 32 and len(need) == 80, (len(risk), len(need))


def _pandas_score(path: str):  # type: ignore[no-untyped-def]
    import numpy as np
    import pandas as pd

    from commissioning.assess import ogrs3

    df = pd.read_parquet(path)

    def age(on: pd.Series) -> pd.Series:
        born = df["date_of_birth"]
        on = pd.to_datetime(on)
        born = pd.to_datetime(born)
        before = (on.dt.month * 100 + on.dt.day) < (born.dt.month * 100 + born.dt.day)
        return on.dt.year - born.dt.year - before.astype("int64")

    a_age = age(df["assessment_date"])
    c_age = age(df["conviction_date"])
    f_age = age(df["first_sanction_date"])
    band = np.clip(np.searchsorted(ogrs3.AGE_BAND_LOWER, a_age, side="right") - 1, 0, 10)
    female = (df["sex"] == "female").to_numpy()
    agesex = np.where(female, np.array(ogrs3.AGE_SEX_FEMALE)[band],
                      np.array(ogrs3.AGE_SEX_MALE)[band])
    prev = df["previous_sanctions"].clip(upper=50)
    status = np.where(prev > 0, 0.463062792, 0.126142106)
    copas = 1.251124464 * np.log((prev + 1) / (10 + c_age - f_age))
    offence = df["offence"].map(ogrs3.OFFENCE_COEFFICIENTS)
    y = agesex + status + copas + offence
    df["age_at_assessment"] = a_age
    groups = {c: g for g, cats in {
        "sex": ("sexual_not_child", "sexual_child"), "violence": ("violence", "robbery"),
        "acquisitive": ("burglary_domestic", "burglary_other", "theft_non_motor", "handling",
                        "taking_driving_away", "theft_from_vehicle")}.items() for c in cats}
    df["offence_group"] = df["offence"].map(groups).fillna("other")
    df["ogrs3_1y"] = 1 / (1 + np.exp(-(1.402562384 + y)))
    df["ogrs3_2y"] = 1 / (1 + np.exp(-(2.121705678 + y)))
    pct = np.clip(np.floor(df["ogrs3_2y"] * 100 + 0.5), 1, 99)
    df["ogrs3_band"] = np.select([pct >= 90, pct >= 75, pct >= 50],
                                 ["very_high", "high", "medium"], "low")
    df["risk_tier"] = np.where(df["rosh"].isin(["high", "very_high"]), "very_high",
                               np.select([pct >= 75, pct >= 50], ["high", "medium"], "low"))
    return df


def _worker_pandas(case: str, path: str, out: str) -> None:
    df = _pandas_score(path)
    if case == "score":
        df.to_parquet(out, index=False)
        return
    keys = ["setting", "offence_group", "risk_tier"]
    df["under_25"] = df["age_at_assessment"] < 25
    df["female"] = df["sex"] == "female"
    risk = df.groupby(keys).agg(offenders=("sex", "size"), under_25=("under_25", "sum"),
                                female=("female", "sum")).reset_index()
    risk["share_pct"] = 100 * risk["offenders"] / risk.groupby(
        ["setting", "offence_group"])["offenders"].transform("sum")
    needs = [c for c in df.columns if c.startswith("need_")]
    grouped = df.groupby(["setting", "offence_group"])[needs]
    need = (100 * grouped.sum() / grouped.count()).stack()
    assert len(risk) == 32 and len(need) == 80, (len(risk), len(need))


WORKERS = {
    "commissioning": _worker_commissioning,
    "duckdb_sql": _worker_duckdb_sql,
    "pandas": _worker_pandas,
}


# ---------------------------------------------------------------- driver


def ensure_data(rows: int) -> Path:
    """The synthetic assessments with ``rows`` rows, generated once and cached."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"assessments_{rows}.parquet"
    if not path.exists():
        from commissioning.synth.assessments import write_assessments

        start = time.perf_counter()
        write_assessments(path, POLICY, n=rows, seed=2012)
        print(f"generated {rows:,} assessments in {time.perf_counter() - start:.1f} s")
    return path


def measure(case: str, impl: str, path: Path) -> tuple[float, float]:
    """Run one worker in a fresh process: (wall seconds inside the worker, peak RSS in MiB)."""
    out = DATA / f"out_{impl}.parquet"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", case, impl, str(path),
           str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    stdout = proc.stdout.read() if proc.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{impl} {case} failed")
    out.unlink(missing_ok=True)
    seconds = json.loads(stdout.strip().splitlines()[-1])["seconds"]
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--worker", nargs=4, metavar=("CASE", "IMPL", "PATH", "OUT"))
    args = parser.parse_args()
    if args.worker:
        case, impl, path, out = args.worker
        # import the libraries each implementation uses before the clock starts
        import duckdb  # noqa: F401
        import pandas

        if impl == "commissioning":
            import commissioning.assess.profiles
            import commissioning.assess.risk  # noqa: F401
        start = time.perf_counter()
        WORKERS[impl](case, path, out)
        print(json.dumps({"seconds": time.perf_counter() - start}))
        return

    print(f"# machine: {platform.platform()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}")
    print("| rows | case | implementation | best s | peak RSS MiB | vs DuckDB SQL "
          "| pandas ÷ this |")
    print("|---:|---|---|---:|---:|---:|---:|")
    for rows in args.rows:
        path = ensure_data(rows)
        for case in CASES:
            best: dict[str, tuple[float, float]] = {}
            for impl in IMPLEMENTATIONS:
                runs = [measure(case, impl, path) for _ in range(args.repeat)]
                best[impl] = (min(r[0] for r in runs), max(r[1] for r in runs))
            sql = best["duckdb_sql"][0]
            pandas = best["pandas"][0]
            for impl in IMPLEMENTATIONS:
                secs, rss = best[impl]
                print(f"| {rows:,} | {case} | {impl} | {secs:.2f} | {rss:,.0f} | "
                      f"{secs / sql:.2f}× | {pandas / secs:.1f}× |", flush=True)


if __name__ == "__main__":
    main()
