"""A commissioning round, its budget envelope, and the proposals providers send in answer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from commissioning.web.models._choices import (
    HARM_CHOICES,
    OFFENCE_GROUP_CHOICES,
    RISK_TIER_CHOICES,
    SETTING_CHOICES,
)
from commissioning.web.models.organisations import Organisation


class CommissioningRound(models.Model):
    """The annual Strategic Commissioning Round: published intentions that providers answer."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open for proposals"
        CLOSED = "closed", "Closed"
        AWARDED = "awarded", "Awarded"

    year = models.CharField(max_length=9, unique=True, help_text="e.g. 2012-13")
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    opens = models.DateField(null=True, blank=True)
    closes = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-year"]

    @property
    def published(self) -> bool:
        return self.status != self.Status.DRAFT

    @property
    def starts(self) -> dt.date:
        """The round's date: the first day of its financial year (``2012-13`` → 1 April
        2012), the date its proposals are checked and its parameters read at."""
        from commissioning.secure.rounds import financial_year_start

        return financial_year_start(self.year)

    def add_lot(self, service_group: str, region: str, setting: str, budget: Decimal) -> Lot:
        """A new lot (numbered after the last) with its budget: the one way a lot is made
        (the lots page and the demo data alike)."""
        from django.db import transaction
        from django.db.models import Max

        with transaction.atomic():
            last = self.lots.aggregate(n=Max("number"))["n"] or 0
            lot = Lot.objects.create(round=self, number=last + 1, service_group=service_group,
                                     region=region, setting=setting)
            LotBudget.objects.create(lot=lot, amount=budget)
        return lot

    def __str__(self) -> str:
        return f"Commissioning round {self.year}"


class RoundEnvelope(models.Model):
    """The commissioner's budget envelope and savings target: never visible to a provider."""

    round = models.OneToOneField(
        CommissioningRound, on_delete=models.CASCADE, related_name="envelope"
    )
    budget = models.DecimalField(max_digits=16, decimal_places=2)
    savings_target = models.DecimalField(max_digits=16, decimal_places=2)
    notes = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return f"Budget envelope, {self.round.year}"


class Lot(models.Model):
    """A part of a round bid for and judged on its own: one service group in one region and
    setting. Proposals answer one lot; evaluation, price points and award are per lot, so a
    probation trust's offer is never ranked against a local charity's small service."""

    round = models.ForeignKey(CommissioningRound, on_delete=models.CASCADE, related_name="lots")
    number = models.PositiveSmallIntegerField()
    service_group = models.CharField(
        max_length=120, help_text="e.g. Offender management, Accommodation and employment"
    )
    region = models.CharField(max_length=80, help_text="e.g. London, Wales, National")
    setting = models.CharField(max_length=16, choices=SETTING_CHOICES)

    class Meta:
        ordering = ["round", "number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "number"], name="lot_unique_number"),
            models.UniqueConstraint(
                fields=["round", "service_group", "region", "setting"], name="lot_unique_scope"
            ),
        ]

    @property
    def name(self) -> str:
        return f"{self.service_group}, {self.region}, {self.get_setting_display().lower()}"

    def __str__(self) -> str:
        return f"Lot {self.number}: {self.name}"


class LotBudget(models.Model):
    """The commissioner's budget for one lot: commissioning information, never shown to a
    provider."""

    lot = models.OneToOneField(Lot, on_delete=models.CASCADE, related_name="budget")
    amount = models.DecimalField(
        max_digits=16, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )

    def __str__(self) -> str:
        return f"Budget of {self.lot}"


class Proposal(models.Model):
    """A provider's answer to a round: whom they serve, what they deliver, why, at what price."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        WITHDRAWN = "withdrawn", "Withdrawn"
        AWARDED = "awarded", "Awarded"
        NOT_AWARDED = "not_awarded", "Not awarded"

    round = models.ForeignKey(
        CommissioningRound, on_delete=models.PROTECT, related_name="proposals"
    )
    provider = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="proposals")
    #: The lot the proposal answers (required to submit when the round has lots).
    lot = models.ForeignKey(
        Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="proposals"
    )
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    delivery_approach = models.TextField(
        blank=True, default="", help_text="How the services will be delivered."
    )
    subcontracting_plan = models.TextField(blank=True, default="")
    #: Tables 1-2 for the provider's own population, computed on upload (aggregates only: the
    #: uploaded records are validated, profiled and then discarded — the minimum data set).
    profile = models.JSONField(null=True, blank=True)
    profile_rows = models.PositiveIntegerField(null=True, blank=True)
    profile_source = models.CharField(max_length=255, blank=True, default="")
    profile_sha256 = models.CharField(max_length=64, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "pk"]

    @property
    def annual_price(self) -> Decimal:
        return sum((line.price for line in self.lines.all()), Decimal(0))

    def submission_problems(self) -> dict[str, str]:
        """What stops this draft being submitted, by field (empty when nothing does)."""
        problems: dict[str, str] = {}
        if not self.lines.exists():
            problems["lines"] = "Add at least one service before you submit the proposal"
        if self.lot_id is None and self.round.lots.exists():
            problems["lot"] = "Choose the lot your proposal answers before you submit it"
        elif self.lot is not None and self.lot.round_id != self.round_id:
            problems["lot"] = "The lot chosen belongs to another round: choose one of this round's"
        return problems

    def __str__(self) -> str:
        return f"{self.title} ({self.provider})"


class ProposalLine(models.Model):
    """A service the provider will deliver to one segment: volume, unit price and rationale."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="lines")
    service_id = models.CharField(max_length=64, help_text="An intervention catalogue id.")
    setting = models.CharField(max_length=16, choices=SETTING_CHOICES)
    offence_group = models.CharField(max_length=16, choices=OFFENCE_GROUP_CHOICES)
    risk_tier = models.CharField(max_length=16, choices=RISK_TIER_CHOICES)
    harm = models.CharField(max_length=8, choices=HARM_CHOICES, default="low")
    women_only = models.BooleanField(default=False)
    volume = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    rationale = models.TextField(
        blank=True,
        default="",
        help_text="Why, where the choice departs from the evidence base or the intentions.",
    )

    class Meta:
        ordering = ["pk"]

    @property
    def price(self) -> Decimal:
        return self.unit_price * self.volume


class Subcontract(models.Model):
    """Part of a proposal the provider will buy from another organisation."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="subcontracts")
    subcontractor = models.CharField(max_length=200)
    services = models.CharField(max_length=400)
    annual_value = models.DecimalField(max_digits=14, decimal_places=2)


class ProposalFlag(models.Model):
    """A departure from the intentions found by the automatic check, for the commissioner."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="flags")
    line = models.ForeignKey(
        ProposalLine, on_delete=models.CASCADE, null=True, related_name="flags"
    )
    intention = models.CharField(max_length=32, help_text="e.g. community-3")
    rule = models.CharField(max_length=64)
    detail = models.TextField()
    rationale_given = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]
