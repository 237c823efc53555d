"""Weighted evaluation of proposals: quality points, price points by formula, total and rank.

Each quality criterion ``c`` (weight ``w_c`` %) is scored 0-4; its points are
``w_c × s_c / 4`` where ``s_c`` is the moderated (agreed) score. Price is scored by the
relative-to-lowest-price formula, the method most used in public procurement for the most
economically advantageous tender: the lowest price among the proposals evaluated scores the
full price weight and every other proposal scores in proportion,

    price points = lowest price ÷ proposal price × price weight

(Stilger, Siderius & van Raaij (2017), "A comparative study of formulas for choosing the
economically most advantageous tender", Journal of Public Procurement 17(1), 88-124). The total
is quality points + price points, out of 100 when the weights sum to 100.

Bids are compared only with bids in the same lot (service group × region × setting): the lowest
price, the price points and the rank are worked out lot by lot, so a national probation trust's
offer never sets the price points of a local charity's small service, nor outranks it.
Pure functions over plain values, so the maths is tested without a database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

#: The top of the quality scale (0 unacceptable … 4 excellent).
MAX_QUALITY_SCORE = 4
WEIGHTS_TOTAL = Decimal(100)
QUALITY = "quality"
PRICE = "price"
_CENTS = Decimal("0.01")


@dataclass(frozen=True)
class WeightedCriterion:
    """A criterion as the evaluation sees it: its id, kind (quality or price) and weight in %."""

    id: int
    name: str
    kind: str
    weight: Decimal


@dataclass(frozen=True)
class Bid:
    """One proposal under evaluation: its annual price and its moderated quality scores by
    criterion id (None where a criterion has not been moderated yet)."""

    proposal_id: int
    price: Decimal
    quality: Mapping[int, int | None]
    lot: int | None = None


@dataclass(frozen=True)
class Result:
    """A proposal's points; ``total`` and ``rank`` are None until every quality criterion has
    a moderated score."""

    proposal_id: int
    quality_points: Decimal | None
    price_points: Decimal
    total: Decimal | None
    rank: int | None
    awaiting: tuple[str, ...]
    lot: int | None = None


def weight_problems(criteria: Sequence[WeightedCriterion]) -> list[str]:
    """Why a round's criteria cannot be used (empty when they can): weights must sum to 100,
    with at most one price criterion."""
    problems: list[str] = []
    total = sum((c.weight for c in criteria), Decimal(0))
    if total != WEIGHTS_TOTAL:
        problems.append(f"The weights add up to {total.normalize():f}%; they must add up to 100%.")
    if sum(1 for c in criteria if c.kind == PRICE) > 1:
        problems.append("Give price one criterion only: it is scored by a single formula.")
    return problems


def quality_points(score: int, weight: Decimal) -> Decimal:
    """``weight × score / 4``: a score of 4 earns the full weight, 0 earns nothing."""
    if not 0 <= score <= MAX_QUALITY_SCORE:
        raise ValueError(f"a quality score runs 0 to {MAX_QUALITY_SCORE}, not {score}")
    return weight * Decimal(score) / Decimal(MAX_QUALITY_SCORE)


def price_points(price: Decimal, lowest: Decimal, weight: Decimal) -> Decimal:
    """``lowest ÷ price × weight``; a proposal at the lowest price earns the full weight."""
    if price < 0 or lowest < 0:
        raise ValueError("prices cannot be negative")
    if lowest > price:
        raise ValueError(f"the lowest price {lowest} is above this price {price}")
    if price == lowest:
        return weight
    return lowest / price * weight


def _round(value: Decimal) -> Decimal:
    return value.quantize(_CENTS, rounding=ROUND_HALF_UP)


def evaluate(criteria: Sequence[WeightedCriterion], bids: Sequence[Bid]) -> list[Result]:
    """Points, total and rank for every bid, lot by lot (bids without a lot form one group):
    within a lot, highest total first (ties share a rank; bids awaiting moderation come last,
    unranked). Points are rounded to pence-style hundredths."""
    lots: dict[int | None, list[Bid]] = {}
    for bid in bids:
        lots.setdefault(bid.lot, []).append(bid)
    results: list[Result] = []
    for lot in sorted(lots, key=lambda k: (k is not None, k or 0)):
        results.extend(_evaluate_lot(criteria, lots[lot], lot))
    return results


def _evaluate_lot(
    criteria: Sequence[WeightedCriterion], bids: Sequence[Bid], lot: int | None
) -> list[Result]:
    price_weight = sum((c.weight for c in criteria if c.kind == PRICE), Decimal(0))
    quality = [c for c in criteria if c.kind == QUALITY]
    lowest = min((b.price for b in bids), default=Decimal(0))
    unranked: list[Result] = []
    for bid in bids:
        awaiting = tuple(c.name for c in quality if bid.quality.get(c.id) is None)
        q_points = (
            None
            if awaiting
            else _round(
                sum(
                    (quality_points(bid.quality[c.id] or 0, c.weight) for c in quality),
                    Decimal(0),
                )
            )
        )
        p_points = _round(price_points(bid.price, lowest, price_weight))
        total = None if q_points is None else q_points + p_points
        unranked.append(Result(bid.proposal_id, q_points, p_points, total, None, awaiting, lot))
    complete = sorted(
        (r for r in unranked if r.total is not None),
        key=lambda r: (-(r.total or Decimal(0)), r.proposal_id),
    )
    ranked: list[Result] = []
    for position, result in enumerate(complete, start=1):
        previous = ranked[-1] if ranked else None
        rank = (
            previous.rank if previous is not None and previous.total == result.total else position
        )
        ranked.append(
            Result(
                result.proposal_id,
                result.quality_points,
                result.price_points,
                result.total,
                rank,
                (),
                lot,
            )
        )
    return ranked + [r for r in unranked if r.total is None]
