"""Human labels for the audit log: what each entry changed and who changed it, in words.

The log stores a record's model label and key (``web.ScheduleLine`` ``12``) and a snapshot of
its fields. :class:`Labeller` turns an entry into "Schedule line: Thinking skills programme ×
custody/violence/high, contract SLA-A version 2" and an actor into their name, for the audit
page and its downloads.

Labels respect the ethical walls: the records a label names (a proposal's title, a contract's
reference, a person's name) are read through :func:`commissioning.web.walls.visible` for the
person reading the log, and the snapshot of a record inside a proposal is used only when that
proposal is visible to them — a provider's draft stays the provider's, even in the commissioner's
audit log, which then says "a draft proposal" and no more.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

from django.apps import apps
from django.db.models import Model

from commissioning.web import models as m
from commissioning.web import walls
from commissioning.web.walls import Viewer

#: Names of the audited record types where the model's own name would read badly.
NAMES: dict[str, str] = {
    "auth.User": "User account",
    "web.CommissioningRound": "Round",
    "web.RoundEnvelope": "Budget envelope",
    "web.LotBudget": "Lot budget",
    "web.ProposalLine": "Proposal line",
    "web.ProposalFlag": "Intention flag",
    "web.ModeratedScore": "Moderated score",
    "web.ContractVersion": "Contract version",
    "web.ScheduleLine": "Schedule line",
    "web.TargetLevel": "Target level",
    "web.ActionPlan": "Action plan",
    "web.AssuranceReturn": "Assurance return",
    "web.ExternalAudit": "External audit",
    "web.RiskEntry": "Risk",
    "web.PerformanceRecord": "Performance record",
}
#: Models whose records belong to a proposal (and so are behind a draft's wall).
IN_PROPOSAL = frozenset({"web.ProposalLine", "web.Subcontract", "web.ProposalFlag", "web.Score",
                         "web.ModeratedScore", "web.Award"})
DRAFT = "a draft proposal"


def type_name(label: str) -> str:
    """The human name of a record type (``web.ScheduleLine`` → "Schedule line")."""
    if label in NAMES:
        return NAMES[label]
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return label
    name = str(model._meta.verbose_name)
    return name[:1].upper() + name[1:]


def audited_types() -> list[tuple[str, str]]:
    """(label, name) of every audited record type, by name."""
    from commissioning.web.audit import audited_models

    return sorted(((mm._meta.label, type_name(mm._meta.label)) for mm in audited_models()),
                  key=lambda pair: pair[1])


def _service(service_id: Any) -> str:
    from commissioning.web.forms.proposals import service_name

    return service_name(str(service_id))


def _segment(data: Mapping[str, Any]) -> str:
    parts = [data.get("setting"), data.get("offence_group"), data.get("risk_tier")]
    return "/".join(str(p) for p in parts if p)


class Labeller:
    """Labels for one reader of the log; the records they name are read once, through the
    walls, the first time a label needs them."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer

    def _map(self, model: type[Model], make: Callable[[Any], str],
             related: tuple[str, ...] = ()) -> dict[int, str]:
        qs = walls.visible(self.viewer, model)
        if related:
            qs = qs.select_related(*related)
        return {int(obj.pk): make(obj) for obj in qs}

    @cached_property
    def proposals(self) -> dict[int, str]:
        return self._map(m.Proposal, lambda p: f"proposal '{p.title}' ({p.provider.name})",
                         ("provider",))

    @cached_property
    def contracts(self) -> dict[int, str]:
        return self._map(m.Contract, lambda c: f"contract {c.reference}")

    @cached_property
    def versions(self) -> dict[int, str]:
        return self._map(m.ContractVersion,
                         lambda v: f"contract {v.contract.reference} version {v.number}",
                         ("contract",))

    @cached_property
    def version_numbers(self) -> dict[int, str]:
        return self._map(m.ContractVersion, lambda v: str(v.number))

    @cached_property
    def organisations(self) -> dict[int, str]:
        return self._map(m.Organisation, lambda o: str(o.name))

    @cached_property
    def rounds(self) -> dict[int, str]:
        return self._map(m.CommissioningRound, lambda r: f"round {r.year}")

    @cached_property
    def lots(self) -> dict[int, str]:
        return self._map(m.Lot, lambda lot: f"lot {lot.number} of round {lot.round.year}",
                         ("round",))

    @cached_property
    def criteria(self) -> dict[int, str]:
        return self._map(m.Criterion, lambda c: f"'{c.name}'")

    @cached_property
    def people(self) -> dict[str, str]:
        """Username → the person's name as the reader may see it (their membership)."""
        out: dict[str, str] = {}
        for ms in walls.visible(self.viewer, m.Membership).select_related("user"):
            name = ms.user.get_full_name().strip()
            out[ms.user.get_username()] = name or ms.user.get_username()
        return out

    def person(self, username: str) -> str:
        """The actor's name (their username when they have no name on record, or when the
        reader may not see their membership; 'system' for changes made by commands)."""
        return self.people.get(username, username)

    def _of(self, table: dict[int, str], key: Any, what: str) -> str:
        if key is None:
            return ""
        try:
            return table.get(int(key), f"{what} {key} (since removed)")
        except (TypeError, ValueError):
            return f"{what} {key}"

    def _proposal_visible(self, data: Mapping[str, Any], model: str) -> bool:
        if model == "web.Proposal":
            return True  # checked by the caller with the entry's own key
        return data.get("proposal_id") is not None and int(data["proposal_id"]) in self.proposals

    def label(self, model: str, object_pk: str, action: str, data: Mapping[str, Any]) -> str:
        """The entry's record in words: its type, then what it is."""
        name = type_name(model)
        if action in ("grant", "revoke"):
            return self._permission(model, object_pk, action, data)
        if model == "web.Proposal":
            key = int(object_pk) if object_pk.isdigit() else None
            if key is None or key not in self.proposals:
                return f"{name} {object_pk}: {DRAFT}"
            return f"{name}: {self.proposals[key].removeprefix('proposal ')}"
        if model in IN_PROPOSAL and not self._proposal_visible(data, model):
            return f"{name} {object_pk}, of {DRAFT}"
        describe = DESCRIBERS.get(model)
        if describe is None:
            return f"{name} {object_pk}"
        try:
            return f"{name}: {describe(self, data)}"
        except (KeyError, TypeError, ValueError):
            return f"{name} {object_pk}"

    def _permission(self, model: str, object_pk: str, action: str,
                    data: Mapping[str, Any]) -> str:
        pks = data.get("pks") or []
        if model == "web.Contract":
            names = ", ".join(self._of(self.organisations, pk, "organisation") for pk in pks)
            where = "shared with" if action == "grant" else "no longer shared with"
            return f"Contract: {self._of(self.contracts, object_pk, 'contract')} {where} {names}"
        relation = str(data.get("relation", "permission")).replace("_", " ")
        return f"{type_name(model)} {object_pk}: {relation} {pks}"


def _proposal_line(lab: Labeller, d: Mapping[str, Any]) -> str:
    women = ", women only" if d.get("women_only") else ""
    return (f"{_service(d['service_id'])} × {_segment(d)}, {d.get('harm', 'low')} harm{women}, "
            f"{lab._of(lab.proposals, d['proposal_id'], 'proposal')}")


def _schedule_line(lab: Labeller, d: Mapping[str, Any]) -> str:
    return (f"{_service(d['service_id'])} × {_segment(d)}, "
            f"{lab._of(lab.versions, d['version_id'], 'version')}")


def _in_contract(field: str) -> Callable[[Labeller, Mapping[str, Any]], str]:
    def describe(lab: Labeller, d: Mapping[str, Any]) -> str:
        return f"{d[field]}, {lab._of(lab.contracts, d['contract_id'], 'contract')}"

    return describe


DESCRIBERS: dict[str, Callable[[Labeller, Mapping[str, Any]], str]] = {
    "auth.User": lambda lab, d: str(d["username"]),
    "web.Organisation": lambda lab, d: str(d["name"]),
    "web.Membership": lambda lab, d: (
        f"{d['role'].replace('_', ' ')} in "
        f"{lab._of(lab.organisations, d['organisation_id'], 'organisation')}"),
    "web.CommissioningRound": lambda lab, d: f"{d['year']} {d['title']}",
    "web.RoundEnvelope": lambda lab, d: lab._of(lab.rounds, d["round_id"], "round"),
    "web.Lot": lambda lab, d: (
        f"lot {d['number']}, {d['service_group']}, {d['region']}, {d['setting']}"),
    "web.LotBudget": lambda lab, d: lab._of(lab.lots, d["lot_id"], "lot"),
    "web.Criterion": lambda lab, d: (
        f"'{d['name']}' ({d['kind']}, {d['weight']}%), "
        f"{lab._of(lab.rounds, d['round_id'], 'round')}"),
    "web.ProposalLine": _proposal_line,
    "web.Subcontract": lambda lab, d: (
        f"{d['subcontractor']}, {lab._of(lab.proposals, d['proposal_id'], 'proposal')}"),
    "web.ProposalFlag": lambda lab, d: (
        f"{d['intention']}, {lab._of(lab.proposals, d['proposal_id'], 'proposal')}"),
    "web.Score": lambda lab, d: (
        f"criterion {lab._of(lab.criteria, d['criterion_id'], 'criterion')}, "
        f"{lab._of(lab.proposals, d['proposal_id'], 'proposal')}"),
    "web.ModeratedScore": lambda lab, d: (
        f"criterion {lab._of(lab.criteria, d['criterion_id'], 'criterion')}, "
        f"{lab._of(lab.proposals, d['proposal_id'], 'proposal')}"),
    "web.Award": lambda lab, d: lab._of(lab.proposals, d["proposal_id"], "proposal"),
    "web.Contract": lambda lab, d: f"{d['reference']} {d['title']}",
    "web.ContractVersion": lambda lab, d: (
        f"version {d['number']} of {lab._of(lab.contracts, d['contract_id'], 'contract')}"),
    "web.ScheduleLine": _schedule_line,
    "web.TargetLevel": lambda lab, d: (
        f"{d['measure']}, {lab._of(lab.versions, d['version_id'], 'version')}"),
    "web.Variation": lambda lab, d: (
        f"{lab._of(lab.contracts, d['contract_id'], 'contract')}, version "
        f"{lab._of(lab.version_numbers, d['from_version_id'], 'version')} to version "
        f"{lab._of(lab.version_numbers, d['to_version_id'], 'version')}"),
    "web.ActionPlan": _in_contract("requirement"),
    "web.AssuranceReturn": lambda lab, d: (
        f"{str(d['kind']).replace('_', ' ')} {d['period']}, "
        f"{lab._of(lab.contracts, d['contract_id'], 'contract')}"),
    "web.ExternalAudit": _in_contract("area"),
    "web.RiskEntry": _in_contract("description"),
    "web.PerformanceRecord": lambda lab, d: (
        f"{d['measure']} {d['period']}, {lab._of(lab.contracts, d['contract_id'], 'contract')}"),
    "web.Rating": lambda lab, d: (
        f"{lab._of(lab.organisations, d['organisation_id'], 'organisation')} {d['year']}, "
        f"level {d['level']}"),
}
