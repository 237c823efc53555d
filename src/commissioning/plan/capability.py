"""The plan capability: its round step (order 400) and its report section, in one place."""

from __future__ import annotations

from commissioning.plan.report_section import SECTION
from commissioning.plan.step import STEP_ID, run
from commissioning.steps import Capability

#: The baseline portfolio is who received which service (interventions); the value of a
#: start is the segment's reoffences (cohort and reoffences).
CAPABILITY = Capability(STEP_ID, "Plan: the portfolio and the intentions", 400, run, SECTION,
                        requires=("interventions", "cohort", "reoffences"))
