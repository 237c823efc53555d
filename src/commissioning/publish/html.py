"""Small HTML helpers shared by the report sections: escaping, number formats and tables.

Suppressed (missing) figures are always written as ``*`` and never as a number; a published
figure the document does not state is written as an en dash with a title saying so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import pandas as pd

from commissioning.publish.vocabulary import RISK_TIERS, SETTINGS, humanise

SUPPRESSED = "*"
NOT_STATED = "–"
MINUS = "−"

# one vocabulary: the tier and setting labels are the vocabulary module's
TIER_LABELS: dict[str, str] = RISK_TIERS
SETTING_LABELS: dict[str, str] = SETTINGS
# Tables 1-2 keep the published tables' short offence-group names ("Sex", "Other")
GROUP_LABELS: dict[str, str] = {
    "sex": "Sex",
    "violence": "Violence",
    "acquisitive": "Acquisitive",
    "other": "Other",
}


def esc(value: object) -> str:
    """HTML-escape any value's text."""
    return escape(str(value), quote=True)


def is_missing(value: Any) -> bool:
    """True for None, NaN and pandas NA (a suppressed or absent figure)."""
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def tier_label(tier: str) -> str:
    """'high+very_high' -> 'High + very high'."""
    parts = [TIER_LABELS.get(t, t) for t in str(tier).split("+")]
    return " + ".join([parts[0], *(p.lower() for p in parts[1:])])


def fmt_count(value: Any) -> str:
    """A count of people with thousands separators; ``*`` when suppressed."""
    if is_missing(value):
        return SUPPRESSED
    return f"{round(float(value)):,}"


def fmt_pct(value: Any, decimals: int = 1) -> str:
    """A percentage figure (no % sign: the column header says so); ``*`` when suppressed."""
    if is_missing(value):
        return SUPPRESSED
    return f"{float(value):.{decimals}f}"


def fmt_published(value: Any) -> str:
    """A published percentage as the document prints it (whole percent)."""
    if is_missing(value):
        return NOT_STATED
    number = float(value)
    return f"{number:.0f}" if math.isclose(number, round(number)) else f"{number:g}"


def fmt_diff(value: Any) -> str:
    """A signed difference in percentage points with a true minus sign."""
    if is_missing(value):
        return SUPPRESSED
    number = round(float(value), 1)
    if number == 0:
        return "0.0"
    sign = "+" if number > 0 else MINUS
    return f"{sign}{abs(number):.1f}"


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, whether it is numeric (right-aligned) and extra classes."""

    text: str
    numeric: bool = False
    css: str = ""
    title: str = ""
    header: bool = False
    raw: bool = False

    def html(self) -> str:
        tag = "th" if self.header else "td"
        classes = " ".join(c for c in ("num" if self.numeric else "", self.css) if c)
        attrs = f' class="{classes}"' if classes else ""
        if self.header:
            attrs += ' scope="row"'
        if self.title:
            attrs += f' title="{esc(self.title)}"'
        body = self.text if self.raw else esc(humanise(self.text))
        return f"<{tag}{attrs}>{body}</{tag}>"


def published_cell(value: Any) -> Cell:
    """A published figure; an en dash with an explanation when the document does not state it."""
    if is_missing(value):
        return Cell(NOT_STATED, numeric=True, title="not stated in the document")
    return Cell(fmt_published(value), numeric=True)


def diff_cell(value: Any, recomputed: Any, published: Any, tolerance_pp: float) -> Cell:
    """A difference in pp, marked (by class, symbol and hidden text) when over the tolerance."""
    if is_missing(recomputed):
        return Cell(SUPPRESSED, numeric=True, title="recomputed figure suppressed")
    if is_missing(published):
        return Cell(NOT_STATED, numeric=True, title="no published figure to compare")
    text = fmt_diff(value)
    if abs(float(value)) > tolerance_pp:
        body = (
            f'<span aria-hidden="true">▲ </span>{esc(text)}'
            f'<span class="visually-hidden"> (over the {tolerance_pp:g} pp tolerance)</span>'
        )
        return Cell(body, numeric=True, css="over", raw=True)
    return Cell(text, numeric=True)


def table(
    headers: Sequence[str | tuple[str, bool]],
    rows: Iterable[Sequence[Cell]],
    caption: str = "",
    css: str = "",
    header_rows: str = "",
) -> str:
    """An accessible table; a header given as (text, True) is right-aligned (numeric column).

    ``header_rows`` is optional raw HTML for grouped header rows placed above ``headers``.
    """
    head = []
    for h in headers:
        text, numeric = (h, False) if isinstance(h, str) else h
        cls = ' class="num"' if numeric else ""
        head.append(f'<th scope="col"{cls}>{esc(humanise(text))}</th>')
    body = "\n".join("<tr>" + "".join(c.html() for c in row) + "</tr>" for row in rows)
    cap = f"<caption>{esc(humanise(caption))}</caption>" if caption else ""
    cls = f' class="{esc(css)}"' if css else ""
    return (
        f'<div class="table-wrap"><table{cls}>{cap}<thead>{header_rows}<tr>{"".join(head)}</tr>'
        f"</thead><tbody>\n{body}\n</tbody></table></div>"
    )
