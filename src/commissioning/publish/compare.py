"""Recomputed profiles beside the published Tables 1-2, with differences in percentage points.

The document merges two tiers for sex offenders (``high+very_high`` in the community,
``medium+high`` in custody). The recomputed tiers are merged the same way before any difference
is taken: offenders are summed, the shares of the offence group are summed, and the shares under
25 and female are averaged weighted by offenders. A merged cell is missing (suppressed) when any
of its parts is, so merging never reveals a suppressed count.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

from commissioning.assess.profiles import NEED_PROFILE_COLUMNS, RISK_PROFILE_COLUMNS
from commissioning.schema.contract import NEEDS, OFFENCE_GROUPS, RISK_TIERS, SETTINGS

#: The parameter that says how many percentage points of difference are highlighted.
TOLERANCE_PARAMETER = "publish.comparison_tolerance_pp"

#: The separator the published tables use for merged tiers, e.g. ``high+very_high``.
MERGE_SEPARATOR = "+"

NEED_LABELS: dict[str, str] = {n.code: n.label for n in NEEDS}

_MEASURES: tuple[tuple[str, str], ...] = (
    ("share_pct", "share"),
    ("under_25_pct", "under_25"),
    ("female_pct", "female"),
)


class ComparisonError(ValueError):
    """A profile or published table that cannot be compared (missing columns, unknown tiers)."""


def _published_csv(name: str) -> pd.DataFrame:
    source = resources.files("commissioning.data.published").joinpath(name)
    with source.open("rb") as fh:
        return pd.read_csv(fh)


def load_published_risk_profile() -> pd.DataFrame:
    """Tables 1-2 risk columns as published (package data ``risk_profile.csv``)."""
    frame = _published_csv("risk_profile.csv")
    frame["note"] = frame["note"].fillna("").astype(str)
    return frame


def load_published_need_prevalence() -> pd.DataFrame:
    """Tables 1-2 need columns as published: the six most common needs per group."""
    return _published_csv("need_prevalence.csv")


def by_columns(frame: pd.DataFrame, standard: tuple[str, ...]) -> list[str]:
    """The extra grouping columns (``--by``) of a profile: those before ``setting``.

    Columns after the standard ones (e.g. raw counts kept beside the percentages) are not
    groupings and are ignored.
    """
    columns = [str(c) for c in frame.columns]
    first = standard[0]
    if first not in columns:
        return []
    return [c for c in columns[: columns.index(first)] if c not in standard]


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ComparisonError(
            f"{what} is missing column(s) {', '.join(missing)}; it has "
            f"{', '.join(map(str, frame.columns))}. Use the output of `commission profile`."
        )


def _numeric(series: pd.Series) -> pd.Series:
    """Float64 with NaN for missing (suppressed) values, whatever the input dtype."""
    return pd.to_numeric(series, errors="coerce").astype("float64")


def _tier_order(label: str) -> int:
    first = label.split(MERGE_SEPARATOR)[0]
    return RISK_TIERS.index(first) if first in RISK_TIERS else len(RISK_TIERS)


def _label_map(published: pd.DataFrame) -> dict[tuple[str, str, str], str]:
    """(setting, offence_group, tier) -> the published row label that tier falls in."""
    mapping: dict[tuple[str, str, str], str] = {}
    for setting, group, label in published[["setting", "offence_group", "risk_tier"]].itertuples(
        index=False
    ):
        for tier in str(label).split(MERGE_SEPARATOR):
            if tier not in RISK_TIERS:
                raise ComparisonError(
                    f"published risk profile: tier {tier!r} in {label!r} ({setting}, {group}) "
                    f"is not one of {', '.join(RISK_TIERS)}"
                )
            mapping[(str(setting), str(group), tier)] = str(label)
    return mapping


def _merge_parts(parts: pd.DataFrame) -> pd.Series:
    """One merged tier row: counts and shares summed, age and sex shares weighted by offenders."""
    offenders = parts["offenders"]
    known = offenders.notna().all()
    total = float(offenders.sum()) if known else np.nan
    out: dict[str, float] = {
        "offenders": total,
        "share_pct": float(parts["share_pct"].sum())
        if parts["share_pct"].notna().all()
        else np.nan,
    }
    for col in ("under_25_pct", "female_pct"):
        if len(parts) == 1:
            out[col] = float(parts[col].iloc[0])
        elif known and parts[col].notna().all() and total > 0:
            out[col] = float((parts[col] * offenders).sum() / total)
        else:
            out[col] = np.nan
    return pd.Series(out)


def merge_tiers(recomputed: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Recomputed risk profile with its tiers merged exactly as the published rows merge them."""
    _require(recomputed, RISK_PROFILE_COLUMNS, "recomputed risk profile")
    by = by_columns(recomputed, RISK_PROFILE_COLUMNS)
    mapping = _label_map(published)
    rec = recomputed.copy()
    for col in ("offenders", "share_pct", "under_25_pct", "female_pct"):
        rec[col] = _numeric(rec[col])
    rec["risk_tier"] = [
        mapping.get((str(s), str(g), str(t)), str(t))
        for s, g, t in rec[["setting", "offence_group", "risk_tier"]].itertuples(index=False)
    ]
    keys = [*by, "setting", "offence_group", "risk_tier"]
    merged = (
        rec.groupby(keys, sort=False, dropna=False)[
            ["offenders", "share_pct", "under_25_pct", "female_pct"]
        ]
        .apply(_merge_parts)
        .reset_index()
    )
    return merged


def _sort(frame: pd.DataFrame, by: list[str], item_order: pd.Series) -> pd.DataFrame:
    """Rows in the document's order: setting, offence group, then the item (tier or rank)."""
    setting_rank = {s: i for i, s in enumerate(SETTINGS)}
    group_rank = {g: i for i, g in enumerate(OFFENCE_GROUPS)}
    keyed = frame.assign(
        _s=frame["setting"].map(setting_rank).fillna(len(SETTINGS)),
        _g=frame["offence_group"].map(group_rank).fillna(len(OFFENCE_GROUPS)),
        _i=item_order.to_numpy(),
    )
    keyed = keyed.sort_values([*by, "_s", "_g", "_i"], kind="stable")
    return keyed.drop(columns=["_s", "_g", "_i"]).reset_index(drop=True)


def compare_risk_profile(
    recomputed: pd.DataFrame,
    published: pd.DataFrame | None = None,
    *,
    tolerance_pp: float,
) -> pd.DataFrame:
    """Recomputed tier shares beside the published ones, one row per published row.

    Columns: ``[by…,] setting, offence_group, risk_tier, offenders``, then for each measure
    (``share``, ``under_25``, ``female``) the recomputed ``<measure>_pct``, the
    ``<measure>_pct_published`` and ``<measure>_diff_pp`` (recomputed − published), then
    ``max_abs_diff_pp``, ``over_tolerance`` and the published ``note``. A difference is missing
    when the recomputed cell is suppressed.
    """
    published = load_published_risk_profile() if published is None else published
    _require(
        published,
        ("setting", "offence_group", "risk_tier", "share_pct", "under_25_pct", "female_pct"),
        "published risk profile",
    )
    merged = merge_tiers(recomputed, published)
    by = by_columns(recomputed, RISK_PROFILE_COLUMNS)
    pub = published.rename(columns={f"{m}": f"{m}_published" for m, _ in _MEASURES})
    pub_cols = ["setting", "offence_group", "risk_tier", *(f"{m}_published" for m, _ in _MEASURES)]
    if "note" in pub.columns:
        pub_cols.append("note")
    if by:
        # Every --by group is compared against the same national published figures.
        groups = merged[by].drop_duplicates()
        pub = groups.merge(pub[pub_cols], how="cross")
        on = [*by, "setting", "offence_group", "risk_tier"]
    else:
        pub = pub[pub_cols]
        on = ["setting", "offence_group", "risk_tier"]
    out = merged.merge(pub, on=on, how="outer")
    diffs = []
    for col, name in _MEASURES:
        out[f"{col}_published"] = _numeric(out[f"{col}_published"])
        out[f"{name}_diff_pp"] = out[col] - out[f"{col}_published"]
        diffs.append(f"{name}_diff_pp")
    out["max_abs_diff_pp"] = out[diffs].abs().max(axis=1, skipna=True)
    tol = tolerance_pp
    out["over_tolerance"] = (out["max_abs_diff_pp"] > tol).fillna(False).astype(bool)
    out["offenders"] = out["offenders"].round().astype("Int64")
    if "note" not in out.columns:
        out["note"] = ""
    out["note"] = out["note"].fillna("").astype(str)
    columns = [*by, "setting", "offence_group", "risk_tier", "offenders"]
    for col, name in _MEASURES:
        columns += [col, f"{col}_published", f"{name}_diff_pp"]
    columns += ["max_abs_diff_pp", "over_tolerance", "note"]
    tier_order = out["risk_tier"].astype(str).map(_tier_order)
    return _sort(out[columns], by, tier_order)


def compare_need_prevalence(
    recomputed: pd.DataFrame,
    published: pd.DataFrame | None = None,
    *,
    tolerance_pp: float,
) -> pd.DataFrame:
    """Every recomputed need beside the published prevalence where the document states one.

    Columns: ``[by…,] setting, offence_group, need, need_label, offenders_with_need,
    prevalence_pct, prevalence_pct_published, diff_pp, rank, rank_published, over_tolerance``.
    ``rank`` orders the ten needs by recomputed prevalence within a group (1 = most common);
    the published table lists only its six most common needs, so the others have no
    published value.
    """
    published = load_published_need_prevalence() if published is None else published
    _require(recomputed, NEED_PROFILE_COLUMNS, "recomputed need profile")
    _require(published, ("setting", "offence_group", "need", "prevalence_pct"), "published needs")
    by = by_columns(recomputed, NEED_PROFILE_COLUMNS)
    rec = recomputed.copy()
    rec["offenders_with_need"] = _numeric(rec["offenders_with_need"]).round().astype("Int64")
    rec["prevalence_pct"] = _numeric(rec["prevalence_pct"])
    pub = published[["setting", "offence_group", "need", "prevalence_pct"]].copy()
    pub = pub.rename(columns={"prevalence_pct": "prevalence_pct_published"})
    pub["prevalence_pct_published"] = _numeric(pub["prevalence_pct_published"])
    pub["rank_published"] = (
        pub.groupby(["setting", "offence_group"], sort=False).cumcount() + 1
    ).astype("Int64")
    on = ["setting", "offence_group", "need"]
    if by:
        pub = rec[by].drop_duplicates().merge(pub, how="cross")
        on = [*by, *on]
    out = rec.merge(pub, on=on, how="outer")
    out["need_label"] = out["need"].map(NEED_LABELS).fillna(out["need"].astype(str))
    out["diff_pp"] = out["prevalence_pct"] - out["prevalence_pct_published"]
    tol = tolerance_pp
    out["over_tolerance"] = (out["diff_pp"].abs() > tol).fillna(False).astype(bool)
    group_keys = [*by, "setting", "offence_group"]
    out["rank"] = (
        out.groupby(group_keys, sort=False)["prevalence_pct"]
        .rank(method="first", ascending=False, na_option="bottom")
        .astype("Int64")
    )
    columns = [
        *by,
        "setting",
        "offence_group",
        "need",
        "need_label",
        "offenders_with_need",
        "prevalence_pct",
        "prevalence_pct_published",
        "diff_pp",
        "rank",
        "rank_published",
        "over_tolerance",
    ]
    return _sort(out[columns], by, out["rank"].astype("float64"))
