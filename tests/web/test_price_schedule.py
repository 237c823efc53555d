"""A whole price schedule uploaded at once (issue 15.2): validated all-or-nothing like the data
contract, replacing or adding to a draft's lines as the provider chooses, behind the walls."""

from __future__ import annotations

import csv
import html
import io
import re
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from tests.web.conftest import DEMO_PASSWORD, axe_violations, follow, sign_in_page
from tests.web.world import World, build_world

from commissioning.web import models as m
from commissioning.web.policy import parameters

pytestmark = pytest.mark.django_db

HEADER = "service_id,setting,offence_group,risk_tier,harm,women_only,volume,unit_price,rationale"
GOOD = [
    "mentoring,community,acquisitive,low,low,false,40,380,",
    "thinking_skills_programme,custody,violence,high,medium,,25,865.50,Accredited",
    "prison_place,custody,sex,very_high,high,no,3,22500,",
]


@pytest.fixture
def world() -> World:
    return build_world()


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def draft(world: World, provider: str = "trust_b") -> m.Proposal:
    return m.Proposal.objects.create(round=world.round, provider=world.orgs[provider],
                                     title="Trust B's draft")


def post(client: Client, proposal: m.Proposal, name: str, content: bytes,
         mode: str | None = "replace") -> Any:
    data: dict[str, Any] = {"file": SimpleUploadedFile(name, content)}
    if mode is not None:
        data["mode"] = mode
    return client.post(reverse("proposal-prices", args=[proposal.pk]), data)


def csv_bytes(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def lines_of(proposal: m.Proposal) -> list[tuple[Any, ...]]:
    return list(proposal.lines.order_by("pk").values_list(
        "service_id", "setting", "offence_group", "risk_tier", "harm", "women_only", "volume",
        "unit_price", "rationale"))


def summary(response: Any) -> list[str]:
    body = response.content.decode()
    block = body[body.index("govuk-error-summary__list"):]
    block = block[:block.index("</ul>")]
    return [html.unescape(t) for t in re.findall(r'<a href="#id_file">([^<]*)</a>', block)]


def test_a_valid_schedule_creates_exactly_its_lines(world: World) -> None:
    proposal = draft(world)
    m.ProposalLine.objects.create(proposal=proposal, service_id="mentoring", setting="community",
                                  offence_group="other", risk_tier="low", volume=1,
                                  unit_price=Decimal(1))
    before = m.AuditEntry.objects.count()
    response = post(client_of(world.users["provider_b"]), proposal, "prices.csv",
                    csv_bytes(*GOOD))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert lines_of(proposal) == [
        ("mentoring", "community", "acquisitive", "low", "low", False, 40, Decimal("380.00"), ""),
        ("thinking_skills_programme", "custody", "violence", "high", "medium", False, 25,
         Decimal("865.50"), "Accredited"),
        ("prison_place", "custody", "sex", "very_high", "high", False, 3, Decimal("22500.00"), ""),
    ]
    # the replaced line and each new line are in the audit log, and the check ran again
    new = m.AuditEntry.objects.filter(seq__gt=before, model="web.ProposalLine")
    assert sorted(new.values_list("action", flat=True)) == ["create"] * 3 + ["delete"]
    # adding the same file again is refused: every row repeats a line the proposal has
    again = post(client_of(world.users["provider_b"]), proposal, "prices.csv", csv_bytes(*GOOD),
                 mode="append")
    assert again.status_code == 400
    assert all("[rule line_exists]" in s for s in summary(again))
    assert len(lines_of(proposal)) == 3
    # a different line is added to the three
    added = post(client_of(world.users["provider_b"]), proposal, "more.csv",
                 csv_bytes("mentoring,custody,other,medium,low,yes,8,400,"), mode="append")
    assert added.status_code == 302
    assert len(lines_of(proposal)) == 4 and lines_of(proposal)[-1][5] is True


def test_one_bad_row_creates_nothing_and_names_row_column_and_rule(world: World) -> None:
    proposal = draft(world)
    before = (m.ProposalLine.objects.count(), m.AuditEntry.objects.count())
    rows = [*GOOD, "mentoring,community,acquisitive,medium,low,false,forty,380,"]
    response = post(client_of(world.users["provider_b"]), proposal, "prices.csv",
                    csv_bytes(*rows))
    assert response.status_code == 400
    assert summary(response) == [
        "prices.csv, row 5, column volume, value 'forty': not a whole number (write digits "
        "only, e.g. 3) [rule int_not_whole_number]"]
    assert (m.ProposalLine.objects.count(), m.AuditEntry.objects.count()) == before
    assert 'class="govuk-error-summary"' in response.content.decode()


def test_each_rule_of_a_schedule_is_reported_with_its_row(world: World) -> None:
    proposal = draft(world)
    rows = [
        "mentoring,community,acquisitive,low,low,false,40,380.123,",  # 2: pence
        "no_such_service,community,acquisitive,low,low,false,40,380,",  # 3: not offered
        "prison_place,community,sex,low,high,false,3,22500,",  # 4: prison places in custody only
        "mentoring,community,acquisitive,low,low,,5,380,",  # 5: repeats row 2's line
        "mentoring,Community,acquisitive,low,severe,false,0,-1,",  # 6: codes and minimums
    ]
    response = post(client_of(world.users["provider_b"]), proposal, "p.csv", csv_bytes(*rows))
    found = summary(response)
    rules = [re.search(r"row (\d+), column (\w+)(?:, value .*?)?: .*\[rule (\w+)\]$", s).groups()  # type: ignore[union-attr]
             for s in found]
    assert sorted(rules) == sorted([
        ("2", "unit_price", "price_not_in_pence"),
        ("3", "service_id", "service_not_offered"),
        ("4", "setting", "service_not_in_setting"),
        ("5", "service_id", "duplicate_line"),
        ("6", "setting", "enum_value_unknown"),
        ("6", "harm", "enum_value_unknown"),
        ("6", "volume", "number_below_minimum"),
        ("6", "unit_price", "number_below_minimum"),
    ])
    assert any("on row 2" in s for s in found)
    assert proposal.lines.count() == 0


def test_a_missing_column_names_the_header(world: World) -> None:
    proposal = draft(world)
    content = b"service_id,setting,offence_group,risk_tier,harm,volume\nmentoring,community," \
              b"other,low,low,4\n"
    response = post(client_of(world.users["provider_b"]), proposal, "p.csv", content)
    assert summary(response) == [
        "p.csv, row 1 (header), column unit_price: the required column 'unit_price' is missing "
        "from the header; add it (column names are: service_id, setting, offence_group, "
        "risk_tier, harm, women_only, volume, unit_price, rationale) "
        "[rule required_column_missing]"]


def test_a_wrong_file_type_or_no_choice_of_mode_is_refused(world: World) -> None:
    proposal = draft(world)
    client = client_of(world.users["provider_b"])
    wrong = post(client, proposal, "prices.parquet", b"PAR1")
    assert wrong.status_code == 400
    body = html.unescape(wrong.content.decode())
    assert "The selected file must be a CSV or Excel (.xlsx) file" in body
    assert '<a href="#id_file">' in body
    fake = post(client, proposal, "prices.xlsx", b"not a workbook")
    assert fake.status_code == 400
    assert "[rule file_unreadable]" in summary(fake)[0]
    unchosen = post(client, proposal, "prices.csv", csv_bytes(*GOOD), mode=None)
    assert unchosen.status_code == 400
    assert ("Select whether the schedule replaces or adds to the services already in the "
            "proposal") in html.unescape(unchosen.content.decode())
    empty = post(client, proposal, "prices.csv", csv_bytes())
    assert "[rule no_records]" in summary(empty)[0]
    assert proposal.lines.count() == 0


def test_the_form_chooses_neither_replace_nor_add(world: World) -> None:
    proposal = draft(world)
    body = client_of(world.users["provider_b"]).get(
        reverse("proposal-prices", args=[proposal.pk])).content.decode()
    radios = re.findall(r'<input class="govuk-radios__input"[^>]*>', body)
    assert len(radios) == 2 and not any("checked" in r for r in radios)


def test_only_the_proposals_own_provider_may_upload_to_its_draft(world: World) -> None:
    theirs = draft(world, "trust_b")
    other = client_of(world.users["provider_a"])
    response = post(other, theirs, "prices.csv", csv_bytes(*GOOD))
    assert response.status_code == 404  # another's proposal: as if it did not exist
    assert other.get(reverse("proposal-price-template-csv", args=[theirs.pk])).status_code == 404
    assert m.AccessDenial.objects.filter(path__contains=f"/proposals/{theirs.pk}/").exists()
    # a submitted proposal is no longer a draft: its own provider is refused too
    submitted = world.proposals["b_submitted"]
    refused = post(client_of(world.users["provider_b"]), submitted, "prices.csv",
                   csv_bytes(*GOOD))
    assert refused.status_code == 403
    # and the commissioning side never writes proposals
    commissioner = post(client_of(world.users["commissioner"]), submitted, "p.csv",
                        csv_bytes(*GOOD))
    assert commissioner.status_code == 403
    assert theirs.lines.count() == 0 and submitted.lines.count() == 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_template_round_trips(world: World, fmt: str) -> None:
    proposal = draft(world)
    client = client_of(world.users["provider_b"])
    response = client.get(reverse(f"proposal-price-template-{fmt}", args=[proposal.pk]))
    assert response.status_code == 200
    content = response.content
    if fmt == "csv":
        assert content.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with the BOM
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        assert rows[0] == HEADER.split(",") and len(rows) == 2
        example = rows[1]
    else:
        book = openpyxl.load_workbook(io.BytesIO(content))
        assert book.sheetnames == ["price_schedule", "allowed_values"]
        sheet = list(book["price_schedule"].iter_rows(values_only=True))
        assert list(sheet[0]) == HEADER.split(",") and len(sheet) == 2
        example = [str(v) for v in sheet[1]]
        allowed = {(r[0], r[1]) for r in book["allowed_values"].iter_rows(values_only=True)}
        assert ("service_id", "prison_place") in allowed and ("harm", "high") in allowed
    # the example's price is the plan's assumed cost of its service at the round's date
    costs = parameters().value("plan.unit_costs", world.round.starts)
    assert float(example[7]) == costs[example[0]]["cost"]
    uploaded = post(client, proposal, f"template.{fmt}", content)
    assert uploaded.status_code == 302, summary(uploaded)
    assert lines_of(proposal) == [
        (example[0], "community", example[2], example[3], "medium", False, 10,
         Decimal(example[7]).quantize(Decimal("0.01")), example[8])]
    assert example[8].startswith("Example row")


def test_the_allowed_values_are_every_service_a_line_may_name(world: World) -> None:
    from commissioning.web.forms.proposals import service_choices

    proposal = draft(world)
    response = client_of(world.users["provider_b"]).get(
        reverse("proposal-price-values", args=[proposal.pk]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    services = {r[1] for r in rows[1:] if r[0] == "service_id"}
    offered = {sid for _, group in service_choices()[1:] for sid, _ in group}
    assert services == offered and len(services) > 40


def test_the_price_schedule_page_meets_wcag_22_aa(page: Any, demo: Any) -> None:
    proposal = m.Proposal.objects.filter(status="draft").get()
    username = proposal.provider.members.filter(role="provider").first().user.username  # type: ignore[union-attr]
    sign_in_page(page, username, DEMO_PASSWORD)
    page.goto(f"/proposals/{proposal.pk}/prices/")
    assert page.locator("h1").inner_text() == "Upload a price schedule"
    assert axe_violations(page) == []
    # with errors: a bad file, and the error summary linking to the file input
    bad = "\n".join([HEADER, "mentoring,community,acquisitive,low,low,false,forty,380,"])
    page.set_input_files("#id_file", files=[{"name": "bad.csv", "mimeType": "text/csv",
                                            "buffer": bad.encode()}])
    page.check("#id_mode_0")
    follow(page, "form[enctype] button[type=submit]")
    assert page.locator(".govuk-error-summary").count() == 1, page.content()[:3000]
    assert "row 2, column volume" in page.locator(".govuk-error-summary").inner_text()
    assert axe_violations(page) == []
    # no CSP violation (the 400 answer to the bad file is the one console message)
    assert [e for e in page.errors if not e.startswith("Failed to load resource")] == []
