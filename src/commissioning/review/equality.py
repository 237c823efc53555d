"""Equality impact of the plan (Annex A of the document): who gains and who loses services.

For each protected characteristic of the data contract (Equality Act 2010, s.4: age,
disability, gender reassignment, pregnancy and maternity, race, religion or belief, sex, sexual
orientation; marriage and civil partnership is not in the contract and is not assessed) the
plan's portfolio is set against the assessed population and the 2011-12 baseline:

* the plan's places are per segment cell (setting, offence group, risk tier, risk of harm,
  region, sex, OGRS flag: ``plan.baseline.SEGMENT_COLUMNS``). A cell's places are shared among
  its people, so a group's places are ``sum over cells of places × (group's people in the cell
  / people in the cell)`` — services follow the segment, which is how the plan allocates them;
* for every group: its share of the population, of the baseline's places, of the plan's places,
  of the places withdrawn (per service and cell, baseline minus plan where it falls) and of the
  places added; places per 100 people before and after;
* the disproportionality ratio: the group's share of withdrawn places over its share of the
  baseline's places (and over its share of the population), with a 95% interval from a
  parametric bootstrap of the assessment sample (each cell's group counts redrawn from a
  multinomial with the observed shares);
* an adverse impact is flagged when the ratio over the baseline reaches the dated threshold
  ``review.equality_adverse_ratio`` and its interval lies wholly above 1. ``Not known`` groups
  are shown but never assessed.

Groups of fewer people than ``disclosure.small_cell_threshold`` are suppressed (``*``) through
:mod:`commissioning.publish.disclosure`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from commissioning.policy.parameters import Policy

THRESHOLD_PARAMETER = "review.equality_adverse_ratio"
#: The protected characteristics in the data contract, in the Act's order (s.4).
CHARACTERISTICS: tuple[str, ...] = (
    "age_band", "disability", "gender_reassignment", "pregnancy_maternity", "ethnicity",
    "religion", "sex", "sexual_orientation",
)
#: Marriage and civil partnership (s.4) is not collected in OASys or in the data contract.
NOT_IN_CONTRACT: tuple[str, ...] = ("marriage and civil partnership",)
FLAG_LABELS: Mapping[str, tuple[str, str]] = {
    "disability": ("Disabled", "Not disabled"),
    "gender_reassignment": ("Gender reassigned", "Not gender reassigned"),
    "pregnancy_maternity": ("Pregnant or on maternity", "Not pregnant or on maternity"),
}
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("18_24", 0, 24), ("25_34", 25, 34), ("35_49", 35, 49), ("50_plus", 50, 200),
)
UNKNOWN = "unknown"
DEFAULT_DRAWS = 100


class EqualityError(ValueError):
    """The workspace lacks what the equality screen needs: says what to run first."""


@dataclass(frozen=True)
class EqualityResult:
    """The table per characteristic and group, the screening sentences and the threshold."""

    table: pd.DataFrame
    screening: dict[str, str]
    threshold: float
    small_cell: int
    draws: int
    when: dt.date

    @property
    def adverse(self) -> pd.DataFrame:
        return self.table[self.table["adverse"]]

    def write(self, out: Path) -> list[Path]:
        """``equality_impact.csv`` (small groups suppressed) and ``screening.csv``."""
        from commissioning.io.exports import CSV_ENCODING, write_tables
        from commissioning.publish.disclosure import to_published_csv

        out.mkdir(parents=True, exist_ok=True)
        path = out / "equality_impact.csv"
        path.write_text(to_published_csv(self.table, list(self.table.columns)),
                        encoding=CSV_ENCODING)
        screen = pd.DataFrame([{"characteristic": k, "screening": v}
                               for k, v in self.screening.items()])
        return [path, *write_tables({"screening.csv": screen}, out)]


def group_codes(people: pd.DataFrame, characteristic: str) -> pd.Series:
    """Each person's group for a characteristic (``unknown`` where it is not recorded)."""
    if characteristic == "age_band":
        age = pd.to_numeric(people["age_at_assessment"], errors="coerce")
        out = pd.Series(UNKNOWN, index=people.index, dtype=object)
        for code, lo, hi in AGE_BANDS:
            out[(age >= lo) & (age <= hi)] = code
        return out
    col = people[characteristic]
    if characteristic in FLAG_LABELS:
        yes, no = FLAG_LABELS[characteristic]
        flag = col.astype("boolean")
        return pd.Series(np.where(flag.isna(), UNKNOWN, np.where(flag.fillna(False), yes, no)),
                         index=people.index, dtype=object)
    return col.astype(object).where(col.notna(), UNKNOWN).astype(str)


def _cell_totals(portfolio: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Baseline, planned, withdrawn and added places per segment cell (rehabilitation only)."""
    rehab = portfolio[portfolio["evidence_category"] != "not_applicable"].copy()
    diff = rehab["planned_volume"] - rehab["baseline_volume"]
    rehab["lost"] = (-diff).clip(lower=0)
    rehab["added"] = diff.clip(lower=0)
    return rehab.groupby(keys, as_index=False, observed=True)[
        ["baseline_volume", "planned_volume", "lost", "added"]].sum()


def _allocate(counts: np.ndarray, places: np.ndarray) -> np.ndarray:
    """Places per group: each cell's places shared by its people (counts: cells × groups)."""
    totals = counts.sum(axis=-1, keepdims=True)
    share = np.divide(counts, totals, out=np.zeros(counts.shape, dtype=float), where=totals > 0)
    out: np.ndarray = np.einsum("...cg,cm->...gm", share, places)
    return out


def _ratios(counts: np.ndarray, places: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Loss share / baseline share and loss share / population share, per group."""
    alloc = _allocate(counts, places)  # (..., groups, 4): baseline, planned, lost, added
    people = counts.sum(axis=-2)
    with np.errstate(divide="ignore", invalid="ignore"):
        pop_share = people / people.sum(axis=-1, keepdims=True)
        base_share = alloc[..., 0] / alloc[..., 0].sum(axis=-1, keepdims=True)
        loss_share = alloc[..., 2] / alloc[..., 2].sum(axis=-1, keepdims=True)
        return loss_share / base_share, loss_share / pop_share


def assess_characteristic(
    cells: pd.DataFrame, keys: list[str], groups: list[str], draws: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """The comparison for one characteristic. ``cells``: one row per segment cell with its
    people per group (columns ``groups``) and places (``baseline_volume`` ...)."""
    counts = cells[groups].to_numpy(dtype=np.int64)
    places = cells[["baseline_volume", "planned_volume", "lost", "added"]].to_numpy(float)
    alloc = _allocate(counts.astype(float), places)
    people = counts.sum(axis=0)
    vs_base, vs_pop = _ratios(counts.astype(float), places)
    n = counts.sum(axis=1)
    probs = np.divide(counts, n[:, None], out=np.zeros(counts.shape), where=n[:, None] > 0)
    lo_b, hi_b, lo_p, hi_p = vs_base, vs_base, vs_pop, vs_pop
    if draws:
        redrawn = rng.multinomial(n, probs, size=(draws, len(n))).astype(float)
        bb, bp = _ratios(redrawn, places)
        with np.errstate(all="ignore"):
            lo_b, hi_b = np.nanpercentile(bb, [2.5, 97.5], axis=0)
            lo_p, hi_p = np.nanpercentile(bp, [2.5, 97.5], axis=0)
    tot = alloc.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame = pd.DataFrame({
            "group": groups,
            "people": people,
            "population_share_pct": 100 * people / people.sum(),
            "baseline_share_pct": 100 * alloc[:, 0] / tot[0],
            "planned_share_pct": 100 * alloc[:, 1] / tot[1],
            "loss_share_pct": 100 * alloc[:, 2] / tot[2],
            "gain_share_pct": 100 * alloc[:, 3] / tot[3],
            "baseline_per_100": 100 * alloc[:, 0] / people,
            "planned_per_100": 100 * alloc[:, 1] / people,
            "ratio_vs_baseline": vs_base,
            "ratio_vs_baseline_low": lo_b,
            "ratio_vs_baseline_high": hi_b,
            "ratio_vs_population": vs_pop,
            "ratio_vs_population_low": lo_p,
            "ratio_vs_population_high": hi_p,
        })
    return frame


def _screening(name: str, rows: pd.DataFrame, threshold: float) -> str:
    from commissioning.publish.vocabulary import label

    what = label(name, "characteristic")
    adverse = rows[rows["adverse"]]
    assessed = rows[(rows["group"] != UNKNOWN) & ~rows["suppressed"]]
    if not len(assessed):
        return f"{what}: not assessed — no group is large enough to publish."
    if len(adverse):
        parts = [f"{label(g, 'value')} (ratio {r:.2f}, 95% interval {lo:.2f} to {hi:.2f})"
                 for g, r, lo, hi in adverse[["group", "ratio_vs_baseline",
                                               "ratio_vs_baseline_low",
                                               "ratio_vs_baseline_high"]].itertuples(index=False)]
        return (f"{what}: possible adverse impact on {'; '.join(parts)} — the share of services "
                f"withdrawn is at least {threshold:g} times the share held in 2011-12. A full "
                "equality impact assessment is needed before the plan is final.")
    worst = assessed.sort_values("ratio_vs_baseline", ascending=False).iloc[0]
    return (f"{what}: no adverse impact found at the threshold of {threshold:g}; the largest "
            f"ratio is {worst['ratio_vs_baseline']:.2f} ({label(worst['group'], 'value')}).")


def equality_impact(
    people: pd.DataFrame,
    portfolio: pd.DataFrame,
    policy: Policy,
    draws: int = DEFAULT_DRAWS,
    seed: int = 2012,
) -> EqualityResult:
    """The screen for every characteristic present in ``people`` (one row per assessment with
    the segment columns of the plan's cells and the characteristics)."""
    from commissioning.plan.baseline import SEGMENT_COLUMNS

    keys = [k for k in SEGMENT_COLUMNS if k in portfolio.columns and k in people.columns]
    if not keys:
        raise EqualityError("the portfolio and the assessments share no segment column")
    threshold = float(policy.value(THRESHOLD_PARAMETER))
    small = int(policy.value("disclosure.small_cell_threshold"))
    places = _cell_totals(portfolio, keys)
    rng = np.random.default_rng(seed)
    frames, screening = [], {}
    for name in CHARACTERISTICS:
        source = "age_at_assessment" if name == "age_band" else name
        if source not in people.columns:
            continue
        grouped = people[keys].assign(_g=group_codes(people, name).to_numpy())
        wide = grouped.groupby([*keys, "_g"], observed=True).size().unstack("_g", fill_value=0)
        groups = sorted(wide.columns, key=lambda g: (g == UNKNOWN, str(g)))
        cells = wide.reset_index().merge(places, on=keys, how="inner")
        rows = assess_characteristic(cells, keys, groups, draws, rng)
        rows.insert(0, "characteristic", name)
        rows["suppressed"] = (rows["people"] > 0) & (rows["people"] < small)
        rows["adverse"] = (
            (rows["group"] != UNKNOWN) & ~rows["suppressed"]
            & (rows["ratio_vs_baseline"] >= threshold) & (rows["ratio_vs_baseline_low"] > 1.0)
        )
        screening[name] = _screening(name, rows, threshold)
        frames.append(rows)
    if not frames:
        raise EqualityError("the assessments have none of the protected characteristics of the "
                            "data contract (sex, date of birth, ethnicity, religion, ...)")
    table = pd.concat(frames, ignore_index=True)
    table = suppress(table, small)
    return EqualityResult(table, screening, threshold, small, draws, policy.when)


def suppress(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Small groups' figures withheld with the project's disclosure control: primary (1 to
    threshold - 1 people) and secondary along each characteristic (its groups add up to the
    population, so a lone withheld group would be recoverable by subtraction)."""
    from commissioning.publish.disclosure import _secondary, is_small

    out = table.copy()
    withheld = _secondary(out, is_small(out["people"], threshold), "people", [["characteristic"]])
    out["suppressed"] = withheld.to_numpy()
    figures = [c for c in out.columns if c not in ("characteristic", "group", "suppressed",
                                                   "adverse")]
    for col in figures:
        out[col] = out[col].astype("float64").where(~withheld)
    out.loc[withheld, "adverse"] = False
    return out


def people_for_equality(con: object, policy: Policy
                        ) -> pd.DataFrame:
    """The scored assessments with the plan's segment columns and the characteristics."""
    from commissioning.engine import backend
    from commissioning.plan.baseline import SEGMENT_COLUMNS, with_segment
    from commissioning.round import SCORED_TABLE

    scored = con.table(SCORED_TABLE)  # type: ignore[attr-defined]
    threshold = int(policy.value("risk.medium_high_threshold"))
    seg = with_segment(scored, threshold)
    cols = list(dict.fromkeys([
        *SEGMENT_COLUMNS, "age_at_assessment", "sentence_length_days",
        *[c for c in CHARACTERISTICS if c in seg.columns and c != "age_band"]]))
    frame: pd.DataFrame = backend.to_arrow(con, seg.select(*cols)).to_pandas()
    return frame
