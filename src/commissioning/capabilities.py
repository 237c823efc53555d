"""The product's capabilities, listed once: the composition root of ``commission``.

Each capability declares its round step and report section in one
:class:`commissioning.steps.Capability` (in its own ``capability.py``); this module, at the top
of the layers (docs/architecture.md), is the only one that names them all, so the round below
never names a capability, least of all the web. The CLI passes :data:`CAPABILITIES` to
:func:`commissioning.round.round_context`; a deployment (or a test) may pass its own list.

Why a list here and not an entry-point group: the dependency stays an import that mypy and
the architecture test (tests/test_architecture.py) see and check, and a stale editable install
(entry points live in the installed metadata, refreshed only on reinstall) cannot silently run a
round without its capabilities.
"""

from __future__ import annotations

from commissioning.assess.demand.capability import CAPABILITY as DEMAND
from commissioning.evidence.capability import CAPABILITY as EVIDENCE
from commissioning.plan.capability import CAPABILITY as PLAN
from commissioning.review.capability import CAPABILITY as REVIEW
from commissioning.review.equality_step import CAPABILITY as EQUALITY
from commissioning.round import FOUNDATION_ID
from commissioning.steps import Capability, check_capabilities
from commissioning.web.capability import CAPABILITY as SECURE

#: Every capability of the round, in step order.
CAPABILITIES: tuple[Capability, ...] = tuple(
    check_capabilities((EVIDENCE, DEMAND, PLAN, SECURE, REVIEW, EQUALITY), (FOUNDATION_ID,)))
