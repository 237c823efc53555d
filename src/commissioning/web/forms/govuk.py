"""GOV.UK Design System patterns for every form of the workspace, in one place.

:class:`GovukForm` (mixed into every form) makes each field follow the patterns:

- **Specific error messages** — never Django's "This field is required.": "Enter the …" for
  text, numbers and dates, "Select …" for choices, "Choose a file" for uploads; numbers and
  lengths say what is wanted (GOV.UK "Error message").
- **Dates as three fields** — day, month and year (GOV.UK "Date input"), not the browser's
  ``mm/dd/yyyy`` control: :class:`DateInputField`, with "must include a month" and "must be a
  real date" messages.
- **No pre-selected radios** — a new record's radios start empty even where the model has a
  default, so nobody states the risk of serious harm by not answering (GOV.UK "Radios").
- **No "---------"** — short lists of choices become radios; a long list keeps one first option
  that says what to choose ("Choose the provider"), never dashes.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from django import forms

#: Lists of at most this many choices are shown as radios instead of a select.
RADIOS_UP_TO = 8
DJANGO_BLANK = "---------"


def _phrase(label: Any) -> str:
    """A label as the object of "Enter …" / "Select …": "Unit price in pounds" → "the unit
    price in pounds"; a question is quoted."""
    text = str(label or "").strip().rstrip(":")
    if not text:
        return "a value"
    if text.endswith("?"):
        return f"an answer to '{text}'"
    text = re.sub(r"\s*\(optional\)$", "", text)
    first, rest = text[0], text[1:]
    lowered = first.lower() + rest if not (rest[:1].isupper()) else text  # keep acronyms
    if lowered.split(" ", 1)[0] in ("the", "a", "an", "your", "who", "what", "which", "why"):
        return lowered
    return f"the {lowered}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


class DateInputWidget(forms.MultiWidget):
    """Day, month and year boxes (GOV.UK date input); ``widget_type`` is ``dateinput``."""

    template_name = "django/forms/widgets/multiwidget.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        box = {"inputmode": "numeric"}
        super().__init__(
            [forms.TextInput(attrs=box), forms.TextInput(attrs=box), forms.TextInput(attrs=box)],
            attrs,
        )

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, dt.date):
            return [value.day, value.month, value.year]
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            year, month, day = value.split("-")
            return [int(day), int(month), int(year)]
        return [None, None, None]


def date_parts(field: Any) -> list[dict[str, Any]]:
    """The day, month and year boxes of a bound :class:`DateInputField` for the template."""
    widget = field.field.widget
    context = widget.get_context(field.html_name, field.value(), {"id": field.auto_id})
    labels = ("Day", "Month", "Year")
    return [
        {"label": label, "id": sub["attrs"].get("id", ""), "name": sub["name"],
         "value": "" if sub["value"] in (None, "None") else sub["value"], "year": label == "Year"}
        for label, sub in zip(labels, context["widget"]["subwidgets"], strict=True)
    ]


class DateInputField(forms.MultiValueField):
    """A date entered as day, month and year, with GOV.UK's messages."""

    widget = DateInputWidget

    def __init__(self, *, label: Any = None, required: bool = True, **kwargs: Any) -> None:
        self.thing = _phrase(label)
        kwargs.pop("max_length", None)
        fields = (
            forms.IntegerField(min_value=1, max_value=31, required=False),
            forms.IntegerField(min_value=1, max_value=12, required=False),
            forms.IntegerField(min_value=1000, max_value=9999, required=False),
        )
        super().__init__(
            fields,
            label=label,
            required=required,
            require_all_fields=False,
            error_messages={
                "required": f"Enter {self.thing}",
                "incomplete": f"{_capital(self.thing)} must include a day, month and year",
                "invalid": f"{_capital(self.thing)} must be a real date",
            },
            **kwargs,
        )
        for part in self.fields:
            part.error_messages = {
                "invalid": f"{_capital(self.thing)} must be a real date",
                "min_value": f"{_capital(self.thing)} must be a real date",
                "max_value": f"{_capital(self.thing)} must be a real date",
                "required": f"{_capital(self.thing)} must include a day, month and year",
                "incomplete": f"{_capital(self.thing)} must include a day, month and year",
            }

    def compress(self, data_list: list[Any]) -> dt.date | None:
        if not data_list or all(v in (None, "") for v in data_list):
            return None
        day, month, year = data_list
        missing = [name for name, v in (("day", day), ("month", month), ("year", year))
                   if v in (None, "")]
        if missing:
            raise forms.ValidationError(
                f"{_capital(self.thing)} must include a {' and '.join(missing)}", code="incomplete"
            )
        try:
            return dt.date(int(year), int(month), int(day))
        except ValueError:
            raise forms.ValidationError(
                f"{_capital(self.thing)} must be a real date", code="invalid"
            ) from None


def _specific(name: str, field: forms.Field) -> None:
    """Replace Django's generic messages on one field with ones that say what is wanted."""
    thing = _phrase(field.label or name.replace("_", " "))
    generic = forms.Field.default_error_messages["required"]
    choice = isinstance(field, forms.ChoiceField | forms.ModelChoiceField)
    if field.error_messages.get("required") in (None, generic):
        if isinstance(field, forms.FileField):
            field.error_messages["required"] = "Choose a file to upload"
        elif choice or isinstance(field, forms.MultipleChoiceField):
            field.error_messages["required"] = f"Select {thing}"
        else:
            field.error_messages["required"] = f"Enter {thing}"
    defaults: dict[str, str] = {}
    if isinstance(field, forms.IntegerField):
        defaults["invalid"] = f"Enter {thing} as a whole number"
    if isinstance(field, forms.DecimalField | forms.FloatField):
        defaults["invalid"] = f"Enter {thing} as a number"
        defaults["max_decimal_places"] = (
            f"{_capital(thing)} can have at most %(max)s decimal places"
        )
        defaults["max_digits"] = f"{_capital(thing)} is too large"
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        defaults["min_value"] = f"{_capital(thing)} must be %(limit_value)s or more"
        defaults["max_value"] = f"{_capital(thing)} must be %(limit_value)s or less"
    if isinstance(field, forms.CharField):
        defaults["max_length"] = f"{_capital(thing)} must be %(limit_value)d characters or fewer"
    if choice:
        defaults["invalid_choice"] = f"Select {thing} from the list"
    for code, message in defaults.items():
        stock = type(field).default_error_messages.get(code)
        if field.error_messages.get(code) in (None, stock):
            field.error_messages[code] = message


class GovukForm:
    """Mix into a Django form (first base) to apply the patterns of this module.

    They are applied once the form's own ``__init__`` has finished (every subclass's
    ``__init__`` is wrapped), so querysets, choices and ``required`` set there are covered."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        inner = cls.__init__

        @functools.wraps(inner)
        def init(self: Any, *args: Any, **kw: Any) -> None:
            depth = self.__dict__.get("_govuk_depth", 0)
            self.__dict__["_govuk_depth"] = depth + 1
            try:
                inner(self, *args, **kw)
            finally:
                self.__dict__["_govuk_depth"] = depth
            if depth == 0:
                self.apply_govuk_patterns()

        cls.__init__ = init  # type: ignore[method-assign]

    def apply_govuk_patterns(self) -> None:
        form: Any = self
        instance = getattr(self, "instance", None)
        adding = instance is not None and instance._state.adding
        model = type(instance) if instance is not None else None
        for name, field in list(form.fields.items()):
            if isinstance(field, forms.DateField) and not isinstance(field, DateInputField):
                replacement = DateInputField(
                    label=field.label, required=field.required, help_text=field.help_text or
                    "For example, 27 3 2012", initial=field.initial,
                )
                replacement.error_messages.update(
                    {k: v for k, v in field.error_messages.items()
                     if k == "required" and v != forms.Field.default_error_messages["required"]}
                )
                form.fields[name] = field = replacement
            self._choices(name, field)
            if adding and model is not None and isinstance(field.widget, forms.RadioSelect):
                # A new record's radios start with nothing chosen, whatever the model's default.
                try:
                    default = model._meta.get_field(name).get_default()
                except Exception:  # not a model field
                    default = None
                if default not in (None, "") and form.initial.get(name) == default:
                    form.initial.pop(name, None)
                field.initial = None
            _specific(name, field)

    def _choices(self, name: str, field: Any) -> None:
        if not isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
            return
        if isinstance(field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
            if isinstance(field, forms.ModelChoiceField):
                field.empty_label = None
            elif isinstance(field, forms.ChoiceField):
                listed: Any = field.choices
                field.choices = [c for c in listed if c[0] not in ("", None)]
            return
        if not isinstance(field.widget, forms.Select) or isinstance(
            field.widget, forms.SelectMultiple
        ):
            return
        if isinstance(field, forms.ModelChoiceField):
            qs = field.queryset
            small = qs is not None and qs.count() <= RADIOS_UP_TO
            if small:
                field.empty_label = None
                field.widget = forms.RadioSelect(choices=field.widget.choices)
                field.widget.choices = field.choices
            elif field.empty_label == DJANGO_BLANK:
                field.empty_label = f"Choose {_phrase(field.label or name)}"
            return
        given: Any = field.choices
        choices = list(given)
        real = [c for c in choices if c[0] not in ("", None)]
        grouped = any(isinstance(c[1], list | tuple) for c in real)
        if not grouped and len(real) <= RADIOS_UP_TO:
            field.choices = real
            field.widget = forms.RadioSelect()
            field.widget.choices = real
            return
        field.choices = [
            (v, f"Choose {_phrase(field.label or name)}" if v in ("", None) and
             str(label) == DJANGO_BLANK else label)
            for v, label in choices
        ]
