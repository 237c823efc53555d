"""The audit log's filters: by person, record type and record, and a range of dates."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from commissioning.web import models as m
from commissioning.web import walls
from commissioning.web.audit_labels import Labeller, audited_types
from commissioning.web.forms.govuk import DateInputField, GovukForm

#: Fields that stay a select with an "any" first option, however short the list: a filter
#: must be clearable, which a list of radios with nothing for "any" is not.
FILTER_SELECTS = ("person", "record_type")


class AuditFilterForm(GovukForm, forms.Form):
    """Sent by GET; every field is optional (no filter shows every entry)."""

    person = forms.ChoiceField(label="Person", required=False)
    record_type = forms.ChoiceField(label="Record type", required=False)
    record = forms.CharField(
        label="Record number", required=False, max_length=20,
        help_text="The number after the record type, for example 12 in 'Schedule line 12'.",
    )
    since = DateInputField(label="Start date", required=False,
                           help_text="The first day to show, for example 27 3 2012")
    until = DateInputField(label="End date", required=False,
                           help_text="The last day to show, for example 31 3 2012")

    def __init__(self, *args: Any, actors: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        person = self.fields["person"]
        assert isinstance(person, forms.ChoiceField)
        person.choices = [("", "Anyone"), *actors]
        kind = self.fields["record_type"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = [("", "Any record type"), *audited_types()]
        self.fields["record"].widget.attrs.update({"inputmode": "numeric"})

    def _choices(self, name: str, field: Any) -> None:
        if name in FILTER_SELECTS:
            return  # keep the select and its "any" option
        super()._choices(name, field)

    def clean_record(self) -> str:
        value = str(self.cleaned_data.get("record") or "").strip()
        if value and not value.isdigit():
            raise forms.ValidationError("Enter the record number as a whole number, like 12")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("record") and not data.get("record_type"):
            self.add_error("record_type", "Select the record type of the record number")
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date must be the same as or after the start date")
        return data

    def apply(self, entries: QuerySet[m.AuditEntry]) -> QuerySet[m.AuditEntry]:
        """The entries the (valid) filters keep."""
        data = self.cleaned_data
        if data.get("person"):
            entries = entries.filter(actor=data["person"])
        if data.get("record_type"):
            entries = entries.filter(model=data["record_type"])
        if data.get("record"):
            entries = entries.filter(object_pk=data["record"])
        if data.get("since"):
            entries = entries.filter(at__date__gte=data["since"])
        if data.get("until"):
            entries = entries.filter(at__date__lte=data["until"])
        return entries

    def query(self) -> dict[str, str]:
        """The filters as the words that name them (for a download's metadata)."""
        data = self.cleaned_data if self.is_valid() else {}
        out = {k: str(data[k]) for k in ("person", "record_type", "record") if data.get(k)}
        for k in ("since", "until"):
            if data.get(k):
                out[k] = data[k].isoformat()
        return out


def filter_form(labeller: Labeller, data: Any) -> AuditFilterForm:
    """The filter form for ``labeller``'s reader, bound to ``data`` (a GET query) when it
    names any filter; the people to choose from are those in the log they may read."""
    usernames = (walls.visible(labeller.viewer, m.AuditEntry).order_by("actor")
                 .values_list("actor", flat=True).distinct())
    actors = sorted(((u, labeller.person(u)) for u in usernames), key=lambda a: a[1].lower())
    named = {k for k in (data or {}) if k != "page"}
    return AuditFilterForm(data if named else None, actors=actors)
