"""Forest plots of a meta-analysis as Altair charts (inline SVG in the report, PNG/SVG files)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from commissioning.evidence.meta import MetaResult

if TYPE_CHECKING:
    import altair as alt

_Z95 = 1.959963984540054


def forest_frame(result: MetaResult, exponentiate: bool = False) -> pd.DataFrame:
    """One row per study plus the pooled row: label, estimate, lower, upper, weight."""
    rows = []
    for name, y, v, w in zip(result.studies, result.yi, result.vi, result.weights_pct, strict=True):
        half = _Z95 * math.sqrt(v)
        rows.append({"label": name, "estimate": y, "lower": y - half, "upper": y + half,
                     "weight": w, "kind": "study"})
    rows.append({"label": f"Pooled ({result.method})", "estimate": result.estimate,
                 "lower": result.ci_lower, "upper": result.ci_upper, "weight": 100.0,
                 "kind": "pooled"})
    frame = pd.DataFrame(rows)
    if exponentiate:
        for col in ("estimate", "lower", "upper"):
            frame[col] = frame[col].map(math.exp)
    return frame


def forest_chart(result: MetaResult, title: str = "", exponentiate: bool = False) -> alt.Chart:
    """Study estimates with 95% intervals (square size ∝ weight) and the pooled estimate."""
    import altair as alt

    frame = forest_frame(result, exponentiate)
    order = list(frame["label"])
    null = 1.0 if exponentiate else 0.0
    axis = "odds ratio" if exponentiate and result.measure == "OR" else f"effect ({result.measure})"
    y = alt.Y("label:N", sort=order, title=None)
    base = alt.Chart(frame)
    rules = base.mark_rule(color="#0b0c0c").encode(
        y=y,
        x=alt.X("lower:Q", title=axis, scale=alt.Scale(type="log" if exponentiate else "linear")),
        x2="upper:Q",
    )
    points = base.mark_point(filled=True, shape="square", color="#1d70b8").encode(
        y=y,
        x="estimate:Q",
        size=alt.Size("weight:Q", legend=None, scale=alt.Scale(range=[30, 300])),
        tooltip=["label", "estimate", "lower", "upper", "weight"],
    )
    pooled = base.transform_filter(alt.datum.kind == "pooled").mark_point(
        shape="diamond", filled=True, color="#d4351c", size=250
    ).encode(y=y, x="estimate:Q")
    zero = (
        alt.Chart(pd.DataFrame({"x": [null]}))
        .mark_rule(strokeDash=[4, 4], color="#505a5f")
        .encode(x="x:Q")
    )
    chart: alt.Chart = (rules + points + pooled + zero).properties(
        title=title or f"Forest plot ({result.method}, k = {result.k})",
        width=420, height=max(80, 22 * len(frame)),
    )
    return chart


def save_forest(
    result: MetaResult, path: Path, title: str = "", exponentiate: bool = False
) -> Path:
    """Write the forest plot as PNG or SVG (by the file's extension) with vl-convert."""
    import vl_convert

    spec = forest_chart(result, title, exponentiate).to_json()
    suffix = path.suffix.lower()
    if suffix == ".svg":
        path.write_text(vl_convert.vegalite_to_svg(spec), encoding="utf-8")
    elif suffix == ".png":
        path.write_bytes(vl_convert.vegalite_to_png(spec, scale=2))
    else:
        raise ValueError(f"{path}: a forest plot is written as .png or .svg")
    return path
