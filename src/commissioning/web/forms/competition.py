"""Forms the commissioner uses to evaluate proposals: criteria, scores, moderation, award."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.db.models import QuerySet

from commissioning.secure.evaluation import WeightedCriterion, weight_problems
from commissioning.web import models as m
from commissioning.web.forms.govuk import GovukForm

#: The quality scale's meaning, shown beside each score.
SCALE: tuple[tuple[str, str], ...] = (
    ("0", "0 – unacceptable: does not answer the criterion"),
    ("1", "1 – poor: answers it with major gaps or risks"),
    ("2", "2 – acceptable: answers it with minor gaps"),
    ("3", "3 – good: answers it fully"),
    ("4", "4 – excellent: answers it fully with evidence of added value"),
)


class CriterionForm(GovukForm, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = m.Criterion
        fields = ("name", "kind", "weight", "guidance")
        labels: ClassVar[dict[str, Any]] = {
            "name": "Criterion",
            "kind": "Scored on",
            "weight": "Weight (%)",
            "guidance": "Guidance for evaluators and bidders (optional)",
        }
        widgets: ClassVar[dict[str, Any]] = {
            "kind": forms.RadioSelect,
            "guidance": forms.Textarea(attrs={"rows": 2}),
        }
        error_messages: ClassVar[dict[str, Any]] = {
            "name": {"required": "Enter the criterion"},
            "kind": {"required": "Select quality or price"},
            "weight": {
                "required": "Enter the weight",
                "invalid": "Enter the weight as a number, like 25",
                "min_value": "The weight cannot be below 0",
                "max_value": "The weight cannot be above 100",
            },
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = list(m.Criterion.Kind.choices)
        self.fields["weight"].widget = forms.TextInput(attrs={"inputmode": "decimal"})


class BaseCriterionFormSet(forms.BaseModelFormSet):  # type: ignore[type-arg]
    """All of a round's criteria at once, so the weights are checked together."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = [
            f
            for f in self.forms
            if f.has_changed() or f.instance.pk is not None
            if not f.cleaned_data.get("DELETE")
            if f.cleaned_data.get("name")
        ]
        criteria = [
            WeightedCriterion(
                0,
                str(f.cleaned_data["name"]),
                str(f.cleaned_data["kind"]),
                Decimal(f.cleaned_data["weight"]),
            )
            for f in kept
        ]
        names = [c.name.strip().lower() for c in criteria]
        problems = weight_problems(criteria)
        if len(set(names)) != len(names):
            problems.append("Give each criterion a different name.")
        if not any(c.kind == m.Criterion.Kind.QUALITY for c in criteria):
            problems.append("Add at least one quality criterion.")
        if problems:
            raise forms.ValidationError(problems)


CriterionFormSet = forms.modelformset_factory(
    m.Criterion,
    form=CriterionForm,
    formset=BaseCriterionFormSet,
    extra=1,
    can_delete=True,
)


class ScoreForm(GovukForm, forms.Form):
    """One evaluator's score (0-4) and note for each quality criterion of one proposal."""

    def __init__(
        self,
        *args: Any,
        criteria: Sequence[m.Criterion],
        label: str = "Score",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for c in self.criteria:
            self.fields[f"score_{c.pk}"] = forms.ChoiceField(
                label=f"{label} for '{c.name}' ({c.weight.normalize():f}%)",
                choices=SCALE,
                widget=forms.RadioSelect,
                help_text=c.guidance,
                error_messages={"required": f"Select a score for '{c.name}'"},
            )
            self.fields[f"note_{c.pk}"] = forms.CharField(
                label=f"Note on '{c.name}'",
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def rows(self) -> list[tuple[m.Criterion, forms.BoundField, forms.BoundField]]:
        """Each criterion with its score and note fields, for the template."""
        return [(c, self[f"score_{c.pk}"], self[f"note_{c.pk}"]) for c in self.criteria]

    def values(self) -> Mapping[int, tuple[int, str]]:
        """The cleaned score and note by criterion id."""
        return {
            c.pk: (int(self.cleaned_data[f"score_{c.pk}"]), self.cleaned_data[f"note_{c.pk}"])
            for c in self.criteria
        }


class ProposalChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.title} — {obj.provider.name}"


class ProposalsChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.title} — {obj.provider.name}"


class AwardForm(GovukForm, forms.Form):
    proposal = ProposalChoiceField(
        queryset=m.Proposal.objects.none(),
        label="Which proposal is awarded?",
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the proposal to award"},
    )
    reasons = forms.CharField(
        label="Reasons for the award",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Recorded with the award. Providers never see it.",
        error_messages={"required": "Enter the reasons for the award"},
    )
    not_awarded = ProposalsChoiceField(
        queryset=m.Proposal.objects.none(),
        label="Proposals not awarded in the same lot (optional)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="These proposals are marked 'not awarded'. Leave others for another lot.",
    )

    def __init__(
        self,
        *args: Any,
        candidates: QuerySet[m.Proposal],
        others: QuerySet[m.Proposal],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        proposal = self.fields["proposal"]
        not_awarded = self.fields["not_awarded"]
        assert isinstance(proposal, forms.ModelChoiceField)
        assert isinstance(not_awarded, forms.ModelMultipleChoiceField)
        proposal.queryset = candidates
        not_awarded.queryset = others

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = data.get("proposal")
        if chosen is not None and chosen in (data.get("not_awarded") or []):
            self.add_error("not_awarded", "The awarded proposal cannot also be not awarded")
        return data
