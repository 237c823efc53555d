"""Synthetic quarterly community starts, 2005–2011, by sentence type and requirement.

SYNTHETIC DATA. The package has no real community sentence starts (``data/reference/SOURCES.md``,
"Not available here"), so this generator writes a plausible history with the trends the
commissioning document reports, from the parameter ``demand.community_history`` (levels, seasonal
factors, noise, requirement shares and trends, each with its reasoning):

- starts by sentence type move log-linearly between the first and last quarter's levels (growth
  led by suspended sentence orders and licences), times a quarterly seasonal factor and noise;
- each requirement is carried by a share of community orders and suspended sentence orders that
  trends over time; for the requirements the document names, the rate over the last four
  quarters is set so that expected starts of April–June 2011 differ from April–June 2010 by the
  document's change (specified activity +38%, accredited programmes −20%, drug rehabilitation
  −19%, "with a particular decrease from mid-2010").

Columns: ``quarter`` (``2005Q1``), ``sentence_type``, ``requirement`` (``all`` for the starts of
the sentence type), ``starts`` — the data-contract table ``community_starts``, which
``commission synth`` and ``commission demo`` write beside the other synthetic tables (recorded
in ``synthetic.json``), so a demo workspace imports it with its provenance and the report knows
it is synthetic from the import manifest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from commissioning.policy.parameters import Policy
from commissioning.schema.contract import COMMUNITY_STARTS

#: Sentence types of community demand (the document's Fig 1).
SENTENCE_TYPES: tuple[str, ...] = ("community_order", "suspended_sentence_order", "licence")
#: Sentence types that carry requirements (licences carry conditions, not requirements).
ORDERS: tuple[str, ...] = ("community_order", "suspended_sentence_order")
#: The columns written: the data-contract table ``community_starts``.
HISTORY_COLUMNS: tuple[str, ...] = tuple(c.name for c in COMMUNITY_STARTS.columns)


def community_history(policy: Policy, seed: int = 2012) -> pd.DataFrame:
    """The synthetic history (see the module docstring); the same seed gives the same table."""
    p = policy.mapping("demand.community_history")
    quarters = pd.period_range(str(p["first_quarter"]), str(p["last_quarter"]), freq="Q")
    n = len(quarters)
    rng = np.random.default_rng(seed)
    seasonal = np.array([float(p["seasonal"][q.quarter - 1]) for q in quarters])
    noise_cv = float(p["noise_cv"])
    years = np.arange(n) / 4.0
    expected: dict[str, np.ndarray] = {}
    rows: list[pd.DataFrame] = []
    for kind in SENTENCE_TYPES:
        first, last = (float(v) for v in p["starts"][kind])
        level = first * np.exp(np.log(last / first) * np.arange(n) / (n - 1))
        expected[kind] = level * seasonal
        starts = np.round(expected[kind] * rng.lognormal(0.0, noise_cv, n))
        rows.append(_frame(quarters, kind, "all", starts))
    orders = expected[ORDERS[0]] + expected[ORDERS[1]]
    for requirement, spec in p["requirements"].items():
        rate = float(spec["share"]) * np.exp(float(spec["trend"]) * years)
        change = spec.get("last_year_change")
        if change is not None and n > 4:
            # Expected starts of the last quarter = (1 + change) x those a year before.
            target = (1.0 + float(change)) * orders[n - 5] * rate[n - 5] / orders[n - 1]
            steps = np.log(target / rate[n - 5]) * np.arange(1, 5) / 4.0
            rate[n - 4 :] = rate[n - 5] * np.exp(steps)
        for kind in ORDERS:
            mean = expected[kind] * rate
            starts = np.round(mean * rng.lognormal(0.0, noise_cv * 1.5, n))
            rows.append(_frame(quarters, kind, str(requirement), starts))
    return pd.concat(rows, ignore_index=True)


def _frame(
    quarters: pd.PeriodIndex, kind: str, requirement: str, starts: np.ndarray
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "quarter": [str(q) for q in quarters],
            "sentence_type": kind,
            "requirement": requirement,
            "starts": starts.astype("int64"),
        }
    )


def community_starts_table(policy: Policy, seed: int = 2012) -> pa.Table:
    """The synthetic history as the contract table ``community_starts`` (Arrow)."""
    frame = community_history(policy, seed)
    return pa.table(
        {
            "quarter": pa.array(frame["quarter"].astype(str), pa.string()),
            "sentence_type": pa.array(frame["sentence_type"].astype(str), pa.string()),
            "requirement": pa.array(frame["requirement"].astype(str), pa.string()),
            "starts": pa.array(frame["starts"].astype("int64"), pa.int64()),
        }
    )
