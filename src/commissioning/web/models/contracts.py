"""SLAs and contracts: schedules of service volumes, target levels and the annual operating
price, in numbered versions changed by variations, with action plans where minimum
requirements are not met."""

from __future__ import annotations

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
from commissioning.web.models.rounds import CommissioningRound, Proposal


class Contract(models.Model):
    """An SLA (public prisons: the Crown cannot contract with itself) or a contract schedule."""

    class Kind(models.TextChoices):
        SLA = "sla", "Service level agreement"
        CONTRACT = "contract", "Contract"
        GRANT = "grant", "Grant agreement"

    reference = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    provider = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="contracts")
    round = models.ForeignKey(
        CommissioningRound,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
    )
    proposal = models.OneToOneField(
        Proposal, on_delete=models.PROTECT, null=True, blank=True, related_name="contract"
    )
    starts = models.DateField()
    ends = models.DateField()
    #: Published contracts (summary, schedule and performance) appear on the transparency page.
    published = models.BooleanField(default=False)
    #: Co-commissioning partners this contract is shared with (a permission change, audited).
    shared_with = models.ManyToManyField(Organisation, blank=True, related_name="shared_contracts")

    class Meta:
        ordering = ["reference"]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class ContractVersion(models.Model):
    """One numbered version of the schedule; agreed versions are never edited, only varied."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        AGREED = "agreed", "Agreed"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    annual_operating_price = models.DecimalField(
        max_digits=16, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    agreed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="version_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.contract.reference} v{self.number}"


class ScheduleLine(models.Model):
    """Service volume for a segment in a version's schedule."""

    version = models.ForeignKey(ContractVersion, on_delete=models.CASCADE, related_name="lines")
    service_id = models.CharField(max_length=64)
    setting = models.CharField(max_length=16, choices=SETTING_CHOICES)
    offence_group = models.CharField(max_length=16, choices=OFFENCE_GROUP_CHOICES)
    risk_tier = models.CharField(max_length=16, choices=RISK_TIER_CHOICES)
    harm = models.CharField(max_length=8, choices=HARM_CHOICES, default="low")
    volume = models.PositiveIntegerField()
    price = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["pk"]


class TargetLevel(models.Model):
    """A target level for an impact measure (e.g. proven reoffending rate) in a version."""

    class Direction(models.TextChoices):
        AT_MOST = "at_most", "At most"
        AT_LEAST = "at_least", "At least"

    version = models.ForeignKey(ContractVersion, on_delete=models.CASCADE, related_name="targets")
    measure = models.CharField(max_length=200)
    target = models.DecimalField(max_digits=12, decimal_places=4)
    unit = models.CharField(max_length=32)
    direction = models.CharField(max_length=8, choices=Direction.choices)

    class Meta:
        ordering = ["pk"]


class Variation(models.Model):
    """A change from one agreed version to the next, with its reason."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="variations")
    from_version = models.ForeignKey(ContractVersion, on_delete=models.PROTECT, related_name="+")
    to_version = models.ForeignKey(ContractVersion, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    agreed_at = models.DateTimeField(auto_now_add=True)


class ActionPlan(models.Model):
    """Agreed where a provider exceptionally cannot meet a minimum requirement (custodial 2)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="action_plans")
    requirement = models.CharField(max_length=300)
    actions = models.TextField()
    due = models.DateField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
