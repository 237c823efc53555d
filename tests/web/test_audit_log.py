"""The audit page in words (issue 15.5): each entry's record and person by name, filters by
person, record type and record, and dates (GOV.UK date inputs), and the filtered list as a
download — all behind the ethical walls."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from tests.web.conftest import DEMO_PASSWORD, axe_violations, follow, sign_in_page
from tests.web.world import World, build_world

from commissioning.web import audit, downloads
from commissioning.web import models as m

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    with audit.acting_as("builder", "NOMS"):
        world = build_world()
    user = world.users["contracts"]
    user.first_name, user.last_name = "Jane", "Smith"
    user.save()
    version = world.contracts["a_published"].versions.get(number=2)
    with audit.acting_as("contracts", "NOMS"):
        m.ScheduleLine.objects.create(version=version, service_id="thinking_skills_programme",
                                      setting="custody", offence_group="violence",
                                      risk_tier="high", volume=40, price=Decimal("34600"))
    return world


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rows(body: str) -> list[list[str]]:
    """The audit table's cells, as text."""
    table = body[body.index("<tbody"):body.index("</tbody>")]
    return [[" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split())
             for c in re.findall(r"<td[^>]*>(.*?)</td>", r, flags=re.S)]
            for r in re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)]


def page(client: Client, query: str = "") -> tuple[int, str]:
    response = client.get("/audit/" + query)
    return response.status_code, response.content.decode()


def test_entries_name_their_record_and_person(world: World) -> None:
    _, body = page(client_of(world.users["commissioner"]))
    newest = rows(body)[0]
    assert newest[2] == "Jane Smith (contracts) NOMS"
    assert newest[4] == ("Schedule line: Thinking skills accredited programme "
                         "(cognitive-behavioural) × custody/violence/high, "
                         "contract SLA-A version 2")
    assert not any("web." in cell for row in rows(body) for cell in row)  # no model labels
    _, contracts = page(client_of(world.users["auditor"]), "?record_type=web.Contract")
    assert sorted(r[4] for r in rows(contracts)) == [
        "Contract: CON-B B's contract", "Contract: SLA-A A's SLA",
        "Contract: contract CON-B shared with PCC"]


def test_a_draft_proposal_stays_behind_the_wall_in_the_log(world: World) -> None:
    draft = world.proposals["a_draft"]
    client = client_of(world.users["commissioner"])
    status, body = page(client, f"?record_type=web.Proposal&record={draft.pk}")
    assert status == 200
    assert [r[4] for r in rows(body)] == [f"Proposal {draft.pk}: a draft proposal"]
    _, lines = page(client, "?record_type=web.ProposalLine")
    shown = [r[4] for r in rows(lines)]
    assert len(shown) == 3
    assert sum("of a draft proposal" in s for s in shown) == 1
    assert "A's draft" not in lines + body
    assert ("Proposal line: Thinking skills accredited programme (cognitive-behavioural) × "
            "custody/violence/high, medium harm, proposal 'A's bid' (HMP A)") in shown


def test_filters_by_person_record_and_dates(world: World) -> None:
    client = client_of(world.users["auditor"])
    _, body = page(client, "?person=contracts")
    assert {r[2] for r in rows(body)} == {"Jane Smith (contracts) NOMS"}
    assert 'option value="contracts" selected' in body
    line = m.ScheduleLine.objects.get(service_id="thinking_skills_programme")
    _, one = page(client, f"?record_type=web.ScheduleLine&record={line.pk}")
    assert len(rows(one)) == 1 and "1 matching entry" in one
    today = timezone.localdate()
    def on(name: str, day: dt.date) -> str:
        return f"&{name}_0={day.day}&{name}_1={day.month}&{name}_2={day.year}"
    everything = m.AuditEntry.objects.count()
    _, since_today = page(client, "?person=" + on("since", today) + on("until", today))
    assert f"{everything} matching entries" in since_today
    _, tomorrow = page(client, "?person=" + on("since", today + dt.timedelta(days=1)))
    assert "No entries match these filters." in tomorrow
    _, before = page(client, "?person=" + on("until", today - dt.timedelta(days=1)))
    assert "No entries match these filters." in before
    # the pagination keeps the filters
    _, first = page(client, "?record_type=web.ProposalLine&person=builder")
    assert "Clear filters" in first


def test_wrong_filters_are_explained_in_the_error_summary(world: World) -> None:
    client = client_of(world.users["commissioner"])
    status, body = page(client, "?since_0=5&since_1=4&since_2=2012&until_0=1&until_1=4"
                                "&until_2=2012&record=12")
    assert status == 400
    summary = body[body.index("govuk-error-summary__list"):]
    summary = html.unescape(summary[:summary.index("</ul>")])
    assert "The end date must be the same as or after the start date" in summary
    assert "Select the record type of the record number" in summary
    assert 'href="#id_until_0"' in summary and 'href="#id_record_type"' in summary
    status, body = page(client, "?since_0=31&since_1=2&since_2=2012")
    assert status == 400 and "The start date must be a real date" in html.unescape(body)
    # the download of wrong filters goes back to the page, which says what is wrong
    answer = client.get(reverse("audit-log-download-csv") + "?record=x")
    assert answer.status_code == 302 and answer["Location"].startswith("/audit/?")


def test_the_filtered_log_downloads_with_labels_and_the_head(world: World) -> None:
    client = client_of(world.users["contracts"])
    response = client.get(reverse("audit-log-download-csv") + "?person=contracts")
    meta, table = downloads.read_csv(response.content)
    assert meta["audit_head_hash"] == audit.anchor()["audit_head_hash"]
    assert len(table) == m.AuditEntry.objects.filter(actor="contracts").count() == 1
    assert table[0]["record"].startswith("Schedule line: Thinking skills accredited programme")
    assert {r["username"] for r in table} == {"contracts"}
    ods = client.get(reverse("audit-log-download-ods") + "?person=contracts")
    assert ods.status_code == 200
    import io

    import pandas as pd

    sheets = pd.read_excel(io.BytesIO(ods.content), sheet_name=None, engine="odf", dtype=str)
    assert len(sheets["audit log"]) == 1
    meta_rows = dict(zip(sheets["metadata"]["key"], sheets["metadata"]["value"], strict=True))
    assert meta_rows["filter_person"] == "contracts"
    # the page links to this download with its filters
    _, body = page(client, "?person=contracts")
    assert "/audit/download.csv?person=contracts" in body


def test_only_the_commissioning_side_reads_the_log_or_its_download(world: World) -> None:
    for name in ("provider_a", "partner"):
        client = client_of(world.users[name])
        assert client.get("/audit/").status_code == 403
        assert client.get(reverse("audit-log-download-csv")).status_code == 403


def test_every_record_type_has_a_label(world: World) -> None:
    from commissioning.web.audit_labels import Labeller
    from commissioning.web.walls import viewer_of

    labeller = Labeller(viewer_of(world.users["auditor"]))
    unlabelled = [
        (e.model, e.object_pk)
        for e in m.AuditEntry.objects.all()
        if re.fullmatch(r"[\w ]+ \d+", labeller.label(e.model, e.object_pk, e.action, e.data))
    ]
    assert unlabelled == []


def test_the_audit_page_with_filters_meets_wcag_22_aa(page: Any, demo: Any) -> None:
    assert get_user_model().objects.filter(username="auditor").exists()
    sign_in_page(page, "auditor", DEMO_PASSWORD)
    page.goto("/audit/")
    assert page.locator("#id_since_0").count() == 1
    assert axe_violations(page) == []
    page.select_option("#id_record_type", "web.ScheduleLine")
    page.fill("#id_since_0", "31")
    page.fill("#id_since_1", "2")
    page.fill("#id_since_2", "2012")
    follow(page, "form[method=get] button[type=submit]")
    assert page.locator(".govuk-error-summary").count() == 1
    assert axe_violations(page) == []


def test_every_entry_of_the_demo_round_has_a_label(demo: Any) -> None:
    from commissioning.web.audit_labels import Labeller
    from commissioning.web.walls import viewer_of

    auditor = viewer_of(get_user_model().objects.get(username="auditor"))
    labeller = Labeller(auditor)
    labels = [labeller.label(e.model, e.object_pk, e.action, e.data)
              for e in m.AuditEntry.objects.all()]
    assert len(labels) > 200
    assert [x for x in labels if re.fullmatch(r"[\w ]+ \d+", x)] == []
    assert not any("since removed" in x for x in labels)


def test_the_filter_form_follows_the_govuk_patterns(world: World) -> None:
    from django.template.loader import render_to_string

    from commissioning.web.audit_labels import Labeller
    from commissioning.web.forms.audit import filter_form
    from commissioning.web.walls import viewer_of

    form = filter_form(Labeller(viewer_of(world.users["auditor"])), {})
    assert not form.is_bound
    markup = "".join(render_to_string("web/includes/field.html", {"field": f}) for f in form)
    assert "---------" not in markup and 'type="date"' not in markup
    assert 'name="since_0"' in markup and 'name="until_2"' in markup
    assert '<option value="" selected>Anyone</option>' in markup
