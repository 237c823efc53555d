"""The one outcome model, from a published effect to pounds per start, shared by benefit–cost
and the plan.

**Outcome.** Proven reoffences (the Ministry of Justice frequency measure): offences committed
within one year of the index date and proven by conviction or caution within a further six
months (``review.proven_reoffending``). Nothing here counts reoffenders as a separate outcome:
the binary OGRS3 probability is only the route to the count.

**Time horizon.** One year of follow-up, as the measure and OGRS3's one-year score
(``ogrs3_1y``); no later years, so no discounting. Longer-run benefits (WSIPP values a lifetime)
are left out: the figures are conservative against WSIPP's.

**From a published effect to a risk ratio.** Effects are entered as studies on the log odds
scale (WSIPP's adjusted effect sizes are D-Cox, log odds ratio / 1.65, Sánchez-Meca et al. 2003,
the conversion WSIPP itself uses; converted back with × 1.65). The log odds ratio θ is turned
into a risk ratio at the reference reoffending rate p₀ of the studies' comparison groups,
``RR = logistic(logit p₀ + θ) / p₀`` (``evidence.outcome_model.reference_rate`` unless the
service states its own). Each draw of θ is converted the same way.

**How the effect varies with baseline risk.** A constant risk ratio: the treated probability is
``p·RR``, so the absolute reduction ``p·(1 − RR)`` grows in proportion to the segment's risk.
This is the risk principle as the RNR meta-analyses report it (Andrews & Bonta; Lipsey 2009;
Lowenkamp, Latessa & Holsinger 2006: larger reductions for higher-risk offenders), where a
constant odds ratio would give the largest absolute effect at p = 0.5 and less above it. No
further low-risk fraction is applied.

**Several services for the same person.** Risk ratios multiply. In a segment where a share
``u_j`` of people receive service j (its 2011-12 coverage, capped at 1), the expected risk is
``p·Π_j (1 − u_j (1 − RR_j))``; one more start of service k avoids
``p·(1 − RR_k)·Π_{j≠k} (1 − u_j (1 − RR_j))`` proven reoffenders — the "others factor".
Values are so taken at the margin of the 2011-12 portfolio (linearised there, as a linear
programme needs); effects never add up to more than the risk there is.

**Reoffences, not reoffenders.** Reoffenders avoided × the segment's proven reoffences per
reoffender (from the data) = proven reoffences avoided: a proportional reduction of the count.

**Value.** Each proven reoffence is valued at the segment's own reoffence mix (from the data)
priced by :class:`CrimeCosts`: Home Office costs of crime (which include the criminal-justice
response) for offences with a victim, the criminal-justice cost alone for offences without one —
never both — deflated to the round's prices with the GDP deflator (``evidence.price_deflator``).
One proven reoffence is valued as one crime (no scaling up to unrecorded crime: conservative).

**Per start, intent to treat.** The effects entered are for those who start (participants, as
WSIPP codes them), so the value is per start; completion is not multiplied in again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt
import pandas as pd
from ibis.backends import BaseBackend

from commissioning.policy.parameters import Policy
from commissioning.review.proven import FollowUp

if TYPE_CHECKING:
    from commissioning.evidence.catalogue import Intervention
    from commissioning.evidence.rating import Rating

FloatArray = npt.NDArray[np.float64]

OUTCOME = "proven reoffences within one year (MoJ measure)"
#: How an effect came to be: a published figure for the service, a published figure for a
#: close analogue (said which), or a labelled assumption with a range.
EFFECT_KINDS: tuple[str, ...] = ("published", "published_se_assumed", "analogue", "assumption")
#: The coarse segment at which reoffence mix, frequency and coverage are measured.
SEGMENT_KEYS: tuple[str, ...] = ("setting", "offence_group", "risk_tier")
Z95 = 1.959963984540054


class OutcomeError(ValueError):
    """Data or parameters the outcome model cannot use; says what to fix."""


def logistic(x: npt.ArrayLike) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64))), np.float64)


def risk_ratio(log_or: npt.ArrayLike, reference_rate: float) -> FloatArray:
    """Risk ratio of reoffending implied by a log odds ratio at the reference rate p₀."""
    p0 = float(reference_rate)
    if not 0.0 < p0 < 1.0:
        raise OutcomeError(f"reference rate {p0}: must be a probability strictly between 0 and 1")
    lor = np.asarray(log_or, dtype=np.float64)
    treated = logistic(math.log(p0 / (1 - p0)) + lor)
    # exactly 1 for no effect (no rounding residue reported as "-0.000 avoided")
    return np.asarray(np.where(lor == 0.0, 1.0, treated / p0), np.float64)


@dataclass(frozen=True)
class EffectDistribution:
    """A service's effect as a distribution: log odds ratio θ ~ Normal(log_or, se²) at the
    reference rate, with where it comes from (``kind``: one of :data:`EFFECT_KINDS`)."""

    service_id: str
    log_or: float
    se: float
    reference_rate: float
    kind: str
    source: str

    @property
    def risk_ratio(self) -> float:
        """The central risk ratio (at θ = log_or)."""
        return float(risk_ratio(self.log_or, self.reference_rate))

    @property
    def odds_ratio(self) -> float:
        return math.exp(self.log_or)

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Risk ratio at θ ± z·SE (95% by default)."""
        from scipy import stats  # type: ignore[import-untyped]

        z = float(stats.norm.ppf(0.5 + level / 2))
        lo, hi = risk_ratio([self.log_or - z * self.se, self.log_or + z * self.se],
                            self.reference_rate)
        return float(lo), float(hi)

    def draw(self, rng: np.random.Generator, n: int) -> FloatArray:
        """``n`` risk ratios, one per draw of θ."""
        return risk_ratio(rng.normal(self.log_or, self.se, size=n), self.reference_rate)


NO_EFFECT_SOURCE = "sentence delivery: no effect on reoffending is claimed"


def draw_effects(
    effects: Mapping[str, EffectDistribution | None], rng: np.random.Generator, n: int
) -> pd.DataFrame:
    """``n`` joint draws of every service's risk ratio: one row per draw, one column per
    service (1.0 for a service without an effect). Services are drawn independently."""
    columns = {}
    for service_id, effect in effects.items():
        columns[service_id] = (np.ones(n) if effect is None else effect.draw(rng, n))
    return pd.DataFrame(columns)


def central_risk_ratios(effects: Mapping[str, EffectDistribution | None]) -> dict[str, float]:
    """Each service's central risk ratio (1.0 without an effect)."""
    return {k: (1.0 if e is None else e.risk_ratio) for k, e in effects.items()}


def avoided_per_start(
    base_rate: npt.ArrayLike,
    rr: npt.ArrayLike,
    reoffences_per_reoffender: npt.ArrayLike,
    others: npt.ArrayLike = 1.0,
) -> FloatArray:
    """Proven reoffences avoided by one start: ``(p·o − min(1, p·o·RR)) × F`` where ``o`` is the
    others factor (the other services' combined risk ratio at their coverage)."""
    p = np.asarray(base_rate, np.float64) * np.asarray(others, np.float64)
    treated = np.minimum(1.0, p * np.asarray(rr, np.float64))
    return np.asarray((p - treated) * np.asarray(reoffences_per_reoffender, np.float64),
                      np.float64)


def value_per_start(
    base_rate: npt.ArrayLike,
    rr: npt.ArrayLike,
    reoffences_per_reoffender: npt.ArrayLike,
    value_per_reoffence: npt.ArrayLike,
    others: npt.ArrayLike = 1.0,
) -> FloatArray:
    """£ of crime avoided by one start (:func:`avoided_per_start` × £ per proven reoffence)."""
    return np.asarray(
        avoided_per_start(base_rate, rr, reoffences_per_reoffender, others)
        * np.asarray(value_per_reoffence, np.float64), np.float64)


def others_factor(
    coverage: pd.DataFrame, rr: Mapping[str, float], keys: Sequence[str] = SEGMENT_KEYS
) -> pd.DataFrame:
    """The others factor for every (service, segment) row of ``coverage`` (columns
    ``service_id``, ``keys``, ``coverage``): ``Π_{j≠k} (1 − u_j (1 − RR_j))`` over the segment.
    Returns ``coverage`` with a column ``others``."""
    out = coverage.copy()
    u = np.clip(out["coverage"].to_numpy(np.float64), 0.0, 1.0)
    r = out["service_id"].map(rr).fillna(1.0).to_numpy(np.float64)
    own = np.clip(1.0 - u * (1.0 - r), 1e-9, None)
    log_own = np.log(own)
    total = pd.Series(log_own).groupby([out[k].to_numpy() for k in keys]).transform("sum")
    out["others"] = np.exp(total.to_numpy(np.float64) - log_own)
    return out


# --- Valuation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrimeCosts:
    """£ per proven reoffence by reoffence category, in the round's prices.

    ``evidence.cost_of_crime`` gives each cost item's published figure and price year;
    ``evidence.reoffence_costs`` maps every reoffence category of the data to cost items with
    weights (one item, or a stated split); ``evidence.price_deflator`` brings each price year to
    the round's."""

    per_category: Mapping[str, float]
    price_year: str
    items: Mapping[str, float]

    @classmethod
    def from_policy(cls, policy: Policy) -> CrimeCosts:
        raw_items = policy.value("evidence.cost_of_crime")
        mapping = policy.value("evidence.reoffence_costs")
        deflator = policy.value("evidence.price_deflator")
        index = {str(k): float(v) for k, v in deflator["index"].items()}
        target = str(deflator["round_price_year"])
        if target not in index:
            raise OutcomeError(
                f"evidence.price_deflator: round_price_year {target} has no index value")
        items: dict[str, float] = {}
        for name, item in raw_items.items():
            year = str(item["price_year"])
            if year not in index:
                raise OutcomeError(
                    f"evidence.cost_of_crime › {name}: price year {year} is not in "
                    f"evidence.price_deflator (years: {', '.join(sorted(index))})")
            items[str(name)] = float(item["gbp"]) * index[target] / index[year]
        per_category: dict[str, float] = {}
        for category, weights in mapping.items():
            total = 0.0
            share = 0.0
            for item_name, weight in dict(weights).items():
                if item_name not in items:
                    raise OutcomeError(
                        f"evidence.reoffence_costs › {category}: cost item {item_name!r} is not "
                        f"in evidence.cost_of_crime (items: {', '.join(sorted(items))})")
                total += float(weight) * items[item_name]
                share += float(weight)
            if not math.isclose(share, 1.0, abs_tol=1e-9):
                raise OutcomeError(
                    f"evidence.reoffence_costs › {category}: weights sum to {share:g}, not 1")
            per_category[str(category)] = total
        return cls(per_category, target, items)

    def value(self, category: str) -> float:
        try:
            return self.per_category[category]
        except KeyError:
            raise OutcomeError(
                f"reoffences: offence category {category!r} has no cost: add it to "
                f"evidence.reoffence_costs (known: {', '.join(sorted(self.per_category))})"
            ) from None


def reoffending_tables(
    scored: ir.Table, cohort: ir.Table, reoffences: ir.Table, rules: FollowUp,
    keys: Sequence[str] = SEGMENT_KEYS,
) -> tuple[ir.Table, ir.Table]:
    """Two aggregates for :func:`segment_reoffending`, as expressions: per segment of ``keys``
    the cohort members with complete follow-up, reoffenders and proven reoffences; and proven
    reoffences per segment × offence category. The segment of a member is that of their scored
    assessment (members without one are left out)."""
    from commissioning.review.proven import complete_follow_up

    keys = list(keys)
    members = complete_follow_up(cohort.select("offender_id", "index_date"), rules)
    seg = scored.select("offender_id", *keys)
    members = members.join(seg, "offender_id")
    r = reoffences
    if rules.data_cutoff is not None:
        r = r.filter(r.disposal_date <= ibis.literal(rules.data_cutoff))
    j = members.join(r.select("offender_id", "offence_date", "disposal_date", "offence"),
                     "offender_id")
    offence_day = j.offence_date.delta(j.index_date, unit="day")
    disposal_day = j.disposal_date.delta(j.index_date, unit="day")
    proven = j.filter((offence_day >= 1) & (offence_day <= rules.follow_up_days)
                      & (disposal_day <= rules.window_days))
    per_person = proven.group_by(["offender_id", "index_date"]).aggregate(n=proven.count())
    people = members.left_join(per_person, ["offender_id", "index_date"])
    n = people.n.fill_null(0)
    people = people.mutate(n=n)
    freq = people.group_by(keys).aggregate(
        members=people.count(),
        reoffenders=(people.n > 0).cast("int64").sum(),
        reoffences=people.n.sum(),
    )
    counts = proven.group_by([*keys, "offence"]).aggregate(n=proven.count())
    return freq, counts


def segment_reoffending(
    freq: pd.DataFrame, counts: pd.DataFrame, costs: CrimeCosts,
    min_reoffences: int = 30, keys: Sequence[str] = SEGMENT_KEYS,
    segments: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Proven reoffences per reoffender and £ per proven reoffence per segment.

    ``freq``: columns ``keys``, ``reoffenders``, ``reoffences``; ``counts``: columns ``keys``,
    ``offence``, ``n`` (see :func:`reoffending_tables`). A segment with fewer than
    ``min_reoffences`` proven reoffences takes its offence group's figures, then the national
    ones, so a small cell's figures are not left to chance (``mix_basis`` says which).
    ``segments`` (columns ``keys``) lists segments that must have a row even where the cohort
    has no one of them with complete follow-up (a small workspace): they take the same
    fallbacks as a small segment."""
    keys = list(keys)
    if freq.empty or float(freq["reoffences"].sum()) <= 0:
        raise OutcomeError(
            "no proven reoffence among cohort members with complete follow-up: the reoffence "
            "mix and frequency cannot be measured (import cohort and reoffences tables)")
    counts = counts.copy()
    counts["value"] = counts["offence"].map(lambda c: costs.value(str(c))) * counts["n"]

    def level(by: list[str]) -> pd.DataFrame:
        f = freq.groupby(by, observed=True)[["reoffenders", "reoffences"]].sum()
        v = counts.groupby(by, observed=True)[["n", "value"]].sum()
        return f.join(v, how="left").fillna(0.0)

    fine = level(keys).reset_index()
    if segments is not None:
        wanted = segments[keys].drop_duplicates().astype(str)
        fine = fine.astype({k: str for k in keys}).merge(wanted, on=keys, how="outer")
        fine[["reoffenders", "reoffences", "n", "value"]] = fine[
            ["reoffenders", "reoffences", "n", "value"]].fillna(0.0)
    nat_freq = float(freq["reoffences"].sum()) / max(float(freq["reoffenders"].sum()), 1.0)
    nat_value = float(counts["value"].sum()) / max(float(counts["n"].sum()), 1.0)
    n = fine["n"].to_numpy(float)
    rate = fine["reoffences"].to_numpy(float) / np.maximum(fine["reoffenders"].to_numpy(float), 1)
    value = fine["value"].to_numpy(float) / np.maximum(n, 1.0)
    basis = np.full(len(fine), "segment", dtype=object)
    small = n < min_reoffences
    if small.any() and "offence_group" in keys:
        g = level(["offence_group"]).reindex(fine["offence_group"])
        g_n = g["n"].fillna(0).to_numpy(float)
        use = small & (g_n >= min_reoffences)
        g_rate = g["reoffences"].to_numpy(float) / np.maximum(g["reoffenders"].to_numpy(float), 1)
        g_value = g["value"].to_numpy(float) / np.maximum(g_n, 1.0)
        rate = np.where(use, g_rate, rate)
        value = np.where(use, g_value, value)
        basis = np.where(use, "offence group", basis)
        small = small & ~use
    rate = np.where(small, nat_freq, rate)
    value = np.where(small, nat_value, value)
    basis = np.where(small, "national", basis)
    return pd.DataFrame({
        **{k: fine[k].to_numpy() for k in keys},
        "proven_reoffences": n,
        "reoffences_per_reoffender": rate,
        "value_per_reoffence": value,
        "mix_basis": basis,
    })


def segment_reoffending_from_backend(
    con: BaseBackend, scored: ir.Table, cohort: ir.Table, reoffences: ir.Table,
    policy: Policy,
) -> pd.DataFrame:
    """:func:`segment_reoffending` of a workspace (aggregated in the database)."""
    from commissioning.engine import backend

    rules = FollowUp.from_policy(policy)
    freq_expr, counts_expr = reoffending_tables(scored, cohort, reoffences, rules)
    settings = policy.value("evidence.outcome_model")
    return segment_reoffending(
        backend.execute(con, freq_expr), backend.execute(con, counts_expr),
        CrimeCosts.from_policy(policy), int(settings["min_reoffences_for_mix"]),
    )


# --- Effects of the catalogue's services ------------------------------------------------------


def assumed_effect(
    service_id: str, category: str, policy: Policy
) -> EffectDistribution:
    """The labelled assumption for a service without a published figure
    (``evidence.assumed_effects``: central odds ratio and 95% range by evidence category)."""
    table = policy.value("evidence.assumed_effects")
    if category not in table:
        raise OutcomeError(
            f"evidence.assumed_effects has no entry for category {category!r} "
            f"(service {service_id}); add one with odds_ratio, low and high")
    row = table[category]
    central, low, high = float(row["odds_ratio"]), float(row["low"]), float(row["high"])
    if not 0 < low <= central <= high:
        raise OutcomeError(
            f"evidence.assumed_effects › {category}: need 0 < low ≤ odds_ratio ≤ high")
    reference = float(policy.value("evidence.outcome_model")["reference_rate"])
    return EffectDistribution(
        service_id, math.log(central), (math.log(high) - math.log(low)) / (2 * Z95), reference,
        "assumption",
        f"evidence.assumed_effects ({category}: OR {central:g}, 95% range {low:g}-{high:g})",
    )


def service_effects(
    interventions: Sequence[Intervention], policy: Policy,
    ratings: Sequence[Rating] | None = None,
) -> dict[str, EffectDistribution]:
    """Every catalogue entry's effect: its pooled published figure (× the quality-of-delivery
    factor) where it has one, else the labelled assumption for its category."""
    from commissioning.evidence.rating import rate_all

    rated = list(ratings) if ratings is not None else rate_all(tuple(interventions), policy)
    reference = float(policy.value("evidence.outcome_model")["reference_rate"])
    out: dict[str, EffectDistribution] = {}
    for item, rating in zip(interventions, rated, strict=True):
        pooled = rating.pooled
        if pooled is None:
            out[item.id] = assumed_effect(item.id, rating.category, policy)
            continue
        q = rating.quality_factor
        if item.effect_mapping == "analogue":
            kind = "analogue"
        else:
            kind = "published_se_assumed" if pooled.se_assumed else "published"
        note = f" of {item.effect_analogue}" if item.effect_analogue else ""
        out[item.id] = EffectDistribution(
            item.id, pooled.log_or * q, pooled.se * q,
            item.reference_rate if item.reference_rate is not None else reference, kind,
            f"{pooled.source}{note}; × quality of delivery {q:g}",
        )
    return out
