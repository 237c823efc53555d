"""Every page of the workspace in a real browser, for every role, checked by axe-core (issue 15.4:
"Playwright + axe on every page", landmarks so that axe reports nothing, "region" included).

The test signs in as each demo person, follows every same-site link from the dashboard
(breadth first, one URL per route and role), checks each HTML page with axe — WCAG 2.2 A/AA and
the ``region`` rule (all content inside landmarks) — and fails on any violation or script error.
It then checks that every page route of the site was reached by some role, so a new page
cannot escape the check by not being linked: a route the crawl does not reach must be listed
below with the reason.
"""

from __future__ import annotations

from collections import deque
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from tests.web.conftest import DEMO_PASSWORD, sign_in_page

from commissioning.web.seed import DEMO_PEOPLE

#: Routes the crawl does not reach by following links, and why they are not pages to check.
NOT_PAGES: dict[str, str] = {
    "sign-out/": "a POST form's action, not a page",
}

#: Violations inside third-party widgets, per route, with why (checked more closely by the
#: page's own test): Swagger UI nests a button in its collapsible operation header
#: (tests/web/test_api_docs.py lists the same).
ALLOWED: dict[str, set[str]] = {"api/docs": {"nested-interactive"}}

#: Links never followed: leaving the session, or the API's machine-readable endpoints.
SKIP_PREFIXES = ("/sign-out/", "/static/", "/admin/")

#: How many URLs of the same route each role checks (e.g. two proposals, not all of them).
PER_ROUTE = 1

AXE = """async () => await axe.run(document, {
  runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
  rules: {region: {enabled: true}}})"""


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for p in patterns:
        if isinstance(p, URLResolver):
            out |= _routes(list(p.url_patterns), prefix + str(p.pattern))
        else:
            out.add(prefix + str(p.pattern))
    return out


def _route(path: str) -> str | None:
    try:
        return str(resolve(path).route)
    except Resolver404:
        return None


def _violations(page: Any) -> list[dict[str, Any]]:
    result: dict[str, Any] = page.evaluate(AXE)
    return [{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in result["violations"]]


def _crawl(page: Any, base: str, username: str) -> tuple[set[str], list[str]]:
    """The routes ``username`` reached (pages, downloads and the actions of the forms on
    them) and the problems found on them."""
    seen_routes: dict[str, int] = {}
    actions: set[str] = set()
    visited: set[str] = set()
    problems: list[str] = []
    queue: deque[tuple[str, str]] = deque([("/dashboard/", ""), ("/", "")])
    while queue:
        path, parent = queue.popleft()
        if path in visited:
            continue
        visited.add(path)
        route = _route(urlsplit(path).path)
        if route is None or seen_routes.get(route, 0) >= PER_ROUTE:
            continue
        response = page.context.request.get(base + path, max_redirects=0)
        if response.status in (403, 404):
            problems.append(f"{username} {parent}: links to {path}, which answers "
                            f"{response.status} to this person (a link they may not follow)")
            continue
        if response.status >= 300:
            continue  # a redirect (e.g. to sign in)
        seen_routes[route] = seen_routes.get(route, 0) + 1
        if "text/html" not in response.headers.get("content-type", ""):
            continue  # a download (CSV, ODS, Excel, JSON): reached, not a page to check
        page.errors.clear()
        page.goto(base + path)
        text = page.inner_text("body")
        for marker in ("{#", "#}", "{%", "{{"):
            if marker in text:
                problems.append(f"{username} {path}: template syntax shown as text ({marker!r})")
        for v in _violations(page):
            if v["id"] in ALLOWED.get(route, set()):
                continue
            problems.append(f"{username} {path}: {v['id']} ({v['help']}) at {v['nodes'][:3]}")
        problems += [f"{username} {path}: script error {e}" for e in page.errors
                     if not e.startswith("Failed to load resource")]
        links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        # a form that posts is an action of this page (reached, never opened by a GET); a GET
        # form (a filter) leads to a page like a link
        forms = page.eval_on_selector_all(
            "form[action]", "els => els.map(e => [e.method.toLowerCase(), e.action])")
        for method, action in forms:
            if method == "get":
                links.append(action)
                continue
            action_route = _route(urlsplit(action).path)
            if action_route is not None:
                actions.add(action_route)
        for href in links:
            url, _ = urldefrag(href)
            parts = urlsplit(url)
            if url.startswith(base) and not parts.path.startswith(SKIP_PREFIXES):
                queue.append((parts.path + (f"?{parts.query}" if parts.query else ""), path))
    return set(seen_routes) | actions, problems


def _every_state(demo: Any) -> None:
    """Put the demo where every page exists: a draft round (its lot form), a draft contract
    version (its price, line and target forms), a contract shared with a partner (its unshare
    action) and a subcontract on the draft proposal (its delete action). The version is drafted
    through its page, as a contract manager would."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.test import Client

    from commissioning.web import models as m
    from commissioning.web import services

    rnd = m.CommissioningRound.objects.get()
    services.start_round(m.CommissioningRound(  # as the round form does, with its envelope
        year="2013-14", title="Next year's round (draft)", summary="Being prepared.",
        opens=rnd.opens, closes=rnd.closes))
    contract = m.Contract.objects.order_by("pk").first()
    assert contract is not None
    manager = Client()
    manager.force_login(get_user_model().objects.get(username="contracts"))
    drafted = manager.post(f"/contracts/{contract.pk}/versions/new/")
    assert drafted.status_code == 302, drafted.status_code
    partner = m.Organisation.objects.filter(kind="partner").first()
    for each in m.Contract.objects.all():  # whichever contract the crawl opens first
        each.shared_with.add(partner)
    draft = m.Proposal.objects.filter(status=m.Proposal.Status.DRAFT).first()
    assert draft is not None
    if not draft.subcontracts.exists():
        m.Subcontract.objects.create(proposal=draft, subcontractor="A housing charity",
                                     services="accommodation advice",
                                     annual_value=Decimal("12000"))


@pytest.mark.django_db(transaction=True)
def test_every_page_for_every_role_meets_wcag_22_aa_with_landmarks(
    page: Any, live_server: Any, demo: Any,
) -> None:
    _every_state(demo)
    base = live_server.url
    reached: set[str] = set()
    problems: list[str] = []
    # the public first (signed out), then each demo person
    routes, found = _crawl(page, base, "(public)")
    reached |= routes
    problems += found
    for username, _role, _org in DEMO_PEOPLE:
        page.context.clear_cookies()
        sign_in_page(page, username, DEMO_PASSWORD)
        assert page.url.endswith("/dashboard/"), username
        routes, found = _crawl(page, base, username)
        reached |= routes
        problems += found
    assert problems == [], "\n".join(problems)
    every = _routes(list(get_resolver().url_patterns))
    # the API's JSON endpoints are checked by the API tests; its documentation is a page
    unreached = sorted(r for r in every - reached - set(NOT_PAGES)
                       if r == "api/docs" or not r.startswith(("static", "admin", "api/")))
    assert unreached == [], (
        "routes no role reached by following links (link them, or say in NOT_PAGES why they "
        f"are not pages): {unreached}")


def test_the_region_rule_is_on(page: Any, live_server: Any) -> None:
    """The check above would pass vacuously if axe never ran ``region``: content outside any
    landmark must be reported."""
    page.goto(live_server.url + "/")
    page.evaluate("""() => { const p = document.createElement('p');
        p.textContent = 'outside every landmark'; document.body.prepend(p); }""")
    assert "region" in {v["id"] for v in _violations(page)}


def test_no_template_comment_spans_lines() -> None:
    """Django's ``{# #}`` comment is one line only: a comment over several lines is shown on
    the page as text (the base template's did, above every page). Use {% comment %}."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "src/commissioning/web/templates"
    bad = [str(t.relative_to(root)) for t in root.rglob("*.html")
           if re.search(r"\{#[^\n]*?\n", re.sub(r"\{#.*?#\}", "", t.read_text()))]
    assert bad == []
