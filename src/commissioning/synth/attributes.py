"""Needs, risk of serious harm, sentences and protected characteristics of synthetic records.

Each function draws one family of columns for a block of records whose latent segment
(:class:`~commissioning.synth.calibration.Cells`) is known, from dated ``synth.*`` parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from commissioning.assess.risk import RiskRules
from commissioning.policy.parameters import Policy
from commissioning.schema.contract import (
    EXTREMISM,
    NEED_CODES,
    OFFENCE_GROUPS,
    REQUIREMENTS,
    RISK_TIERS,
    ROSH_LEVELS,
    SETTINGS,
)
from commissioning.synth.calibration import Cells, need_targets

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def categorical(
    rng: np.random.Generator, weights: Sequence[float], size: int
) -> IntArray:
    """Indices drawn with probabilities proportional to ``weights``."""
    cdf = np.cumsum(np.asarray(weights, dtype=np.float64))
    cdf /= cdf[-1]
    return np.searchsorted(cdf, rng.random(size), side="right").clip(0, len(cdf) - 1)


def by_setting(
    rng: np.random.Generator,
    setting: IntArray,
    table: Mapping[str, Mapping[str, float]],
    codes: Sequence[str],
) -> IntArray:
    """Indices into ``codes`` drawn from a per-setting weight table."""
    out = np.zeros(setting.size, dtype=np.int64)
    for s_i, s in enumerate(SETTINGS):
        idx = np.flatnonzero(setting == s_i)
        out[idx] = categorical(rng, [float(table[s].get(c, 0.0)) for c in codes], idx.size)
    return out


def draw_needs(
    cells: Cells, policy: Policy, rng: np.random.Generator
) -> dict[str, BoolArray]:
    """The ten OASys needs: exact group totals, weighted towards higher tiers and shared factor.

    For each setting and offence group of size ``m``, need ``k`` is given to exactly
    ``round(target_k x m)`` records, sampled without replacement (Gumbel top-k) with
    log-weights ``tier_effect[tier] + correlation x z`` (``z`` one standard normal per record).
    Listed needs use the published prevalence; unlisted ones
    ``min(unlisted_base_pct, sixth listed - below_sixth_margin_pct)``.
    """
    p: Mapping[str, Any] = policy.value("synth.needs")
    tier_effect = np.array([float(p["tier_effect"][t]) for t in RISK_TIERS])
    base: Mapping[str, float] = p["unlisted_base_pct"]
    margin = float(p["below_sixth_margin_pct"])
    n = cells.tier.size
    needs = {c: np.zeros(n, dtype=bool) for c in NEED_CODES}
    z = rng.standard_normal(n)
    log_w = tier_effect[cells.tier] + float(p["correlation"]) * z
    targets = need_targets()
    for s_i, s in enumerate(SETTINGS):
        for g_i, g in enumerate(OFFENCE_GROUPS):
            idx = np.flatnonzero((cells.setting == s_i) & (cells.offence_group == g_i))
            if idx.size == 0:
                continue
            listed = {
                t.need: t.prevalence_pct
                for t in targets
                if (t.setting, t.offence_group) == (s, g)
            }
            sixth = min(listed.values())
            for need in NEED_CODES:
                pct = listed.get(need, min(float(base[need]), sixth - margin))
                m = round(pct * idx.size / 100.0)
                if m <= 0:
                    continue
                keys = log_w[idx] + rng.gumbel(size=idx.size)
                chosen = idx[np.argpartition(-keys, m - 1)[:m]] if m < idx.size else idx
                needs[need][chosen] = True
    return needs


def draw_rosh(
    cells: Cells, policy: Policy, rules: RiskRules, rng: np.random.Generator
) -> IntArray:
    """Risk of serious harm (index into ROSH_LEVELS) consistent with the tier rule.

    The very high tier takes the tier rule's harm levels (the highest with the parameter's share,
    else the lowest); other tiers take the remaining levels (the highest with the per-tier
    ``medium_share``, else the lowest).
    """
    p: Mapping[str, Any] = policy.value("synth.rosh")
    harm = sorted(ROSH_LEVELS.index(lv) for lv in rules.very_high_harm_levels)
    other = sorted(i for i in range(len(ROSH_LEVELS)) if i not in harm)
    if not harm or not other:
        raise ValueError("risk.tier_rule: very_high_harm_levels must be some, not all, RoSH levels")
    very_high = cells.tier == RISK_TIERS.index("very_high")
    u = rng.random(cells.tier.size)
    vh_share = np.array([float(p["very_high_share_in_very_high_tier"][s]) for s in SETTINGS])
    med = np.array(
        [[float(p["medium_share"][s].get(t, 0.0)) for t in RISK_TIERS] for s in SETTINGS]
    )
    top_harm = np.where(u < vh_share[cells.setting], harm[-1], harm[0])
    top_other = np.where(u < med[cells.setting, cells.tier], other[-1], other[0])
    return np.where(very_high, top_harm, top_other).astype(np.int64)


def _lognormal_days(
    rng: np.random.Generator, spec: Mapping[str, float], size: int
) -> IntArray:
    days = float(spec["median"]) * np.exp(float(spec["sigma"]) * rng.standard_normal(size))
    return np.clip(np.round(days), float(spec["min"]), float(spec["max"])).astype(np.int64)


def draw_sentences(
    cells: Cells,
    needs: Mapping[str, BoolArray],
    policy: Policy,
    rng: np.random.Generator,
    sentence_codes: Sequence[str],
) -> tuple[IntArray, IntArray, BoolArray, IntArray]:
    """Sentence type (index into ``sentence_codes``), length, length-known flag, requirements.

    Requirements are a bit mask over :data:`REQUIREMENTS`, set only for community orders and
    suspended sentence orders.
    """
    p: Mapping[str, Any] = policy.value("synth.sentences")
    n = cells.tier.size
    code = {c: i for i, c in enumerate(sentence_codes)}
    stype = np.zeros(n, dtype=np.int64)
    community = cells.setting == SETTINGS.index("community")
    mix = p["community_mix"]
    kinds = list(mix)
    drawn = categorical(rng, [float(mix[k]) for k in kinds], n)
    stype[community] = np.array([code[k] for k in kinds])[drawn[community]]
    u = rng.random(n)
    sex_violence = np.isin(
        cells.offence_group, [OFFENCE_GROUPS.index("sex"), OFFENCE_GROUPS.index("violence")]
    )
    remand = u < float(p["custody_remand_share"])
    indeterminate = ~remand & sex_violence & (
        rng.random(n) < float(p["indeterminate_share_sex_violence"])
    )
    custody_type = np.where(
        remand,
        code["remand"],
        np.where(indeterminate, code["indeterminate"], code["determinate_custody"]),
    )
    stype[~community] = custody_type[~community]

    length = np.zeros(n, dtype=np.int64)
    known = np.zeros(n, dtype=bool)
    for kind, spec in p["length"].items():
        idx = np.flatnonzero(stype == code[kind])
        length[idx] = _lognormal_days(rng, spec, idx.size)
        known[idx] = True

    probs: Mapping[str, float] = p["requirement_probability"]
    ordered = np.isin(stype, [code["community_order"], code["suspended_sentence_order"]])
    mask = np.zeros(n, dtype=np.int64)
    for bit, req in enumerate(REQUIREMENTS):
        has = ordered & (rng.random(n) < float(probs.get(req, 0.0)))
        if req == "drug_rehabilitation":
            has &= needs["drugs"]
        elif req == "alcohol_treatment":
            has &= needs["alcohol"]
        mask |= has.astype(np.int64) << bit
    mask = np.where(ordered & (mask == 0), 1 << REQUIREMENTS.index("supervision"), mask)
    return stype, length, known, mask


def requirement_strings(masks: IntArray) -> tuple[list[str], IntArray]:
    """Distinct ';'-joined requirement strings and each record's index into them."""
    uniq, inverse = np.unique(masks, return_inverse=True)
    labels = [
        ";".join(r for bit, r in enumerate(REQUIREMENTS) if int(m) >> bit & 1) for m in uniq
    ]
    return labels, inverse.astype(np.int64)


def draw_protected(
    cells: Cells, policy: Policy, rng: np.random.Generator
) -> dict[str, tuple[list[str], IntArray] | BoolArray]:
    """Protected characteristics and responsivity flags (coded columns as (labels, indices))."""
    p: Mapping[str, Any] = policy.value("synth.protected_characteristics")
    n = cells.tier.size
    s = cells.setting
    out: dict[str, tuple[list[str], IntArray] | BoolArray] = {}
    for col in ("ethnicity", "religion"):
        labels = list(dict.fromkeys(c for t in p[col].values() for c in t))
        out[col] = (labels, by_setting(rng, s, p[col], labels))
    orient = p["sexual_orientation"]
    labels = list(orient)
    out["sexual_orientation"] = (labels, categorical(rng, [float(orient[k]) for k in labels], n))
    for col in ("disability", "learning_disability"):
        share = np.array([float(p[col][x]) for x in SETTINGS])
        out[col] = rng.random(n) < share[s]
    out["gender_reassignment"] = rng.random(n) < float(p["gender_reassignment"])
    out["pregnancy_maternity"] = cells.female & (
        rng.random(n) < float(p["pregnancy_maternity_female"])
    )
    ext = p["extremism"]
    weights = {
        x: {c: float(ext[x].get(c, 0.0)) for c in EXTREMISM[1:]} for x in SETTINGS
    }
    for x in SETTINGS:
        weights[x]["none"] = 1.0 - sum(weights[x].values())
    out["extremism"] = (list(EXTREMISM), by_setting(rng, s, weights, EXTREMISM))
    return out
