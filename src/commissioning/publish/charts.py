"""Charts for the report: Altair (Vega-Lite) specs rendered to inline SVG with vl-convert.

Every chart has a title, axis titles, a colour-blind-safe palette (a single-hue ramp for ordered
tiers and prevalence; Okabe-Ito colours plus distinct shapes for the comparison measures), a
text description for screen readers, and its data in a table next to it. Rendering is offline:
vl-convert bundles Vega, and the SVG is inlined, so the page needs no script or network.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pandas as pd

from commissioning.publish.context import RoundContext
from commissioning.publish.html import (
    GROUP_LABELS,
    SETTING_LABELS,
    Cell,
    esc,
    fmt_diff,
    fmt_pct,
    table,
    tier_label,
)
from commissioning.publish.sections import Section
from commissioning.publish.tables import need_comparison, risk_comparison, tolerance_pp
from commissioning.publish.vocabulary import humanise
from commissioning.schema.contract import NEEDS, OFFENCE_GROUPS, RISK_TIERS, SETTINGS

if TYPE_CHECKING:
    import altair as alt

#: The charts' font. Vega measures every label with the first family the renderer has (DejaVu
#: Sans ships with Chromium on Linux and with vl-convert's host), and the SVG keeps that
#: layout: a browser that draws the text in a *wider* font than was measured clips the start of
#: right-aligned axis labels. DejaVu Sans is the widest common sans, so a reader without it
#: (Helvetica or Arial) gets narrower text in the same space, never clipped labels.
FONT = '"DejaVu Sans", Helvetica, Arial, sans-serif'
TEXT = "#0b0c0c"
#: Light-to-dark blue ramp for the ordered risk tiers (safe for every colour-vision type).
TIER_COLOURS = ("#c5ddf0", "#6fa7d8", "#1d70b8", "#0b2e57")
#: Okabe & Ito (2008) colour-blind-safe colours, paired with distinct point shapes.
MEASURE_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")
MEASURE_SHAPES = ("circle", "square", "triangle-up", "diamond")
MEASURES = ("Share of group", "Under 25", "Female", "Need prevalence")

_ID_ATTR = re.compile(r'\bid="([^"]+)"')


def _config(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:

    configured: alt.TopLevelMixin = (
        chart.configure(font=FONT, background="white")
        # labelLimit 0: axis and legend labels are never clipped with an ellipsis.
        .configure_axis(labelColor=TEXT, titleColor=TEXT, labelFontSize=12, titleFontSize=12,
                        labelLimit=0)
        .configure_title(color=TEXT, fontSize=15, anchor="start")
        .configure_legend(labelColor=TEXT, titleColor=TEXT, labelFontSize=12, titleFontSize=12,
                          labelLimit=0)
        .configure_view(stroke=None)
    )
    return configured


#: Spec keys whose values name fields or datasets: never relabelled.
_FIELD_KEYS = frozenset({"field", "fields", "as", "groupby", "name", "$schema", "key", "lookup"})


def _humanise_value(value: Any) -> Any:
    if isinstance(value, str):
        return humanise(value)
    if isinstance(value, list):
        return [_humanise_value(v) for v in value]
    if isinstance(value, dict):
        return {k: v if k in _FIELD_KEYS else _humanise_value(v) for k, v in value.items()}
    return value


def humanise_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The chart with every code in its data, domains, sort orders, tests and titles replaced by
    its label (vocabulary), field names untouched: a chart that plots ``education_training``
    shows "Education and training", and its scales and conditions still match."""
    out: dict[str, Any] = _humanise_value(spec)
    return out


def to_svg(chart: alt.TopLevelMixin, chart_id: str) -> str:
    """Render a chart to SVG for inlining: no XML prolog or namespaces, ids made unique."""
    import vl_convert

    spec: dict[str, Any] = humanise_spec(_config(chart).to_dict())
    svg = str(vl_convert.vegalite_to_svg(spec))
    svg = re.sub(r"<\?xml[^>]*>", "", svg)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    for old in set(_ID_ATTR.findall(svg)):
        new = f"{chart_id}-{old}"
        svg = svg.replace(f'id="{old}"', f'id="{new}"')
        svg = svg.replace(f"url(#{old})", f"url(#{new})")
        svg = svg.replace(f'href="#{old}"', f'href="#{new}"')
    return svg.replace("<svg", f'<svg role="img" aria-labelledby="{chart_id}-caption"', 1).strip()


def _segment(setting: str, group: str) -> str:
    return f"{SETTING_LABELS.get(setting, setting)} · {GROUP_LABELS.get(group, group).lower()}"


def tier_mix_chart(risk_profile: pd.DataFrame) -> alt.TopLevelMixin:
    """Stacked bars: the share of each offence group in each risk tier, per setting."""
    import altair as alt

    data = risk_profile[["setting", "offence_group", "risk_tier", "share_pct"]].copy()
    data["share_pct"] = pd.to_numeric(data["share_pct"], errors="coerce").astype("float64")
    data = data.dropna(subset=["share_pct"])
    data["Setting"] = data["setting"].map(SETTING_LABELS).fillna(data["setting"])
    data["Offence group"] = data["offence_group"].map(GROUP_LABELS).fillna(data["offence_group"])
    data["Risk tier"] = data["risk_tier"].map(tier_label)
    data["tier_order"] = data["risk_tier"].map({t: i for i, t in enumerate(RISK_TIERS)})
    tiers = [tier_label(t) for t in RISK_TIERS]
    bars = (
        alt.Chart(data)
        .mark_bar(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X(
                "share_pct:Q", title="Share of offence group (%)", scale=alt.Scale(domain=[0, 100])
            ),
            y=alt.Y("Offence group:N", sort=[GROUP_LABELS[g] for g in OFFENCE_GROUPS], title=None),
            color=alt.Color(
                "Risk tier:N",
                scale=alt.Scale(domain=tiers, range=list(TIER_COLOURS)),
                legend=alt.Legend(orient="bottom", title="Risk tier"),
            ),
            order=alt.Order("tier_order:Q"),
        )
        .properties(width=520, height=150)
    )
    faceted: alt.TopLevelMixin = bars.facet(
        row=alt.Row(
            "Setting:N",
            sort=[SETTING_LABELS[s] for s in SETTINGS],
            title=None,
            header=alt.Header(labelAngle=0, labelAlign="left", labelFontSize=13, labelColor=TEXT),
        )
    ).properties(
        title="Risk tier mix by offence group and setting",
        description="Stacked horizontal bars of the share of each offence group in each risk tier.",
    )
    return faceted


def need_heatmap(needs: pd.DataFrame) -> alt.TopLevelMixin:
    """Heatmap: prevalence of each OASys need by offence group, per setting."""
    import altair as alt

    data = needs[["setting", "offence_group", "need_label", "prevalence_pct"]].copy()
    data["prevalence_pct"] = pd.to_numeric(data["prevalence_pct"], errors="coerce")
    data = data.dropna(subset=["prevalence_pct"]).astype({"prevalence_pct": "float64"})
    data["Segment"] = [
        _segment(s, g) for s, g in zip(data["setting"], data["offence_group"], strict=True)
    ]
    data["label"] = data["prevalence_pct"].map(lambda v: f"{v:.0f}")
    segments = [_segment(s, g) for s in SETTINGS for g in OFFENCE_GROUPS]
    base = alt.Chart(data).encode(
        y=alt.Y(
            "need_label:N",
            sort=[n.label for n in NEEDS],
            title="OASys need linked to offending",
            axis=alt.Axis(labelLimit=260),
        ),
        x=alt.X(
            "Segment:N",
            sort=segments,
            title=None,
            axis=alt.Axis(labelAngle=-40, labelLimit=200, orient="top"),
        ),
    )
    rect = base.mark_rect(stroke="white").encode(
        color=alt.Color(
            "prevalence_pct:Q",
            title="Prevalence (%)",
            scale=alt.Scale(scheme="blues", domain=[0, 100]),
            legend=alt.Legend(orient="right", gradientLength=160),
        )
    )
    text = base.mark_text(fontSize=11).encode(
        text="label:N",
        color=alt.condition(alt.datum.prevalence_pct > 55, alt.value("white"), alt.value(TEXT)),
    )
    heatmap: alt.TopLevelMixin = (rect + text).properties(
        width=480,
        height=320,
        title="Prevalence of each need by offence group and setting (%)",
        description="Heatmap of the share of each offence group with each of the ten OASys needs.",
    )
    return heatmap


def differences_chart(risk: pd.DataFrame, needs: pd.DataFrame, tol: float) -> alt.TopLevelMixin:
    """Dot plot: every recomputed − published difference in pp, by segment and measure."""
    import altair as alt

    rows = []
    for r in risk.to_dict("records"):
        for measure, col in zip(MEASURES[:3], ("share", "under_25", "female"), strict=True):
            rows.append((r["setting"], r["offence_group"], measure, r[f"{col}_diff_pp"]))
    for r in needs.to_dict("records"):
        rows.append((r["setting"], r["offence_group"], MEASURES[3], r["diff_pp"]))
    data = pd.DataFrame(rows, columns=["setting", "offence_group", "Measure", "diff_pp"])
    data["diff_pp"] = pd.to_numeric(data["diff_pp"], errors="coerce").astype("float64")
    data = data.dropna(subset=["diff_pp"])
    data["Segment"] = [
        _segment(s, g) for s, g in zip(data["setting"], data["offence_group"], strict=True)
    ]
    segments = [_segment(s, g) for s in SETTINGS for g in OFFENCE_GROUPS]
    largest = float(data["diff_pp"].abs().max()) if not data.empty else 0.0
    extent = max(largest * 1.1 + 0.2, tol * 2, 3.0)
    band = (
        alt.Chart(pd.DataFrame({"lo": [-tol], "hi": [tol]}))
        .mark_rect(color="#f3f2f1")
        .encode(x="lo:Q", x2="hi:Q")
    )
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#505a5f").encode(x="x:Q")
    dots = (
        alt.Chart(data)
        .mark_point(filled=True, size=60, opacity=0.85)
        .encode(
            x=alt.X(
                "diff_pp:Q",
                title=f"Recomputed − published (percentage points; shaded band ±{tol:g})",
                scale=alt.Scale(domain=[-extent, extent]),
            ),
            y=alt.Y("Segment:N", sort=segments, title=None),
            color=alt.Color(
                "Measure:N",
                scale=alt.Scale(domain=list(MEASURES), range=list(MEASURE_COLOURS)),
                legend=alt.Legend(orient="bottom"),
            ),
            shape=alt.Shape(
                "Measure:N", scale=alt.Scale(domain=list(MEASURES), range=list(MEASURE_SHAPES))
            ),
            yOffset=alt.YOffset("Measure:N", sort=list(MEASURES)),
        )
    )
    layered: alt.TopLevelMixin = (band + zero + dots).properties(
        width=560,
        height=320,
        title="Recomputed figures minus published figures",
        description="Dot plot of every difference between recomputed and published figures.",
    )
    return layered


def _figure(chart_id: str, caption: str, svg: str, data_table: str) -> str:
    return (
        f'<figure class="chart" id="{esc(chart_id)}">'
        f'<figcaption id="{esc(chart_id)}-caption">{esc(caption)}</figcaption>'
        f'<div class="chart-body"><div class="chart-svg">{svg}</div>'
        f'<div class="chart-data">{data_table}</div></div></figure>'
    )


def _tier_mix_table(risk_profile: pd.DataFrame) -> str:
    headers: list[str | tuple[str, bool]] = [
        "Segment",
        *((f"{tier_label(t)} (%)", True) for t in RISK_TIERS),
    ]
    body = []
    for s in SETTINGS:
        for g in OFFENCE_GROUPS:
            part = risk_profile[
                (risk_profile["setting"] == s) & (risk_profile["offence_group"] == g)
            ]
            if part.empty:
                continue
            shares = dict(zip(part["risk_tier"], part["share_pct"], strict=True))
            body.append(
                [Cell(_segment(s, g), header=True)]
                + [Cell(fmt_pct(shares.get(t)), numeric=True) for t in RISK_TIERS]
            )
    return table(headers, body, caption="Data: share of offence group in each tier (%)")


def _need_table(needs: pd.DataFrame) -> str:
    prevalence = {
        (r["setting"], r["offence_group"], r["need"]): r["prevalence_pct"]
        for r in needs.to_dict("records")
    }
    present = {(s, g) for s, g, _ in prevalence}
    segments = [(s, g) for s in SETTINGS for g in OFFENCE_GROUPS if (s, g) in present]
    headers: list[str | tuple[str, bool]] = ["Need"]
    headers += [(_segment(s, g), True) for s, g in segments]
    body = []
    for need in NEEDS:
        cells = [Cell(need.label, header=True)]
        for s, g in segments:
            key = (s, g, need.code)
            cells.append(Cell(fmt_pct(prevalence[key]) if key in prevalence else "–", True))
        body.append(cells)
    return table(headers, body, caption="Data: prevalence of each need (%)", css="wide")


def _difference_table(risk: pd.DataFrame, needs: pd.DataFrame, tol: float) -> str:
    body = []
    for s in SETTINGS:
        for g in OFFENCE_GROUPS:
            r = risk[(risk["setting"] == s) & (risk["offence_group"] == g)]
            n = needs[(needs["setting"] == s) & (needs["offence_group"] == g)]
            diffs = pd.concat(
                [r["share_diff_pp"], r["under_25_diff_pp"], r["female_diff_pp"], n["diff_pp"]],
                ignore_index=True,
            )
            diffs = pd.to_numeric(diffs, errors="coerce").dropna()
            if diffs.empty:
                continue
            largest = float(diffs.iloc[int(diffs.abs().to_numpy().argmax())])
            body.append(
                [
                    Cell(_segment(s, g), header=True),
                    Cell(str(len(diffs)), numeric=True),
                    Cell(fmt_diff(largest), numeric=True),
                    Cell(str(int((diffs.abs() > tol).sum())), numeric=True),
                ]
            )
    headers: list[str | tuple[str, bool]] = [
        "Segment",
        ("Figures compared", True),
        ("Largest diff (pp)", True),
        (f"Over {tol:g} pp", True),
    ]
    return table(headers, body, caption="Data: differences by segment")


def render_charts(context: RoundContext) -> str:
    """The three charts, each with a caption and its data table."""
    tol = tolerance_pp(context)
    risk = risk_comparison(context)
    needs = need_comparison(context)
    profile = context.risk_profile
    return "\n".join(
        [
            _figure(
                "chart-tier-mix",
                "Figure 1. Share of each offence group in each risk tier, community and custody. "
                "Darker blue is higher risk.",
                to_svg(tier_mix_chart(profile), "chart-tier-mix"),
                _tier_mix_table(profile),
            ),
            _figure(
                "chart-needs",
                "Figure 2. Prevalence of the ten OASys needs linked to offending, by offence "
                "group and setting. Darker blue is more prevalent.",
                to_svg(need_heatmap(needs), "chart-needs"),
                _need_table(needs),
            ),
            _figure(
                "chart-differences",
                "Figure 3. Every difference between a recomputed and a published figure, in "
                "percentage points. Points outside the shaded band differ by more than "
                f"{tol:g} pp.",
                to_svg(differences_chart(risk, needs, tol), "chart-differences"),
                _difference_table(risk, needs, tol),
            ),
        ]
    )


CHARTS_SECTION = Section("charts", "Need: charts", 850, render_charts,
                         "Tier mix, need prevalence and differences at a glance")
