"""The workspace's state changes: one function for each, called by the pages, the JSON API and
the demo data alike, so that a change made through any of them is the same change with the
same audit entries (the audit log records every save, :mod:`commissioning.web.audit`).

- :func:`recheck`: re-run the intentions check on a proposal after any change of its lines or
  upload (:func:`commissioning.web.checks.refresh_flags`).
- :func:`apply_price_schedule`: a validated price schedule's lines, replacing the proposal's
  lines or added to them, all in one transaction.
- :func:`submit_proposal`: send a draft to the commissioner.
- :func:`current_version`: a contract's current (latest agreed) version.
- :func:`agree_version`: agree a draft version, a variation when one is agreed already.

The caller checks the permission (``walls.require``); these functions check the record's state
and raise ``ValidationError`` by field, which the pages show as error messages and the API
answers with 422.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from commissioning.secure.prices import PriceLine
from commissioning.web import models as m
from commissioning.web.checks import refresh_flags
from commissioning.web.walls import visible


def recheck(proposal: m.Proposal) -> list[m.ProposalFlag]:
    """Re-run the intentions check at the round's date under the workspace's policy and
    replace the proposal's flags."""
    return refresh_flags(proposal)


def apply_price_schedule(
    proposal: m.Proposal, lines: Sequence[PriceLine], *, replace: bool
) -> list[m.ProposalLine]:
    """Store a validated price schedule (:mod:`commissioning.secure.prices`) on a draft: with
    ``replace`` its lines take the place of every line the proposal had, otherwise they are
    added; then the intentions check runs again. One transaction: all the lines or none.
    Raises ``ValidationError`` when the proposal is no longer a draft in an open round (the
    caller checked the permission; the state is checked again under a lock)."""
    with transaction.atomic():
        locked = m.Proposal.objects.select_for_update().select_related("round").get(
            pk=proposal.pk)
        if (locked.status != m.Proposal.Status.DRAFT
                or locked.round.status != m.CommissioningRound.Status.OPEN):
            raise ValidationError(
                {"file": "The proposal is no longer a draft in an open round: nothing changed"})
        if replace:
            locked.lines.all().delete()  # one audit entry per line removed
        created = [
            m.ProposalLine.objects.create(
                proposal=locked, service_id=line.service_id, setting=line.setting,
                offence_group=line.offence_group, risk_tier=line.risk_tier, harm=line.harm,
                women_only=line.women_only, volume=line.volume, unit_price=line.unit_price,
                rationale=line.rationale)
            for line in lines
        ]
        locked.save(update_fields=["updated_at"])
        recheck(locked)
    return created


def submit_proposal(proposal: m.Proposal, at: dt.datetime | None = None) -> None:
    """Send the draft to the commissioner, re-checked at the round's date. Raises
    ``ValidationError`` (by field) when it has no service line or answers no lot of a round
    that has lots."""
    problems = proposal.submission_problems()
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        recheck(proposal)
        proposal.status = m.Proposal.Status.SUBMITTED
        proposal.submitted_at = at or timezone.now()
        proposal.save()


def current_version(contract: m.Contract, who: Any = None) -> m.ContractVersion | None:
    """The latest agreed version. With ``who`` (a user or ``walls.Viewer``) only what they may
    see behind the ethical walls; without, the system's own reading (the round's report, the
    OCDS export, which applies its own publication rule)."""
    versions = contract.versions.all() if who is None else visible(
        who, m.ContractVersion).filter(contract=contract)
    return versions.filter(status=m.ContractVersion.Status.AGREED).order_by("-number").first()


def agree_version(
    version: m.ContractVersion, by: Any, reason: str = "", at: dt.datetime | None = None
) -> m.Variation | None:
    """Agree a draft version. When an agreed version exists this is a variation from it,
    recorded with ``reason`` and who agreed it (``by``); the agreed version is never changed
    again. Raises ``ValidationError`` (by field) when the draft has no schedule line, is agreed
    already, or varies a version without a reason."""
    if version.status != m.ContractVersion.Status.DRAFT:
        raise ValidationError({"status": f"Version {version.number} is agreed already"})
    if not version.lines.exists():
        raise ValidationError(
            {"lines": "Add at least one schedule line before agreeing the version."})
    current = current_version(version.contract)
    if current is not None and not reason.strip():
        raise ValidationError({"reason": "Enter the reason for the variation"})
    with transaction.atomic():
        version.status = m.ContractVersion.Status.AGREED
        version.agreed_at = at or timezone.now()
        version.save()
        if current is None:
            return None
        return m.Variation.objects.create(
            contract=version.contract, from_version=current, to_version=version,
            reason=reason.strip(), agreed_by=by,
        )
