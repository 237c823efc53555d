"""The evidence capability: its round step (order 200) and its report section, in one place."""

from __future__ import annotations

from commissioning.evidence.report_section import SECTION
from commissioning.evidence.step import STEP_ID, run
from commissioning.steps import Capability

#: Benefit–cost values each segment's reoffences by their own mix (cohort and reoffences).
CAPABILITY = Capability(STEP_ID, "Evidence: ratings and benefit–cost", 200, run, SECTION,
                        requires=("cohort", "reoffences"))
