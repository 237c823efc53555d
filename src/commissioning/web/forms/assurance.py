"""Forms for assurance through the year: providers' returns, external audits and their opinions,
the risk register, performance against targets, and annual ratings."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django import forms

from commissioning.web import models as m
from commissioning.web.forms.govuk import DateInputField, GovukForm

#: A financial-year quarter: ``2012-Q1`` is April to June 2012, the first quarter of 2012-13.
PERIOD = re.compile(r"^(?P<year>\d{4})-Q(?P<quarter>[1-4])$")
#: A financial year, ``2012-13``.
YEAR = re.compile(r"^(?P<start>\d{4})-(?P<end>\d{2})$")


def clean_period(value: str) -> str:
    value = value.strip().upper()
    if not PERIOD.match(value):
        raise forms.ValidationError(
            "Enter the quarter of the financial year as YYYY-Qn, for example 2012-Q1 for "
            "April to June 2012."
        )
    return value


class AssuranceReturnForm(GovukForm, forms.ModelForm):  # type: ignore[type-arg]
    """A provider's self-audit return or assurance statement for one quarter."""

    class Meta:
        model = m.AssuranceReturn
        fields: ClassVar[list[str]] = ["kind", "period", "statement", "compliant"]
        labels: ClassVar[dict[str, str]] = {
            "kind": "Kind of return",
            "period": "Quarter",
            "statement": "Statement",
            "compliant": "Services were delivered as the agreement requires",
        }
        help_texts: ClassVar[dict[str, str]] = {
            "period": "The financial-year quarter, for example 2012-Q1 for April to June 2012.",
            "statement": "What you checked, what you found, and any exceptions.",
            "compliant": "",
        }
        widgets: ClassVar[dict[str, forms.Widget]] = {
            "statement": forms.Textarea(attrs={"rows": 6})
        }

    def clean_period(self) -> str:
        return clean_period(self.cleaned_data["period"])


class ExternalAuditForm(GovukForm, forms.ModelForm):  # type: ignore[type-arg]
    """Commissioning an external (MoJ Audit and Corporate Assurance-led) audit of one area."""

    class Meta:
        model = m.ExternalAudit
        fields: ClassVar[list[str]] = ["area", "auditor"]
        labels: ClassVar[dict[str, str]] = {"area": "Area to audit", "auditor": "Audit body"}
        help_texts: ClassVar[dict[str, str]] = {
            "area": "Where internal assurance does not assure delivery."
        }


class AuditOpinionForm(GovukForm, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = m.ExternalAudit
        fields: ClassVar[list[str]] = ["opinion", "findings"]
        labels: ClassVar[dict[str, str]] = {"opinion": "Audit opinion", "findings": "Findings"}
        widgets: ClassVar[dict[str, forms.Widget]] = {"findings": forms.Textarea(attrs={"rows": 6})}


class RiskEntryForm(GovukForm, forms.ModelForm):  # type: ignore[type-arg]
    """A risk with likelihood and impact on 1-5 scales (score = likelihood × impact)."""

    likelihood = forms.TypedChoiceField(
        coerce=int, choices=[(i, str(i)) for i in range(1, 6)], label="Likelihood (1 to 5)"
    )
    impact = forms.TypedChoiceField(
        coerce=int, choices=[(i, str(i)) for i in range(1, 6)], label="Impact (1 to 5)"
    )

    class Meta:
        model = m.RiskEntry
        fields: ClassVar[list[str]] = ["description", "likelihood", "impact", "mitigation", "owner"]
        labels: ClassVar[dict[str, str]] = {
            "description": "Risk",
            "mitigation": "Mitigation",
            "owner": "Risk owner",
        }
        widgets: ClassVar[dict[str, forms.Widget]] = {
            "mitigation": forms.Textarea(attrs={"rows": 3})
        }


class PerformanceForm(GovukForm, forms.ModelForm):  # type: ignore[type-arg]
    """Performance on a measure for a quarter; the target is the current agreed version's."""

    measure = forms.ChoiceField(label="Impact measure", choices=())

    class Meta:
        model = m.PerformanceRecord
        fields: ClassVar[list[str]] = ["measure", "period", "actual", "people"]
        labels: ClassVar[dict[str, str]] = {
            "period": "Quarter",
            "actual": "Result",
            "people": "People counted",
        }
        help_texts: ClassVar[dict[str, str]] = {
            "period": "The financial-year quarter, for example 2012-Q1 for April to June 2012.",
            "actual": "In the measure's unit, for example 0.3520 for a proportion.",
            "people": "The number of people the result is based on (used to withhold small "
            "numbers when published).",
        }

    def __init__(self, *args: Any, targets: list[m.TargetLevel], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.targets = {t.measure: t for t in targets}
        self.fields["measure"].choices = [  # type: ignore[attr-defined]
            ("", "Choose a measure"),
            *((t.measure, f"{t.measure} ({t.unit})") for t in targets),
        ]

    def clean_period(self) -> str:
        return clean_period(self.cleaned_data["period"])

    def save(self, commit: bool = True) -> m.PerformanceRecord:
        record: m.PerformanceRecord = super().save(commit=False)
        target = self.targets[record.measure]
        record.target = target.target
        record.unit = target.unit
        if commit:
            record.save()
        return record


class RatingForm(GovukForm, forms.ModelForm):  # type: ignore[type-arg]
    """A provider's annual rating: 4 exceptional, 3 meeting the majority of targets, 2 of
    concern, 1 serious concern (the prison and probation trust rating systems)."""

    level = forms.TypedChoiceField(
        coerce=int,
        widget=forms.RadioSelect,
        label="Rating",
        choices=[
            (4, "4: exceptional performance"),
            (3, "3: meeting the majority of targets"),
            (2, "2: overall performance is of concern"),
            (1, "1: overall performance is of serious concern"),
        ],
    )

    class Meta:
        model = m.Rating
        fields: ClassVar[list[str]] = ["organisation", "year", "level", "rationale"]
        labels: ClassVar[dict[str, str]] = {
            "organisation": "Provider",
            "year": "Year",
            "rationale": "Rationale",
        }
        help_texts: ClassVar[dict[str, str]] = {
            "year": "The financial year rated, for example 2011-12."
        }
        widgets: ClassVar[dict[str, forms.Widget]] = {
            "rationale": forms.Textarea(attrs={"rows": 5})
        }

    def __init__(self, *args: Any, providers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = providers  # type: ignore[attr-defined]
        self.fields["rationale"].required = True

    def clean_year(self) -> str:
        year: str = self.cleaned_data["year"].strip()
        match = YEAR.match(year)
        if not match or (int(match["start"]) + 1) % 100 != int(match["end"]):
            raise forms.ValidationError("Enter the financial year as YYYY-YY, for example 2011-12.")
        return year


class AsAtForm(GovukForm, forms.Form):
    """The date the assurance position is shown on (sent by GET; empty: the reporting date)."""

    on = DateInputField(label="Show the position on a date", required=False,
                        help_text="For example, 15 8 2012")
