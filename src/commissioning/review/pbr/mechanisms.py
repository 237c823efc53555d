"""Payment mechanisms: from a scheme and one cohort's figures to a decision and an amount.

Each mechanism is a function ``(scheme, figures) -> list[PaymentDecision]`` registered in
:data:`MECHANISMS` (the extension point: a new mechanism is one function and one entry).
``figures`` is one row of the figures file (a mapping of column to value). Thresholds are
inclusive ("at least 10% fewer", "a 5-point reduction") and compared after rounding to nine
decimal places, so a published figure exactly on a threshold meets it.
REFERENCES.md, "Payment by results — published mechanisms".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scipy import stats  # type: ignore[import-untyped]

from commissioning.review.pbr.schemes import Scheme, SchemeError

Figures = Mapping[str, Any]


@dataclass(frozen=True)
class PaymentDecision:
    """One decision: what was measured, against what, the threshold, the outcome and money."""

    scheme: str
    cohort: str
    measure: str
    provider_value: float
    reference_value: float
    change: float
    threshold: float | None
    decision: str
    amount: float | None
    evidence: str


def _num(figures: Figures, key: str, scheme: Scheme, default: float | None = None) -> float:
    value = figures.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        if default is not None:
            return default
        raise SchemeError(
            f"scheme {scheme.id}: the figures for cohort {figures.get('cohort', '?')!r} have no "
            f"{key!r}; add a column {key} to the figures file"
        )
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SchemeError(
            f"scheme {scheme.id}: {key} = {value!r} for cohort {figures.get('cohort', '?')!r} "
            "is not a number"
        ) from None


def _optional(figures: Figures, key: str) -> float | None:
    value = figures.get(key)
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _meets(value: float, threshold: float) -> bool:
    return round(value, 9) >= round(threshold, 9)


def frequency_vs_comparison(scheme: Scheme, figures: Figures) -> list[PaymentDecision]:
    """Peterborough: reconviction events per 100 against a matched comparison group.

    reduction = (comparison − provider) / comparison; a cohort pays at ``cohort_threshold``;
    the row whose cohort is ``all`` (every cohort pooled) pays at ``all_cohort_threshold``.
    """
    cohort = str(figures.get("cohort", ""))
    provider = _num(figures, "events_per_100", scheme)
    comparison = _num(figures, "comparison_events_per_100", scheme)
    if comparison <= 0:
        raise SchemeError(f"scheme {scheme.id}: comparison_events_per_100 must be positive")
    reduction = (comparison - provider) / comparison
    pooled = cohort.lower() == "all"
    threshold = float(scheme.setting("all_cohort_threshold" if pooled else "cohort_threshold"))
    paid = _meets(reduction, threshold)
    size = _optional(figures, "cohort_size")
    price = scheme.setting("price_per_event_avoided")
    amount = None
    if paid and price is not None and size is not None:
        amount = (comparison - provider) / 100 * size * float(price)
    elif not paid:
        amount = 0.0
    label = "all cohorts" if pooled else f"cohort {cohort}"
    evidence = (
        f"{provider:g} vs {comparison:g} reconviction events per 100 = {100 * reduction:.1f}% "
        f"reduction; {label} threshold {100 * threshold:g}% → "
        + ("outcome payment due" if paid else "no outcome payment")
        + ("" if not paid or amount is not None else " (no price per event configured)")
    )
    return [PaymentDecision(scheme.id, cohort, "reconviction events per 100", provider,
                            comparison, reduction, threshold, "paid" if paid else "not paid",
                            amount, evidence)]


def binary_vs_baseline(scheme: Scheme, figures: Figures) -> list[PaymentDecision]:
    """Doncaster: the binary rate against the prison's baseline, an amount at risk and a bonus.

    A reduction of at least ``threshold_pp`` keeps the amount at risk and earns a bonus for
    each point beyond it up to ``bonus_cap_pp``; a smaller one repays the amount at risk
    (``amount_at_risk_fraction`` of ``contract_value``).
    """
    cohort = str(figures.get("cohort", ""))
    change = _optional(figures, "change_pp")
    if change is None:
        actual = _num(figures, "rate_pct", scheme)
        baseline = _num(figures, "baseline_rate_pct", scheme)
        change = actual - baseline
    else:
        baseline = _optional(figures, "baseline_rate_pct") or float("nan")
        actual = baseline + change
    reduction = -change
    threshold = float(scheme.setting("threshold_pp"))
    at_risk = float(scheme.setting("amount_at_risk_fraction"))
    contract = _optional(figures, "contract_value")
    met = _meets(reduction, threshold)
    bonus_pp = max(0.0, min(reduction, float(scheme.setting("bonus_cap_pp"))) - threshold)
    rate = scheme.setting("bonus_fraction_per_pp")
    if met:
        decision = "paid"
        amount = (
            bonus_pp * float(rate) * contract if rate is not None and contract is not None
            else (0.0 if bonus_pp == 0 and contract is not None else None)
        )
        outcome = (
            f"target met, {100 * at_risk:g}% at risk kept"
            + (f"; {bonus_pp:.1f} pp in the bonus band" if bonus_pp > 0 else "")
        )
    else:
        decision = "repaid"
        amount = -at_risk * contract if contract is not None else None
        outcome = f"target missed, provider repays {100 * at_risk:g}% of the contract value"
    evidence = (
        f"change {change:+.1f} pp against the baseline (reduction {reduction:.1f} pp); "
        f"threshold {threshold:g} pp → {outcome}"
    ).replace("+-", "−").replace("-", "−")
    return [PaymentDecision(scheme.id, cohort, "binary rate (pp)", actual, baseline, change,
                            threshold, decision, amount, evidence)]


_NS = "no payment (not significant)"


def _z_decision(change: float, se: float, alpha: float) -> tuple[str, float]:
    p = float(2 * stats.norm.sf(abs(change) / se)) if se > 0 else 0.0
    if p >= alpha:
        return _NS, p
    return ("paid" if change < 0 else "deducted"), p


def adjusted_binary_and_frequency(scheme: Scheme, figures: Figures) -> list[PaymentDecision]:
    """2015 CRC: OGRS-adjusted binary rate and reoffences per reoffender against a baseline.

    adjusted = actual − (predicted − baseline predicted) removes the change in case mix; each
    measure is paid (reduction) or deducted (increase) only when a two-sample z test is
    significant at ``significance_level``.
    """
    cohort = str(figures.get("cohort", ""))
    alpha = float(scheme.setting("significance_level"))
    n = _num(figures, "cohort_size", scheme)
    nb = _num(figures, "baseline_cohort_size", scheme)
    actual = _num(figures, "rate", scheme)
    base = _num(figures, "baseline_rate", scheme)
    predicted = _num(figures, "predicted_rate", scheme, actual)
    base_predicted = _num(figures, "baseline_predicted_rate", scheme, predicted)
    adjusted = actual - (predicted - base_predicted)
    change = adjusted - base
    se = math.sqrt(base * (1 - base) / nb + adjusted * (1 - adjusted) / n)
    decision, p = _z_decision(change, se, alpha)
    price = scheme.setting("price_per_pp_per_100")
    amount = -change * n * float(price) if price is not None and decision != _NS else 0.0
    out = [PaymentDecision(
        scheme.id, cohort, "OGRS-adjusted binary rate", adjusted, base, change, alpha, decision,
        amount, f"adjusted {100 * adjusted:.1f}% vs baseline {100 * base:.1f}% "
        f"({100 * change:+.1f} pp), p = {p:.3f}; significance level {alpha:g}",
    )]
    freq = _optional(figures, "frequency")
    if freq is not None:
        bfreq = _num(figures, "baseline_frequency", scheme)
        r = _num(figures, "reoffenders", scheme, n * actual)
        rb = _num(figures, "baseline_reoffenders", scheme, nb * base)
        sd = _num(figures, "frequency_sd", scheme, math.sqrt(freq))
        sdb = _num(figures, "baseline_frequency_sd", scheme, math.sqrt(bfreq))
        fchange = freq - bfreq
        fdecision, fp = _z_decision(fchange, math.sqrt(sd**2 / r + sdb**2 / rb), alpha)
        fprice = scheme.setting("price_per_reoffence_avoided")
        famount = -fchange * r * float(fprice) if fprice is not None and fdecision != _NS else 0.0
        out.append(PaymentDecision(
            scheme.id, cohort, "reoffences per reoffender", freq, bfreq, fchange, alpha,
            fdecision, famount, f"{freq:.2f} vs baseline {bfreq:.2f} reoffences per reoffender, "
            f"p = {fp:.3f}",
        ))
    return out


def rate_card(scheme: Scheme, figures: Figures) -> list[PaymentDecision]:
    """Outcome rate card: units × price per outcome, each capped, then the total cap, by payer.

    ``figures`` has one column per outcome id (units achieved in the period).
    """
    cohort = str(figures.get("cohort", figures.get("period", "")))
    card: Mapping[str, Mapping[str, Any]] = scheme.setting("outcomes")
    lines = []
    for outcome, terms in card.items():
        units = _num(figures, outcome, scheme, 0.0)
        cap = terms.get("cap_units")
        paid_units = min(units, float(cap)) if cap is not None else units
        lines.append((outcome, units, paid_units, paid_units * float(terms["price"])))
    total = sum(line[3] for line in lines)
    total_cap = scheme.setting("total_cap")
    scale = min(1.0, float(total_cap) / total) if total_cap is not None and total > 0 else 1.0
    out = [
        PaymentDecision(
            scheme.id, cohort, outcome, units, paid_units, 0.0, None,
            "paid" if amount > 0 else "not paid", amount * scale,
            f"{units:g} units, {paid_units:g} paid at {float(card[outcome]['price']):g}"
            + (f", scaled by {scale:.3f} to the total cap" if scale < 1 else ""),
        )
        for outcome, units, paid_units, amount in lines
    ]
    payers: Mapping[str, float] = scheme.setting("payers") or {}
    split = "; ".join(f"{p} {share * total * scale:,.0f}" for p, share in payers.items())
    out.append(PaymentDecision(
        scheme.id, cohort, "total", total, total * scale, 0.0, total_cap,
        "paid" if total > 0 else "not paid", total * scale,
        f"total {total:,.0f} before the cap, {total * scale:,.0f} after" +
        (f"; by payer: {split}" if split else ""),
    ))
    return out


MECHANISMS: dict[str, Callable[[Scheme, Figures], list[PaymentDecision]]] = {
    "frequency_vs_comparison": frequency_vs_comparison,
    "binary_vs_baseline": binary_vs_baseline,
    "adjusted_binary_and_frequency": adjusted_binary_and_frequency,
    "rate_card": rate_card,
}


def calculate(scheme: Scheme, rows: Sequence[Figures]) -> list[PaymentDecision]:
    """Every cohort's decisions under one scheme."""
    mechanism = MECHANISMS[scheme.mechanism]
    return [d for row in rows for d in mechanism(scheme, row)]
