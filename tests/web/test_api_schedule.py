"""The price schedule through the API: the page's form checks, reader and service
(``commissioning.web.price_schedule``) behind the same walls — all-or-nothing, 422 naming every
problem's row, column and rule, the same audit entries as the page, and the page's template."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from tests.web.test_api_fuzz import CHECKS, CSRF, connections_kept_open  # noqa: F401 (fixture)
from tests.web.test_price_schedule import HEADER, client_of, csv_bytes, draft, lines_of
from tests.web.world import World, build_world

from commissioning.web import models as m

pytestmark = pytest.mark.django_db

#: Seven rows: five services, both settings, every harm band, women only or not.
SEVEN = [
    "mentoring,community,acquisitive,low,low,false,40,380,",
    "thinking_skills_programme,custody,violence,high,medium,,25,865.50,Accredited",
    "prison_place,custody,sex,very_high,high,no,3,22500,",
    "mentoring,custody,other,medium,low,yes,8,400,Women's wing",
    "mentoring,community,violence,medium,medium,false,12,410.25,",
    "thinking_skills_programme,custody,acquisitive,medium,low,true,6,870,",
    "offender_management,community,other,low,low,false,100,1200,",
]
SEVEN_LINES = [
    ("mentoring", "community", "acquisitive", "low", "low", False, 40, Decimal("380.00"), ""),
    ("thinking_skills_programme", "custody", "violence", "high", "medium", False, 25,
     Decimal("865.50"), "Accredited"),
    ("prison_place", "custody", "sex", "very_high", "high", False, 3, Decimal("22500.00"), ""),
    ("mentoring", "custody", "other", "medium", "low", True, 8, Decimal("400.00"),
     "Women's wing"),
    ("mentoring", "community", "violence", "medium", "medium", False, 12, Decimal("410.25"), ""),
    ("thinking_skills_programme", "custody", "acquisitive", "medium", "low", True, 6,
     Decimal("870.00"), ""),
    ("offender_management", "community", "other", "low", "low", False, 100, Decimal("1200.00"),
     ""),
]
#: Two lines a draft already has before a schedule arrives.
HELD = [
    dict(service_id="mentoring", setting="community", offence_group="sex", risk_tier="high",
         harm="high", volume=2, unit_price=Decimal("999.99"), rationale="Held one"),
    dict(service_id="prison_place", setting="custody", offence_group="violence",
         risk_tier="medium", harm="medium", women_only=True, volume=5,
         unit_price=Decimal("21000"), rationale="Held two"),
]


@pytest.fixture
def world() -> World:
    return build_world()


def held_draft(world: World, provider: str = "trust_b") -> m.Proposal:
    proposal = draft(world, provider)
    for fields in HELD:
        m.ProposalLine.objects.create(proposal=proposal, **fields)
    return proposal


def upload(client: Client, proposal: m.Proposal, name: str, content: bytes,
           mode: str | None) -> Any:
    data: dict[str, Any] = {"file": SimpleUploadedFile(name, content)}
    if mode is not None:
        data["mode"] = mode
    return client.post(f"/api/proposals/{proposal.pk}/schedule", data)


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "price_schedule"
    sheet.append(HEADER.split(","))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def as_tuple(line: dict[str, Any]) -> tuple[Any, ...]:
    return (line["service_id"], line["setting"], line["offence_group"], line["risk_tier"],
            line["harm"], line["women_only"], line["volume"], Decimal(line["unit_price"]),
            line["rationale"])


def state(proposal: m.Proposal) -> tuple[Any, ...]:
    """Everything an upload could change: the lines, the flags, the audit head, updated_at."""
    proposal.refresh_from_db()
    return (lines_of(proposal), list(proposal.flags.values_list("rule", "detail")),
            m.AuditEntry.objects.count(), proposal.updated_at)


def test_a_seven_row_csv_replaces_the_lines_and_answers_every_line(world: World) -> None:
    proposal = held_draft(world)
    old = list(proposal.lines.values_list("pk", flat=True))
    response = upload(client_of(world.users["provider_b"]), proposal, "prices.csv",
                      csv_bytes(*SEVEN), "replace")
    assert response.status_code == 201, response.content
    body = response.json()
    assert [as_tuple(line) for line in body] == SEVEN_LINES
    assert lines_of(proposal) == SEVEN_LINES
    assert not m.ProposalLine.objects.filter(pk__in=old).exists()
    assert [line["id"] for line in body] == list(
        proposal.lines.order_by("pk").values_list("pk", flat=True))
    # price = volume x unit price, as for a line added one at a time
    assert body[1]["price"] == "21637.50" and body[6]["price"] == "120000.00"


def test_an_xlsx_schedule_is_appended_after_the_lines_already_there(world: World) -> None:
    proposal = held_draft(world)
    before = lines_of(proposal)
    rows = [
        ["mentoring", "community", "acquisitive", "low", "low", False, 40, 380.0, None],
        ["thinking_skills_programme", "custody", "violence", "high", "medium", None, 25, 865.5,
         "Accredited"],
        ["prison_place", "custody", "sex", "very_high", "high", "no", 3, 22500, None],
    ]
    response = upload(client_of(world.users["provider_b"]), proposal, "prices.xlsx",
                      xlsx_bytes(rows), "append")
    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body) == 5
    assert [as_tuple(line) for line in body] == before + SEVEN_LINES[:3]
    assert lines_of(proposal) == before + SEVEN_LINES[:3]


def test_a_bad_file_is_422_with_each_problem_and_changes_nothing(world: World) -> None:
    proposal = held_draft(world)
    before = state(proposal)
    rows = [SEVEN[0], "mentoring,community,violence,low,low,false,forty,380,", SEVEN[2],
            SEVEN[3], "mentoring,community,sex,low,severe,false,4,380,"]
    response = upload(client_of(world.users["provider_b"]), proposal, "bad.csv",
                      csv_bytes(*rows), "replace")
    assert response.status_code == 422
    body = response.json()
    assert body["total"] == 2
    found = [(d["file"], d["row"], d["column"], d["value"], d["rule"]) for d in body["detail"]]
    assert found == [
        ("bad.csv", 3, "volume", "forty", "int_not_whole_number"),
        ("bad.csv", 6, "harm", "severe", "enum_value_unknown"),
    ]
    first = body["detail"][0]
    assert first["loc"] == ["body", "file"] and first["type"] == "int_not_whole_number"
    # the page's words for the same problem
    assert first["msg"] == ("bad.csv, row 3, column volume, value 'forty': not a whole number "
                            "(write digits only, e.g. 3) [rule int_not_whole_number]")
    assert first["message"] in first["msg"]
    assert state(proposal) == before  # neither the replace's deletions nor any row was stored


def test_appending_a_row_the_proposal_already_has_is_refused_naming_its_row(
    world: World,
) -> None:
    proposal = held_draft(world)
    before = state(proposal)
    again = "mentoring,community,sex,high,high,false,7,500,"  # HELD[0]'s service and segment
    response = upload(client_of(world.users["provider_b"]), proposal, "more.csv",
                      csv_bytes(SEVEN[0], SEVEN[1], again), "append")
    assert response.status_code == 422
    assert [(d["row"], d["column"], d["rule"]) for d in response.json()["detail"]] == [
        (4, "service_id", "line_exists")]
    assert state(proposal) == before
    # replacing instead is allowed: the held line gives way
    replaced = upload(client_of(world.users["provider_b"]), proposal, "more.csv",
                      csv_bytes(SEVEN[0], SEVEN[1], again), "replace")
    assert replaced.status_code == 201
    assert len(replaced.json()) == 3 and proposal.lines.count() == 3


def test_the_file_type_size_and_mode_are_the_pages_checks(world: World, settings: Any) -> None:
    proposal = held_draft(world)
    before = state(proposal)
    client = client_of(world.users["provider_b"])

    def problems(response: Any) -> list[tuple[Any, str]]:
        assert response.status_code == 422, response.content
        return [(d["loc"][-1], d["msg"]) for d in response.json()["detail"]]

    assert problems(upload(client, proposal, "prices.parquet", b"PAR1", "replace")) == [
        ("file", "The selected file must be a CSV or Excel (.xlsx) file")]
    assert problems(upload(client, proposal, "prices.csv", b"", "replace")) == [
        ("file", "The selected file is empty")]
    assert problems(upload(client, proposal, "prices.csv", csv_bytes(*SEVEN), None))[0][0] == (
        "mode")
    assert problems(upload(client, proposal, "prices.csv", csv_bytes(*SEVEN), "merge"))[0][0] == (
        "mode")
    fake = upload(client, proposal, "prices.xlsx", b"not a workbook", "append")
    assert [d["rule"] for d in fake.json()["detail"]] == ["file_unreadable"]
    empty = upload(client, proposal, "prices.csv", csv_bytes(), "append")
    assert [d["rule"] for d in empty.json()["detail"]] == ["no_records"]
    settings.COMMISSIONING_MAX_UPLOAD = 100
    assert problems(upload(client, proposal, "prices.csv", csv_bytes(*SEVEN), "replace")) == [
        ("file", "The selected file must be smaller than 100\xa0bytes")]
    assert state(proposal) == before


def test_another_providers_proposal_is_404_and_a_submitted_one_is_refused(
    world: World,
) -> None:
    theirs = held_draft(world, "trust_b")
    submitted = world.proposals["b_submitted"]
    before = (state(theirs), state(submitted))
    other = client_of(world.users["provider_a"])
    assert upload(other, theirs, "prices.csv", csv_bytes(*SEVEN), "replace").status_code == 404
    for fmt in ("csv", "xlsx"):
        assert other.get(f"/api/proposals/{theirs.pk}/schedule/template.{fmt}").status_code == 404
    assert m.AccessDenial.objects.filter(username="provider_a",
                                         path__contains=f"/proposals/{theirs.pk}/").count() == 3
    own = upload(client_of(world.users["provider_b"]), submitted, "prices.csv",
                 csv_bytes(*SEVEN), "append")
    assert own.status_code == 403
    assert own.json()["detail"] == "the proposal is no longer a draft or the round is not open"
    commissioner = upload(client_of(world.users["commissioner"]), submitted, "prices.csv",
                          csv_bytes(*SEVEN), "replace")
    assert commissioner.status_code == 403
    public = Client().post(f"/api/proposals/{theirs.pk}/schedule",
                           {"file": SimpleUploadedFile("p.csv", csv_bytes(*SEVEN)),
                            "mode": "replace"})
    assert public.status_code == 401
    assert (state(theirs), state(submitted)) == before


def test_a_proposal_submitted_after_the_wall_is_refused_by_the_services_lock(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The walls run first; the service checks the draft again under a lock (a submission in
    between), and its ValidationError is the API's usual 422 on the file."""
    proposal = held_draft(world)
    client = client_of(world.users["provider_b"])
    from commissioning.web.api import proposals as api_proposals

    real = api_proposals.require

    def then_submitted(request: Any, action: str, obj: Any) -> Any:
        viewer = real(request, action, obj)
        m.Proposal.objects.filter(pk=proposal.pk).update(status=m.Proposal.Status.SUBMITTED)
        return viewer

    monkeypatch.setattr(api_proposals, "require", then_submitted)
    before = lines_of(proposal)
    response = upload(client, proposal, "prices.csv", csv_bytes(*SEVEN), "replace")
    assert response.status_code == 422
    assert response.json()["detail"] == [{
        "loc": ["body", "file"], "type": "value_error",
        "msg": "The proposal is no longer a draft in an open round: nothing changed"}]
    assert lines_of(proposal) == before


def test_the_upload_needs_the_csrf_token(world: World) -> None:
    proposal = held_draft(world)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["provider_b"])
    refused = upload(client, proposal, "prices.csv", csv_bytes(*SEVEN), "replace")
    assert refused.status_code == 403
    assert proposal.lines.count() == 2


def _audit_since(seq: int, until: int | None = None) -> list[tuple[Any, ...]]:
    """The entries after ``seq`` (up to ``until``) without what differs between two proposals
    (their records' ids and times)."""
    varying = {"id", "proposal_id", "line_id", "created_at", "updated_at"}
    entries = m.AuditEntry.objects.filter(seq__gt=seq).order_by("seq")
    if until is not None:
        entries = entries.filter(seq__lte=until)
    return [
        (e.actor, e.actor_organisation, e.action, e.model,
         {k: v for k, v in e.data.items() if k not in varying})
        for e in entries
    ]


@pytest.mark.parametrize("mode", ["replace", "append"])
def test_an_api_upload_leaves_the_same_audit_entries_as_the_page(world: World, mode: str) -> None:
    by_page, by_api = held_draft(world), held_draft(world)
    client = client_of(world.users["provider_b"])
    content = csv_bytes(*SEVEN)
    start = m.AuditEntry.objects.order_by("-seq").values_list("seq", flat=True)[0]
    page = client.post(reverse("proposal-prices", args=[by_page.pk]),
                       {"file": SimpleUploadedFile("prices.csv", content), "mode": mode})
    assert page.status_code == 302
    middle = m.AuditEntry.objects.order_by("-seq").values_list("seq", flat=True)[0]
    assert upload(client, by_api, "prices.csv", content, mode).status_code == 201
    through_page, through_api = _audit_since(start, until=middle), _audit_since(middle)
    assert through_page == through_api
    lines = [e for e in through_api if e[3] == "web.ProposalLine"]
    deleted = 2 if mode == "replace" else 0
    assert [e[2] for e in lines] == ["delete"] * deleted + ["create"] * 7
    assert {e[0] for e in through_api} == {"provider_b"}
    assert lines_of(by_page) == lines_of(by_api)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_templates_are_the_pages_and_round_trip(world: World, fmt: str) -> None:
    proposal = draft(world)
    client = client_of(world.users["provider_b"])
    api = client.get(f"/api/proposals/{proposal.pk}/schedule/template.{fmt}")
    page = client.get(reverse(f"proposal-price-template-{fmt}", args=[proposal.pk]))
    assert api.status_code == page.status_code == 200
    for header in ("Content-Type", "Content-Disposition"):
        assert api[header] == page[header]
    assert api["Content-Disposition"] == f'attachment; filename="price-schedule-template.{fmt}"'
    if fmt == "csv":
        assert api["Content-Type"] == "text/csv; charset=utf-8"
        assert api.content == page.content
        example = list(csv.reader(io.StringIO(api.content.decode("utf-8-sig"))))[1]
    else:
        assert api["Content-Type"] == (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

        def sheets(content: bytes) -> dict[str, list[tuple[Any, ...]]]:
            book = openpyxl.load_workbook(io.BytesIO(content))
            return {s.title: list(s.iter_rows(values_only=True)) for s in book.worksheets}

        # the same cells (a workbook's bytes hold the time it was written)
        assert sheets(api.content) == sheets(page.content)
        example = [str(v) for v in sheets(api.content)["price_schedule"][1]]
    uploaded = upload(client, proposal, f"template.{fmt}", api.content, "replace")
    assert uploaded.status_code == 201, uploaded.content
    assert [line["service_id"] for line in uploaded.json()] == [example[0]]
    assert uploaded.json()[0]["rationale"].startswith("Example row")


@pytest.mark.usefixtures("connections_kept_open")
def test_the_answers_conform_to_the_openapi_schema(world: World) -> None:
    """What the fuzz test cannot reach (its provider has no draft): a real draft's template
    downloads (200, their declared content types) and refused uploads (422) against the
    schema, with the checks the fuzz test runs."""
    import schemathesis

    from commissioning.web.project.wsgi import application

    proposal = held_draft(world)
    client = client_of(world.users["provider_b"])
    headers = {"X-CSRFToken": CSRF}
    cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    path = {"proposal_id": proposal.pk}
    for fmt in ("csv", "xlsx"):
        operation = schema[f"/api/proposals/{{proposal_id}}/schedule/template.{fmt}"]["GET"]
        answer = operation.Case(path_parameters=path).call_and_validate(
            headers=headers, cookies=cookies, checks=CHECKS)
        assert answer.status_code == 200
    upload_op = schema["/api/proposals/{proposal_id}/schedule"]["POST"]
    for body in ({"file": csv_bytes(*SEVEN), "mode": "append"},
                 {"file": b"", "mode": "replace"}):
        case = upload_op.Case(path_parameters=path, body=body, media_type="multipart/form-data")
        answer = case.call_and_validate(headers=headers, cookies=cookies, checks=CHECKS)
        assert answer.status_code == 422, answer.text
    assert proposal.lines.count() == 2
