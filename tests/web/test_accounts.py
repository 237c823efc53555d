"""Signing in and out, throttling, passwords and CSRF; and what the public pages show."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from tests.web.conftest import PASSWORD, People

from commissioning.web import models as m
from commissioning.web.roles import OrganisationKind
from commissioning.web.views.accounts import LOCKED, WRONG_DETAILS

pytestmark = pytest.mark.django_db


def sign_in(client: Client, username: str, password: str) -> Any:
    return client.post("/sign-in/", {"username": username, "password": password})


def test_signing_in_opens_the_dashboard_and_signing_out_ends_the_session(people: People) -> None:
    client = Client()
    response = sign_in(client, "provider", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    page = client.get("/dashboard/").content.decode()
    assert "HMP Example" in page
    assert "Sign out" in page

    assert client.post("/sign-out/").status_code == 302
    assert client.get("/dashboard/")["Location"].startswith("/sign-in/?next=/dashboard/")


def test_sign_out_is_a_post_only(people: People, signed_in: Any) -> None:
    client = signed_in("provider")
    assert client.get("/sign-out/").status_code == 405
    assert client.get("/account/").status_code == 200


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(people: People) -> None:
    wrong = sign_in(Client(), "provider", "not-the-password")
    unknown = sign_in(Client(), "nobody-by-this-name", "not-the-password")
    assert wrong.status_code == unknown.status_code == 400
    for response in (wrong, unknown):
        body = response.content.decode()
        assert WRONG_DETAILS in body
        assert "govuk-error-summary" in body
        assert "<title>Error: Sign in" in body
    assert m.FailedLogin.objects.count() == 2


def test_sign_in_locks_after_too_many_failures_even_with_the_right_password(
    people: People, settings: Any
) -> None:
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    for _ in range(3):
        assert WRONG_DETAILS in sign_in(Client(), "provider", "wrong").content.decode()
    locked = sign_in(Client(), "provider", PASSWORD)
    assert locked.status_code == 400
    assert LOCKED in locked.content.decode()
    assert "_auth_user_id" not in locked.client.session


def test_the_lock_reads_the_same_for_an_account_that_does_not_exist(
    people: People, settings: Any
) -> None:
    settings.LOGIN_THROTTLE_ATTEMPTS = 2
    bodies = []
    for username in ("provider", "ghost"):
        for _ in range(2):
            sign_in(Client(REMOTE_ADDR=f"10.0.0.{len(bodies)}"), username, "wrong")
        response = sign_in(Client(REMOTE_ADDR="10.9.9.9"), username, "wrong")
        bodies.append(re.sub(r'value="[^"]*"', "", response.content.decode()))
    assert LOCKED in bodies[0]
    # Apart from the username typed back and the CSRF token, the two pages are identical.
    assert bodies[0].replace("provider", "ghost") == bodies[1]


def test_a_successful_sign_in_clears_the_failures(people: People, settings: Any) -> None:
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    sign_in(Client(), "provider", "wrong")
    sign_in(Client(), "provider", "wrong")
    assert sign_in(Client(), "provider", PASSWORD).status_code == 302
    assert m.FailedLogin.objects.filter(username="provider").count() == 0


def test_sign_in_does_not_redirect_to_another_site(people: People) -> None:
    client = Client()
    response = client.post(
        "/sign-in/?next=https://evil.example/", {"username": "provider", "password": PASSWORD}
    )
    assert response["Location"] == "/dashboard/"


def test_the_account_page_shows_role_and_organisation(signed_in: Any) -> None:
    body = signed_in("contract_manager").get("/account/").content.decode()
    assert "Contract manager" in body
    assert "NOMS Commissioning" in body


def test_password_change_applies_djangos_validators(people: People, signed_in: Any) -> None:
    client = signed_in("provider")
    weak = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": "password", "new_password2": "password"},
    )
    assert weak.status_code == 400
    body = weak.content.decode()
    assert "This password is too short" in body
    assert "This password is too common" in body
    strong = "a-much-longer-passphrase-2012"
    done = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": strong, "new_password2": strong},
    )
    assert done.status_code == 302
    user = get_user_model().objects.get(username="provider")
    assert user.check_password(strong)
    # Still signed in after the change (the session hash was updated).
    assert client.get("/account/").status_code == 200


def test_csrf_is_enforced_on_sign_in_and_sign_out(people: People) -> None:
    client = Client(enforce_csrf_checks=True)
    assert sign_in(client, "provider", PASSWORD).status_code == 403
    page = client.get("/sign-in/")
    token = page.cookies["csrftoken"].value
    ok = client.post(
        "/sign-in/",
        {"username": "provider", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert ok.status_code == 302
    assert client.post("/sign-out/").status_code == 403
    assert client.get("/account/").status_code == 200


# --- the public pages --------------------------------------------------------------------------


def _published_world(people: People) -> dict[str, Any]:
    prison, trust = people.orgs["prison"], people.orgs["trust"]
    draft_round = m.CommissioningRound.objects.create(year="2013-14", title="Next round (draft)")
    open_round = m.CommissioningRound.objects.create(
        year="2012-13", title="Round 2012-13", status=m.CommissioningRound.Status.OPEN
    )
    shown = m.Contract.objects.create(
        reference="SLA-EXA",
        title="Example SLA",
        kind="sla",
        provider=prison,
        starts=dt.date(2012, 4, 1),
        ends=dt.date(2013, 3, 31),
        published=True,
    )
    hidden = m.Contract.objects.create(
        reference="CON-HIDDEN",
        title="Unpublished",
        kind="contract",
        provider=trust,
        starts=dt.date(2012, 4, 1),
        ends=dt.date(2013, 3, 31),
        published=False,
    )
    v1 = m.ContractVersion.objects.create(
        contract=shown, number=1, status="agreed", annual_operating_price=Decimal("1234567")
    )
    m.ContractVersion.objects.create(
        contract=shown, number=2, status="draft", annual_operating_price=Decimal("9999999")
    )
    for volume in (120, 30):
        m.ScheduleLine.objects.create(
            version=v1,
            service_id="thinking_skills_programme",
            setting="custody",
            offence_group="violence",
            risk_tier="high",
            harm="low",
            volume=volume,
            price=Decimal("1000"),
        )
    m.ContractVersion.objects.create(
        contract=hidden, number=1, status="agreed", annual_operating_price=Decimal("7654321")
    )
    for period, actual, people_count in (("2012-Q1", "0.3611", 2400), ("2012-Q2", "0.6667", 3)):
        m.PerformanceRecord.objects.create(
            contract=shown,
            measure="Proven reoffending rate",
            period=period,
            actual=Decimal(actual),
            unit="proportion",
            people=people_count,
            target=Decimal("0.4600"),
        )
    m.PerformanceRecord.objects.create(
        contract=hidden,
        measure="Hidden measure",
        period="2012-Q1",
        actual=Decimal("0.1234"),
        unit="proportion",
        people=500,
    )
    m.Rating.objects.create(organisation=prison, year="2011-12", level=3, published=True)
    m.Rating.objects.create(organisation=trust, year="2011-12", level=1, published=False)
    return {"draft_round": draft_round, "open_round": open_round}


def test_transparency_shows_only_published_items(people: People, signed_in: Any) -> None:
    _published_world(people)
    for client in (Client(), signed_in("commissioner")):
        body = client.get("/transparency/").content.decode()
        assert "Round 2012-13" in body
        assert "Next round (draft)" not in body
        assert "SLA-EXA" in body and "CON-HIDDEN" not in body
        assert "£1,234,567" in body  # the agreed version's price, not the draft's
        assert "9,999,999" not in body and "7,654,321" not in body
        assert "150" in body  # 120 + 30 places of the one service in the schedule
        assert "Hidden measure" not in body
        assert "Example Probation Trust" not in body  # its rating is unpublished
        assert "38 commissioning intentions" in body


def test_transparency_withholds_figures_based_on_fewer_than_five_people(people: People) -> None:
    _published_world(people)
    body = Client().get("/transparency/").content.decode()
    assert "0.3611" in body and "2400" in body
    assert "0.6667" not in body  # based on 3 people
    assert "fewer than 5 people is shown as <strong>*</strong>" in body
    row = body[body.index("2012-Q2") :]
    row = row[: row.index("</tr>")]
    assert row.count(">*<") == 2  # the result and the number of people


def tasks(client: Client) -> dict[str, str]:
    """The dashboard's task list: each task's title and its status."""
    body = client.get("/dashboard/").content.decode()
    found = re.findall(
        r'govuk-task-list__link"[^>]*>([^<]+)</a>.*?govuk-task-list__status[^>]*>'
        r'(?:<strong[^>]*>)?([^<]+)<', body, flags=re.S)
    return {html.unescape(title): status for title, status in found}


def test_the_dashboard_lists_what_each_role_may_see(people: People, signed_in: Any) -> None:
    _published_world(people)
    # As at the workspace's reporting date — the start of its latest published round, 2012-13
    # (the draft 2013-14 does not count), as the round's report — the 2012-13 agreements have
    # just started: no self-audit return is due yet, and the open round has no proposal.
    assert tasks(signed_in("provider")) == {"Start a proposal": "Incomplete"}
    assert not any("self-audit" in t for t in tasks(signed_in("contract_manager")))
    # Once the 2014-15 round is published, the agreements have ended and no self-audit return
    # came in for their last quarter, so each is overdue; the provider sees only its own.
    m.CommissioningRound.objects.create(
        year="2014-15", title="Round 2014-15", status=m.CommissioningRound.Status.OPEN
    )
    provider = {t: s for t, s in tasks(signed_in("provider")).items() if "self-audit" in t}
    assert provider == {"Send the self-audit return for 2012-Q4, SLA-EXA": "Overdue"}
    manager = {t: s for t, s in tasks(signed_in("contract_manager")).items() if "self-audit" in t}
    assert manager == {"Chase the self-audit return for 2012-Q4, CON-HIDDEN": "Overdue",
                       "Chase the self-audit return for 2012-Q4, SLA-EXA": "Overdue"}
    assert set(tasks(signed_in("partner")).values()) == {"Published"}
    auditor = signed_in("auditor").get("/dashboard/").content.decode()
    assert "Chain intact" in auditor
    assert tasks(signed_in("auditor"))["Check the audit chain"] == "Completed"


def test_the_dashboard_asks_for_sign_in() -> None:
    response = Client().get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?next=/dashboard/"


def test_navigation_shows_only_the_sections_a_role_may_use(signed_in: Any) -> None:
    def nav(client: Client) -> str:
        body = client.get("/account/").content.decode()
        return body[
            body.index('id="navigation"') : body.index("</ul>", body.index('id="navigation"'))
        ]

    commissioner = nav(signed_in("commissioner"))
    partner = nav(signed_in("partner"))
    assert "Audit log" in commissioner and "Audit log" not in partner
    assert "Transparency" in partner and "Dashboard" in partner
    public = Client().get("/").content.decode()
    assert "Dashboard</a>" not in public and "Sign in" in public


def test_the_audit_log_is_for_the_commissioning_side_only(people: People, signed_in: Any) -> None:
    m.Organisation.objects.create(name="Audited change", kind=OrganisationKind.VOLUNTARY_SECTOR)
    body = signed_in("auditor").get("/audit/").content.decode()
    assert "web.Organisation" in body
    assert "Chain intact" in body
    for name in ("provider", "partner"):
        assert signed_in(name).get("/audit/").status_code == 403
    assert m.AccessDenial.objects.filter(username="provider", target="AuditEntry").count() == 1
    assert signed_in("contract_manager").get("/audit/denials/").status_code == 403
    denials = signed_in("commissioner").get("/audit/denials/").content.decode()
    assert "AuditEntry" in denials and "provider" in denials
