"""A preview context built from the published figures, for trying the report without data.

The profiles are the published shares with small random perturbations, split back into four
tiers and scaled to the document's sample sizes; small cells are suppressed by the same rule as
real output. A test fixture for the report's layout (it lives in tests/ so made-up figures never
ship in the product).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from commissioning.publish.compare import (
    MERGE_SEPARATOR,
    load_published_need_prevalence,
    load_published_risk_profile,
)
from commissioning.publish.context import RoundContext
from commissioning.schema.contract import NEED_CODES
from policy_support import POLICY, ROUND_DATE

#: The document's sample sizes (Tables 1-2 footnotes).
SAMPLE_ASSESSMENTS = {"community": 206_670, "custody": 10_826}
#: Preview-only split of each setting across offence groups (the document does not state it).
PREVIEW_GROUP_SHARES = {
    "community": {"sex": 0.05, "violence": 0.30, "acquisitive": 0.30, "other": 0.35},
    "custody": {"sex": 0.13, "violence": 0.37, "acquisitive": 0.27, "other": 0.23},
}


def _suppress(count: float, threshold: int) -> bool:
    return 0 < round(count) < threshold


def sample_profiles(
    seed: int = 2012, noise_pp: float = 0.8, threshold: int = 5
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(risk_profile, need_profile) in the layout of ``commission profile``."""
    rng = np.random.default_rng(seed)
    published = load_published_risk_profile()
    risk_rows = []
    for (setting, group), part in published.groupby(["setting", "offence_group"], sort=False):
        group_n = SAMPLE_ASSESSMENTS[str(setting)] * PREVIEW_GROUP_SHARES[str(setting)][str(group)]
        tiers: list[tuple[str, float, float, float]] = []
        for r in part.to_dict("records"):
            names = str(r["risk_tier"]).split(MERGE_SEPARATOR)
            weights = [0.2, 0.8] if len(names) == 2 and names[0] == "high" else [0.6, 0.4]
            weights = weights if len(names) == 2 else [1.0]
            for name, w in zip(names, weights, strict=True):
                tiers.append((name, r["share_pct"] * w, r["under_25_pct"], r["female_pct"]))
        shares = np.array([max(t[1] + rng.normal(0, noise_pp), 0.1) for t in tiers])
        shares = 100 * shares / shares.sum()
        for (name, _, u25, fem), share in zip(tiers, shares, strict=True):
            offenders = round(group_n * share / 100)
            u25_pct = float(np.clip(u25 + rng.normal(0, noise_pp), 0, 100))
            fem_pct = float(np.clip(fem + rng.normal(0, noise_pp / 2), 0, 100))
            risk_rows.append(
                {
                    "setting": setting,
                    "offence_group": group,
                    "risk_tier": name,
                    "offenders": offenders,
                    "share_pct": 100 * offenders / round(group_n),
                    "under_25_pct": np.nan
                    if _suppress(offenders * u25_pct / 100, threshold)
                    else u25_pct,
                    "female_pct": np.nan
                    if _suppress(offenders * fem_pct / 100, threshold)
                    else fem_pct,
                }
            )
    risk = pd.DataFrame(risk_rows)
    group_sizes = risk.groupby(["setting", "offence_group"])["offenders"].sum()
    pub_needs = load_published_need_prevalence()
    need_rows = []
    for key, size in group_sizes.items():
        setting, group = key  # type: ignore[misc]
        stated = pub_needs[
            (pub_needs["setting"] == setting) & (pub_needs["offence_group"] == group)
        ]
        known = dict(zip(stated["need"], stated["prevalence_pct"], strict=True))
        floor = float(min(known.values()))
        for need in NEED_CODES:
            base = known.get(need, rng.uniform(0.35, 0.9) * floor)
            pct = float(np.clip(base + rng.normal(0, noise_pp * 1.5), 0, 100))
            count = round(size * pct / 100)
            need_rows.append(
                {
                    "setting": setting,
                    "offence_group": group,
                    "need": need,
                    "offenders_with_need": count,
                    "prevalence_pct": 100 * count / size,
                }
            )
    return risk, pd.DataFrame(need_rows)


def sample_context(seed: int = 2012) -> RoundContext:
    """A complete `RoundContext` from `sample_profiles`, titled as a preview."""
    risk, needs = sample_profiles(seed)
    return RoundContext(
        risk_profile=risk,
        need_profile=needs,
        parameters=POLICY.parameters,
        when=ROUND_DATE,
        title="Commissioning round 2012-13 (preview data)",
    )
