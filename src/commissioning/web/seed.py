"""The demo data of the web workspace, loaded from the YAML files in ``web/demo/`` through the
same forms, permission checks and service functions as the pages.

The content is data (:data:`DEMO_DIR`): ``organisations.yaml``, ``people.yaml``,
``round.yaml``, ``proposals.yaml``, ``contracts.yaml`` and ``assurance.yaml``, each commented
with what it holds. Organisations are real (the probation trusts and prisons of the reference
data at the round's date, the co-commissioning partners the document names) except the
voluntary-sector providers, which are invented and say so; everything *about* them is
synthetic demo content, labelled as such on the round.

The loader makes every record as a person makes it on the pages, so the demo obeys every rule
it shows: each step names the person who takes it (``by``) and is checked against their
permissions (:func:`commissioning.web.walls.refusal`); its values go through the page's own
form (its validation and messages); and the state changes are the service functions the pages
and the API call (:mod:`commissioning.web.services`): a round is started, given its criteria
and lots, and published; a proposal is started as a draft, gets its lines from a price schedule
(:func:`services.apply_price_schedule` after the price schedule reader's checks), its
population profile from a synthetic extract uploaded through :func:`services.upload_profile`,
and is then submitted with :func:`services.submit_proposal`; a contract gets a draft version 1,
its schedule and targets, and is agreed with :func:`services.agree_version`. Each change is
recorded in the audit log as made by that person, as their own would be.

A bad entry stops the seed with :class:`DemoContentError`, naming the file, the key and the
rule; nothing is created (one transaction). ``seed_demo`` is idempotent: it does nothing when
a commissioner organisation already exists.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pyarrow.csv as pacsv
import yaml
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model

from commissioning.io.validation import ValidationFailed
from commissioning.reference.partners import CO_COMMISSIONING_PARTNERS
from commissioning.reference.providers import providers_table
from commissioning.secure import prices
from commissioning.secure.profiling import UploadRejected
from commissioning.secure.rounds import RoundYearError, financial_year_start
from commissioning.synth.assessments import provider_sample
from commissioning.web import audit, services, walls
from commissioning.web import models as m
from commissioning.web.forms.assurance import (
    AssuranceReturnForm,
    AuditOpinionForm,
    ExternalAuditForm,
    PerformanceForm,
    RatingForm,
    RiskEntryForm,
)
from commissioning.web.forms.competition import CriterionFormSet
from commissioning.web.forms.contracts import (
    ActionPlanForm,
    AgreeVersionForm,
    ContractForm,
    ScheduleLineForm,
    ShareForm,
    TargetLevelForm,
    VersionPriceForm,
)
from commissioning.web.forms.proposals import (
    ProposalCreateForm,
    ProposalEditForm,
    SubcontractForm,
    price_offer,
)
from commissioning.web.forms.rounds import LotForm, RoundForm
from commissioning.web.policy import parameters
from commissioning.web.roles import PROVIDER_KINDS, OrganisationKind

#: The demo content.
DEMO_DIR = Path(__file__).with_name("demo")
#: Its files, in the order they are loaded.
FILES = ("organisations.yaml", "people.yaml", "round.yaml", "proposals.yaml",
         "contracts.yaml", "assurance.yaml")
#: The reference data ``organisations.yaml`` may take organisations from.
REFERENCE_SOURCES = ("providers", "partners")
#: How the synthetic population extracts are named (``profile_source``): says what they are.
EXTRACT_NAME = "synthetic-assessments-{provider_id}.csv"
#: A plan with no subcontracts says so in these words.
NO_SUBCONTRACTING = "No subcontracting"

F = TypeVar("F", bound=forms.BaseForm)


class DemoContentError(Exception):
    """A bad entry in the demo content: which file, which key, which rule, and what is wrong."""

    def __init__(self, file: str, key: str, rule: str, message: str) -> None:
        self.file, self.key, self.rule, self.message = file, key, rule, message
        where = f"{file}: {key}" if key else file
        super().__init__(f"{where}: {message} (rule: {rule})")


@dataclass(frozen=True)
class Node:
    """A value of the demo content and where it is (file and key path), for error messages."""

    file: str
    key: str
    value: Any

    def path(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.key}[{key}]"
        return f"{self.key}.{key}" if self.key else key

    def error(self, rule: str, message: str, key: str | int | None = None) -> DemoContentError:
        return DemoContentError(self.file, self.key if key is None else self.path(key), rule,
                                message)

    def child(self, key: str | int, value: Any) -> Node:
        return Node(self.file, self.path(key), value)

    def fields(self, required: Sequence[str], optional: Sequence[str] = ()) -> dict[str, Any]:
        """The mapping's values, refusing a missing required key and any key not listed."""
        if not isinstance(self.value, dict):
            raise self.error("mapping", "must be a mapping of keys to values")
        for key in self.value:
            if key not in required and key not in optional:
                known = ", ".join(sorted([*required, *optional]))
                raise self.error("known_keys", f"{key!r} is not a key here (the keys are: "
                                 f"{known})", key=str(key))
        for key in required:
            if key not in self.value:
                raise self.error("required", f"{key!r} is missing", key=key)
        return dict(self.value)

    def items(self, key: str, *, required: bool = True) -> list[Node]:
        """The list under ``key`` (a mapping's), each item a :class:`Node`."""
        if not isinstance(self.value, dict) or (key not in self.value and not required):
            return []
        if key not in self.value:
            raise self.error("required", f"{key!r} is missing", key=key)
        values = self.value[key]
        node = self.child(key, values)
        if not isinstance(values, list):
            raise node.error("list", "must be a list")
        return [node.child(i, v) for i, v in enumerate(values)]

    def text(self, key: str) -> str:
        value = self.value.get(key) if isinstance(self.value, dict) else None
        if not isinstance(value, str) or not value.strip():
            raise self.error("text", f"{key!r} must be text", key=key)
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.value.get(key, default) if isinstance(self.value, dict) else default
        if not isinstance(value, bool):
            raise self.error("true_or_false", f"{key!r} must be true or false", key=key)
        return value

    def when(self, key: str) -> dt.datetime:
        value = self.value.get(key) if isinstance(self.value, dict) else None
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise self.error("timestamp", f"{key!r} must be a date and time with its offset, "
                             "like 2011-12-05T12:00:00+00:00", key=key)
        return value


# ---------------------------------------------------------------------------------------------
# Reading the files
# ---------------------------------------------------------------------------------------------


def load_content(folder: Path = DEMO_DIR) -> dict[str, Node]:
    """Every demo file's content (the top-level mapping), by file name."""
    out: dict[str, Node] = {}
    for name in FILES:
        path = folder / name
        try:
            value = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise DemoContentError(name, "", "readable", f"cannot be read: {exc}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark is not None else ""
            raise DemoContentError(name, where, "yaml", f"is not valid YAML: {exc}") from None
        node = Node(name, "", value)
        if not isinstance(value, dict):
            raise node.error("mapping", "must be a mapping of keys to values")
        out[name] = node
    return out


def _people_rows(node: Node) -> tuple[tuple[str, str, str], ...]:
    """(username, role, organisation name or ``provider:ID``) of each person."""
    node.fields(["people"])
    rows = []
    for item in node.items("people"):
        value = item.fields(["username", "role"], ["organisation", "provider"])
        if ("organisation" in value) == ("provider" in value):
            raise item.error("one_organisation",
                             "give the person's 'organisation' (a name) or 'provider' (a "
                             "provider_id), one of the two")
        where = (f"provider:{value['provider']}" if "provider" in value
                 else str(value["organisation"]))
        rows.append((item.text("username"), item.text("role"), where))
    return tuple(rows)


#: (username, role, organisation) of the demo accounts, from ``people.yaml``.
DEMO_PEOPLE: tuple[tuple[str, str, str], ...] = _people_rows(
    load_content(DEMO_DIR)["people.yaml"])


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    organisation: str


@dataclass(frozen=True)
class DemoSeed:
    """What :func:`seed_demo` made (or found)."""

    created: bool
    password: str | None
    accounts: tuple[DemoAccount, ...]


# ---------------------------------------------------------------------------------------------
# Acting as a person, through the page's form
# ---------------------------------------------------------------------------------------------


class _World:
    """What the seed has made so far, to resolve the names the files use."""

    def __init__(self) -> None:
        self.orgs: dict[str, m.Organisation] = {}  # by name and by "provider:ID"
        self.users: dict[str, Any] = {}
        self.rounds: dict[str, m.CommissioningRound] = {}
        self.contracts: dict[str, m.Contract] = {}

    def organisation(self, node: Node, key: str, *, provider: bool) -> m.Organisation:
        value = node.value.get(key) if isinstance(node.value, dict) else None
        found = self.orgs.get(f"provider:{value}" if provider else str(value))
        if found is None:
            what = "provider with provider_id" if provider else "organisation named"
            raise node.error("known_organisation", f"there is no {what} {value!r} "
                             "(organisations.yaml and its reference data)", key=key)
        return found

    def person(self, node: Node, key: str = "by") -> Any:
        value = node.value.get(key) if isinstance(node.value, dict) else None
        if value not in self.users:
            raise node.error("known_person", f"{value!r} is not a person of people.yaml",
                             key=key)
        return self.users[value]

    def contract(self, node: Node) -> m.Contract:
        value = node.value.get("contract") if isinstance(node.value, dict) else None
        if value not in self.contracts:
            raise node.error("known_contract", f"{value!r} is not a contract of "
                             "contracts.yaml", key="contract")
        return self.contracts[value]


@contextmanager
def _acting(user: Any) -> Iterator[None]:
    """Changes made in the block are recorded as ``user``'s, as the pages record them."""
    membership = m.Membership.objects.select_related("organisation").get(user=user)
    with audit.acting_as(user.get_username(), membership.organisation.name):
        yield


def _may(node: Node, user: Any, action: str, target: Any) -> None:
    """Refuse the step unless ``user`` may take it (the same check as the page's)."""
    reason = walls.refusal(user, action, target)
    if reason:
        what = target.__name__ if isinstance(target, type) else type(target).__name__
        raise node.error("permission", f"{user.get_username()} may not {action} this "
                         f"{what}: {reason}", key="by")


def _form_value(field: forms.Field, value: Any) -> list[tuple[str, str]]:
    """(suffix, posted text) for one field, as a browser would post the value."""
    if value is None:
        return []
    if isinstance(field.widget, forms.MultiWidget):
        names: list[str] = field.widget.widgets_names  # type: ignore[attr-defined]
        parts: list[Any] = field.widget.decompress(value) or []
        return [(suffix, str(part)) for suffix, part in zip(names, parts, strict=True)
                if part is not None]
    if isinstance(field, forms.BooleanField):
        return [("", "on")] if value else []
    if isinstance(value, Model):
        return [("", str(value.pk))]
    return [("", str(value))]


def _posted(form: forms.BaseForm, values: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """What the page would post: ``values`` for the fields given, the page's prefilled value
    (the form's initial) for the others."""
    data: dict[str, str] = {}
    for name, field in form.fields.items():
        value = values[name] if name in values else form.initial.get(name, field.initial)
        if callable(value):
            value = value()
        for suffix, text in _form_value(field, value):
            data[f"{prefix}{name}{suffix}"] = text
    return data


def _shown(value: Any) -> str:
    """A value as the file writes it."""
    return value.isoformat() if isinstance(value, dt.date) else repr(value)


def _form_error(node: Node, form: forms.BaseForm, keys: Mapping[str, str],
                values: Mapping[str, Any] | None = None) -> DemoContentError:
    """The page's first error message, for the key it is about, with the value given."""
    field, problems = next(iter(form.errors.items()))
    key = keys.get(field, field) if field != "__all__" else None
    rule = f"the page's form ({type(form).__name__})"
    message = " ".join(str(p) for p in problems)
    if values is not None and field in values and not isinstance(values[field], Model):
        message += f" (the file gives {_shown(values[field])})"
    return node.error(rule, message, key=key)


def _submit(
    node: Node,
    form_class: type[F],
    values: Mapping[str, Any],
    *,
    keys: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> F:
    """Fill in and send the page's form (``form_class(data, **kwargs)``); refuse the entry
    with the form's own message when the page would. ``keys`` maps a form field to the file's
    key where they differ."""
    blank = form_class(None, **kwargs)
    unknown = set(values) - set(blank.fields)
    if unknown:
        raise node.error("known_keys", f"{sorted(unknown)[0]!r} is not a field of the page")
    form = form_class(_posted(blank, values), **kwargs)
    if not form.is_valid():
        raise _form_error(node, form, keys or {}, values)
    return form


def _refused(node: Node, exc: ValidationError, key: str | None = None) -> DemoContentError:
    """A service function's refusal (its ``ValidationError``), for the entry that caused it."""
    messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
    field, problems = next(iter(messages.items()))
    return node.error(f"services ({field or 'state'})", " ".join(problems), key=key)


def _record(node: Node, record: Model) -> Model:
    """Save a record the way its page does (validated, including the model's own rules)."""
    try:
        record.full_clean()
    except ValidationError as exc:
        field, problems = next(iter(exc.message_dict.items()))
        raise node.error(f"the {type(record).__name__} record",
                         " ".join(problems), key=None if field == "__all__" else field) from None
    record.save()
    return record


# ---------------------------------------------------------------------------------------------
# Organisations and people
# ---------------------------------------------------------------------------------------------


def _round_year(content: Mapping[str, Node]) -> str:
    node = content["round.yaml"]
    year = node.text("year")
    try:
        financial_year_start(year)
    except RoundYearError:
        raise node.error("financial_year", "must be a financial year like 2012-13",
                         key="year") from None
    return year


def _organisations(node: Node, world: _World, year: str) -> None:
    value = node.fields(["organisations"], ["reference"])
    reference = node.child("reference", value.get("reference", []))
    if not isinstance(reference.value, list) or any(
            r not in REFERENCE_SOURCES for r in reference.value):
        raise reference.error("reference_source", f"must be a list of: "
                              f"{', '.join(REFERENCE_SOURCES)}")
    rows: list[tuple[Node, dict[str, Any]]] = []
    if "providers" in reference.value:
        table = providers_table(parameters().at(financial_year_start(year))).to_pylist()
        for row in table:
            name = row["name"]
            if (row["kind"] == OrganisationKind.PROBATION_TRUST
                    and not name.endswith("Probation Trust")):
                name = f"{name} Probation Trust"
            rows.append((reference, {"name": name, "kind": row["kind"],
                                     "provider_id": row["provider_id"],
                                     "region": row["region"] or ""}))
    if "partners" in reference.value:
        rows += [(reference, {"name": p.name, "kind": OrganisationKind.PARTNER,
                              "region": p.region}) for p in CO_COMMISSIONING_PARTNERS]
    for item in node.items("organisations"):
        rows.append((item, item.fields(["name", "kind"], ["provider_id", "region"])))
    for where, row in rows:
        if row["name"] in world.orgs:
            raise where.error("unique_name", f"{row['name']!r} is named twice")
        key = f"provider:{row.get('provider_id')}"
        if row.get("provider_id") and key in world.orgs:
            raise where.error("unique_provider_id",
                              f"provider_id {row['provider_id']!r} is used twice")
        org = _record(where, m.Organisation(**{k: v if v is not None else "" for k, v in
                                               row.items()}))
        assert isinstance(org, m.Organisation)
        world.orgs[org.name] = org
        if org.provider_id:
            world.orgs[key] = org


def _people(node: Node, world: _World, password: str) -> tuple[DemoAccount, ...]:
    user_model = get_user_model()
    # One deliberately slow hash for the shared demo password, not one per account.
    hashed = make_password(password)
    accounts = []
    rows = _people_rows(node)
    for item, (username, role, _) in zip(node.items("people"), rows, strict=True):
        if username in world.users:
            raise item.error("unique_username", f"{username!r} is listed twice",
                             key="username")
        provider = "provider" in item.value
        org = world.organisation(item, "provider" if provider else "organisation",
                                 provider=provider)
        user = user_model(username=username, password=hashed)
        _record(item.child("username", username), user)
        try:
            m.Membership.objects.create(user=user, organisation=org, role=role)
        except ValidationError as exc:
            raise item.error("role_fits_organisation", " ".join(exc.messages),
                             key="role") from None
        world.users[username] = user
        accounts.append(DemoAccount(username, str(role), org.name))
    return tuple(accounts)


# ---------------------------------------------------------------------------------------------
# The round
# ---------------------------------------------------------------------------------------------


def _round(node: Node, world: _World) -> m.CommissioningRound:
    value = node.fields(["by", "year", "title", "opens", "closes", "criteria", "lots"],
                        ["summary", "publish"])
    user = world.person(node)
    _may(node, user, "create", m.CommissioningRound)
    with _acting(user):
        form = _submit(node, RoundForm, {
            k: value[k] for k in ("year", "title", "summary", "opens", "closes") if k in value})
        rnd = services.start_round(form.save(commit=False))
        _criteria(node, user, rnd)
        for item in node.items("lots"):
            item.fields(["service_group", "region", "setting", "budget"])
            _may(item, user, "create", m.Lot)
            lot = _submit(item, LotForm, item.value, round=rnd)
            rnd.add_lot(lot.cleaned_data["service_group"], lot.cleaned_data["region"],
                        lot.cleaned_data["setting"], lot.cleaned_data["budget"])
        if node.flag("publish"):
            _may(node, user, "change", rnd)
            try:
                services.advance_round(rnd, services.NEXT_STATUS[rnd.status])
            except ValidationError as exc:
                raise _refused(node, exc, "publish") from None
    world.rounds[rnd.year] = rnd
    return rnd


def _criteria(node: Node, user: Any, rnd: m.CommissioningRound) -> None:
    """All the round's criteria in the criteria page's one formset (weights sum to 100)."""
    items = node.items("criteria")
    _may(node, user, "change", m.Criterion)
    blank = CriterionFormSet(queryset=m.Criterion.objects.none())
    data = {f"{blank.prefix}-TOTAL_FORMS": str(len(items)),
            f"{blank.prefix}-INITIAL_FORMS": "0"}
    for i, item in enumerate(items):
        item.fields(["name", "kind", "weight"], ["guidance"])
        data |= _posted(blank.empty_form, item.value, prefix=f"{blank.prefix}-{i}-")
    formset = CriterionFormSet(data, queryset=m.Criterion.objects.none())
    if not formset.is_valid():
        for item, form in zip(items, formset.forms, strict=True):
            if form.errors:
                raise _form_error(item, form, {}, item.value)
        raise node.error("the page's form (CriterionFormSet)",
                         " ".join(str(e) for e in formset.non_form_errors()), key="criteria")
    for criterion in formset.save(commit=False):
        criterion.round = rnd
        criterion.save()


# ---------------------------------------------------------------------------------------------
# Proposals
# ---------------------------------------------------------------------------------------------


def _schedule_csv(lines: list[Node]) -> bytes:
    """The proposal's lines as the price schedule a provider uploads (CSV, the template's
    columns)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(prices.header())
    for item in lines:
        row = item.fields(["service_id", "setting", "offence_group", "risk_tier", "harm",
                           "volume", "unit_price"], ["women_only", "rationale"])
        writer.writerow(["" if row.get(c) is None else
                         ("true" if row[c] is True else "false" if row[c] is False else row[c])
                         for c in prices.header()])
    return out.getvalue().encode("utf-8")


def _extract(item: Node, proposal: m.Proposal) -> tuple[bytes, str]:
    """The synthetic assessments extract a demo proposal uploads, as CSV, and its name."""
    value = item.fields(["assessments", "seed"], ["sex"])
    for key in ("assessments", "seed"):
        if not isinstance(value[key], int) or isinstance(value[key], bool) or value[key] < 1:
            raise item.error("positive_whole_number", f"{key!r} must be a whole number of 1 "
                             "or more", key=key)
    if proposal.lot is None:
        raise item.error("lot_first", "a profile is drawn in its lot's setting: give the "
                         "proposal's lot")
    provider = proposal.provider
    try:
        table = provider_sample(
            parameters().at(proposal.round.starts), value["assessments"], value["seed"],
            setting=proposal.lot.setting, provider_id=provider.provider_id,
            region=provider.region, sex=value.get("sex"))
    except ValueError as exc:
        raise item.error("synthetic_sample", str(exc)) from None
    out = io.BytesIO()
    pacsv.write_csv(table, out)
    return out.getvalue(), EXTRACT_NAME.format(provider_id=provider.provider_id)


def _subcontracts_named(item: Node) -> None:
    """The plan names each subcontractor, or says there is none."""
    plan = str(item.value.get("subcontracting_plan", ""))
    named = [str(s.value.get("subcontractor", "")) if isinstance(s.value, dict) else ""
             for s in item.items("subcontracts", required=False)]
    if not named and not plan.startswith(NO_SUBCONTRACTING):
        raise item.error("plan_matches_subcontracts", "the proposal has no subcontracts: its "
                         f"plan must start '{NO_SUBCONTRACTING}'", key="subcontracting_plan")
    for name in named:
        if name.lower() not in plan.lower():
            raise item.error("plan_matches_subcontracts", f"the plan does not name the "
                             f"subcontractor {name!r}", key="subcontracting_plan")


def _proposals(node: Node, world: _World, rnd: m.CommissioningRound) -> None:
    node.fields(["submitted_at", "proposals"])
    submitted_at = node.when("submitted_at")
    for item in node.items("proposals"):
        value = item.fields(["by", "title", "lot", "delivery_approach", "subcontracting_plan",
                             "lines", "profile"], ["subcontracts", "submit"])
        _subcontracts_named(item)
        user = world.person(item)
        _may(item, user, "create", m.Proposal)
        organisation = walls.viewer_of(user).organisation
        assert organisation is not None  # a provider always belongs to one
        with _acting(user):
            open_rounds = walls.visible(user, m.CommissioningRound).filter(
                status=m.CommissioningRound.Status.OPEN)
            started = _submit(item, ProposalCreateForm, {"round": rnd, "title": value["title"]},
                              rounds=open_rounds)
            try:
                proposal = services.start_proposal(
                    started.cleaned_data["round"], organisation, started.cleaned_data["title"],
                    user)
            except ValidationError as exc:
                raise _refused(item, exc) from None
            _may(item, user, "change", proposal)
            lot = rnd.lots.filter(number=value["lot"]).first() if isinstance(
                value["lot"], int) else None
            if lot is None:
                raise item.error("known_lot", f"the round has no lot number {value['lot']!r} "
                                 "(round.yaml, numbered from 1)", key="lot")
            _submit(item, ProposalEditForm, {
                "title": value["title"], "lot": lot,
                "delivery_approach": value["delivery_approach"],
                "subcontracting_plan": value["subcontracting_plan"]}, instance=proposal).save()
            _lines(item, proposal)
            for sub in item.items("subcontracts", required=False):
                sub.fields(["subcontractor", "services", "annual_value"])
                _may(sub, user, "change", proposal)
                _submit(sub, SubcontractForm, sub.value,
                        instance=m.Subcontract(proposal=proposal)).save()
            profile = item.child("profile", value["profile"])
            content, name = _extract(profile, proposal)
            _may(item, user, "change", proposal)
            try:
                services.upload_profile(proposal, [content], name)
            except UploadRejected as exc:
                first = exc.problems[0]
                raise profile.error(first.rule, f"{first.file}: {first.message}") from None
            except ValidationError as exc:
                raise _refused(profile, exc) from None
            if item.flag("submit"):
                _may(item, user, "submit", proposal)
                try:
                    services.submit_proposal(proposal, at=submitted_at)
                except ValidationError as exc:
                    raise _refused(item, exc, "submit") from None


def _lines(item: Node, proposal: m.Proposal) -> None:
    """The proposal's lines, uploaded as a price schedule: the page's reader and checks."""
    lines = item.items("lines")
    name = f"price-schedule-{proposal.provider.provider_id}.csv"
    try:
        read = prices.read_upload([_schedule_csv(lines)], name, price_offer(),
                                  [])  # replacing: no line is kept
    except ValidationFailed as exc:
        first = exc.problems[0]
        at = lines[first.row - 2] if first.row is not None and 2 <= first.row < len(
            lines) + 2 else item.child("lines", None)
        given = f" (the file gives {_shown(first.value)})" if first.value is not None else ""
        raise at.error(f"the price schedule page's check ({first.rule})",
                       first.message + given, key=first.column) from None
    try:
        services.apply_price_schedule(proposal, read, replace=True)
    except ValidationError as exc:
        raise _refused(item, exc, "lines") from None


# ---------------------------------------------------------------------------------------------
# Contracts
# ---------------------------------------------------------------------------------------------


def _contracts(node: Node, world: _World) -> None:
    node.fields(["agreed_at", "contracts"])
    agreed_at = node.when("agreed_at")
    for item in node.items("contracts"):
        value = item.fields(
            ["reference", "by", "title", "kind", "provider", "starts", "ends",
             "annual_operating_price", "schedule", "targets"],
            ["round", "published", "shared_with", "action_plans", "variations"])
        user = world.person(item)
        _may(item, user, "create", m.Contract)
        fields = {k: value[k] for k in ("reference", "title", "kind", "starts", "ends",
                                         "annual_operating_price")}
        fields["provider"] = world.organisation(item, "provider", provider=True)
        if "round" in value:
            if value["round"] not in world.rounds:
                raise item.error("known_round", f"{value['round']!r} is not the year of "
                                 "round.yaml", key="round")
            fields["round"] = world.rounds[value["round"]]
        organisations = walls.visible(user, m.Organisation)
        rounds = walls.visible(user, m.CommissioningRound)
        with _acting(user):
            form = _submit(item, ContractForm, fields, providers=organisations, rounds=rounds)
            version = services.create_contract(form.save(commit=False),
                                               form.cleaned_data["annual_operating_price"])
            contract = version.contract
            for child in item.items("schedule"):
                _may(child, user, "change", version)
                line = _submit(child, ScheduleLineForm, child.value).save(commit=False)
                line.version = version
                line.save()
            for child in item.items("targets"):
                _may(child, user, "change", version)
                target = _submit(child, TargetLevelForm, child.value).save(commit=False)
                target.version = version
                target.save()
            _may(item, user, "change", version)
            try:
                services.agree_version(version, user, at=agreed_at)
            except ValidationError as exc:
                raise _refused(item, exc, "schedule") from None
        for variation in item.items("variations", required=False):
            _vary(variation, world, contract)
        with _acting(user):
            if item.flag("published"):
                _may(item, user, "publish", contract)
                try:
                    services.publish_contract(contract, True)
                except ValidationError as exc:
                    raise _refused(item, exc, "published") from None
            shared = item.child("shared_with", value.get("shared_with", []))
            if not isinstance(shared.value, list):
                raise shared.error("list", "must be a list of partners' names")
            for i, name in enumerate(shared.value):
                where = shared.child(i, {"partner": name})
                _may(item, user, "share", contract)
                partner = world.organisation(where, "partner", provider=False)
                chosen = _submit(where, ShareForm, {"partner": partner}, partners=organisations)
                contract.shared_with.add(chosen.cleaned_data["partner"])
            for plan_item in item.items("action_plans", required=False):
                plan_item.fields(["requirement", "actions", "due"])
                _may(plan_item, user, "create", m.ActionPlan)
                plan = _submit(plan_item, ActionPlanForm, plan_item.value).save(commit=False)
                plan.contract = contract
                plan.save()
        world.contracts[contract.reference] = contract


#: The keys of a schedule line that say which line a variation removes.
LINE_KEYS = ("service_id", "setting", "offence_group", "risk_tier", "harm")


def _vary(node: Node, world: _World, contract: m.Contract) -> None:
    """One variation, made as on the pages: a new draft from the agreed version ("Vary this
    contract"), its annual price changed, lines removed and added, targets added, then agreed
    with its reason."""
    value = node.fields(["by", "agreed_at", "reason"],
                        ["annual_operating_price", "remove_schedule", "schedule", "targets"])
    user = world.person(node)
    _may(node, user, "create", m.ContractVersion)
    _may(node, user, "change", contract)
    with _acting(user):
        try:
            draft, created = services.draft_variation(contract, user)
        except ValidationError as exc:
            raise _refused(node, exc) from None
        if not created:
            raise node.error("one_draft", f"version {draft.number} is already in draft: agree "
                             "it before the next variation")
        _may(node, user, "change", draft)
        if "annual_operating_price" in value:
            price = node.child("annual_operating_price", value["annual_operating_price"])
            _submit(price, VersionPriceForm,
                    {"annual_operating_price": value["annual_operating_price"]},
                    instance=draft).save()
        for child in node.items("remove_schedule", required=False):
            wanted = child.fields(list(LINE_KEYS))
            line = draft.lines.filter(**{k: wanted[k] for k in LINE_KEYS}).first()
            if line is None:
                raise child.error("known_line", "the agreed version has no schedule line "
                                  "with these keys to remove")
            _may(child, user, "delete", line)
            line.delete()
        for child in node.items("schedule", required=False):
            _may(child, user, "change", draft)
            line = _submit(child, ScheduleLineForm, child.value).save(commit=False)
            line.version = draft
            line.save()
        for child in node.items("targets", required=False):
            _may(child, user, "change", draft)
            target = _submit(child, TargetLevelForm, child.value).save(commit=False)
            target.version = draft
            target.save()
        form = _submit(node, AgreeVersionForm, {"reason": value["reason"]}, variation=True)
        try:
            services.agree_version(draft, user, form.cleaned_data["reason"],
                                   at=node.when("agreed_at"))
        except ValidationError as exc:
            raise _refused(node, exc, "schedule") from None


# ---------------------------------------------------------------------------------------------
# Assurance
# ---------------------------------------------------------------------------------------------


def _managed(item: Node, world: _World, user: Any) -> m.Contract:
    """The item's contract, when ``user`` manages it (the assurance pages' rule)."""
    contract = world.contract(item)
    if not walls.managed_contracts(user).filter(pk=contract.pk).exists():
        raise item.error("permission", f"{user.get_username()} does not manage "
                         f"{contract.reference}", key="by")
    return contract


def _assurance(node: Node, world: _World) -> None:
    node.fields([], ["performance", "risks", "returns", "audits", "ratings"])
    for item in node.items("performance", required=False):
        value = item.fields(["contract", "by", "measure", "period", "actual"], ["people"])
        user = world.person(item)
        contract = _managed(item, world, user)
        _may(item, user, "create", m.PerformanceRecord)
        current = services.current_version(contract, user)
        targets = (list(walls.visible(user, m.TargetLevel).filter(version=current))
                   if current else [])
        fields = {k: v for k, v in value.items() if k not in ("contract", "by")}
        with _acting(user):
            record = _submit(item, PerformanceForm, fields, targets=targets).save(commit=False)
            record.contract = contract
            record.save()
    for item in node.items("risks", required=False):
        value = item.fields(["contract", "by", "description", "likelihood", "impact"],
                            ["mitigation", "owner"])
        user = world.person(item)
        contract = _managed(item, world, user)
        _may(item, user, "create", m.RiskEntry)
        with _acting(user):
            risk = _submit(item, RiskEntryForm, {
                k: v for k, v in value.items() if k not in ("contract", "by")}).save(
                commit=False)
            risk.contract = contract
            risk.save()
    for item in node.items("returns", required=False):
        value = item.fields(["contract", "by", "kind", "period", "statement"], ["compliant"])
        user = world.person(item)
        contract = _managed(item, world, user)
        draft = m.AssuranceReturn(contract=contract)
        _may(item, user, "create", draft)
        with _acting(user):
            saved = _submit(item, AssuranceReturnForm, {
                k: v for k, v in value.items() if k not in ("contract", "by")},
                instance=draft).save(commit=False)
            saved.submitted_by = user
            saved.save()
    for item in node.items("audits", required=False):
        value = item.fields(["contract", "by", "area"], ["auditor", "opinion", "findings"])
        user = world.person(item)
        contract = _managed(item, world, user)
        _may(item, user, "create", m.ExternalAudit)
        with _acting(user):
            commissioned = _submit(item, ExternalAuditForm, {
                k: value[k] for k in ("area", "auditor") if k in value}).save(commit=False)
            commissioned.contract = contract
            commissioned.commissioned_by = user
            commissioned.save()
            if "opinion" in value or "findings" in value:
                _may(item, user, "change", commissioned)
                _submit(item, AuditOpinionForm, {
                    k: value[k] for k in ("opinion", "findings") if k in value},
                    instance=commissioned).save()
    for item in node.items("ratings", required=False):
        value = item.fields(["provider", "by", "year", "level", "rationale"], ["published"])
        user = world.person(item)
        _may(item, user, "create", m.Rating)
        providers = walls.visible(user, m.Organisation).filter(kind__in=PROVIDER_KINDS)
        fields = {"organisation": world.organisation(item, "provider", provider=True),
                  **{k: value[k] for k in ("year", "level", "rationale")}}
        with _acting(user):
            rating = _submit(item, RatingForm, fields, keys={"organisation": "provider"},
                             providers=providers).save()
            if item.flag("published"):
                _may(item, user, "publish", rating)
                rating.published = True
                rating.save()


# ---------------------------------------------------------------------------------------------
# The seed
# ---------------------------------------------------------------------------------------------


def existing_accounts() -> tuple[DemoAccount, ...]:
    out = []
    for username, _, _ in DEMO_PEOPLE:
        membership = (
            m.Membership.objects.select_related("organisation", "user")
            .filter(user__username=username)
            .first()
        )
        if membership is not None:
            out.append(DemoAccount(username, membership.role, membership.organisation.name))
    return tuple(out)


def seed_demo(password: str | None = None, content: Path = DEMO_DIR) -> DemoSeed:
    """Create the demo organisations, people, round, proposals, contracts and assurance once,
    from the YAML files in ``content`` (:data:`DEMO_DIR`).

    Every demo account gets ``password`` (a random one when not given, returned so that the
    caller can show it once). Returns ``created=False`` and no password when already seeded.
    Raises :class:`DemoContentError` on a bad entry, having created nothing.
    """
    if m.Organisation.objects.filter(kind=OrganisationKind.COMMISSIONER).exists():
        return DemoSeed(created=False, password=None, accounts=existing_accounts())
    files = load_content(content)
    password = password or secrets.token_urlsafe(12)
    world = _World()
    with transaction.atomic():
        with audit.acting_as("seed"):
            year = _round_year(files)
            _organisations(files["organisations.yaml"], world, year)
            accounts = _people(files["people.yaml"], world, password)
        rnd = _round(files["round.yaml"], world)
        _proposals(files["proposals.yaml"], world, rnd)
        _contracts(files["contracts.yaml"], world)
        _assurance(files["assurance.yaml"], world)
    return DemoSeed(created=True, password=password, accounts=accounts)


__all__ = ["DEMO_DIR", "DEMO_PEOPLE", "DemoAccount", "DemoContentError", "DemoSeed",
           "load_content", "seed_demo"]
