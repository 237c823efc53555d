"""Pages: the public home page, the transparency page, everyone's dashboard, and the audit log.

The transparency page shows what the *public* may see — :func:`walls.visible` with the public
viewer — whoever is signed in, so it is the same page for everyone.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, path
from django.views.decorators.http import require_http_methods

from commissioning.evidence.catalogue import load_catalogue
from commissioning.plan.intentions import Intention, load_intentions
from commissioning.publish import disclosure, ocds
from commissioning.publish.disclosure import SUPPRESSED
from commissioning.web import audit, ocds_export, services, tasks, walls
from commissioning.web import models as m
from commissioning.web.audit_labels import Labeller
from commissioning.web.forms.audit import filter_form
from commissioning.web.policy import reporting_date, small_cell_threshold
from commissioning.web.roles import Role

#: Audit entries per page of the audit log.
AUDIT_PAGE_SIZE = 50


@lru_cache(maxsize=1)
def _service_names() -> dict[str, str]:
    return {i.id: i.name for i in load_catalogue()}


@lru_cache(maxsize=1)
def _intentions() -> tuple[Intention, ...]:
    return tuple(load_intentions())


def published_figure(value: Any, people: int | None, threshold: int) -> Any:
    """``value``, or ``*`` when it rests on 1 to threshold - 1 people (zero is shown)."""
    return disclosure.published_figure(value, people, threshold)


@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    rounds = walls.visible(walls.viewer_of(None), m.CommissioningRound)
    return render(request, "web/public/home.html", {"rounds": rounds})


@dataclass(frozen=True)
class PublishedVariation:
    """A variation as published: when the new version was agreed, what changed in the published
    terms, and the reason given (e-mail addresses withheld, as in the open contracting data)."""

    date: dt.datetime
    description: str
    reason: str

    @classmethod
    def of(cls, amendment: ocds.Amendment) -> PublishedVariation:
        return cls(amendment.date, ocds.scrub(amendment.description),
                   ocds.scrub(amendment.rationale))


@dataclass(frozen=True)
class PublishedContract:
    contract: m.Contract
    version: m.ContractVersion | None
    #: (service id, service name, places or SUPPRESSED): the open contracting data's rule, a
    #: volume of 1 to threshold - 1 places withheld
    volumes: list[tuple[str, str, int | str]]
    #: its variations as the open contracting data publishes them
    variations: tuple[PublishedVariation, ...] = ()


@dataclass(frozen=True)
class PublishedPerformance:
    record: m.PerformanceRecord
    actual: Any
    people: Any
    suppressed: bool


@require_http_methods(["GET"])
def transparency(request: HttpRequest) -> HttpResponse:
    public = walls.viewer_of(None)
    names = _service_names()
    rounds = list(walls.visible(public, m.CommissioningRound))

    contracts: list[PublishedContract] = []
    visible_contracts = walls.visible(public, m.Contract).select_related("provider")
    latest: dict[int, m.ContractVersion] = {}
    for shown in visible_contracts:
        current_version = services.current_version(shown, public)
        if current_version is not None:
            latest[shown.pk] = current_version
    lines = (
        walls.visible(public, m.ScheduleLine)
        .filter(version__in=[v.pk for v in latest.values()])
        .values("version_id", "service_id")
        .annotate(volume=Sum("volume"))
        .order_by("version_id", "service_id")
    )
    # the disclosure rule in force on the workspace's reporting date, as in the round's report
    on = reporting_date()
    threshold = small_cell_threshold(on) if on is not None else None
    volumes: dict[int, list[tuple[str, str, int | str]]] = defaultdict(list)
    for row in lines:
        sid, volume = row["service_id"], int(row["volume"])
        places: int | str = volume
        if threshold is None or disclosure.is_small_count(volume, threshold):
            places = SUPPRESSED
        volumes[row["version_id"]].append((sid, names.get(sid, sid), places))
    for contract in visible_contracts:
        current = latest.get(contract.pk)
        contracts.append(PublishedContract(
            contract, current, volumes.get(current.pk, []) if current else [],
            tuple(PublishedVariation.of(a) for a in ocds_export.amendments(contract))))
    performance: list[PublishedPerformance] = []
    for record in walls.visible(public, m.PerformanceRecord).select_related(
        "contract", "contract__provider"
    ):
        if threshold is None:  # no round and no contract: nothing to publish
            break
        shown = published_figure(record.actual, record.people, threshold)
        performance.append(
            PublishedPerformance(
                record,
                shown,
                published_figure(record.people, record.people, threshold),
                shown == SUPPRESSED,
            )
        )

    ratings = walls.visible(public, m.Rating).select_related("organisation")
    small_volumes = any(v == SUPPRESSED for c in contracts for *_, v in c.volumes)
    return render(
        request,
        "web/public/transparency.html",
        {
            "rounds": rounds,
            "intentions": _intentions() if rounds else (),
            "contracts": contracts,
            "performance": performance,
            "any_variations": any(c.variations for c in contracts),
            "any_small_volumes": small_volumes,
            "any_suppressed": small_volumes or any(p.suppressed for p in performance),
            "threshold": threshold,
            "ratings": ratings,
        },
    )


@login_required
@require_http_methods(["GET"])
def dashboard(request: HttpRequest) -> HttpResponse:
    viewer = walls.viewer_of(request.user)
    on = reporting_date()
    context: dict[str, Any] = {"board": tasks.dashboard(viewer, on), "member": viewer, "on": on}
    if viewer.role == Role.AUDITOR:
        context["chain"] = audit.verify()
    return render(request, "web/public/dashboard.html", context)


@dataclass(frozen=True)
class AuditRow:
    """One entry as the audit page shows it: its record and person in words."""

    entry: m.AuditEntry
    record: str
    person: str


def audit_query(request: HttpRequest) -> str:
    """The page's filters as a query string (without the page number), for the pagination
    and the download links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@require_http_methods(["GET"])
def audit_log(request: HttpRequest) -> HttpResponse:
    viewer = walls.require_view(request, m.AuditEntry)
    labeller = Labeller(viewer)
    form = filter_form(labeller, request.GET)
    entries = walls.visible(viewer, m.AuditEntry).order_by("-seq")
    filtered = False
    if form.is_bound and form.is_valid():
        entries = form.apply(entries)
        filtered = bool(form.query())
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        AuditRow(e, labeller.label(e.model, e.object_pk, e.action, e.data),
                 labeller.person(e.actor))
        for e in page.object_list
    ]
    return render(
        request,
        "web/public/audit_log.html",
        {
            "page": page,
            "rows": rows,
            "form": form,
            "filtered": filtered,
            "query": audit_query(request),
            "chain": audit.verify(),
            "may_see_denials": walls.may_view(request.user, m.AccessDenial),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET"])
def audit_denials(request: HttpRequest) -> HttpResponse:
    walls.require_view(request, m.AccessDenial)
    denials = walls.visible(request.user, m.AccessDenial)
    page = Paginator(denials, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/public/audit_denials.html", {"page": page})


urlpatterns: list[URLPattern | URLResolver] = [
    path("", home, name="public-home"),
    path("transparency/", transparency, name="transparency"),
    path("transparency/ocds.json", ocds_export.ocds_json, name="transparency-ocds"),
    path("transparency/publication-policy/", ocds_export.publication_policy,
         name="transparency-policy"),
    path("transparency/contracts.csv", ocds_export.contracts_csv, name="transparency-csv"),
    path("dashboard/", dashboard, name="dashboard"),
    path("audit/", audit_log, name="audit-log"),
    path("audit/denials/", audit_denials, name="audit-denials"),
]
