"""Publishing a whole (small) round: the decision bulletin first, the intentions document in
HTML and A4 PDF, the equality screen from the command line, and open contracting data."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from commissioning.cli.app import _register, app
from policy_support import POLICY, ROUND_DATE

runner = CliRunner()
_register()

#: Codes that must never reach a reader (issue 13).
RAW_CODES = ("education_training", "indeterminate_17", "no_effect", "not_evaluated",
             "best_evidence", "cat_c_trainer", "very_high", "gay_or_lesbian")


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("publish") / "ws"
    # 4,000 assessments are 1/54 of the national sample: scale the £120M target with them, or
    # the plan is infeasible (that case is tested on its own below).
    (folder / "policy").mkdir(parents=True)
    (folder / "policy" / "savings.yaml").write_text(
        "plan.savings_target: {2012-04-01: 2200000}\n"
        "plan.savings_outside_portfolio: {2012-04-01: 700000}\n", encoding="utf-8")
    result = runner.invoke(app, ["demo", "--workspace", str(folder), "--assessments", "4000"])
    assert result.exit_code == 0, result.output
    yield folder


def visible_text(html: str) -> str:
    """What a reader sees: no styles, no code elements (parameter names), no tags."""
    body = re.sub(r"<style.*?</style>", "", html, flags=re.S)
    body = re.sub(r"<code[^>]*>.*?</code>", "", body, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


def test_the_bulletin_comes_first_with_the_decisions_linked_to_evidence(ws: Path) -> None:
    html = (ws / "reports" / "commissioning-round.html").read_text(encoding="utf-8")
    main = html[html.index("<main"):]
    # the bulletin is the first section, before the annex's contents and every annex section
    first = re.search(r'<section class="([^"]+)" id="([^"]+)"', main)
    assert first is not None and first.group(2) == "bulletin"
    assert main.index('id="bulletin"') < main.index('id="contents-title"') < main.index(
        'id="summary"')
    bulletin = main[: main.index('id="contents-title"')]
    for anchor in ("bulletin-main-points", "bulletin-invest", "bulletin-disinvest",
                   "bulletin-bridge", "bulletin-risks", "bulletin-changes"):
        assert f'id="{anchor}"' in bulletin
    # each decision links to the annex section with its evidence and to a download
    for link in ('href="#plan"', 'href="#evidence"', 'href="tables/invest_disinvest.csv"',
                 'href="tables/savings_bridge.csv"'):
        assert link in bulletin
    assert "Savings target 2012-13" in bulletin
    # the calibration check of the synthetic data is in the annex, not on the first screen
    assert "Largest differences from the published tables" not in bulletin
    # the downloads exist and agree with the page
    bridge = pd.read_csv(ws / "reports" / "tables" / "savings_bridge.csv")
    planned = bridge.loc[bridge["kind"] == "end", "amount"].iloc[0]
    summary = json.loads((ws / "exports" / "plan" / "summary.json").read_text())
    assert planned == pytest.approx(summary["planned_spend"], abs=0.01)
    moves = pd.read_csv(ws / "reports" / "tables" / "invest_disinvest.csv")
    assert (moves["change"] != 0).all() and set(moves["service_id"]).isdisjoint(
        {"prison_place", "offender_management"})


def test_an_infeasible_plan_is_the_first_thing_the_bulletin_says(tmp_path: Path) -> None:
    from commissioning.plan.intentions import load_intentions
    from commissioning.plan.run import make_plan
    from commissioning.plan.step import PlanStepResult
    from commissioning.publish import RoundContext
    from commissioning.publish.bulletin import render_bulletin
    from plan_fixtures import make_cells, settings
    from publish_sample import sample_profiles

    cells = make_cells([
        {"service_id": "mentoring", "avoided_per_unit": 0.05, "unit_cost": 3.0,
         "baseline_volume": 2, "statutory_volume": 2.0},
        {"service_id": "outdoor_pursuits", "avoided_per_unit": 0.0, "unit_cost": 1.0,
         "baseline_volume": 2, "evidence_category": "no_effect", "statutory_volume": 2.0},
    ])
    # £7 of savings from £8 of services that courts order: cannot be done
    plan = make_plan(cells, settings(savings_target=7.0, savings_outside_portfolio=0.0,
                                     shrink=1.0, growth=3.0), list(load_intentions()))
    assert plan.status == "infeasible"
    risk, needs = sample_profiles(seed=3)
    context = RoundContext(risk_profile=risk, need_profile=needs, workspace=tmp_path,
                           parameters=POLICY.parameters, when=ROUND_DATE,
                           extras={"plan": PlanStepResult(plan, None, 0.0)})
    html = render_bulletin(context)
    points = html[: html.index("</ul>")]
    assert "<strong>No feasible plan</strong>" in points.split("<li>")[1]
    assert 'href="#plan"' in points
    assert "No feasible plan:" in html[html.index('id="bulletin-risks"'):]


def test_the_report_speaks_in_human_labels(ws: Path) -> None:
    html = (ws / "reports" / "commissioning-round.html").read_text(encoding="utf-8")
    text = visible_text(html)
    for code in RAW_CODES:
        assert code not in text, code
    # the parameters are a compact table with a link to the full list, not pages of YAML
    provenance = html[html.index('id="provenance"'):]
    assert '<a href="tables/parameters.csv">parameters.csv</a>' in provenance
    assert provenance.count('<code class="value">') < 20
    # the funnel plot: one legend, no provider codes
    funnel = html[html.index('id="chart-review-funnel"'):]
    funnel = funnel[: funnel.index("</figure>")]
    assert funnel.count('aria-roledescription="legend"') == 1
    assert funnel.count(">Against the limits<") == 1
    providers = pd.read_parquet(ws / "inputs" / "providers.parquet", columns=["provider_id"])
    svg = funnel[funnel.index("<svg"):]
    assert not any(str(p) in svg for p in providers["provider_id"])


#: Where the browser tests find Chromium (as tests/web/conftest.py).

#: Every chart's text elements whose box leaves the chart's own box, in the rendered page.
_CLIPPED_TEXT = """() => {
  const out = [];
  for (const svg of document.querySelectorAll('svg')) {
    const box = svg.getBoundingClientRect();
    if (box.width === 0) continue;
    for (const t of svg.querySelectorAll('text')) {
      const r = t.getBoundingClientRect();
      if (!t.textContent.trim() || r.width === 0) continue;
      if (r.left < box.left - 1 || r.right > box.right + 1 ||
          r.top < box.top - 1 || r.bottom > box.bottom + 1)
        out.push(t.textContent.trim());
    }
  }
  return out;
}"""


def test_no_chart_label_is_clipped_in_a_browser(ws: Path, chromium: Any) -> None:
    """Vega lays labels out with the fonts it measured; a browser that draws a wider font
    pushes right-aligned axis labels past the chart's left edge (issue 13: "Sentence delivery:
    volumes" showed as "entence delivery: volumes")."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        tab = context.new_page()
        tab.goto((ws / "reports" / "commissioning-round.html").as_uri())
        charts = tab.evaluate("() => document.querySelectorAll('svg text').length")
        clipped = tab.evaluate(_CLIPPED_TEXT)
    finally:
        context.close()
    assert charts > 50, "the page has no charts to check"
    assert clipped == [], clipped


def test_a_second_publication_says_what_changed(ws: Path, tmp_path: Path) -> None:
    snapshot = ws / "exports" / "publish" / "decisions.json"
    before = json.loads(snapshot.read_text())
    assert before["savings"] is not None and before["moves"]
    # pretend the previous round saved less and spent differently on one service
    changed = {**before, "savings": before["savings"] - 5e6,
               "moves": {**before["moves"], "mentoring": 1.23e6}}
    snapshot.write_text(json.dumps(changed))
    result = runner.invoke(app, ["publish", "report", "--workspace", str(ws)])
    assert result.exit_code == 0, result.output
    html = (ws / "reports" / "commissioning-round.html").read_text(encoding="utf-8")
    changes = html[html.index('id="bulletin-changes"'):]
    changes = changes[: changes.index("</div>")]
    assert "Savings: £" in changes and "was £" in changes
    assert "Mentoring" in changes


def test_the_intentions_document_has_the_seed_structure_in_html_and_a4_pdf(ws: Path) -> None:
    from commissioning.publish.intentions_doc import render_pdf

    html = (ws / "reports" / "commissioning-intentions.html").read_text(encoding="utf-8")
    for anchor in ("introduction", "need-and-demand", "table-community", "table-custody",
                   "evidence", "intentions", "providers", "pathways", "annex-a"):
        assert f'id="{anchor}"' in html, anchor
    # the 38 intentions, 10 + 15 + 13, each with its rationale and the plan's verdict
    articles = re.findall(r'<article class="intention" id="([a-z_]+)-(\d+)"', html)
    counts = pd.Series([g for g, _ in articles]).value_counts().to_dict()
    assert counts == {"co_commissioning": 10, "community": 15, "custody": 13}
    assert html.count("In the plan:") == 38
    # co-commissioning: partners' aligned resources and shared outcomes, with a source
    co = html[html.index('id="intentions-co_commissioning"'):
              html.index('id="intentions-community"')]
    assert co.count("Partners and aligned resources") == 10
    assert co.count("Shared outcomes:") == 10 and "£3.0M of £9.0M" in co
    assert "Department for Work and Pensions" in co
    # synthetic data is said to be synthetic; human labels only
    assert 'id="demo-notice"' in html
    for code in RAW_CODES:
        assert code not in visible_text(html), code
    # Tables 1 and 2: suppressed cells as '*', never a count of 1 to 4
    table = html[html.index('id="table-custody"'):]
    table = table[: table.index("</table>")]
    assert "Sexual offences" in table
    # the PDF: A4 pages whose bookmarks follow the seed document's structure
    pdf = ws / "reports" / "commissioning-intentions.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    document = render_pdf(html)
    assert len(document.pages) >= 10
    for page in document.pages:
        assert page.width == pytest.approx(210 / 25.4 * 96, abs=1)
        assert page.height == pytest.approx(297 / 25.4 * 96, abs=1)
    # bookmarks: (label, target, children, state), from the headings
    tree = document.make_bookmark_tree()
    assert tree[0][0] == "Commissioning Intentions 2012-13"
    flat: list[str] = []
    stack = list(tree)
    while stack:
        label, _, children, _ = stack.pop(0)
        flat.append(label)
        stack = list(children) + stack
    order = ["Introduction", "Need and demand for services", "Evidence based commissioning",
             "Commissioning intentions", "What providers must show", "Annex A. Equality impact"]
    positions = [flat.index(t) for t in order]
    assert positions == sorted(positions)


def test_pathways_fit_the_sentence_and_follow_the_stages() -> None:
    from commissioning.publish.pathways import load_pathways, order_services, suggest_pathways

    pathways = load_pathways()
    # prerequisites first, then stages in order, whatever order the plan lists them in
    assert order_services(pathways, ["employment_support", "therapeutic_community",
                                     "drug_rehabilitation", "mentoring"]) == [
        "drug_rehabilitation", "mentoring", "therapeutic_community", "employment_support"]
    cells = pd.DataFrame([
        {"service_id": s, "setting": "custody", "offence_group": "violence",
         "risk_tier": tier, "planned_volume": 10.0, "evidence_category": cat}
        for s, cat in (("accommodation_support", "not_evaluated"),
                       ("thinking_skills_programme", "best_evidence"),
                       ("employment_support", "best_evidence"),
                       ("outdoor_pursuits", "no_effect"))
        for tier in ("high", "low")])
    sentences = pd.DataFrame([
        {"setting": "custody", "offence_group": "violence", "risk_tier": "high",
         "median_days": 400.0},
        {"setting": "custody", "offence_group": "violence", "risk_tier": "low",
         "median_days": 100.0}])
    durations = {"accommodation_support": 90, "thinking_skills_programme": 70,
                 "employment_support": 180, "outdoor_pursuits": 30}
    out = suggest_pathways(pathways, cells, sentences, durations).set_index("risk_tier")
    assert out.loc["high", "stages"] == [
        "Stabilise: Accommodation advice and support",
        "Reduce risk and reoffending: Thinking skills accredited programme (cognitive-behavioural)",
        "Reintegrate: Employment-focused programme leading to real jobs"]
    assert out.loc["high", "days_counted"] == 340
    # a 100-day sentence: stabilise (90) fits, the rest does not; no-effect services never do
    assert out.loc["low", "days_counted"] == 90
    assert "Thinking skills" in out.loc["low", "does_not_fit"]
    assert "Outdoor" not in out.loc["low", "sequence"] + out.loc["low", "does_not_fit"]


def test_pathways_file_names_real_partners(tmp_path: Path) -> None:
    from commissioning.publish.pathways import PathwayError, load_pathways

    with pytest.raises(PathwayError, match="'nhs_primary_care_trusts' is not in the partners"):
        load_pathways(partner_names={"department_of_health": "Department of Health"})
    bad = tmp_path / "pathways.yaml"
    bad.write_text("co_commissioning:\n  1:\n    partners:\n      - partner: x\n        "
                   "amount: lots\n    source: s\n")
    with pytest.raises(PathwayError, match=r"co_commissioning 1, partner 1: amount"):
        load_pathways(bad)


def test_equality_command_screens_the_plan(ws: Path) -> None:
    result = runner.invoke(app, ["equality", "--workspace", str(ws), "--draws", "20"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(ws / "exports" / "equality" / "equality_impact.csv", dtype=str)
    assert set(table["characteristic"]) == {
        "age_band", "disability", "gender_reassignment", "pregnancy_maternity", "ethnicity",
        "religion", "sex", "sexual_orientation"}
    # 4,000 assessments: some groups are under 5 people and are suppressed, never shown
    small = table[table["suppressed"] == "True"]
    assert len(small) and (small["people"] == "*").all()
    assert "adverse impacts flagged (threshold 1.25)" in result.output


def test_every_csv_the_round_writes_opens_in_excel(ws: Path) -> None:
    """Round outputs under exports/ and the report's downloads: UTF-8 with a byte-order mark."""
    written = sorted([*(ws / "exports").rglob("*.csv"), *(ws / "reports").rglob("*.csv")])
    folders = {p.relative_to(ws).parts[1] for p in written}
    assert {"demand", "evidence", "plan", "review", "profiles"} <= folders
    for path in written:
        assert path.read_bytes().startswith(b"\xef\xbb\xbf"), path.relative_to(ws)
        frame = pd.read_csv(path, encoding="utf-8-sig", comment=None)
        assert not str(frame.columns[0]).startswith("\ufeff")


def test_every_numeric_column_the_round_exports_has_a_unit(ws: Path) -> None:
    """docs/data-contract.md, "Units": a suffix or an entry in commissioning.io.units."""
    from commissioning.io.units import unit_of

    missing = []
    for path in sorted([*(ws / "exports").rglob("*.csv"), *(ws / "reports").rglob("*.csv")]):
        frame = pd.read_csv(path, encoding="utf-8-sig", comment="#", na_values=["*"])
        for col in frame.columns:
            if (pd.api.types.is_numeric_dtype(frame[col])
                    and not pd.api.types.is_bool_dtype(frame[col])
                    and unit_of(str(col), path.name) is None):
                missing.append(f"{path.name}: {col}")
    assert not missing, missing


def test_equality_without_a_plan_is_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(app, ["equality", "--workspace", str(tmp_path)])
    assert result.exit_code == 2
    output = "".join(result.output.split())
    assert "portfolio.csv" in output and "noplanintheworkspace" in output


def test_ocds_export_of_the_demo_workspace(ws: Path) -> None:
    from ocdskit.util import detect_format

    # a process of its own, like a user's (Django is set up for the workspace's database)
    result = subprocess.run(
        [str(Path(sys.executable).parent / "commission"), "publish", "ocds", "--workspace",
         str(ws)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    path = ws / "exports" / "ocds" / "release-package.json"
    package = json.loads(path.read_text())
    assert detect_format(str(path))[0] == "release package"
    assert package["version"] == "1.1" and package["releases"]
    assert (ws / "exports" / "ocds" / "contracts.csv").exists()
    text = path.read_text()
    # no person: no e-mail address, no demo account name
    assert "@" not in text
    accounts = (ws / "web" / "demo-accounts.txt")
    if accounts.exists():
        for name in re.findall(r"^\s*(\S+@\S+|\w+\.\w+)\s", accounts.read_text(), re.M):
            assert name not in text


def test_ocds_export_without_a_web_database_is_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(app, ["publish", "ocds", "--workspace", str(tmp_path)])
    assert result.exit_code == 2
    assert "no web database" in result.output
