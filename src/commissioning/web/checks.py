"""The intentions check on a stored proposal: the adapter of :mod:`commissioning.secure.checks`.

Called through :meth:`commissioning.web.models.Proposal.recheck` after every change of a
proposal's lines or upload and on submit, by the pages, the API and the demo data alike. The
check reads the workspace's policy (:func:`commissioning.web.policy.parameters`, built-in plus
``policy/*.yaml``, reloaded when they change) at the round's date
(:attr:`~commissioning.web.models.CommissioningRound.starts`).
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from typing import TYPE_CHECKING

from django.db import transaction

from commissioning.evidence.catalogue import Intervention, load_catalogue
from commissioning.plan.intentions import load_intentions
from commissioning.policy.parameters import ParameterSet
from commissioning.secure.checks import CheckRules, LineFacts, check_proposal
from commissioning.secure.profiling import population

if TYPE_CHECKING:
    from commissioning.web.models import Proposal, ProposalFlag, ProposalLine

_RULES: dict[tuple[int, dt.date], tuple[ParameterSet, CheckRules]] = {}
_LOCK = threading.Lock()
#: Rules kept at most (a few rounds' dates under the policy in force).
_KEEP = 16


@functools.cache
def catalogue_by_id() -> dict[str, Intervention]:
    """The built-in evidence catalogue, by service id (loaded once per process)."""
    return {item.id: item for item in load_catalogue()}


def rules_on(params: ParameterSet, when: dt.date) -> CheckRules:
    """The check's rules under ``params`` on ``when`` (kept while that parameter set is the
    one in force: a changed override file gives a new set, and new rules)."""
    key = (id(params), when)
    with _LOCK:
        held = _RULES.get(key)
        if held is None or held[0] is not params:
            if len(_RULES) >= _KEEP:  # parameter sets replaced by changed files: let them go
                _RULES.clear()
            held = (params, CheckRules.from_policy(params, load_intentions(), when))
            _RULES[key] = held
        return held[1]


def facts(line: ProposalLine) -> LineFacts:
    """The facts of a stored proposal line."""
    return LineFacts(line.pk, line.service_id, line.setting, line.offence_group, line.risk_tier,
                     line.harm, line.women_only, line.rationale, line.volume,
                     float(line.unit_price))


def refresh_flags(proposal: Proposal) -> list[ProposalFlag]:
    """Re-run the check on a stored proposal and replace its flags with the findings."""
    from commissioning.web.models import ProposalFlag
    from commissioning.web.policy import parameters

    rules = rules_on(parameters(), proposal.round.starts)
    findings = check_proposal(
        [facts(line) for line in proposal.lines.all()], population(proposal.profile),
        catalogue_by_id(), rules,
    )
    with transaction.atomic():
        proposal.flags.all().delete()
        return [
            ProposalFlag.objects.create(
                proposal=proposal,
                line_id=f.line_id,
                intention=f.intention,
                rule=f.rule,
                detail=f.detail,
                rationale_given=f.rationale_given,
            )
            for f in findings
        ]
