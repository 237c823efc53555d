"""The plan capability: its round step (order 400) and its report section, in one place."""

from __future__ import annotations

from commissioning.plan.report_section import SECTION
from commissioning.plan.step import STEP_ID, run
from commissioning.steps import Capability

CAPABILITY = Capability(STEP_ID, "Plan: the portfolio and the intentions", 400, run, SECTION)
