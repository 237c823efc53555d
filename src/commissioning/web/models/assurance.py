"""Assurance through the year: self-audit returns, assurance statements, external audits, risk
registers, performance against targets and ratings (Commissioning Intentions 2012-13,
'Contract and SLA Assurance')."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from commissioning.web.models.contracts import Contract
from commissioning.web.models.organisations import Organisation


class AssuranceReturn(models.Model):
    """A provider's self-audit return or assurance statement for a period."""

    class Kind(models.TextChoices):
        SELF_AUDIT = "self_audit", "Self-audit return"
        STATEMENT = "assurance_statement", "Assurance statement"

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="assurance_returns"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    period = models.CharField(max_length=16, help_text="e.g. 2012-Q3")
    statement = models.TextField()
    compliant = models.BooleanField(help_text="Services delivered as the SLA or contract requires.")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at"]


class ExternalAudit(models.Model):
    """An audit the commissioner commissions where internal assurance is not enough."""

    class Opinion(models.TextChoices):
        PENDING = "pending", "Pending"
        SUBSTANTIAL = "substantial", "Substantial assurance"
        ADEQUATE = "adequate", "Adequate assurance"
        LIMITED = "limited", "Limited assurance"
        NONE = "none", "No assurance"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="external_audits")
    area = models.CharField(max_length=200)
    auditor = models.CharField(max_length=200, default="MoJ Audit and Corporate Assurance")
    opinion = models.CharField(max_length=16, choices=Opinion.choices, default=Opinion.PENDING)
    findings = models.TextField(blank=True, default="")
    commissioned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    commissioned_at = models.DateTimeField(auto_now_add=True)


class RiskEntry(models.Model):
    """A line of a contract's risk register."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="risks")
    description = models.CharField(max_length=400)
    likelihood = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    impact = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    mitigation = models.TextField(blank=True, default="")
    owner = models.CharField(max_length=200, blank=True, default="")

    @property
    def score(self) -> int:
        return int(self.likelihood) * int(self.impact)


class PerformanceRecord(models.Model):
    """Performance on a measure for a period, against the target; ``people`` is the base count so
    that published figures can suppress small cells."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="performance")
    measure = models.CharField(max_length=200)
    period = models.CharField(max_length=16)
    actual = models.DecimalField(max_digits=12, decimal_places=4)
    target = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    unit = models.CharField(max_length=32)
    people = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["contract", "measure", "period"]


class Rating(models.Model):
    """A provider's annual performance rating (the prison and probation rating systems, levels
    1-4: 4 exceptional, 3 meeting the majority of targets, 2 of concern, 1 serious concern)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="ratings")
    year = models.CharField(max_length=9)
    level = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    rationale = models.TextField(blank=True, default="")
    published = models.BooleanField(default=False)

    class Meta:
        ordering = ["-year", "organisation"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year"], name="rating_once_a_year")
        ]
