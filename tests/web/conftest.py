"""Shared fixtures for the web workspace's tests.

- ``people``: an organisation and a signed-up user for every role (password :data:`PASSWORD`).
- ``signed_in``: a test client signed in as one of them, e.g. ``signed_in("provider")``.
- ``demo``: the demo data of :func:`commissioning.web.seed.seed_demo` (password ``DEMO_PASSWORD``).
- ``page``: a Playwright page in headless Debian Chromium on the live server, with axe-core
  loaded (``axe_violations(page)``); skipped with the reason when Chromium is absent.

The web tests run on SQLite by default and on PostgreSQL when ``COMMISSIONING_DATABASE_URL`` is
set (``make web-postgres``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from commissioning.web import models as m
from commissioning.web.roles import OrganisationKind, Role

PASSWORD = "correct-horse-battery-staple"
DEMO_PASSWORD = "demo-password-for-tests"
AXE = Path(__file__).resolve().parents[2] / "src/commissioning/web/frontend/build/axe.min.js"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Django's production hasher takes most of a second per password by design; tests that
    are not about hashing use a fast one."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class People:
    """One organisation per kind and one user per role."""

    orgs: dict[str, m.Organisation]
    users: dict[str, Any]


@pytest.fixture
def people(db: None) -> People:
    orgs = {
        "commissioner": m.Organisation.objects.create(
            name="NOMS Commissioning", kind=OrganisationKind.COMMISSIONER
        ),
        "assurance": m.Organisation.objects.create(
            name="Audit and Assurance", kind=OrganisationKind.ASSURANCE
        ),
        "prison": m.Organisation.objects.create(
            name="HMP Example", kind=OrganisationKind.PUBLIC_PRISON, provider_id="EXA"
        ),
        "trust": m.Organisation.objects.create(
            name="Example Probation Trust", kind=OrganisationKind.PROBATION_TRUST, provider_id="EXT"
        ),
        "partner": m.Organisation.objects.create(
            name="Police and Crime Commissioner", kind=OrganisationKind.PARTNER
        ),
    }
    where = {
        "commissioner": (Role.COMMISSIONER, "commissioner"),
        "contract_manager": (Role.CONTRACT_MANAGER, "commissioner"),
        "auditor": (Role.AUDITOR, "assurance"),
        "provider": (Role.PROVIDER, "prison"),
        "other_provider": (Role.PROVIDER, "trust"),
        "partner": (Role.PARTNER, "partner"),
    }
    users: dict[str, Any] = {}
    for name, (role, org) in where.items():
        user = get_user_model().objects.create_user(username=name, password=PASSWORD)
        m.Membership.objects.create(user=user, organisation=orgs[org], role=role)
        users[name] = user
    return People(orgs, users)


@pytest.fixture
def signed_in(people: People) -> Callable[[str], Client]:
    def sign_in(name: str) -> Client:
        client = Client()
        client.force_login(people.users[name])
        return client

    return sign_in


@pytest.fixture
def demo(db: None) -> Any:
    from commissioning.web.seed import seed_demo

    return seed_demo(password=DEMO_PASSWORD)


@pytest.fixture(scope="session")
def browser(chromium: Any) -> Iterator[Any]:
    if not AXE.exists():
        pytest.skip(f"browser tests need {AXE}: run `make static`")
    # Playwright's sync API runs an event loop in this thread; the test's database calls are
    # still synchronous, so Django's async guard is relaxed for the browser tests only.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield chromium
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A page on the live server; console errors (e.g. CSP violations) are in ``page.errors``."""
    context = browser.new_context(base_url=live_server.url)
    # axe-core is added by the browser itself (not by the page), so the CSP does not apply to it.
    context.add_init_script(path=str(AXE))
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.errors = errors
    yield tab
    context.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """WCAG 2.2 A/AA violations axe-core finds on the page as it is now (once it has loaded)."""
    page.wait_for_load_state("load")
    result: dict[str, Any] = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: "tag",
            values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}})"""
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
    ]


def follow(page: Any, selector: str) -> None:
    """Click what leads to another page and wait until that page has loaded.

    A bare ``page.click`` returns before the navigation it starts, so whatever runs next (axe, a
    locator) may see the old page or, between the two, no document at all.
    """
    with page.expect_navigation(wait_until="load"):
        page.click(selector)


def sign_in_page(page: Any, username: str, password: str) -> None:
    page.goto("/sign-in/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    follow(page, "button[type=submit]")


def date_input(name: str, iso: str) -> dict[str, str]:
    """A date as the GOV.UK date input posts it: day, month and year in three fields."""
    year, month, day = iso.split("-")
    return {f"{name}_0": str(int(day)), f"{name}_1": str(int(month)), f"{name}_2": year}
