"""Forms for starting a round and setting its budget envelope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from django import forms

from commissioning.secure.rounds import RoundYearError, financial_year_start
from commissioning.web import models as m
from commissioning.web.forms.govuk import GovukForm
from commissioning.web.models._choices import SETTING_CHOICES


class RoundForm(GovukForm, forms.ModelForm):  # type: ignore[type-arg]
    """A new round: its year, title, summary of the intentions, and dates."""

    class Meta:
        model = m.CommissioningRound
        fields = ("year", "title", "summary", "opens", "closes")
        labels = {
            "year": "Commissioning year",
            "title": "Title",
            "summary": "Summary of the commissioning intentions",
            "opens": "Opening date for proposals",
            "closes": "Closing date for proposals",
        }
        help_texts = {
            "year": "For example, 2013-14",
            "opens": "For example, 1 11 2012",
            "closes": "For example, 9 12 2012",
        }

    def clean_year(self) -> str:
        year = str(self.cleaned_data["year"]).strip()
        try:
            financial_year_start(year)
        except RoundYearError:
            raise forms.ValidationError(
                "Enter the year as a financial year, like 2013-14") from None
        return year

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        opens: dt.date | None = data.get("opens")
        closes: dt.date | None = data.get("closes")
        if opens and closes and closes <= opens:
            self.add_error("closes", "The closing date must be after the opening date")
        return data


class EnvelopeForm(GovukForm, forms.ModelForm):  # type: ignore[type-arg]
    """The budget envelope and savings target (commissioning information)."""

    class Meta:
        model = m.RoundEnvelope
        fields = ("budget", "savings_target", "notes")
        labels = {
            "budget": "Budget (£ a year)",
            "savings_target": "Savings target (£ a year)",
            "notes": "Notes",
        }

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        budget: Decimal | None = data.get("budget")
        savings: Decimal | None = data.get("savings_target")
        if budget is not None and budget <= 0:
            self.add_error("budget", "The budget must be more than £0")
        if savings is not None and savings < 0:
            self.add_error("savings_target", "The savings target cannot be negative")
        if budget is not None and savings is not None and savings >= budget > 0:
            self.add_error("savings_target", "The savings target must be less than the budget")
        return data


class LotForm(GovukForm, forms.ModelForm):  # type: ignore[type-arg]
    """A lot of a round (service group × region × setting) and its budget."""

    budget = forms.DecimalField(
        label="Budget for this lot, £ a year",
        max_digits=16,
        decimal_places=2,
        min_value=0,
        help_text="Commissioning information: providers never see it.",
        error_messages={
            "required": "Enter the budget for this lot",
            "invalid": "Enter the budget as a number of pounds, like 1250000",
            "min_value": "The budget cannot be negative",
        },
    )

    class Meta:
        model = m.Lot
        fields = ("service_group", "region", "setting")
        labels: ClassVar[dict[str, Any]] = {
            "service_group": "Service group",
            "region": "Region",
            "setting": "Setting",
        }
        widgets: ClassVar[dict[str, Any]] = {"setting": forms.RadioSelect}
        error_messages: ClassVar[dict[str, Any]] = {
            "service_group": {"required": "Enter the service group, like 'Offender management'"},
            "region": {"required": "Enter the region, like 'London' or 'National'"},
            "setting": {"required": "Select whether the lot is in the community or in custody"},
        }

    def __init__(self, *args: Any, round: m.CommissioningRound, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.round = round
        field = self.fields["setting"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = SETTING_CHOICES  # no blank "---------" choice: radios, none selected

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scope = {k: data.get(k) for k in ("service_group", "region", "setting")}
        if all(scope.values()) and m.Lot.objects.filter(round=self.round, **scope).exists():
            self.add_error("service_group", "This round already has a lot for this service "
                           "group, region and setting")
        return data
