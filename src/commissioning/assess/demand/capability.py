"""The demand capability: its round step (order 300) and its report section, in one place."""

from __future__ import annotations

from commissioning.assess.demand.report_section import SECTION
from commissioning.assess.demand.step import STEP_ID, run
from commissioning.steps import Capability

CAPABILITY = Capability(STEP_ID, "Demand: courts, prison population and capacity", 300, run,
                        SECTION)
