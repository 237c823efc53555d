"""The dashboard's task lists (issue 15.3): what is due, by when, for whom; the commissioner's
budget, awarded value and what remains per lot; each list through the ethical walls."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client
from tests.web.conftest import DEMO_PASSWORD, axe_violations, sign_in_page

from commissioning.web import models as m
from commissioning.web import tasks as t
from commissioning.web import walls
from commissioning.web.policy import reporting_date


def client_of(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def task_list(client: Client) -> dict[str, tuple[str, str]]:
    """Each task's title → (status, hint), as the page shows them."""
    body = client.get("/dashboard/").content.decode()
    items = re.findall(r'<li class="govuk-task-list__item[^"]*">(.*?)</li>', body, flags=re.S)
    out = {}
    for item in items:
        title = re.search(r'govuk-task-list__link"[^>]*>([^<]+)</a>', item)
        hint = re.search(r'govuk-task-list__hint">([^<]*)<', item)
        status = re.search(r'govuk-task-list__status[^>]*>(?:<strong[^>]*>)?([^<]+)<', item)
        assert title and status, item
        out[html.unescape(title.group(1))] = (
            status.group(1), html.unescape(hint.group(1)) if hint else "")
    return out


def budget_rows(client: Client) -> list[list[str]]:
    body = client.get("/dashboard/").content.decode()
    if 'id="budget-' not in body:
        return []
    table = body[body.index('id="budget-'):]
    table = table[table.index("<tbody"):table.index("</tbody>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
             for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, flags=re.S)] for r in rows]


def test_the_commissioner_sees_scoring_moderation_and_awards_per_lot(demo: Any) -> None:
    commissioner = client_of("commissioner")
    todo = task_list(commissioner)
    assert todo["Set the evaluation criteria"][0] == "Completed"
    assert todo["Score 3 proposals"] == ("Incomplete", "0 of 3 open proposals scored by you")
    assert todo["Moderate the evaluators' scores"][0] == "Cannot start yet"
    awards = {k: v for k, v in todo.items() if k.startswith("Award lot")}
    assert len(awards) == m.Lot.objects.count() == 4
    assert all(s == "Cannot start yet" for s, _ in awards.values())
    budgets = budget_rows(commissioner)
    assert [r[0] for r in budgets] == [str(lot) for lot in m.Lot.objects.order_by("number")]
    assert all(r[2] == "£0" and r[1] == r[3] for r in budgets)

    # Score, moderate and award the London lot's one proposal through the pages.
    proposal = m.Proposal.objects.get(lot__number=1, status=m.Proposal.Status.SUBMITTED)
    quality = m.Criterion.objects.filter(round=proposal.round, kind=m.Criterion.Kind.QUALITY)
    marks = {f"score_{c.pk}": "3" for c in quality} | {f"note_{c.pk}": "ok" for c in quality}
    response = commissioner.post(f"/competition/proposals/{proposal.pk}/score/", marks)
    assert response.status_code == 302
    todo = task_list(commissioner)
    assert todo["Score 2 proposals"] == ("Incomplete", "1 of 3 open proposals scored by you")
    assert todo["Moderate 1 proposal"][0] == "Incomplete"
    response = commissioner.post(f"/competition/proposals/{proposal.pk}/moderate/", marks)
    assert response.status_code == 302
    lot_task = next(k for k in task_list(commissioner) if k.startswith("Award lot 1:"))
    assert task_list(commissioner)[lot_task] == ("Incomplete",
                                                 "1 of 1 proposals ready; by 1 April 2012")
    response = commissioner.post(
        f"/competition/rounds/{proposal.round_id}/award/?lot={proposal.lot_id}",
        {"lot": str(proposal.lot_id), "proposal": str(proposal.pk), "reasons": "Best value"})
    assert response.status_code == 302, response.content.decode()[:2000]
    value = sum((line.volume * line.unit_price for line in proposal.lines.all()), Decimal(0))
    assert value > 0
    status, hint = task_list(commissioner)[lot_task]
    assert status == "Completed" and hint == f"awarded £{value:,.0f}"
    london = budget_rows(commissioner)[0]
    budget = m.LotBudget.objects.get(lot=proposal.lot).amount
    assert london[1:] == [f"£{budget:,.0f}", f"£{value:,.0f}", f"£{budget - value:,.0f}"]


def test_a_provider_sees_only_its_own_tasks_and_no_budget(demo: Any) -> None:
    altcourse = client_of("prison.altcourse")
    todo = task_list(altcourse)
    draft = m.Proposal.objects.get(provider__name="HMP/YOI Altcourse")
    status, hint = todo[f"Complete and submit '{draft.title}'"]
    # The demo workspace reports as at 1 April 2012, after proposals closed on 9 December.
    # The draft has its lines and its uploaded profile: only the submission is missing.
    assert status == "Overdue" and "ready to submit" in hint
    assert "by 9 December 2011" in hint
    # what is missing is named: here, the population profile
    m.Proposal.objects.filter(pk=draft.pk).update(profile=None, profile_rows=None)
    status, hint = task_list(altcourse)[f"Complete and submit '{draft.title}'"]
    assert status == "Overdue" and "no population profile yet" in hint
    others = m.Proposal.objects.exclude(provider=draft.provider).values_list("title", flat=True)
    body = altcourse.get("/dashboard/").content.decode()
    assert not any(html.escape(title) in body for title in others)
    assert budget_rows(altcourse) == [] and "£" not in body
    # A provider with no proposal is asked to start one; one that submitted has nothing to do.
    assert task_list(client_of("trust.wales")) == {
        "Start a proposal": ("Overdue", "answer one of the round's lots by 9 December 2011")}
    assert {s for s, _ in task_list(client_of("trust.london")).values()} == {"Completed"}


def test_every_task_list_is_read_through_the_walls(demo: Any) -> None:
    on = reporting_date()
    for user in get_user_model().objects.all():
        viewer = walls.viewer_of(user)
        board = t.dashboard(viewer, on)
        visible = {p.pk for p in walls.visible(viewer, m.Proposal)}
        for group in board.groups:
            for task in group.tasks:
                match = re.match(r"/proposals/(\d+)/", task.href)
                if match:
                    assert int(match.group(1)) in visible, (user.username, task)
        if board.budgets:
            assert viewer.commissioning_side, user.username


def test_the_contract_manager_sees_action_plans_by_due_date(demo: Any) -> None:
    plan = m.ActionPlan.objects.get()
    todo = task_list(client_of("contracts"))
    assert todo[f"Action plan: {plan.requirement}"][0] == "Due"
    plan.due = reporting_date().replace(day=1, month=3)  # a month before the reporting date
    plan.save()
    assert task_list(client_of("contracts"))[f"Action plan: {plan.requirement}"][0] == "Overdue"


def test_the_dashboards_meet_wcag_22_aa(page: Any, demo: Any) -> None:
    for username in ("commissioner", "prison.altcourse", "contracts", "auditor", "partner"):
        page.context.clear_cookies()
        sign_in_page(page, username, DEMO_PASSWORD)
        assert page.url.endswith("/dashboard/"), username
        assert page.locator(".govuk-task-list").count() >= 1, username
        assert axe_violations(page) == [], username
