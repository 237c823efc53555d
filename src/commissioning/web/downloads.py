"""Downloads of every list a role may see, as CSV and as OpenDocument spreadsheets (ODS).

One module for every list page (proposals, contracts and their schedule lines, assurance
returns, performance, ratings, the transparency figures and the audit log), so each download
is made the same way:

- **Rows only through the walls.** Each :class:`Table`'s ``rows`` reads its records with
  :func:`commissioning.web.walls.visible` for the person asking (the transparency tables with
  the public viewer, as the transparency page), never from a model's manager.
- **Columns by audience.** A :class:`Column` marked ``commissioning_only`` (lot budgets,
  evaluation scores, sharing) is left out of the header *and* the rows for anyone outside the
  commissioning side, whatever the rows hold.
- **CSV** is UTF-8 with a byte-order mark (Excel then shows £ and → as they are), its first line
  a comment with the audit chain's head; **ODS** has the table's sheet and a ``metadata`` sheet
  (the head, when, for whom, the filters) and the head in the document's own metadata.
- **The audit head** (:func:`commissioning.web.audit.anchor`) in every download: compare it
  later with ``commission audit verify --expect HASH`` — a log truncated below it fails.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from commissioning.publish.disclosure import SUPPRESSED
from commissioning.web import audit, services, walls
from commissioning.web import models as m
from commissioning.web.walls import Viewer

#: The formats every list downloads as.
FORMATS: tuple[str, ...] = ("csv", "ods")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
#: What the first line of every CSV download starts with (then the audit head).
CSV_COMMENT = "# "


@dataclass(frozen=True)
class Column:
    """One column: its header (snake_case, the unit in the name), and its audience."""

    key: str
    commissioning_only: bool = False

    def shown_to(self, viewer: Viewer) -> bool:
        return viewer.commissioning_side or not self.commissioning_only


Row = Mapping[str, Any]


@dataclass(frozen=True)
class Table:
    """A downloadable list: its file name, title, columns, and its rows for a viewer (read
    through the walls)."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: Callable[[Viewer, Mapping[str, str]], Iterable[Row]]

    def columns_for(self, viewer: Viewer) -> list[Column]:
        return [c for c in self.columns if c.shown_to(viewer)]


@dataclass(frozen=True)
class Export:
    """A table as one viewer receives it: header, rows and the metadata carried with it."""

    title: str
    header: list[str]
    rows: list[list[Any]]
    metadata: list[tuple[str, str]] = field(default_factory=list)


def head_metadata(viewer: Viewer, filters: Mapping[str, str] | None = None,
                  now: dt.datetime | None = None) -> list[tuple[str, str]]:
    """The metadata every download carries: the audit chain's head (to verify later), when it
    was made and for which role, and the filters applied."""
    head = audit.anchor()
    rows = [
        ("audit_head_seq", str(head["audit_head_seq"])),
        ("audit_head_hash", str(head["audit_head_hash"])),
        ("verify_with", f"commission audit verify --expect {head['audit_head_hash']}"),
        ("exported_at", (now or timezone.now()).astimezone(dt.UTC).isoformat(timespec="seconds")),
        ("exported_for", str(viewer.role)),
    ]
    for key, value in (filters or {}).items():
        if value:
            rows.append((f"filter_{key}", value))
    return rows


def export(table: Table, viewer: Viewer, filters: Mapping[str, str] | None = None,
           described: Mapping[str, str] | None = None) -> Export:
    """The table as ``viewer`` may see it: their columns, their rows (with ``filters``, as the
    list page's query gives them); ``described``: the filters in words for the metadata
    (``filters`` themselves when not given)."""
    columns = table.columns_for(viewer)
    rows = [[row.get(c.key) for c in columns] for row in table.rows(viewer, filters or {})]
    meta = head_metadata(viewer, described if described is not None else filters)
    return Export(table.title, [c.key for c in columns], rows, meta)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def head_comment(metadata: Sequence[tuple[str, str]]) -> str:
    """The CSV's first line: the audit head and how to verify it."""
    meta = dict(metadata)
    return (f"{CSV_COMMENT}audit chain head: entry {meta['audit_head_seq']}, hash "
            f"{meta['audit_head_hash']} (verify: {meta['verify_with']}); exported "
            f"{meta['exported_at']} for {meta['exported_for']}")


def csv_bytes(data: Export) -> bytes:
    """UTF-8 with a byte-order mark; the first line the audit head, then header and rows."""
    out = io.StringIO()
    out.write(head_comment(data.metadata) + "\r\n")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(data.header)
    for row in data.rows:
        writer.writerow([_text(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def _sheet_name(title: str) -> str:
    clean = "".join(ch for ch in title if ch not in "[]*?/\\:'")
    return clean[:31] or "data"


def ods_bytes(sheets: Sequence[Export]) -> bytes:
    """An OpenDocument spreadsheet: one sheet per export, then ``metadata`` (the first
    export's), with the audit head in the document's own metadata too."""
    from odf.meta import UserDefined
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style, TextProperties
    from odf.table import Table as OdsTable
    from odf.table import TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    bold = Style(name="header", family="table-cell")
    bold.addElement(TextProperties(fontweight="bold"))
    doc.automaticstyles.addElement(bold)

    def cell(value: Any, style: Style | None = None) -> TableCell:
        if isinstance(value, bool) or value is None:
            c = TableCell(valuetype="string") if value is not None else TableCell()
        elif isinstance(value, int | float | Decimal):
            c = TableCell(valuetype="float", value=_text(value))
        else:
            c = TableCell(valuetype="string")
        if style is not None:
            c.setAttribute("stylename", style)
        if value is not None:
            c.addElement(P(text=_text(value)))
        return c

    def sheet(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> OdsTable:
        table = OdsTable(name=_sheet_name(name))
        top = TableRow()
        for h in header:
            top.addElement(cell(h, bold))
        table.addElement(top)
        for values in rows:
            tr = TableRow()
            for v in values:
                tr.addElement(cell(v))
            table.addElement(tr)
        return table

    for data in sheets:
        doc.spreadsheet.addElement(sheet(data.title, data.header, data.rows))
    metadata = sheets[0].metadata if sheets else []
    doc.spreadsheet.addElement(sheet("metadata", ["key", "value"], metadata))
    for key, value in metadata:
        if key.startswith("audit_head"):
            doc.meta.addElement(UserDefined(name=key, text=value))
    buffer = io.BytesIO()
    doc.write(buffer)
    return buffer.getvalue()


def response(data: Export | Sequence[Export], fmt: str, filename: str) -> HttpResponse:
    """The download as an attachment: ``filename`` + ``.csv`` or ``.ods``."""
    sheets = [data] if isinstance(data, Export) else list(data)
    if fmt == "csv":
        body = csv_bytes(sheets[0])
    elif fmt == "ods":
        body = ods_bytes(sheets)
    else:
        raise ValueError(f"no download format {fmt!r}: {', '.join(FORMATS)}")
    answer = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    answer["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return answer


def paths(route: str, view: Callable[..., HttpResponse], name: str) -> list[URLPattern]:
    """``route.csv`` and ``route.ods`` for one download view (``fmt`` passed to it), named
    ``name-csv`` and ``name-ods``."""
    return [path(f"{route}.{fmt}", view, {"fmt": fmt}, name=f"{name}-{fmt}") for fmt in FORMATS]


def read_csv(content: bytes) -> tuple[dict[str, str], list[dict[str, str]]]:
    """A CSV download read back: (its head comment's audit hash and entry, its rows) — for
    tests and for anyone checking a download against the chain."""
    text = content.decode("utf-8-sig")
    first, _, rest = text.partition("\r\n")
    meta: dict[str, str] = {}
    if first.startswith(CSV_COMMENT):
        words = first.split()
        if "hash" in words:
            meta["audit_head_hash"] = words[words.index("hash") + 1]
        if "entry" in words:
            meta["audit_head_seq"] = words[words.index("entry") + 1].rstrip(",")
    else:
        rest = text
    return meta, list(csv.DictReader(io.StringIO(rest)))


# ---------------------------------------------------------------------------------------------
# The lists. Every ``rows`` reads through ``walls.visible(viewer, ...)``.
# ---------------------------------------------------------------------------------------------


def _service_name(service_id: str) -> str:
    from commissioning.web.forms.proposals import service_name

    return service_name(service_id)


def _line_price() -> ExpressionWrapper:  # type: ignore[type-arg]
    return ExpressionWrapper(F("unit_price") * F("volume"),
                             output_field=DecimalField(max_digits=18, decimal_places=2))


def proposal_rows(v: Viewer, filters: Mapping[str, str]) -> Iterator[Row]:
    proposals = walls.visible(v, m.Proposal).select_related("round", "provider", "lot")
    status = filters.get("status", "")
    if status in m.Proposal.Status.values:
        proposals = proposals.filter(status=status)
    lines = dict(
        walls.visible(v, m.ProposalLine).order_by().values_list("proposal")
        .annotate(n=Count("pk")).values_list("proposal", "n"))
    prices = dict(
        walls.visible(v, m.ProposalLine).order_by().values_list("proposal")
        .annotate(total=Sum(_line_price())).values_list("proposal", "total"))
    flags = dict(
        walls.visible(v, m.ProposalFlag).order_by().values_list("proposal")
        .annotate(n=Count("pk")).values_list("proposal", "n"))
    budgets = dict(walls.visible(v, m.LotBudget).values_list("lot_id", "amount"))
    awards = dict(walls.visible(v, m.Award).values_list("proposal_id", "total_score"))
    for p in proposals.order_by("round__year", "provider__name", "pk"):
        yield {
            "proposal_id": p.pk,
            "title": p.title,
            "provider": p.provider.name,
            "round": p.round.year,
            "lot": str(p.lot) if p.lot is not None else "",
            "status": p.get_status_display(),
            "submitted_at": p.submitted_at,
            "service_lines": lines.get(p.pk, 0),
            "annual_price_gbp": prices.get(p.pk, Decimal(0)),
            "intention_flags": flags.get(p.pk, 0),
            "lot_budget_gbp": budgets.get(p.lot_id) if p.lot_id is not None else None,
            "award_total_score": awards.get(p.pk),
        }


PROPOSALS = Table("proposals", "proposals", (
    Column("proposal_id"), Column("title"), Column("provider"), Column("round"), Column("lot"),
    Column("status"), Column("submitted_at"), Column("service_lines"),
    Column("annual_price_gbp"), Column("intention_flags"),
    Column("lot_budget_gbp", commissioning_only=True),
    Column("award_total_score", commissioning_only=True),
), proposal_rows)


def _current_versions(v: Viewer) -> dict[int, m.ContractVersion]:
    """Each contract's latest agreed version that ``v`` may see."""
    current: dict[int, m.ContractVersion] = {}
    agreed = walls.visible(v, m.ContractVersion).filter(status=m.ContractVersion.Status.AGREED)
    for version in agreed.order_by("contract_id", "number"):
        current[version.contract_id] = version
    return current


def contract_rows(v: Viewer, filters: Mapping[str, str]) -> Iterator[Row]:
    current = _current_versions(v)
    shared: dict[int, list[str]] = defaultdict(list)
    if v.commissioning_side:
        through = m.Contract.shared_with.through.objects.filter(
            contract__in=walls.visible(v, m.Contract)).select_related("organisation")
        for link in through.order_by("organisation__name"):
            shared[link.contract_id].append(link.organisation.name)
    for c in walls.visible(v, m.Contract).select_related("provider", "round"):
        version = current.get(c.pk)
        yield {
            "contract_reference": c.reference,
            "title": c.title,
            "provider": c.provider.name,
            "kind": c.get_kind_display(),
            "round": c.round.year if c.round is not None else "",
            "starts": c.starts,
            "ends": c.ends,
            "published": c.published,
            "current_version": version.number if version is not None else None,
            "annual_operating_price_gbp": (version.annual_operating_price
                                           if version is not None else None),
            "shared_with": "; ".join(shared.get(c.pk, [])),
        }


CONTRACTS = Table("contracts", "contracts", (
    Column("contract_reference"), Column("title"), Column("provider"), Column("kind"),
    Column("round"), Column("starts"), Column("ends"), Column("published"),
    Column("current_version"), Column("annual_operating_price_gbp"),
    Column("shared_with", commissioning_only=True),
), contract_rows)


def schedule_line_rows(v: Viewer, filters: Mapping[str, str]) -> Iterator[Row]:
    lines = walls.visible(v, m.ScheduleLine).select_related("version", "version__contract")
    for line in lines.order_by("version__contract__reference", "version__number", "pk"):
        yield {
            "contract_reference": line.version.contract.reference,
            "version": line.version.number,
            "version_status": line.version.get_status_display(),
            "service_id": line.service_id,
            "service": _service_name(line.service_id),
            "setting": line.setting,
            "offence_group": line.offence_group,
            "risk_tier": line.risk_tier,
            "harm": line.harm,
            "volume": line.volume,
            "price_gbp": line.price,
        }


SCHEDULE_LINES = Table("schedule-lines", "schedule lines", (
    Column("contract_reference"), Column("version"), Column("version_status"),
    Column("service_id"), Column("service"), Column("setting"), Column("offence_group"),
    Column("risk_tier"), Column("harm"), Column("volume"), Column("price_gbp"),
), schedule_line_rows)


def return_rows(v: Viewer, filters: Mapping[str, str]) -> Iterator[Row]:
    returns = walls.visible(v, m.AssuranceReturn).select_related(
        "contract", "contract__provider", "submitted_by")
    for r in returns.order_by("contract__reference", "period", "pk"):
        yield {
            "contract_reference": r.contract.reference,
            "provider": r.contract.provider.name,
            "kind": r.get_kind_display(),
            "period": r.period,
            "compliant": r.compliant,
            "statement": r.statement,
            "submitted_by": r.submitted_by.get_username(),
            "submitted_at": r.submitted_at,
        }


RETURNS = Table("assurance-returns", "assurance returns", (
    Column("contract_reference"), Column("provider"), Column("kind"), Column("period"),
    Column("compliant"), Column("statement"), Column("submitted_by"), Column("submitted_at"),
), return_rows)


def _number(shown: str) -> Decimal | str:
    """A figure as shown on the page (``*`` when withheld, empty when none) as a number when
    it is one, so a spreadsheet can add it up."""
    try:
        return Decimal(shown) if shown not in ("", SUPPRESSED) else shown
    except ArithmeticError:
        return shown


def performance_rows(v: Viewer, filters: Mapping[str, str]) -> Iterator[Row]:
    """Performance as the viewer sees it on the contract pages: outside the commissioning side
    and the contract's own provider, a result on fewer people than the threshold is ``*``."""
    from commissioning.web.views.assurance import performance_lines

    records = walls.visible(v, m.PerformanceRecord).select_related("contract",
                                                                   "contract__provider")
    by_contract: dict[int, list[m.PerformanceRecord]] = defaultdict(list)
    contracts: dict[int, m.Contract] = {}
    for r in records.order_by("contract__reference", "measure", "period", "pk"):
        by_contract[r.contract_id].append(r)
        contracts[r.contract_id] = r.contract
    for pk, rows in by_contract.items():
        contract = contracts[pk]
        current = services.current_version(contract, v)
        targets = list(walls.visible(v, m.TargetLevel).filter(version=current)) if current else []
        for line in performance_lines(v, contract, rows, targets):
            yield {
                "contract_reference": contract.reference,
                "provider": contract.provider.name,
                "measure": line.measure,
                "period": line.period,
                "unit": line.unit,
                "actual": _number(line.actual),
                "target": _number(line.target),
                "direction": line.direction,
                "people": _number(line.people),
                "standing": str(line.standing.value),
            }


PERFORMANCE = Table("performance", "performance", (
    Column("contract_reference"), Column("provider"), Column("measure"), Column("period"),
    Column("unit"), Column("actual"), Column("target"), Column("direction"), Column("people"),
    Column("standing"),
), performance_rows)


def rating_rows(v: Viewer, filters: Mapping[str, str]) -> Iterator[Row]:
    for r in walls.visible(v, m.Rating).select_related("organisation").order_by(
            "-year", "organisation__name"):
        yield {
            "organisation": r.organisation.name,
            "year": r.year,
            "level": r.level,
            "published": r.published,
            "rationale": r.rationale,
        }


RATINGS = Table("ratings", "ratings", (
    Column("organisation"), Column("year"), Column("level"), Column("published"),
    Column("rationale"),
), rating_rows)


def audit_rows(v: Viewer, filters: Mapping[str, str]) -> Iterator[Row]:
    """The audit log, newest first, with the audit page's filters and labels."""
    from commissioning.web.audit_labels import Labeller, type_name
    from commissioning.web.forms.audit import filter_form

    labeller = Labeller(v)
    form = filter_form(labeller, filters)
    entries = walls.visible(v, m.AuditEntry).order_by("-seq")
    if form.is_bound and form.is_valid():
        entries = form.apply(entries)
    for e in entries.iterator(chunk_size=2000):
        yield {
            "seq": e.seq,
            "at": e.at,
            "person": labeller.person(e.actor),
            "username": e.actor,
            "organisation": e.actor_organisation,
            "action": e.action,
            "record_type": type_name(e.model),
            "record_number": e.object_pk,
            "record": labeller.label(e.model, e.object_pk, e.action, e.data),
            "entry_hash": e.entry_hash,
            "prev_hash": e.prev_hash,
        }


AUDIT = Table("audit-log", "audit log", (
    Column("seq"), Column("at"), Column("person"), Column("username"), Column("organisation"),
    Column("action"), Column("record_type"), Column("record_number"), Column("record"),
    Column("entry_hash"), Column("prev_hash"),
), audit_rows)


# ---------------------------------------------------------------------------------------------
# The download pages: each list page links to these.
# ---------------------------------------------------------------------------------------------

GET = require_http_methods(["GET"])


def _download(request: HttpRequest, table: Table, fmt: str, viewer: Viewer | None = None,
              filters: Mapping[str, str] | None = None,
              described: Mapping[str, str] | None = None) -> HttpResponse:
    v = viewer or walls.viewer_of(request.user)
    return response(export(table, v, filters, described), fmt, table.name)


@login_required
@GET
def proposals(request: HttpRequest, fmt: str) -> HttpResponse:
    return _download(request, PROPOSALS, fmt, filters={"status": request.GET.get("status", "")})


@GET
def contracts(request: HttpRequest, fmt: str) -> HttpResponse:
    return _download(request, CONTRACTS, fmt)


@GET
def schedule_lines(request: HttpRequest, fmt: str) -> HttpResponse:
    return _download(request, SCHEDULE_LINES, fmt)


@login_required
@GET
def assurance_returns(request: HttpRequest, fmt: str) -> HttpResponse:
    viewer = walls.require_view(request, m.AssuranceReturn)
    return _download(request, RETURNS, fmt, viewer)


@GET
def performance(request: HttpRequest, fmt: str) -> HttpResponse:
    """Performance of every contract the viewer sees, as the contract pages show it."""
    return _download(request, PERFORMANCE, fmt)


@GET
def ratings(request: HttpRequest, fmt: str) -> HttpResponse:
    return _download(request, RATINGS, fmt)


@login_required
@GET
def audit_log(request: HttpRequest, fmt: str) -> HttpResponse:
    """The audit log with the page's filters (the commissioning side only). Filters the page
    would refuse send the reader back to it, where the errors are shown."""
    from django.shortcuts import redirect

    from commissioning.web.audit_labels import Labeller
    from commissioning.web.forms.audit import filter_form

    viewer = walls.require_view(request, m.AuditEntry)
    form = filter_form(Labeller(viewer), request.GET)
    if form.is_bound and not form.is_valid():
        return redirect(f"{reverse('audit-log')}?{request.GET.urlencode()}")
    described = form.query() if form.is_bound else {}
    return _download(request, AUDIT, fmt, viewer, request.GET, described)


@GET
def transparency(request: HttpRequest, fmt: str) -> HttpResponse:
    """The transparency page's figures as the public sees them, whoever asks: published
    performance (small cells ``*``) and ratings; ODS has both as sheets, CSV the performance."""
    public = walls.viewer_of(None)
    figures = export(PERFORMANCE, public)
    sheets = [Export("performance", figures.header, figures.rows, figures.metadata),
              export(RATINGS, public)]
    return response(sheets if fmt == "ods" else sheets[0], fmt, "transparency-performance")


urlpatterns: list[URLPattern] = [
    *paths("proposals/download", proposals, "proposal-list-download"),
    *paths("contracts/download", contracts, "contract-list-download"),
    *paths("contracts/schedule-lines", schedule_lines, "schedule-lines-download"),
    *paths("assurance/returns", assurance_returns, "assurance-returns-download"),
    *paths("contracts/performance", performance, "performance-download"),
    *paths("ratings/download", ratings, "rating-list-download"),
    *paths("transparency/performance", transparency, "transparency-figures-download"),
    *paths("audit/download", audit_log, "audit-log-download"),
]
