"""Impact evaluation in the style of the Justice Data Lab.

A provider names the people who received its service; they are found in the cohort, a
comparison group is matched to them by propensity score (:mod:`commissioning.review.matching`)
on demographics, criminal history, OGRS3 and assessed needs, balance is checked by standardised
differences, and the one-year proven reoffending of the two groups is compared: the binary
rate, the frequency and (with at least 30 reoffenders in each group) days to first reoffence,
each as a difference with its 95% interval and p-value, followed by a plain-English conclusion
and an E-value for sensitivity to unmeasured confounding (VanderWeele & Ding 2017, *Sensitivity
analysis in observational research: introducing the E-value*, Annals of Internal Medicine 167).
REFERENCES.md, "Impact evaluation — the Justice Data Lab method".
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats  # type: ignore[import-untyped]

from commissioning.policy.parameters import Policy
from commissioning.review.matching import Matches, Model, match, propensity_logit
from commissioning.schema.contract import NEED_COLUMNS, OFFENCE_GROUPS


class TooFewPeople(ValueError):
    """Fewer people than the Justice Data Lab's minimum: no result is produced."""


@dataclass(frozen=True)
class EvaluationOptions:
    """How to match and report: the fields without a default are ``review.evaluation``'s;
    the model, seed and fitting pool are the caller's choice."""

    caliper_sd: float | None
    neighbours: int
    replacement: bool
    minimum_treated: int
    minimum_reoffenders_for_time: int
    balance_threshold: float
    model: Model = "logistic"
    seed: int = 2012
    max_fit_pool: int | None = 50_000

    @classmethod
    def from_policy(cls, policy: Policy, **overrides: Any) -> EvaluationOptions:
        options = policy.load(cls, "review.evaluation")
        return replace(options, **{k: v for k, v in overrides.items() if v is not None})


@dataclass(frozen=True)
class OutcomeComparison:
    """Treatment against matched comparison on one measure."""

    treated: float
    comparison: float
    difference: float
    ci_lower: float
    ci_upper: float
    p_value: float

    @property
    def significant(self) -> bool:
        return self.p_value < 0.05


@dataclass(frozen=True)
class BalanceRow:
    """Standardised difference of one matching variable before and after matching."""

    variable: str
    smd_before: float
    smd_after: float


@dataclass(frozen=True)
class EValue:
    """Risk ratio of reoffending and the E-values of the estimate and of its interval."""

    risk_ratio: float
    e_value: float
    e_value_ci: float


@dataclass(frozen=True)
class Evaluation:
    """The result of one evaluation, as ``commission evaluate`` writes it."""

    service: str
    treated_n: int
    matched_n: int
    comparison_n: int
    not_in_cohort: int
    off_support: int
    outside_caliper: int
    binary: OutcomeComparison
    frequency: OutcomeComparison
    time_to_first: OutcomeComparison | None
    balance: list[BalanceRow]
    sensitivity: EValue
    conclusion: str
    method: str
    unbalanced: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = _finite(asdict(self))
        return data


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


# --- matching variables ----------------------------------------------------------------------


def matching_variables(cohort: pd.DataFrame) -> pd.DataFrame:
    """Numeric matching variables from the cohort columns present (absent ones are skipped).

    Demographics (age at index, female), criminal history (log previous sanctions, years since
    the first sanction, custody release), OGRS3 two-year, offence group and the ten needs.
    """
    c = cohort
    x: dict[str, Any] = {}
    index = pd.to_datetime(c["index_date"])
    if "date_of_birth" in c:
        x["age_at_index"] = (index - pd.to_datetime(c["date_of_birth"])).dt.days / 365.25
    if "sex" in c:
        x["female"] = (c["sex"] == "female").astype(float)
    if "previous_sanctions" in c:
        x["log_previous_sanctions"] = np.log1p(c["previous_sanctions"].astype(float))
    if "first_sanction_date" in c:
        years = (index - pd.to_datetime(c["first_sanction_date"])).dt.days / 365.25
        x["years_since_first_sanction"] = years
    if "index_type" in c:
        x["custody_release"] = (c["index_type"] == "release").astype(float)
    if "ogrs3_2y" in c:
        x["ogrs3_2y"] = c["ogrs3_2y"].astype(float)
    if "offence_group" in c:
        for g in OFFENCE_GROUPS[1:]:
            x[f"offence_group_{g}"] = (c["offence_group"] == g).astype(float)
    for need in NEED_COLUMNS:
        if need in c:
            x[need] = c[need].astype("float64").fillna(0.0)
    frame = pd.DataFrame(x, index=c.index).astype(float)
    frame = frame.fillna(frame.median(numeric_only=True)).fillna(0.0)
    return frame.loc[:, frame.std() > 0]


def standardised_differences(
    x: pd.DataFrame, treated: npt.NDArray[np.bool_], matches: Matches, pool_rows: np.ndarray
) -> list[BalanceRow]:
    """SMD = (mean treated − mean comparison) / pooled SD before matching, for both columns.

    Using the before-matching SD in both keeps the denominator fixed, so a change is a change
    in the means (Austin 2009, Statistics in Medicine 28).
    """
    values = x.to_numpy(dtype=float)
    t_all, c_all = values[treated], values[~treated]
    sd = np.sqrt((t_all.var(axis=0) + c_all.var(axis=0)) / 2)
    sd[sd == 0] = 1.0
    before = (t_all.mean(axis=0) - c_all.mean(axis=0)) / sd
    t_rows = np.flatnonzero(treated)[np.unique(matches.treated)]
    t_matched = values[t_rows].mean(axis=0)
    c_values = values[pool_rows[matches.comparison]]
    c_matched = (c_values * matches.weight[:, None]).sum(axis=0) / matches.weight.sum()
    after = (t_matched - c_matched) / sd
    return [
        BalanceRow(str(name), float(b), float(a))
        for name, b, a in zip(x.columns, before, after, strict=True)
    ]


# --- outcome comparisons ---------------------------------------------------------------------


def _weighted_mean_variance(
    y: np.ndarray, w: np.ndarray, person: ArrayLike | None, mean: float
) -> float:
    """Σ_j W_j² (y_j − mean)² / (Σ W)², with W_j the total weight of comparison person j."""
    if person is not None:
        ids, inverse = np.unique(np.asarray(person), return_inverse=True)
        weight = np.bincount(inverse, weights=w, minlength=ids.size)
        value = np.bincount(inverse, weights=w * y, minlength=ids.size) / weight
        y, w = value, weight
    return float((w * w * (y - mean) ** 2).sum() / w.sum() ** 2)


def compare(
    y_treated: ArrayLike, y_comparison: ArrayLike, w_comparison: ArrayLike,
    level: float = 0.95, person: ArrayLike | None = None,
) -> OutcomeComparison:
    """Difference of means, treated minus weighted comparison, with a normal interval.

    The comparison variance counts reuse of a person under replacement:
    Var = Σ_j W_j² (y_j − ȳ)² / (Σ W)², with W_j the summed weight of person j (``person``
    gives each comparison row's person; without it every row is a different person).
    """
    yt = np.asarray(y_treated, dtype=float)
    yc = np.asarray(y_comparison, dtype=float)
    w = np.asarray(w_comparison, dtype=float)
    mt = float(yt.mean())
    mc = float(np.average(yc, weights=w))
    var_t = float(yt.var(ddof=1)) / yt.size if yt.size > 1 else 0.0
    var_c = _weighted_mean_variance(yc, w, person, mc)
    se = math.sqrt(var_t + var_c)
    z = float(stats.norm.ppf(0.5 + level / 2))
    diff = mt - mc
    p = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else (1.0 if diff == 0 else 0.0)
    return OutcomeComparison(mt, mc, diff, diff - z * se, diff + z * se, p)


def e_value(binary: OutcomeComparison, var_t: float, var_c: float) -> EValue:
    """E-value of the risk ratio and of its interval limit nearest 1 (VanderWeele & Ding)."""
    pt, pc = max(binary.treated, 1e-9), max(binary.comparison, 1e-9)
    rr = pt / pc
    se_log = math.sqrt(var_t / pt**2 + var_c / pc**2)
    lo, hi = rr * math.exp(-1.96 * se_log), rr * math.exp(1.96 * se_log)

    def ev(r: float) -> float:
        r = 1 / r if r < 1 else r
        return r + math.sqrt(r * (r - 1))

    nearest = 1.0 if lo <= 1 <= hi else (hi if rr < 1 else lo)
    return EValue(rr, ev(rr), ev(nearest))


def _signed(v: float) -> str:
    r = round(v)
    return "0" if r == 0 else (f"+{r}" if r > 0 else f"−{-r}")


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _pp(v: float) -> str:
    return f"{abs(100 * v):.0f}"


def conclusion(service: str, binary: OutcomeComparison, frequency: OutcomeComparison,
               matched_n: int) -> str:
    """A plain-English conclusion in the Justice Data Lab's words."""
    lo, hi = 100 * binary.ci_lower, 100 * binary.ci_upper
    rates = (
        f"{100 * binary.treated:.0f}% of the {matched_n:,} people who received {service} "
        f"committed a proven reoffence within a year, against {100 * binary.comparison:.0f}% of "
        "a matched comparison group of similar people who did not."
    )
    if binary.significant and binary.difference < 0:
        text = (
            f"The overall results show that people who received {service} were less likely to "
            f"reoffend than similar people who did not. {rates} For every 100 people who "
            f"received the service, between {_pp(binary.ci_upper)} and {_pp(binary.ci_lower)} "
            f"fewer committed a proven reoffence. This is a statistically significant result "
            f"({_p(binary.p_value)})."
        )
    elif binary.significant:
        text = (
            f"The overall results show that people who received {service} were more likely to "
            f"reoffend than similar people who did not. {rates} For every 100 people who "
            f"received the service, between {_pp(binary.ci_lower)} and {_pp(binary.ci_upper)} "
            f"more committed a proven reoffence. This is a statistically significant result "
            f"({_p(binary.p_value)})."
        )
    else:
        text = (
            f"The analysis does not show whether {service} has an effect on the proportion of "
            f"people who reoffend. {rates} The difference could lie anywhere from "
            f"{_signed(lo)} to {_signed(hi)} percentage points, so it may be due to chance; this "
            f"is not a statistically significant result (p = {binary.p_value:.2f}). More "
            "people, or a later cohort, may give a clearer answer."
        )
    direction = "fewer" if frequency.difference < 0 else "more"
    sig = "statistically significant" if frequency.significant else "not statistically significant"
    text += (
        f" On frequency, people who received the service committed {frequency.treated:.2f} "
        f"proven reoffences each against {frequency.comparison:.2f} ({direction}; {sig}, "
        f"{_p(frequency.p_value)})."
    )
    return text


# --- the evaluation --------------------------------------------------------------------------


def evaluate(
    outcomes: pd.DataFrame,
    treated_ids: Collection[str],
    service: str,
    options: EvaluationOptions,
) -> Evaluation:
    """Evaluate a service: ``outcomes`` has one row per cohort member (``person_outcomes``).

    Raises :class:`TooFewPeople` when fewer than ``minimum_treated`` treated people are found
    in the cohort, or are left after matching.
    """
    opt = options
    ids = set(map(str, treated_ids))
    frame = outcomes.drop_duplicates("offender_id").reset_index(drop=True)
    treated = frame["offender_id"].astype(str).isin(ids).to_numpy()
    found = int(treated.sum())
    if found < opt.minimum_treated:
        raise TooFewPeople(
            f"{found} of the {len(ids):,} people given for {service} are in the cohort; the "
            f"Justice Data Lab method needs at least {opt.minimum_treated}. Add people (a "
            "longer period or more sites) before asking for an evaluation."
        )
    x = matching_variables(frame)
    logit = propensity_logit(x, treated, opt.model, opt.seed, opt.max_fit_pool)
    pool_rows = np.flatnonzero(~treated)
    treated_rows = np.flatnonzero(treated)
    matches = match(
        logit[treated_rows], logit[pool_rows], opt.neighbours, opt.caliper_sd,
        opt.replacement, opt.seed,
    )
    matched_t = np.unique(matches.treated)
    if matched_t.size < opt.minimum_treated:
        raise TooFewPeople(
            f"only {matched_t.size} of {found} treated people for {service} found a match "
            f"within the caliper; at least {opt.minimum_treated} are needed. Widen the caliper "
            "or add people."
        )
    t_frame = frame.iloc[treated_rows[matched_t]]
    c_frame = frame.iloc[pool_rows[matches.comparison]]
    w = matches.weight
    who = matches.comparison
    binary = compare(t_frame["reoffended"].astype(float), c_frame["reoffended"].astype(float), w,
                     person=who)
    frequency = compare(t_frame["reoffences"], c_frame["reoffences"], w, person=who)
    time_to_first = None
    t_re = t_frame["reoffended"].to_numpy(dtype=bool)
    c_re = c_frame["reoffended"].to_numpy(dtype=bool)
    if min(t_re.sum(), c_re.sum()) >= opt.minimum_reoffenders_for_time:
        time_to_first = compare(
            t_frame["days_to_first"].to_numpy(dtype=float)[t_re],
            c_frame["days_to_first"].to_numpy(dtype=float)[c_re], w[c_re], person=who[c_re],
        )
    yt = t_frame["reoffended"].to_numpy(dtype=float)
    yc = c_frame["reoffended"].to_numpy(dtype=float)
    var_t = float(yt.var(ddof=1)) / yt.size
    var_c = _weighted_mean_variance(yc, w, who, binary.comparison)
    balance = standardised_differences(x, treated, matches, pool_rows)
    unbalanced = [b.variable for b in balance if abs(b.smd_after) >= opt.balance_threshold]
    method = (
        f"Propensity score from {opt.model.replace('_', ' ')} on {x.shape[1]} matching "
        f"variables; {opt.neighbours}:1 nearest-neighbour matching on its logit "
        f"{'with' if opt.replacement else 'without'} replacement"
        + (f", caliper {opt.caliper_sd:g} SD ({matches.caliper:.3f})"
           if matches.caliper is not None else ", no caliper")
        + "; common support by the pool's range; two-sample z tests; E-value for sensitivity."
    )
    return Evaluation(
        service=service,
        treated_n=found,
        matched_n=int(matched_t.size),
        comparison_n=int(np.unique(matches.comparison).size),
        not_in_cohort=len(ids) - found,
        off_support=matches.off_support,
        outside_caliper=matches.outside_caliper,
        binary=binary,
        frequency=frequency,
        time_to_first=time_to_first,
        balance=balance,
        sensitivity=e_value(binary, var_t, var_c),
        conclusion=conclusion(service, binary, frequency, int(matched_t.size)),
        method=method,
        unbalanced=unbalanced,
    )
