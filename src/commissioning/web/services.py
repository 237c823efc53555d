"""The workspace's state changes: one function for each, called by the pages, the JSON API and
the demo data alike, so that a change made through any of them is the same change with the
same audit entries (the audit log records every save, :mod:`commissioning.web.audit`).

- :func:`start_round`: a new draft round with its budget envelope from the dated parameters.
- :func:`advance_round`: publish (open), close or mark a round awarded, one step at a time.
- :func:`start_proposal`: a provider's draft proposal for an open round.
- :func:`recheck`: re-run the intentions check on a proposal after any change of its lines or
  upload (:func:`commissioning.web.checks.refresh_flags`).
- :func:`upload_profile`: profile a provider's assessments extract and keep only the counts on
  a draft (:func:`commissioning.secure.profiling.profile_upload`).
- :func:`apply_price_schedule`: a validated price schedule's lines, replacing the proposal's
  lines or added to them, all in one transaction.
- :func:`submit_proposal`: send a draft to the commissioner.
- :func:`create_contract`: an SLA or contract with a draft version 1 (from an awarded
  proposal, its lines).
- :func:`current_version`: a contract's current (latest agreed) version.
- :func:`draft_variation`: a new draft version of an agreed contract, copying the current
  version's schedule and targets (or the draft already open).
- :func:`agree_version`: agree a draft version, a variation when one is agreed already.
- :func:`publish_contract`: publish a contract (it needs an agreed version) or withdraw it.

The caller checks the permission (``walls.require``); these functions check the record's state
and raise ``ValidationError`` by field, which the pages show as error messages and the API
answers with 422.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from commissioning.secure.prices import PriceLine
from commissioning.secure.profiling import ProfiledUpload, profile_upload
from commissioning.web import models as m
from commissioning.web.checks import refresh_flags
from commissioning.web.policy import parameters
from commissioning.web.walls import visible

RoundStatus = m.CommissioningRound.Status
#: The one move a round can make from each status: publish (open for proposals), close, award.
NEXT_STATUS: dict[str, str] = {
    RoundStatus.DRAFT: RoundStatus.OPEN,
    RoundStatus.OPEN: RoundStatus.CLOSED,
    RoundStatus.CLOSED: RoundStatus.AWARDED,
}


def start_round(rnd: m.CommissioningRound) -> m.CommissioningRound:
    """Save a new (validated, unsaved) round as a draft with its budget envelope and savings
    target from the dated parameters ``secure.agency_budget`` and ``plan.savings_target`` at
    the round's date, for the commissioner to change before publishing."""
    with transaction.atomic():
        rnd.status = RoundStatus.DRAFT
        rnd.save()
        params, when = parameters(), rnd.starts
        m.RoundEnvelope.objects.create(
            round=rnd,
            budget=Decimal(str(params.value("secure.agency_budget", when))),
            savings_target=Decimal(str(params.value("plan.savings_target", when))),
            notes="Started from the dated parameters secure.agency_budget and "
            "plan.savings_target; change them here.",
        )
    return rnd


def advance_round(rnd: m.CommissioningRound, to: str) -> None:
    """Move the round one step (:data:`NEXT_STATUS`). Raises ``ValidationError`` when that is
    not the round's next step, or when a round would be published without its envelope."""
    if NEXT_STATUS.get(rnd.status) != to:
        raise ValidationError(
            {"status": f"That change of status is not possible from "
                       f"'{rnd.get_status_display()}'."})
    if to == RoundStatus.OPEN and not m.RoundEnvelope.objects.filter(round=rnd).exists():
        raise ValidationError(
            {"envelope": "Set the budget envelope before publishing the round."})
    rnd.status = to
    rnd.save(update_fields=["status"])


def start_proposal(
    rnd: m.CommissioningRound,
    provider: m.Organisation,
    title: str,
    by: Any = None,
    *,
    lot: m.Lot | None = None,
    delivery_approach: str = "",
    subcontracting_plan: str = "",
) -> m.Proposal:
    """A provider's draft proposal for ``rnd``. Raises ``ValidationError`` when the round is
    not open for proposals or the lot is another round's (the caller checked the permission
    and that the round is one the provider may see)."""
    if rnd.status != RoundStatus.OPEN:
        raise ValidationError({"round": "The round is not open for proposals"})
    if lot is not None and lot.round_id != rnd.pk:
        raise ValidationError({"lot": "The lot chosen belongs to another round"})
    return m.Proposal.objects.create(
        round=rnd, provider=provider, lot=lot, title=title,
        delivery_approach=delivery_approach, subcontracting_plan=subcontracting_plan,
        created_by=by if getattr(by, "pk", None) is not None else None,
    )


def _lock_draft(proposal: m.Proposal, field: str) -> m.Proposal:
    """The proposal, locked, when it is still a draft in an open round (else ValidationError
    on ``field``): the caller checked the permission; the state is checked again here."""
    locked = m.Proposal.objects.select_for_update().select_related("round").get(pk=proposal.pk)
    if (locked.status != m.Proposal.Status.DRAFT
            or locked.round.status != RoundStatus.OPEN):
        raise ValidationError(
            {field: "The proposal is no longer a draft in an open round: nothing changed"})
    return locked


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
        locked = _lock_draft(proposal, "file")
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


def upload_profile(
    proposal: m.Proposal, chunks: Iterable[bytes], filename: str
) -> ProfiledUpload:
    """Validate, score and profile an uploaded assessments extract at the round's date under
    the workspace's policy (:func:`commissioning.secure.profiling.profile_upload`), keep only
    the profile, its row count, SHA-256 and file name on the draft, and run the intentions
    check again. Raises ``UploadRejected`` (every problem, nothing stored) or
    ``ValidationError`` when the proposal is no longer a draft in an open round."""
    kept = profile_upload(chunks, filename, parameters(), proposal.round.starts)
    with transaction.atomic():
        locked = _lock_draft(proposal, "file")
        locked.profile = kept.profile
        locked.profile_rows = kept.rows
        locked.profile_sha256 = kept.sha256
        locked.profile_source = kept.filename[:255]
        locked.save()
        recheck(locked)
    for field in ("profile", "profile_rows", "profile_sha256", "profile_source", "updated_at"):
        setattr(proposal, field, getattr(locked, field))
    return kept


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


def create_contract(
    contract: m.Contract, annual_operating_price: Decimal, proposal: m.Proposal | None = None
) -> m.ContractVersion:
    """Save a new (validated, unsaved) SLA or contract with a draft version 1 at
    ``annual_operating_price``; from an awarded proposal that has no contract yet, the
    proposal's lines become the version's schedule. Returns the draft version."""
    if proposal is not None:
        if proposal.status != m.Proposal.Status.AWARDED:
            raise ValidationError({"proposal": "Only an awarded proposal becomes a contract."})
        if m.Contract.objects.filter(proposal=proposal).exists():
            raise ValidationError({"proposal": "This proposal already has a contract."})
    with transaction.atomic():
        if proposal is not None:
            contract.proposal = proposal
        contract.save()
        version = m.ContractVersion.objects.create(
            contract=contract, number=1, annual_operating_price=annual_operating_price)
        for line in proposal.lines.all() if proposal is not None else ():
            m.ScheduleLine.objects.create(
                version=version, service_id=line.service_id, setting=line.setting,
                offence_group=line.offence_group, risk_tier=line.risk_tier, harm=line.harm,
                volume=line.volume, price=line.price)
    return version


def publish_contract(contract: m.Contract, publish: bool) -> None:
    """Publish the contract's summary, schedule and performance on the transparency page, or
    withdraw it. Raises ``ValidationError`` when publishing a contract with no agreed
    version."""
    if publish and current_version(contract) is None:
        raise ValidationError({"published": "Agree a version before publishing the contract."})
    contract.published = publish
    contract.save()


def current_version(contract: m.Contract, who: Any = None) -> m.ContractVersion | None:
    """The latest agreed version. With ``who`` (a user or ``walls.Viewer``) only what they may
    see behind the ethical walls; without, the system's own reading (the round's report, the
    OCDS export, which applies its own publication rule)."""
    versions = contract.versions.all() if who is None else visible(
        who, m.ContractVersion).filter(contract=contract)
    return versions.filter(status=m.ContractVersion.Status.AGREED).order_by("-number").first()


def draft_variation(contract: m.Contract, who: Any = None) -> tuple[m.ContractVersion, bool]:
    """The draft version to vary an agreed contract in: the draft already open (``False``),
    or a new one numbered after the last, with the current agreed version's annual operating
    price, schedule lines and target levels copied (``True``). With ``who`` only the versions,
    lines and targets they may see are read. Raises ``ValidationError`` when the contract has
    no agreed version to vary."""
    with transaction.atomic():
        locked = m.Contract.objects.select_for_update().get(pk=contract.pk)
        versions = (m.ContractVersion.objects if who is None
                    else visible(who, m.ContractVersion)).filter(contract=locked)
        existing = versions.filter(status=m.ContractVersion.Status.DRAFT).first()
        if existing is not None:
            return existing, False
        current = current_version(locked, who)
        if current is None:
            raise ValidationError({"version": "There is no agreed version to vary."})
        top = m.ContractVersion.objects.filter(contract=locked).aggregate(
            n=Max("number"))["n"]
        draft = m.ContractVersion.objects.create(
            contract=locked, number=(top or 0) + 1,
            annual_operating_price=current.annual_operating_price)
        lines = m.ScheduleLine.objects if who is None else visible(who, m.ScheduleLine)
        for line in lines.filter(version=current):
            line.pk = None
            line.version = draft
            line.save()
        targets = m.TargetLevel.objects if who is None else visible(who, m.TargetLevel)
        for target in targets.filter(version=current):
            target.pk = None
            target.version = draft
            target.save()
    return draft, True


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
