"""The one disclosure rule (publish/disclosure.py), as every published figure uses it: counts,
shares, rates of a group, single figures on web pages; the threshold from the workspace's
policy; unsuppressed output only with --internal, marked not for publication."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from commissioning.io.exports import INTERNAL_MARK, internal_path, write_csv, write_xlsx
from commissioning.io.workspace import Workspace
from commissioning.policy.parameters import load_parameters
from commissioning.publish.disclosure import (
    SUPPRESSED,
    is_small_count,
    published_figure,
    rating_minimum,
    small_cell_threshold,
    withheld_share,
    withhold_rates,
)
from commissioning.round import workspace_parameters

WHEN = dt.date(2012, 4, 1)


@given(st.integers(0, 10_000), st.integers(1, 50))
def test_a_count_is_small_exactly_from_1_to_threshold_minus_1(count: int, threshold: int) -> None:
    assert is_small_count(count, threshold) == (1 <= count <= threshold - 1)
    assert published_figure("x", count, threshold) == (
        SUPPRESSED if 1 <= count < threshold else "x")


@given(st.integers(0, 1_000), st.integers(0, 1_000), st.integers(1, 20))
def test_a_share_is_withheld_when_its_people_or_the_rest_are_few(
    a: int, b: int, threshold: int
) -> None:
    part, total = min(a, b), max(a, b)
    withheld = withheld_share(part, total, threshold)
    assert withheld == (0 < part < threshold or 0 < total - part < threshold)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 200), st.integers(0, 200)), min_size=1, max_size=40),
    st.integers(2, 15),
)
def test_withheld_rates_never_reveal_a_small_group(
    groups: list[tuple[int, int]], threshold: int
) -> None:
    rows = [(max(a, b), min(a, b)) for a, b in groups]  # (people, reoffenders)
    frame = pd.DataFrame({
        "provider_id": [f"P{i}" for i in range(len(rows))],
        "cohort_size": [n for n, _ in rows],
        "reoffenders": [r for _, r in rows],
    })
    frame["binary_rate"] = frame["reoffenders"] / frame["cohort_size"].where(frame.cohort_size > 0)
    out = withhold_rates(frame, threshold, ["cohort_size", "reoffenders", "binary_rate"])
    for (n, r), shown in zip(rows, out.to_dict("records"), strict=True):
        small = 0 < n < threshold or 0 < r < threshold or 0 < n - r < threshold
        if small:
            assert pd.isna(shown["cohort_size"]) and pd.isna(shown["reoffenders"])
            assert pd.isna(shown["binary_rate"])
        else:
            assert shown["cohort_size"] == n and shown["reoffenders"] == r
    assert out["provider_id"].tolist() == frame["provider_id"].tolist()  # labels untouched


def test_the_threshold_and_rating_minimum_follow_the_workspace_policy(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.init()
    assert small_cell_threshold(workspace_parameters(ws).at(WHEN)) == 5
    (ws.path / "policy").mkdir(exist_ok=True)
    (ws.path / "policy" / "local.yaml").write_text(
        "disclosure.small_cell_threshold:\n  2012-04-01: 10\n"
        "review.rating_minimum_cohort:\n  2012-04-01: 50\n", encoding="utf-8")
    params = workspace_parameters(ws)
    assert small_cell_threshold(params.at(WHEN)) == 10
    assert rating_minimum(params.at(WHEN)) == 50
    # the rating minimum is never below the small-cell threshold
    low = load_parameters().with_overrides({"review.rating_minimum_cohort": {"2012-04-01": 3}})
    assert rating_minimum(low.at(WHEN)) == 5


def test_internal_output_says_not_for_publication_in_name_and_first_line(
    tmp_path: Path,
) -> None:
    frame = pd.DataFrame({"provider_id": ["N1"], "cohort_size": [3], "binary_rate": [0.333]})
    path = write_csv(frame, tmp_path / "rates.csv", internal=True)
    assert path == internal_path(tmp_path / "rates.csv")
    assert path.name == "rates.not-for-publication.csv"
    first = path.read_text(encoding="utf-8-sig").splitlines()[0]
    assert first.startswith(f"# {INTERNAL_MARK}")
    book = write_xlsx([("rates", frame)], tmp_path / "rates.xlsx", internal=True)
    assert book.name == "rates.not-for-publication.xlsx"
    import openpyxl

    sheet = openpyxl.load_workbook(book)["rates"]
    assert str(sheet.cell(1, 1).value).startswith(INTERNAL_MARK)
    assert sheet.cell(3, 2).value == 3


def test_published_csv_has_a_bom_and_stars_and_xlsx_blanks_with_a_note(tmp_path: Path) -> None:
    frame = pd.DataFrame({"segment": ["£ ≥ →", "b"], "offenders": pd.array([pd.NA, 12],
                                                                          dtype="Int64"),
                          "share_pct": [np.nan, 12.3456]})
    path = write_csv(frame, tmp_path / "p.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "£ ≥ →,*,*" in text and "b,12,12.35" in text
    import openpyxl

    book = write_xlsx([("p", frame)], tmp_path / "p.xlsx", threshold=5)
    sheet = openpyxl.load_workbook(book)["p"]
    assert sheet.freeze_panes == "A2"
    assert sheet.cell(2, 2).value is None and "fewer than 5 people" in sheet.cell(2, 2).comment.text
    assert sheet.cell(3, 2).value == 12 and isinstance(sheet.cell(3, 3).value, float)
