"""The dates of a commissioning round.

A round is named by its financial year (``2012-13``: April 2012 to March 2013). Its date — the
first day of that year — is the date its parameters are read at (the workspace's policy,
built-in plus overrides), as the round's report reads them at its ``--date``. The workspace
reports as at the date of its latest round: assurance says what is due, and every published
figure is withheld under the disclosure rule in force, on that date, never on today's.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

#: A financial year written ``YYYY-YY`` (the second year the first plus one).
YEAR_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


class RoundYearError(ValueError):
    """A round's year that is not a financial year like ``2012-13``."""


def financial_year_start(year: str) -> dt.date:
    """The first day of a round's financial year: ``2012-13`` → 1 April 2012."""
    match = YEAR_PATTERN.match(year.strip())
    if match is None or (int(match[1]) + 1) % 100 != int(match[2]):
        raise RoundYearError(f"{year!r} is not a financial year: write it like 2012-13")
    return dt.date(int(match[1]), 4, 1)


def reporting_date(published: Iterable[str], drafts: Iterable[str] = ()) -> dt.date | None:
    """The date a workspace reports as at: the start of its latest published round (of its
    latest draft when none is published yet); None when it has no round."""
    years = sorted(published) or sorted(drafts)
    return financial_year_start(years[-1]) if years else None
