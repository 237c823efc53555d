"""publish: the commissioning-round report (HTML), its sections, charts and comparisons.

Public API::

    from commissioning.publish import RoundContext, InputFile, build_report
    build_report(RoundContext(risk_profile=..., need_profile=...), Path("report.html"))

Sections are an extension point: `register_section` adds one (see
`commissioning.publish.sections`).
"""

from commissioning.publish.compare import (
    TOLERANCE_PARAMETER,
    ComparisonError,
    compare_need_prevalence,
    compare_risk_profile,
    load_published_need_prevalence,
    load_published_risk_profile,
    merge_tiers,
)
from commissioning.publish.context import InputFile, RoundContext, describe_input
from commissioning.publish.report import build_report, render_report
from commissioning.publish.sections import (
    ReportError,
    ReportSection,
    Section,
    register_section,
    registered_sections,
    section,
    unregister_section,
)

__all__ = [
    "TOLERANCE_PARAMETER",
    "ComparisonError",
    "InputFile",
    "ReportError",
    "ReportSection",
    "RoundContext",
    "Section",
    "build_report",
    "compare_need_prevalence",
    "compare_risk_profile",
    "describe_input",
    "load_published_need_prevalence",
    "load_published_risk_profile",
    "merge_tiers",
    "register_section",
    "registered_sections",
    "render_report",
    "section",
    "unregister_section",
]
