"""Forms for SLAs and contracts: the contract itself, a version's price, schedule lines, target
levels, agreeing a version (with the variation's reason), action plans and sharing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django import forms

from commissioning.web import models as m
from commissioning.web.forms.govuk import GovukForm
from commissioning.web.forms.proposals import service_choices
from commissioning.web.roles import PROVIDER_KINDS, OrganisationKind


class ContractForm(GovukForm, forms.ModelForm):  # type: ignore[type-arg]
    """A new SLA or contract with the annual operating price of its first (draft) version.

    The Crown cannot contract with itself: a public sector prison is held to a service level
    agreement, every other provider to a contract (or grant)."""

    annual_operating_price = forms.DecimalField(
        max_digits=16,
        decimal_places=2,
        min_value=Decimal(0),
        label="Annual operating price (£)",
        help_text="The price of version 1; you can change it until the version is agreed.",
    )

    class Meta:
        model = m.Contract
        fields: ClassVar[list[str]] = [
            "reference",
            "title",
            "kind",
            "provider",
            "round",
            "starts",
            "ends",
        ]
        labels: ClassVar[dict[str, str]] = {
            "reference": "Reference",
            "kind": "Kind of agreement",
            "round": "Commissioning round (optional)",
            "starts": "Start date",
            "ends": "End date",
        }
        help_texts: ClassVar[dict[str, str]] = {
            "reference": "A unique reference, for example SLA-LEI-2013.",
            "kind": "A public sector prison has a service level agreement; others a contract.",
            "starts": "For example, 1 4 2013",
            "ends": "For example, 31 3 2014",
        }

    def __init__(self, *args: Any, providers: Any, rounds: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers.filter(kind__in=PROVIDER_KINDS)  # type: ignore[attr-defined]
        self.fields["round"].queryset = rounds  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        provider: m.Organisation | None = data.get("provider")
        kind = data.get("kind")
        if provider is not None and kind:
            public = provider.kind == OrganisationKind.PUBLIC_PRISON
            if public and kind != m.Contract.Kind.SLA:
                self.add_error(
                    "kind",
                    "A public sector prison is held to a service level agreement: "
                    "the Crown cannot contract with itself.",
                )
            if not public and kind == m.Contract.Kind.SLA:
                self.add_error(
                    "kind",
                    "Only public sector prisons have service level agreements; choose contract "
                    "or grant agreement for this provider.",
                )
        starts, ends = data.get("starts"), data.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", "The end date must be after the start date.")
        return data


class VersionPriceForm(GovukForm, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = m.ContractVersion
        fields: ClassVar[list[str]] = ["annual_operating_price"]
        labels: ClassVar[dict[str, str]] = {"annual_operating_price": "Annual operating price (£)"}


class ScheduleLineForm(GovukForm, forms.ModelForm):  # type: ignore[type-arg]
    """A service volume for one segment, with its annual price."""

    service_id = forms.ChoiceField(label="Service", choices=())

    class Meta:
        model = m.ScheduleLine
        fields: ClassVar[list[str]] = [
            "service_id",
            "setting",
            "offence_group",
            "risk_tier",
            "harm",
            "volume",
            "price",
        ]
        labels: ClassVar[dict[str, str]] = {
            "offence_group": "Offence group",
            "risk_tier": "Risk of reoffending tier",
            "harm": "Risk of serious harm",
            "volume": "Volume (people a year)",
            "price": "Annual price of the line (£)",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service_id"].choices = service_choices()  # type: ignore[attr-defined]
        self.fields["price"].min_value = Decimal(0)  # type: ignore[attr-defined]

    def clean_price(self) -> Decimal:
        price: Decimal = self.cleaned_data["price"]
        if price < 0:
            raise forms.ValidationError("The price cannot be negative.")
        return price


class TargetLevelForm(GovukForm, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = m.TargetLevel
        fields: ClassVar[list[str]] = ["measure", "target", "unit", "direction"]
        labels: ClassVar[dict[str, str]] = {
            "measure": "Impact measure",
            "direction": "The result must be",
        }
        help_texts: ClassVar[dict[str, str]] = {
            "measure": "For example: Proven reoffending rate (binary, 12-month follow-up)",
            "unit": "For example: proportion, people, days",
        }


class AgreeVersionForm(GovukForm, forms.Form):
    """Agreeing a version; when it replaces an agreed version this is a variation with a reason."""

    reason = forms.CharField(
        label="Reason for the variation",
        help_text="What changed from the agreed version and why (recorded in the audit trail).",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=4000,
    )

    def __init__(self, *args: Any, variation: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.variation = variation

    def clean_reason(self) -> str:
        reason: str = self.cleaned_data.get("reason", "").strip()
        if self.variation and not reason:
            raise forms.ValidationError("Enter the reason for the variation.")
        return reason


class ActionPlanForm(GovukForm, forms.ModelForm):  # type: ignore[type-arg]
    """Where a provider exceptionally cannot deliver a minimum requirement (custodial 2)."""

    class Meta:
        model = m.ActionPlan
        fields: ClassVar[list[str]] = ["requirement", "actions", "due"]
        labels: ClassVar[dict[str, str]] = {
            "requirement": "Minimum requirement not met",
            "actions": "Agreed actions",
            "due": "Date to complete the actions by",
        }
        help_texts: ClassVar[dict[str, str]] = {
            "requirement": "The service specification and the requirement it sets.",
            "due": "For example, 30 9 2012",
        }


class ShareForm(GovukForm, forms.Form):
    partner = forms.ModelChoiceField(
        queryset=m.Organisation.objects.none(),
        label="Co-commissioning partner",
        empty_label="Choose a partner",
    )

    def __init__(self, *args: Any, partners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners.filter(kind=OrganisationKind.PARTNER)  # type: ignore[attr-defined]
