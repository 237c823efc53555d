"""Headlines and totals come from unsuppressed counts; suppression only blanks displayed cells.

The regression: on a 40-row workspace the report said it profiled 5 assessments, custody 0,
"100.0% very high risk of serious harm", because `publish/summary.headline` summed only the
cells that survived small-cell suppression.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

import pytest

from commissioning.engine import backend
from commissioning.io.pseudonymise import DEMO_KEY, PseudonymKey
from commissioning.io.workspace import Workspace
from commissioning.policy.parameters import load_parameters
from commissioning.publish.context import RoundContext
from commissioning.publish.summary import headline, render_summary
from commissioning.publish.tables import render_setting
from commissioning.round import profile_workspace
from io_support import records, write

WHEN = dt.date(2012, 4, 1)
COMMUNITY, CUSTODY = 31, 9  # 40 people: not square, and custody under nothing but 10


def forty_assessments(tmp_path: Path) -> Path:
    rng = random.Random(40)
    rows = records("assessments", COMMUNITY + CUSTODY)
    for i, row in enumerate(rows):
        custody = i >= COMMUNITY
        row["setting"] = "custody" if custody else "community"
        row["sentence_type"] = "determinate_custody" if custody else "community_order"
        if custody:
            row["requirements"] = ""
        row["rosh"] = rng.choice(["low", "medium", "high", "very_high"])
        row["offence"] = rng.choice(["burglary_domestic", "violence", "sexual_not_child",
                                     "theft_non_motor", "drink_driving"])
        row["previous_sanctions"] = str(rng.randint(0, 30))
        row["date_of_birth"] = f"{rng.randint(1950, 1988)}-03-15"
    return write(rows, tmp_path / "assessments.xlsx", sheet="assessments")


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> RoundContext:
    tmp = tmp_path_factory.mktemp("forty")
    ws = Workspace(tmp / "ws")
    ws.import_table("assessments", forty_assessments(tmp), PseudonymKey(DEMO_KEY, "demo", True))
    params = load_parameters()
    con = backend.connect()
    published, totals = profile_workspace(con, ws, params.at(WHEN))
    return RoundContext(risk_profile=published.risk, need_profile=published.need,
                        parameters=params, when=WHEN, totals=totals)


def test_the_fixture_has_withheld_cells(context: RoundContext) -> None:
    withheld = context.risk_profile["offenders"].isna().sum()
    assert withheld > 0
    shown = int(context.risk_profile["offenders"].sum(skipna=True))
    assert shown < COMMUNITY + CUSTODY  # so a total from shown cells would be wrong


def test_headline_counts_every_assessment(context: RoundContext) -> None:
    heads = headline(context).set_index("setting")
    assert heads.loc["community", "assessments"] == COMMUNITY
    assert heads.loc["custody", "assessments"] == CUSTODY
    assert context.totals is not None
    t = context.totals
    community = t[t["setting"] == "community"]
    very_high = int(community.loc[community["risk_tier"] == "very_high", "offenders"].sum())
    med_high = int(community.loc[community["risk_tier"].isin(["medium", "high"]),
                                 "offenders"].sum())
    for part, col in ((very_high, "very_high_harm_pct"),
                      (med_high, "medium_high_reoffending_pct")):
        if 0 < part < 5 or 0 < COMMUNITY - part < 5:
            assert heads.loc["community", col] != heads.loc["community", col]  # NaN: withheld
        else:
            assert heads.loc["community", col] == pytest.approx(100 * part / COMMUNITY)


def test_the_summary_says_40_and_never_100_percent_from_a_fragment(
    context: RoundContext,
) -> None:
    html = render_summary(context)
    assert "This report profiles 40 offender assessments" in html
    assert f"<dd>{COMMUNITY}</dd>" in html and f"<dd>{CUSTODY}</dd>" in html
    shares = [float(x) for x in re.findall(r"<dd>([0-9.]+)%</dd>", html)]
    assert 100.0 not in shares


def test_the_tables_count_every_assessment_of_a_setting(context: RoundContext) -> None:
    html = render_setting(context, "community")
    assert f"recomputed from {COMMUNITY} assessments" in html


def test_a_total_under_the_threshold_is_itself_withheld(context: RoundContext) -> None:
    assert context.totals is not None
    small = context.totals.copy()
    custody = small["setting"] == "custody"
    small.loc[custody, "offenders"] = 0
    small.loc[small.index[custody][0], "offenders"] = 3  # custody: 3 people in all
    heads = headline(RoundContext(risk_profile=context.risk_profile,
                                  need_profile=context.need_profile, parameters=context.parameters,
                                  when=WHEN, totals=small)).set_index("setting")
    assert heads.loc["custody", "assessments"] != heads.loc["custody", "assessments"]  # NaN
    assert heads.loc["community", "assessments"] == COMMUNITY
