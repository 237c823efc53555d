"""The HTML commissioning-round report: sections, suppression, provenance, self-containment."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from commissioning import __version__
from commissioning.publish import (
    BUILT_IN_SECTIONS,
    InputFile,
    ReportError,
    RoundContext,
    Section,
    build_report,
    check_sections,
    describe_input,
    render_report,
    report_sections,
)
from commissioning.publish.html import fmt_diff, fmt_pct, tier_label
from policy_support import POLICY, ROUND_DATE
from publish_sample import sample_profiles

BUILT_IN = ["summary", "community", "custody", "needs", "charts", "provenance"]


class Rows(HTMLParser):
    """Table rows (cell texts) inside the element with a given id."""

    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id = element_id
        self.depth = 0
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += tag not in ("br", "meta", "img", "input", "hr")
        elif dict(attrs).get("id") == self.element_id:
            self.depth = 1
        if not self.depth:
            return
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if not self.depth:
            return
        if tag in ("td", "th") and self.cell is not None and self.rows:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None
        self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth and self.cell is not None:
            self.cell.append(data)


def rows_in(html: str, element_id: str) -> list[list[str]]:
    parser = Rows(element_id)
    parser.feed(html)
    return [r for r in parser.rows if r]


def sample_context(tmp_path: Path) -> RoundContext:
    risk, needs = sample_profiles(seed=7)
    # Nullable dtypes with pd.NA, as disclosure control returns them.
    risk["offenders"] = risk["offenders"].astype("Int64")
    for col in ("share_pct", "under_25_pct", "female_pct"):
        risk[col] = risk[col].astype("Float64")
    totals = risk[["setting", "offence_group", "risk_tier", "offenders"]].copy()
    # Suppress cells the way `commission profile` does: their counts are 1-4 people.
    at = (risk["setting"] == "custody") & (risk["offence_group"] == "sex")
    risk.loc[at & (risk["risk_tier"] == "very_high"), "female_pct"] = pd.NA
    risk.loc[at & (risk["risk_tier"] == "medium"), ["offenders", "share_pct"]] = pd.NA
    # Extra raw columns after the contract ones are ignored, not taken for --by columns.
    risk["group_offenders"] = 0
    assessments = tmp_path / "assessments.csv"
    assessments.write_text("offender_id,setting\na,community\nb,custody\nc,custody\n")
    return RoundContext(
        risk_profile=risk,
        need_profile=needs,
        parameters=POLICY.parameters,
        when=ROUND_DATE,
        title="Test round",
        workspace=tmp_path,
        inputs=[describe_input(assessments, "assessments (test)")],
        totals=totals,
    )


def render_custom(context: RoundContext) -> str:
    return '<p id="custom-body">Demand forecast goes here.</p>'


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, RoundContext]]:
    tmp = tmp_path_factory.mktemp("report")
    context = sample_context(tmp)
    # a capability's section reaches the report through the context (the round puts them there)
    context.sections = (
        Section("custom-forecast", "Demand forecast", 825, render_custom, "a custom section"),
    )
    out = build_report(context, tmp / "reports" / "round.html")
    yield out.read_text(encoding="utf-8"), context


def section_ids(html: str) -> list[str]:
    return re.findall(r'<section class="report-section[^"]*" id="([^"]+)"', html)


def test_every_built_in_section_appears_once_in_order(report: tuple[str, RoundContext]) -> None:
    html, _ = report
    # capabilities' own sections (evidence, demand, ...) may be registered too: keep built-ins
    ids = [i for i in section_ids(html) if i in BUILT_IN]
    assert ids == BUILT_IN
    for title in ("Need: Tables 1 and 2 beside the published figures",
                  "Need: offenders in the community", "Need: offenders in custody"):
        assert f">{title}</h2>" in html
    # The contents list links to every section.
    for section_id in [*BUILT_IN, "custom-forecast"]:
        assert f'<a href="#{section_id}">' in html


def test_a_capability_section_appears_in_its_order(report: tuple[str, RoundContext]) -> None:
    html, context = report
    ids = section_ids(html)
    assert ids.index("community") < ids.index("custom-forecast") < ids.index("custody")
    assert '<p id="custom-body">Demand forecast goes here.</p>' in html
    assert [s.id for s in report_sections(context) if s.id in ids] == ids
    # nothing is registered globally: the built-in list is unchanged by the context's section
    assert "custom-forecast" not in [s.id for s in BUILT_IN_SECTIONS]


def test_suppressed_cells_appear_as_a_star_never_as_numbers(
    report: tuple[str, RoundContext],
) -> None:
    html, _ = report
    rows = {r[0]: r for r in rows_in(html, "custody-sex")}
    # Columns: tier, offenders, then (recomputed, published, diff) for share, under 25, female.
    very_high = rows["Very high"]
    assert very_high[8:] == ["*", "0", "*"]
    assert re.fullmatch(r"\d+\.\d", very_high[2])
    # The merged medium+high row has a suppressed part, so every recomputed figure is '*'.
    merged = rows[tier_label("medium+high")]
    assert merged[1] == "*"
    assert [merged[i] for i in (2, 4, 8, 10)] == ["*", "*", "*", "*"]
    assert merged[3] == "5"  # the published figure is still shown


def test_published_figures_and_differences_sit_beside_the_recomputed_ones(
    report: tuple[str, RoundContext],
) -> None:
    html, context = report
    risk = context.risk_profile
    low = risk[
        (risk["setting"] == "community")
        & (risk["offence_group"] == "violence")
        & (risk["risk_tier"] == "low")
    ].iloc[0]
    row = {r[0]: r for r in rows_in(html, "community-violence")}["Low"]
    assert row[1] == f"{int(low['offenders']):,}"
    assert row[2:5] == [fmt_pct(low["share_pct"]), "43", fmt_diff(low["share_pct"] - 43)]
    assert row[5:8] == [fmt_pct(low["under_25_pct"]), "20", fmt_diff(low["under_25_pct"] - 20)]


def test_differences_over_the_tolerance_are_highlighted_not_only_by_colour(
    tmp_path: Path,
) -> None:
    context = sample_context(tmp_path)
    risk = context.risk_profile
    at = (
        (risk["setting"] == "community")
        & (risk["offence_group"] == "other")
        & (risk["risk_tier"] == "low")
    )
    risk.loc[at, "under_25_pct"] = 10.0  # published: 4
    community = next(s for s in BUILT_IN_SECTIONS if s.id == "community")
    html = render_report(context, [community])
    row = {r[0]: r for r in rows_in(html, "community-other")}["Low"]
    assert row[7] == "▲ +6.0 (over the 1.5 pp tolerance)"
    assert 'class="num over"' in html


def test_provenance_lists_inputs_parameters_version_and_method(
    report: tuple[str, RoundContext],
) -> None:
    html, context = report
    provenance = html[html.index('id="provenance"') :]
    inputs = {r[0]: r for r in rows_in(html, "provenance") if len(r) == 4}
    assert inputs["assessments.csv"][2] == "3"
    assert inputs["assessments.csv"][3] == context.inputs[0].sha256
    published = resources.files("commissioning.data.published").joinpath("risk_profile.csv")
    digest = hashlib.sha256(published.read_bytes()).hexdigest()
    assert inputs["published/risk_profile.csv"][2:] == ["30", digest]
    # Not every parameter in the page: those that differ from the defaults (none here), the
    # few behind the decisions, and a link to the full list written beside the report.
    in_force = context.parameters.in_force(context.when)
    assert f"All {len(in_force)} parameters in force are the package's defaults" in provenance
    key = {r[0]: r for r in rows_in(html, "provenance") if len(r) == 4}
    assert key["risk.medium_high_threshold"][2] == "50"
    assert key["risk.medium_high_threshold"][3].startswith("percent")
    assert '<a href="tables/parameters.csv">parameters.csv</a>' in provenance
    full = pd.read_csv(Path(context.workspace or "") / "reports" / "tables" / "parameters.csv")
    assert len(full) == len(in_force)
    row = full.set_index("name").loc["risk.medium_high_threshold"]
    assert row["since"] == "2009-01-01" and str(row["unit"]).startswith("percent")
    assert "Custodial Services intention 4" in row["reference"]
    assert f"commissioning {__version__}" in provenance
    assert context.generated_at.isoformat() in provenance
    assert "count of 1 to 4 people" in provenance
    assert "below 50% low (parameter <code>risk.medium_high_threshold</code>" in provenance
    assert "below 75% medium, else high" in provenance


def test_the_report_is_self_contained(report: tuple[str, RoundContext]) -> None:
    html, _ = report
    assert "<script" not in html
    assert "<link" not in html
    assert "@import" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert not re.search(r"url\(\s*['\"]?(https?:|//)", html)
    assert "http" not in html  # no namespace URIs or links either
    assert html.count("<svg") == 3
    # Chart element ids are unique across the page.
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_charts_have_captions_and_data_tables(report: tuple[str, RoundContext]) -> None:
    html, _ = report
    for chart in ("chart-tier-mix", "chart-needs", "chart-differences"):
        figure = html[html.index(f'<figure class="chart" id="{chart}"') :]
        figure = figure[: figure.index("</figure>")]
        assert f'<figcaption id="{chart}-caption">' in figure
        assert f'aria-labelledby="{chart}-caption"' in figure
        assert "<table" in figure and "<caption>Data:" in figure


def test_summary_gives_headline_numbers(report: tuple[str, RoundContext]) -> None:
    html, context = report
    summary = html[html.index('id="summary"') : html.index('id="community"')]
    risk = context.risk_profile
    community = risk[risk["setting"] == "community"]
    total = int(community["offenders"].sum())
    very_high = community.loc[community["risk_tier"] == "very_high", "offenders"].sum()
    assert f"<dd>{total:,}</dd>" in summary
    assert f"<dd>{fmt_pct(100 * very_high / total)}%</dd>" in summary
    # custody has a withheld count: its headline total still counts those people
    assert context.totals is not None
    custody = int(context.totals.loc[context.totals["setting"] == "custody", "offenders"].sum())
    assert custody > int(risk.loc[risk["setting"] == "custody", "offenders"].sum())
    assert f"<dd>{custody:,}</dd>" in summary
    assert "Largest differences from the published tables" in summary


def test_a_failing_section_is_named_in_the_error(tmp_path: Path) -> None:
    def broken(context: RoundContext) -> str:
        raise KeyError("demand_forecast")

    with pytest.raises(ReportError, match=r"section 'broken' \(Broken\) failed: KeyError"):
        build_report(
            sample_context(tmp_path), tmp_path / "x.html", [Section("broken", "Broken", 1, broken)]
        )


def test_a_profile_split_by_provider_is_refused_with_advice(tmp_path: Path) -> None:
    context = sample_context(tmp_path)
    context.risk_profile.insert(0, "provider_id", "N01")
    community = next(s for s in BUILT_IN_SECTIONS if s.id == "community")
    with pytest.raises(ReportError, match=r"split by provider_id.*without --by"):
        render_report(context, [community])


def test_duplicate_section_ids_are_refused(tmp_path: Path) -> None:
    context = sample_context(tmp_path)
    context.sections = (Section("summary", "Another summary", 5, render_custom),)
    with pytest.raises(ValueError, match="two report sections have the id 'summary'"):
        report_sections(context)
    with pytest.raises(ValueError, match="lower-case"):
        check_sections([Section("Bad Id", "x", 5, render_custom)])


def test_describe_input_counts_rows_and_hashes(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n1,2\n3,4\n")
    assert describe_input(path, "two rows") == InputFile(
        "t.csv", 2, hashlib.sha256(b"a,b\n1,2\n3,4\n").hexdigest(), "two rows"
    )
    parquet = tmp_path / "t.parquet"
    pd.DataFrame({"a": range(7)}).to_parquet(parquet)
    assert describe_input(parquet).rows == 7


def test_number_formats() -> None:
    assert fmt_diff(-1.04) == "−1.0"
    assert fmt_diff(2.26) == "+2.3"
    assert fmt_diff(0.01) == "0.0"
    assert fmt_pct(pd.NA) == "*"
    assert fmt_pct(float("nan")) == "*"
    assert tier_label("high+very_high") == "High + very high"
