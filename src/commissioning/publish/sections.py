"""Report sections: the extension point of the commissioning-round report.

A section has an ``id`` (its anchor), a ``title`` (its heading and contents entry), an
``order`` (ascending, ties by id) and ``render(context) -> str`` returning an HTML fragment.
Later capabilities (evidence, demand, plans, outcomes) add their own sections with
`register_section`, the same hook the built-in sections use (STYLE.md, Datasette-style hooks)::

    from commissioning.publish import Section, register_section

    register_section(Section("demand", "Demand forecast", 45, render_demand))

Sections with an order below :data:`BULLETIN_MAX_ORDER` (100) form the bulletin, the report's
first screen (built in: the decisions, 5); every other section is in the annex, in order:
evidence 200, demand 300, plan 400, secure 450, review 500, equality 600, need (Tables 1-2
beside the published figures, the synthetic data's calibration check) 810-850, provenance 1000.
Leave gaps so sections can slot in between.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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


_REGISTRY: dict[str, ReportSection] = {}


def register_section(section: ReportSection, *, replace: bool = False) -> ReportSection:
    """Add a section to every report built afterwards; ``replace=True`` swaps one by id."""
    if not _ID.match(section.id):
        raise ValueError(
            f"section id {section.id!r} must be lower-case letters, digits, '-' or '_' "
            "(it becomes the section's anchor in the page)"
        )
    if section.id in _REGISTRY and not replace:
        raise ValueError(
            f"a report section with id {section.id!r} is already registered "
            f"({_REGISTRY[section.id].title!r}); pick another id or pass replace=True"
        )
    _REGISTRY[section.id] = section
    return section


def unregister_section(section_id: str) -> None:
    """Remove a section (no error if it is not registered)."""
    _REGISTRY.pop(section_id, None)


def section(
    id: str, title: str, order: int, summary: str | None = None
) -> Callable[[Callable[[RoundContext], str]], Callable[[RoundContext], str]]:
    """Decorator: register a render function as a section and return it unchanged."""

    def wrap(fn: Callable[[RoundContext], str]) -> Callable[[RoundContext], str]:
        register_section(Section(id, title, order, fn, summary))
        return fn

    return wrap


def registered_sections() -> list[ReportSection]:
    """The registered sections in report order (by ``order``, then ``id``)."""
    return sorted(_REGISTRY.values(), key=lambda s: (s.order, s.id))
