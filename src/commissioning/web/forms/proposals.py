"""Forms a provider fills in to answer a round: the proposal, its lines, subcontracts, upload."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat

from commissioning.evidence.catalogue import CATEGORIES, CATEGORY_LABELS
from commissioning.plan.inputs import STATUTORY_SERVICES
from commissioning.secure import prices
from commissioning.secure.profiling import ACCEPTED_SUFFIXES
from commissioning.web import models as m
from commissioning.web.checks import catalogue_by_id
from commissioning.web.forms.govuk import GovukForm
from commissioning.web.models._choices import (
    HARM_CHOICES,
    OFFENCE_GROUP_CHOICES,
    RISK_TIER_CHOICES,
    SETTING_CHOICES,
)

_SETTING_NAMES = {"community": "the community", "custody": "custody"}


def statutory_service_name(service_id: str) -> str:
    return {"prison_place": "Prison places", "offender_management": "Offender management"}.get(
        service_id, service_id.replace("_", " ").capitalize()
    )


def service_choices() -> list[tuple[str, Any]]:
    """The services a line may name: statutory sentence delivery, then the catalogue's services
    grouped by evidence category (strongest first)."""
    catalogue = catalogue_by_id()
    choices: list[tuple[str, Any]] = [("", "Choose a service")]
    choices.append(
        (
            "Sentence delivery (statutory)",
            [(s, statutory_service_name(s)) for s in STATUTORY_SERVICES],
        )
    )
    for category in CATEGORIES:
        items = sorted(
            (i for i in catalogue.values() if i.category == category), key=lambda i: i.name
        )
        choices.append((CATEGORY_LABELS[category], [(i.id, i.name) for i in items]))
    return choices


def service_name(service_id: str) -> str:
    """A service's name for pages (the id itself if it is neither statutory nor catalogued)."""
    if service_id in STATUTORY_SERVICES:
        return statutory_service_name(service_id)
    item = catalogue_by_id().get(service_id)
    return item.name if item is not None else service_id


def price_offer() -> prices.Offer:
    """What a price schedule may name: the services a line may name (:func:`service_choices`)
    with the settings each is delivered in (sentence delivery: its one setting)."""
    services: dict[str, tuple[str, tuple[str, ...]]] = {
        sid: (statutory_service_name(sid), (setting,))
        for sid, setting in STATUTORY_SERVICES.items()
    }
    catalogue = catalogue_by_id()
    for category in CATEGORIES:
        for item in sorted((i for i in catalogue.values() if i.category == category),
                           key=lambda i: i.name):
            services[item.id] = (item.name, tuple(item.settings))
    return prices.Offer(services)


class ProposalCreateForm(GovukForm, forms.Form):
    round = forms.ModelChoiceField(
        queryset=m.CommissioningRound.objects.none(),
        label="Which round are you answering?",
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the round you are answering"},
    )
    title = forms.CharField(
        label="Title of your proposal",
        max_length=200,
        help_text="For example, 'Reducing reoffending services, HMP Leeds, 2012-13'.",
        error_messages={"required": "Enter a title for your proposal"},
    )

    def __init__(self, *args: Any, rounds: QuerySet[m.CommissioningRound], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["round"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = rounds


class LotChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"Lot {obj.number}: {obj.name}"


class ProposalEditForm(GovukForm, forms.ModelForm):  # type: ignore[type-arg]
    """The proposal's title, lot (when its round has lots), delivery approach and plan."""

    lot = LotChoiceField(
        queryset=m.Lot.objects.none(),
        label="Which lot does your proposal answer?",
        help_text="Your proposal is evaluated and ranked only against other proposals for "
        "the same lot.",
        empty_label=None,
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": "Select one of this round's lots"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["lot"]
        assert isinstance(field, forms.ModelChoiceField)
        lots = m.Lot.objects.filter(round_id=self.instance.round_id).order_by("number")
        field.queryset = lots
        if not lots.exists():
            del self.fields["lot"]
        else:
            field.required = True
            field.error_messages["required"] = "Select the lot your proposal answers"

    class Meta:
        model = m.Proposal
        fields = ("title", "lot", "delivery_approach", "subcontracting_plan")
        labels: ClassVar[dict[str, Any]] = {
            "title": "Title",
            "delivery_approach": "How you will deliver the services",
            "subcontracting_plan": "Subcontracting and co-commissioning plan",
        }
        help_texts: ClassVar[dict[str, Any]] = {
            "delivery_approach": (
                "How your delivery follows your local profile of need and demand, and why, "
                "where a choice departs from the evidence base."
            ),
            "subcontracting_plan": (
                "What you will subcontract or co-commission with local services, and to whom."
            ),
        }
        error_messages: ClassVar[dict[str, Any]] = {
            "title": {"required": "Enter a title for your proposal"}
        }


class ProposalLineForm(GovukForm, forms.ModelForm):  # type: ignore[type-arg]
    service_id = forms.ChoiceField(
        label="Service",
        choices=service_choices,
        error_messages={"required": "Choose the service", "invalid_choice": "Choose a service"},
    )

    class Meta:
        model = m.ProposalLine
        fields = (
            "service_id",
            "setting",
            "offence_group",
            "risk_tier",
            "harm",
            "women_only",
            "volume",
            "unit_price",
            "rationale",
        )
        labels: ClassVar[dict[str, Any]] = {
            "setting": "Setting",
            "offence_group": "Offence group",
            "risk_tier": "Risk tier",
            "harm": "Risk of serious harm",
            "women_only": "This service is for women only",
            "volume": "Volume (starts or places a year)",
            "unit_price": "Unit price in pounds",
            "rationale": "Rationale (optional)",
        }
        help_texts: ClassVar[dict[str, Any]] = {
            "risk_tier": "The segment's tier as in Tables 1-2 (Offender Management Model).",
            "rationale": (
                "Why you chose this service for this segment, especially where the choice departs "
                "from the evidence base or the commissioning intentions."
            ),
        }
        widgets: ClassVar[dict[str, Any]] = {
            "setting": forms.RadioSelect,
            "harm": forms.RadioSelect,
            "rationale": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages: ClassVar[dict[str, Any]] = {
            "setting": {"required": "Select the setting"},
            "offence_group": {"required": "Select the offence group"},
            "risk_tier": {"required": "Select the risk tier"},
            "harm": {"required": "Select the risk of serious harm"},
            "volume": {
                "required": "Enter the volume",
                "invalid": "Enter the volume as a whole number, like 120",
                "min_value": "The volume must be at least 1",
            },
            "unit_price": {
                "required": "Enter the unit price",
                "invalid": "Enter the unit price as a number, like 1450 or 1450.50",
                "min_value": "The unit price cannot be negative",
                "max_decimal_places": "Enter the unit price in pounds and pence",
            },
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, choices in (("setting", SETTING_CHOICES), ("harm", HARM_CHOICES)):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = choices
        for name, choices in (
            ("offence_group", OFFENCE_GROUP_CHOICES),
            ("risk_tier", RISK_TIER_CHOICES),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", "Choose"), *choices]
        self.fields["volume"].widget.attrs.update({"inputmode": "numeric"})
        self.fields["unit_price"].widget = forms.TextInput(attrs={"inputmode": "decimal"})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        service_id = data.get("service_id")
        setting = data.get("setting")
        if service_id and setting:
            if service_id in STATUTORY_SERVICES and STATUTORY_SERVICES[service_id] != setting:
                self.add_error(
                    "setting",
                    f"{service_name(service_id)} are delivered in "
                    f"{_SETTING_NAMES[STATUTORY_SERVICES[service_id]]} only",
                )
            item = catalogue_by_id().get(service_id)
            if item is not None and item.settings and setting not in item.settings:
                where = " and ".join(_SETTING_NAMES.get(s, s) for s in item.settings)
                self.add_error(
                    "setting", f"{item.name} is delivered in {where} only (evidence catalogue)"
                )
        return data


class SubcontractForm(GovukForm, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = m.Subcontract
        fields = ("subcontractor", "services", "annual_value")
        labels: ClassVar[dict[str, Any]] = {
            "subcontractor": "Subcontractor",
            "services": "Services subcontracted",
            "annual_value": "Annual value in pounds",
        }
        error_messages: ClassVar[dict[str, Any]] = {
            "subcontractor": {"required": "Enter the subcontractor's name"},
            "services": {"required": "Enter the services subcontracted"},
            "annual_value": {
                "required": "Enter the annual value",
                "invalid": "Enter the annual value as a number, like 250000",
            },
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["annual_value"].widget = forms.TextInput(attrs={"inputmode": "decimal"})

    def clean_annual_value(self) -> Any:
        value = self.cleaned_data["annual_value"]
        if value is not None and value < 0:
            raise forms.ValidationError("The annual value cannot be negative")
        return value


def _checked_upload(upload: UploadedFile, suffixes: tuple[str, ...], wrong_type: str
                    ) -> UploadedFile:
    """An uploaded file within the site's size limit and of one of ``suffixes``, else the
    GOV.UK error for the file field (too big, or ``wrong_type``)."""
    limit = int(settings.COMMISSIONING_MAX_UPLOAD)
    if upload.size is not None and upload.size > limit:
        raise forms.ValidationError(
            f"The selected file must be smaller than {filesizeformat(limit)}")
    if Path(upload.name or "").suffix.lower() not in suffixes:
        raise forms.ValidationError(wrong_type)
    return upload


class UploadForm(GovukForm, forms.Form):
    file = forms.FileField(
        label="Upload your assessments extract",
        help_text=(
            "A CSV, Excel (.xlsx) or Parquet file with one row per OASys assessment, in the "
            "columns of the data contract's assessments table. It is checked, profiled into "
            "Tables 1-2 and then discarded: only the counts are kept."
        ),
        error_messages={
            "required": "Select your assessments file",
            "empty": "The selected file is empty",
        },
    )

    def clean_file(self) -> UploadedFile:
        return _checked_upload(self.cleaned_data["file"], ACCEPTED_SUFFIXES,
                               "The selected file must be a CSV, Excel (.xlsx) or Parquet")


class PriceScheduleForm(GovukForm, forms.Form):
    """A whole price schedule (CSV or Excel), and whether it replaces the proposal's lines or
    is added to them — asked every time, never assumed."""

    file = forms.FileField(
        label="Upload your price schedule",
        help_text=(
            "A CSV or Excel (.xlsx) file with one row per service and segment, in the columns "
            "of the template. Every row is checked; if any row has a problem, nothing changes."
        ),
        error_messages={
            "required": "Select your price schedule file",
            "empty": "The selected file is empty",
        },
    )
    mode = forms.ChoiceField(
        label="What should the schedule do to the services already in the proposal?",
        choices=[
            ("replace", "Replace them: the proposal's services become the schedule's lines"),
            ("append", "Add to them: the schedule's lines are added to the services already "
                       "listed"),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select whether the schedule replaces or adds to the services already "
                        "in the proposal",
        },
    )

    def clean_file(self) -> UploadedFile:
        return _checked_upload(self.cleaned_data["file"], prices.ACCEPTED_SUFFIXES,
                               "The selected file must be a CSV or Excel (.xlsx) file")
