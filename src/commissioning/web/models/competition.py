"""Competition: weighted quality and price criteria, evaluators' scores, moderation and award."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from commissioning.web.models.rounds import CommissioningRound, Proposal


class Criterion(models.Model):
    """An evaluation criterion of a round with its weight (weights of a round sum to 100)."""

    class Kind(models.TextChoices):
        QUALITY = "quality", "Quality"
        PRICE = "price", "Price"

    round = models.ForeignKey(CommissioningRound, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    weight = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    guidance = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["round", "name"], name="criterion_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight}%)"


#: Quality scores run 0 (unacceptable) to 4 (excellent); price is scored by formula.
QUALITY_SCALE = (0, 4)


class Score(models.Model):
    """One evaluator's score of one proposal against one quality criterion, with a note."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="scores")
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    score = models.PositiveSmallIntegerField(validators=[MaxValueValidator(QUALITY_SCALE[1])])
    note = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "criterion", "evaluator"], name="score_once_per_evaluator"
            )
        ]


class ModeratedScore(models.Model):
    """The agreed score after moderation, with the reason where it differs from the evaluators."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="moderated")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="moderated")
    score = models.PositiveSmallIntegerField(validators=[MaxValueValidator(QUALITY_SCALE[1])])
    note = models.TextField(blank=True, default="")
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["proposal", "criterion"], name="moderated_once")
        ]


class Award(models.Model):
    """The decision for a proposal, with its reasons (commissioning information)."""

    proposal = models.OneToOneField(Proposal, on_delete=models.PROTECT, related_name="award")
    reasons = models.TextField()
    total_score = models.DecimalField(max_digits=6, decimal_places=2)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)
