"""GOV.UK Frontend helpers for templates: the service navigation for the viewer's role, and the
classes and ARIA attributes GOV.UK form fields need.

``{% load govuk %}`` then ``{% service_navigation %}`` (used by ``base.html``) and
``{% govuk_widget field %}`` (used by ``web/includes/field.html``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.forms import BoundField
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString

from commissioning.web.roles import Role
from commissioning.web.walls import Viewer, viewer_of

register = template.Library()


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    current: bool


def _may_open(viewer: Viewer, section: str) -> bool:
    """Which sections a role's navigation shows. The walls still decide every record shown
    inside a section; this only keeps links to sections a role has no business in out of view."""
    if section == "transparency":
        return True
    if not viewer.signed_in:
        return False
    if section in ("dashboard", "rounds", "contracts"):
        return True
    if section in ("proposals", "assurance"):
        return viewer.commissioning_side or viewer.role == Role.PROVIDER
    return viewer.commissioning_side  # competition, audit log


#: (section, label, URL name) in the order shown. Sections whose page is not installed are left
#: out rather than linked to nowhere.
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("dashboard", "Dashboard", "dashboard"),
    ("rounds", "Rounds", "round-list"),
    ("proposals", "Proposals", "proposal-list"),
    ("competition", "Competition", "competition-list"),
    ("contracts", "Contracts", "contract-list"),
    ("assurance", "Assurance", "assurance-overview"),
    ("audit", "Audit log", "audit-log"),
    ("transparency", "Transparency", "transparency"),
)


def navigation_for(viewer: Viewer, path: str) -> list[NavItem]:
    """The navigation links ``viewer`` may use, marking the one ``path`` is in."""
    items: list[NavItem] = []
    for section, label, name in SECTIONS:
        if not _may_open(viewer, section):
            continue
        try:
            href = reverse(name)
        except NoReverseMatch:
            continue
        items.append(NavItem(label, href, path == href or path.startswith(href.rstrip("/") + "/")))
    # Only the most specific match is current (e.g. /audit/ and not / for the home page).
    current = [i for i in items if i.current]
    if len(current) > 1:
        best = max(current, key=lambda i: len(i.href))
        items = [NavItem(i.label, i.href, i is best) for i in items]
    return items


@register.inclusion_tag("web/includes/service_navigation.html", takes_context=True)
def service_navigation(context: template.Context) -> dict[str, Any]:
    request: HttpRequest | None = context.get("request")
    user = getattr(request, "user", None)
    viewer = context.get("viewer") or viewer_of(user)
    return {
        "items": navigation_for(viewer, request.path if request is not None else ""),
        "service_name": context.get("service_name", ""),
        "user": user,
        "viewer": viewer,
        "csrf_token": context.get("csrf_token"),
    }


#: GOV.UK class for each Django widget type (``BoundField.widget_type``).
WIDGET_CLASSES: dict[str, str] = {
    "textarea": "govuk-textarea",
    "select": "govuk-select",
    "selectmultiple": "govuk-select",
    "nullbooleanselect": "govuk-select",
    "file": "govuk-file-upload",
    "clearablefile": "govuk-file-upload",
}
CHOICE_WIDGETS = frozenset({"radioselect", "checkboxselectmultiple"})


@register.filter
def is_choice_list(field: BoundField) -> bool:
    """Radios or checkboxes: rendered option by option inside a fieldset."""
    return field.widget_type in CHOICE_WIDGETS


@register.filter
def date_parts(field: BoundField) -> list[dict[str, Any]]:
    """Day, month and year boxes of a GOV.UK date input (``forms.govuk.DateInputField``)."""
    from commissioning.web.forms.govuk import date_parts as parts

    return parts(field)


@register.filter
def is_single_checkbox(field: BoundField) -> bool:
    return field.widget_type == "checkbox"


def describedby(field: BoundField) -> str:
    ids = []
    if field.help_text:
        ids.append(f"{field.id_for_label}-hint")
    if field.errors:
        ids.append(f"{field.id_for_label}-error")
    return " ".join(ids)


@register.filter
def field_describedby(field: BoundField) -> str:
    return describedby(field)


@register.simple_tag
def govuk_widget(field: BoundField, classes: str = "") -> SafeString:
    """The field's own widget with the GOV.UK class, error modifier and aria-describedby."""
    base = WIDGET_CLASSES.get(field.widget_type, "govuk-input")
    css = [base]
    if field.errors:
        css.append(f"{base}--error")
    if classes:
        css.append(classes)
    existing = field.field.widget.attrs.get("class")
    if existing:
        css.append(str(existing))
    attrs: dict[str, Any] = {"class": " ".join(css)}
    described = describedby(field)
    if described:
        attrs["aria-describedby"] = described
    return field.as_widget(attrs=attrs)
