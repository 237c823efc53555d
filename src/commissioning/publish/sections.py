"""Report sections: the extension point of the commissioning-round report.

A section has an ``id`` (its anchor), a ``title`` (its heading and contents entry), an
``order`` (ascending, ties by id) and ``render(context) -> str`` returning an HTML fragment.
The report shows publish's own sections (:data:`commissioning.publish.report.BUILT_IN_SECTIONS`)
and the sections of the round's capabilities, which each capability declares once, in its
:class:`commissioning.steps.Capability` (docs/extending.md); the round puts them in
``RoundContext.sections``. Nothing registers itself on import::

    from commissioning.publish import Section

    SECTION = Section("demand", "Demand forecast", 45, render_demand)

Sections with an order below :data:`BULLETIN_MAX_ORDER` (100) form the bulletin, the report's
first screen (built in: the decisions, 5); every other section is in the annex, in order:
evidence 200, demand 300, plan 400, secure 450, review 500, equality 600, need (Tables 1-2
beside the published figures, the synthetic data's calibration check) 810-850, provenance 1000.
Leave gaps so sections can slot in between.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from commissioning.publish.context import RoundContext

_ID = re.compile(r"^[a-z][a-z0-9_-]*$")
#: Sections ordered below this are the bulletin (first screen); the rest are the annex.
BULLETIN_MAX_ORDER = 100


class ReportError(RuntimeError):
    """A report that could not be built: which section failed and why."""


@runtime_checkable
class ReportSection(Protocol):
    """Anything with these attributes and ``render`` can be a report section."""

    @property
    def id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def order(self) -> int: ...

    @property
    def summary(self) -> str | None: ...

    def render(self, context: RoundContext) -> str: ...


@dataclass(frozen=True)
class Section:
    """A report section made from a render function."""

    id: str
    title: str
    order: int
    renderer: Callable[[RoundContext], str]
    summary: str | None = None

    def render(self, context: RoundContext) -> str:
        """The section's HTML fragment (without its heading: the builder adds it)."""
        return self.renderer(context)


def check_sections(sections: Iterable[ReportSection]) -> list[ReportSection]:
    """The sections in report order (by ``order``, then ``id``), after checking that every id
    is well formed (it becomes the section's anchor) and that no two share one."""
    seen: dict[str, ReportSection] = {}
    for sec in sections:
        if not _ID.match(sec.id):
            raise ValueError(
                f"section id {sec.id!r} must be lower-case letters, digits, '-' or '_' "
                "(it becomes the section's anchor in the page)"
            )
        if sec.id in seen:
            raise ValueError(
                f"two report sections have the id {sec.id!r} ({seen[sec.id].title!r} and "
                f"{sec.title!r}); pick another id"
            )
        seen[sec.id] = sec
    return sorted(seen.values(), key=lambda s: (s.order, s.id))
