"""The secure capability: the web workspace's round step (order 450) and its report section,
in one place. Neither imports Django: the step runs it in a child process."""

from __future__ import annotations

from commissioning.steps import Capability
from commissioning.web.report_section import SECTION
from commissioning.web.step import STEP_ID, run

CAPABILITY = Capability(STEP_ID, "Secure: the commissioning workspace", 450, run, SECTION)
