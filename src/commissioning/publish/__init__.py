"""publish: the commissioning-round report (HTML), its sections, charts and comparisons.

Public API::

    from commissioning.publish import RoundContext, InputFile, build_report
    build_report(RoundContext(risk_profile=..., need_profile=...), Path("report.html"))

Sections are an extension point: a capability declares its section in its
`commissioning.steps.Capability` (see `commissioning.publish.sections` and docs/extending.md).
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
from commissioning.publish.report import (
    BUILT_IN_SECTIONS,
    build_report,
    render_report,
    report_sections,
)
from commissioning.publish.sections import (
    ReportError,
    ReportSection,
    Section,
    check_sections,
)

__all__ = [
    "BUILT_IN_SECTIONS",
    "TOLERANCE_PARAMETER",
    "ComparisonError",
    "InputFile",
    "ReportError",
    "ReportSection",
    "RoundContext",
    "Section",
    "build_report",
    "check_sections",
    "compare_need_prevalence",
    "compare_risk_profile",
    "describe_input",
    "load_published_need_prevalence",
    "load_published_risk_profile",
    "merge_tiers",
    "render_report",
    "report_sections",
]
