"""Every form of the workspace follows the GOV.UK patterns: a specific message for each missing
answer (never "This field is required."), dates as day, month and year, no radio chosen for
the user on a new record, and no "---------" in any list."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string

from commissioning.web import models as m
from commissioning.web.forms import assurance as fa
from commissioning.web.forms import competition as fc
from commissioning.web.forms import contracts as fk
from commissioning.web.forms import proposals as fp
from commissioning.web.forms import rounds as fr
from commissioning.web.forms.govuk import DateInputField, GovukForm
from commissioning.web.views import accounts as va

pytestmark = pytest.mark.django_db
GENERIC = str(forms.Field.default_error_messages["required"])


def every_form(demo: Any) -> dict[str, Callable[[dict[str, Any] | None], forms.BaseForm]]:
    rnd = m.CommissioningRound.objects.get()
    proposal = m.Proposal.objects.filter(status="draft").get()
    contract = m.Contract.objects.order_by("pk").first()
    assert contract is not None
    version = contract.versions.order_by("number").first()
    orgs = m.Organisation.objects.all()
    rounds = m.CommissioningRound.objects.all()
    user = get_user_model().objects.get(username="commissioner")
    criteria = list(rnd.criteria.filter(kind="quality"))
    targets = list(m.TargetLevel.objects.filter(version=version))
    submitted = m.Proposal.objects.filter(status="submitted")
    return {
        "round": lambda d: fr.RoundForm(d),
        "envelope": lambda d: fr.EnvelopeForm(d, instance=m.RoundEnvelope(round=rnd)),
        "lot": lambda d: fr.LotForm(d, round=rnd),
        "proposal-create": lambda d: fp.ProposalCreateForm(d, rounds=rounds),
        "proposal-edit": lambda d: fp.ProposalEditForm(d, instance=proposal),
        "proposal-line": lambda d: fp.ProposalLineForm(d, instance=m.ProposalLine(
            proposal=proposal)),
        "subcontract": lambda d: fp.SubcontractForm(d, instance=m.Subcontract(proposal=proposal)),
        "upload": lambda d: fp.UploadForm(d, {}),
        "price-schedule": lambda d: fp.PriceScheduleForm(d, {}),
        "criterion": lambda d: fc.CriterionForm(d),
        "score": lambda d: fc.ScoreForm(d, criteria=criteria),
        "award": lambda d: fc.AwardForm(d, candidates=submitted, others=submitted),
        "contract": lambda d: fk.ContractForm(d, providers=orgs, rounds=rounds),
        "version-price": lambda d: fk.VersionPriceForm(d, instance=m.ContractVersion(
            contract=contract)),
        "schedule-line": lambda d: fk.ScheduleLineForm(d, instance=m.ScheduleLine(
            version=version)),
        "target": lambda d: fk.TargetLevelForm(d, instance=m.TargetLevel(version=version)),
        "agree": lambda d: fk.AgreeVersionForm(d, variation=True),
        "action-plan": lambda d: fk.ActionPlanForm(d, instance=m.ActionPlan(contract=contract)),
        "share": lambda d: fk.ShareForm(d, partners=orgs),
        "assurance-return": lambda d: fa.AssuranceReturnForm(d, instance=m.AssuranceReturn(
            contract=contract)),
        "external-audit": lambda d: fa.ExternalAuditForm(d, instance=m.ExternalAudit(
            contract=contract)),
        "audit-opinion": lambda d: fa.AuditOpinionForm(d),
        "risk": lambda d: fa.RiskEntryForm(d, instance=m.RiskEntry(contract=contract)),
        "performance": lambda d: fa.PerformanceForm(d, targets=targets, instance=(
            m.PerformanceRecord(contract=contract))),
        "rating": lambda d: fa.RatingForm(d, providers=orgs),
        "as-at": lambda d: fa.AsAtForm(d),
        "sign-in": lambda d: va.SignInForm(d),
        "password": lambda d: va.ChangePasswordForm(user, d),
    }


def test_every_form_class_is_covered_and_uses_the_patterns(demo: Any) -> None:
    covered = {type(make(None)) for make in every_form(demo).values()}
    declared = {
        obj for module in (fa, fc, fk, fp, fr, va) for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, forms.BaseForm)
        and obj.__module__ == module.__name__
    }
    assert declared <= covered, declared - covered
    assert all(issubclass(c, GovukForm) for c in covered)


def test_no_missing_answer_gets_the_generic_message(demo: Any) -> None:
    for name, make in every_form(demo).items():
        form = make({})
        if any(f.required for f in form.fields.values()):  # a filter may be left empty
            assert not form.is_valid(), name
        for field, errors in form.errors.items():
            for error in errors:
                assert error != GENERIC, (name, field)
                assert "This field" not in error, (name, field, error)
        for field_name, field in form.fields.items():
            if field.required:
                assert field.error_messages["required"] != GENERIC, (name, field_name)


def _rendered(form: forms.BaseForm) -> str:
    return "".join(render_to_string("web/includes/field.html", {"field": field})
                   for field in form)


def test_no_dashes_no_chosen_radio_and_dates_in_three_fields(demo: Any) -> None:
    for name, make in every_form(demo).items():
        form = make(None)
        html = _rendered(form)
        assert "---------" not in html, name
        instance = getattr(form, "instance", None)
        if instance is None or instance._state.adding:
            checked = re.findall(r'type="radio"[^>]*checked', html)
            assert checked == [], name
        assert 'type="date"' not in html, name
        for field_name, field in form.fields.items():
            if isinstance(field, forms.DateField):
                pytest.fail(f"{name}.{field_name} is a single date box")
            if isinstance(field, DateInputField):
                assert f'name="{field_name}_0"' in html and f'name="{field_name}_2"' in html


def test_a_required_date_left_empty_says_which(demo: Any) -> None:
    contract = m.Contract.objects.order_by("pk").first()
    form = fk.ActionPlanForm({"requirement": "R", "actions": "A"},
                             instance=m.ActionPlan(contract=contract))
    assert form.errors["due"] == ["Enter the date to complete the actions by"]


def test_the_risk_of_harm_is_never_chosen_for_the_provider(demo: Any) -> None:
    proposal = m.Proposal.objects.filter(status="draft").get()
    form = fp.ProposalLineForm(instance=m.ProposalLine(proposal=proposal))
    assert form["harm"].value() in (None, "")
    refused = fp.ProposalLineForm({"service_id": "mentoring", "setting": "community"},
                                  instance=m.ProposalLine(proposal=proposal))
    assert not refused.is_valid()
    assert refused.errors["harm"] == ["Select the risk of serious harm"]


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("1", "", "2012", "The opening date for proposals must include a month"),
        ("31", "2", "2012", "The opening date for proposals must be a real date"),
        ("x", "11", "2012", "The opening date for proposals must be a real date"),
    ],
)
def test_a_date_says_what_is_wrong_with_it(
    demo: Any, day: str, month: str, year: str, message: str
) -> None:
    form = fr.RoundForm({"year": "2013-14", "title": "T", "opens_0": day, "opens_1": month,
                         "opens_2": year, "closes_0": "9", "closes_1": "12", "closes_2": "2012"})
    assert not form.is_valid()
    assert message in form.errors["opens"][0]
    optional = fr.RoundForm({"year": "2013-14", "title": "T"})
    assert optional.is_valid(), optional.errors  # the dates of a round are optional
    good = fr.RoundForm({"year": "2013-14", "title": "T", "opens_0": "1", "opens_1": "11",
                         "opens_2": "2012", "closes_0": "9", "closes_1": "12",
                         "closes_2": "2012"})
    assert good.is_valid(), good.errors
