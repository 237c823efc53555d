"""The review capability: its round step (order 500) and its report section, in one place.

(The equality screen, order 600, is a capability of its own:
:data:`commissioning.review.equality_step.CAPABILITY`.)
"""

from __future__ import annotations

from commissioning.review.report_section import SECTION
from commissioning.review.step import STEP_ID, run_review
from commissioning.steps import Capability

CAPABILITY = Capability(STEP_ID, "Review: reoffending, impact and payment by results", 500,
                        run_review, SECTION, requires=("cohort", "reoffences"))
