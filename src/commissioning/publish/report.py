"""Build the commissioning-round report: one self-contained, offline HTML file.

The page is assembled from publish's own sections (:data:`BUILT_IN_SECTIONS`) and the round's
capabilities' sections (``RoundContext.sections``), in order (`commissioning.publish.sections`),
inside a Jinja2 template with the stylesheet inlined; charts are inline SVG. Nothing is fetched
when the file is opened: no external scripts, styles, fonts or images.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from commissioning.publish import bulletin as _bulletin
from commissioning.publish.bulletin import BULLETIN_SECTION
from commissioning.publish.charts import CHARTS_SECTION
from commissioning.publish.context import RoundContext
from commissioning.publish.provenance import PROVENANCE_SECTION
from commissioning.publish.sections import (
    BULLETIN_MAX_ORDER,
    ReportError,
    ReportSection,
    check_sections,
)
from commissioning.publish.summary import SUMMARY_SECTION
from commissioning.publish.tables import (
    COMMUNITY_SECTION,
    CUSTODY_SECTION,
    NEEDS_SECTION,
    clear_comparisons,
)

#: publish's own sections: the decisions (bulletin), the need tables and charts beside the
#: published figures, and provenance. Capabilities add theirs through ``RoundContext.sections``.
BUILT_IN_SECTIONS: tuple[ReportSection, ...] = (
    BULLETIN_SECTION, SUMMARY_SECTION, COMMUNITY_SECTION, CUSTODY_SECTION, NEEDS_SECTION,
    CHARTS_SECTION, PROVENANCE_SECTION,
)


@dataclass(frozen=True)
class RenderedSection:
    """A section's heading, anchor, contents summary and HTML body."""

    id: str
    title: str
    summary: str | None
    html: Markup
    order: int = 0


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("commissioning.publish", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _stylesheet() -> str:
    return (
        resources.files("commissioning.publish")
        .joinpath("templates", "report.css")
        .read_text(encoding="utf-8")
    )


def report_sections(context: RoundContext) -> list[ReportSection]:
    """Every section of the round's report, in order: the built-in ones and the context's
    (its capabilities'); ids must be well formed and unique."""
    return check_sections([*BUILT_IN_SECTIONS, *context.sections])


def render_sections(
    context: RoundContext, sections: Sequence[ReportSection] | None = None
) -> list[RenderedSection]:
    """Render each section (default: :func:`report_sections`), naming the section that failed
    if one does."""
    chosen = report_sections(context) if sections is None else check_sections(sections)
    out = []
    clear_comparisons()
    try:
        for sec in chosen:
            if sec.id in context.skipped:
                reason = re.sub(r"`([^`]+)`", r"<code>\1</code>",
                                str(escape(context.skipped[sec.id])))
                body = (f'<div class="not-run" id="{sec.id}-not-run"><p><strong>Not run in this '
                        f'round:</strong> {reason}.</p></div>')
                out.append(RenderedSection(sec.id, sec.title, sec.summary, Markup(body),
                                           sec.order))
                continue
            try:
                body = sec.render(context)
            except ReportError:
                raise
            except Exception as exc:
                raise ReportError(
                    f"report section {sec.id!r} ({sec.title}) failed: {type(exc).__name__}: {exc}"
                ) from exc
            out.append(RenderedSection(sec.id, sec.title, sec.summary, Markup(body), sec.order))
    finally:
        clear_comparisons()
    return out


def render_report(context: RoundContext, sections: Sequence[ReportSection] | None = None) -> str:
    """The report as one HTML document (a string)."""
    template = _environment().get_template("report.html.j2")
    rendered = render_sections(context, sections)
    return template.render(
        context=context,
        sections=rendered,
        bulletin=[s for s in rendered if s.order < BULLETIN_MAX_ORDER],
        annex=[s for s in rendered if s.order >= BULLETIN_MAX_ORDER],
        stylesheet=Markup(_stylesheet()),
    )


def write_downloads(context: RoundContext, folder: Path) -> list[Path]:
    """The report's downloadable tables beside it: the bulletin's tables and every parameter
    in force (``tables/*.csv``), each with small cells already handled by the step that made
    it (the bulletin's tables hold money and counts of services, not of people)."""
    from commissioning.io.exports import write_tables
    from commissioning.publish.provenance import parameter_table

    frames = {**_bulletin.tables(context), "parameters.csv": parameter_table(context)}
    return write_tables(frames, folder / _bulletin.TABLES_DIR)


def build_report(
    context: RoundContext,
    out: Path,
    sections: Sequence[ReportSection] | None = None,
) -> Path:
    """Write the report to ``out`` (parent folders created) and return the path.

    ``sections`` defaults to :func:`report_sections`; pass a list to build a partial report.
    """
    from commissioning.publish.decisions import decisions, write_snapshot

    html = render_report(context, sections)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    write_downloads(context, out.parent)
    write_snapshot(context, decisions(context))
    return out
