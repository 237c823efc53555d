"""The authorisation matrix: every page URL and every API operation × every role × the provider's
own record / another provider's / a published one → the answer the policy below expects.

The URLs come from Django's URL configuration and the operations from the API's OpenAPI
schema, so a new view or operation is a new test that fails until the policy names it.

For each cell the test checks:

- the answer: ``ok`` (200, or for a write anything but a refusal: a redirect, the form again
  with errors, 201/204), ``login`` (302 to sign-in; 401 from the API), ``403`` or ``404`` (each
  with an AccessDenial recorded), ``405`` (method not allowed), ``absent`` (404, nothing there);
- that no answer, whatever its status, shows a secret word outside its audience
  (:data:`tests.web.matrix.AUDIENCE`: the other provider's bids and contracts, the budget
  envelope, evaluators' notes, award reasons, draft versions, assurance);
- that a refused or unsupported request, and every GET, changes nothing: the row count of every
  table and the head of the audit chain are the same afterwards.

Each request runs in a savepoint that is rolled back, so the world is built once per module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from tests.web.matrix import ROLES, SUBJECTS, MatrixWorld, build_matrix_world, forbidden

from commissioning.web import models as m
from commissioning.web.api import api

# Each test runs in a transaction of its own inside the module's (see ``world``).
pytestmark = pytest.mark.django_db

# ---------------------------------------------------------------------------------------------
# The policy. Each row: the kind of record the URL names (its instances are listed in
# tests/web/matrix.py SUBJECTS), then the expected answer to GET and to POST for each role:
#
#     public | provider | commissioner | contract_manager | auditor | partner
#
# One code per instance of the subject (one code alone stands for every instance):
#     round:    open, draft
#     proposal: own draft, own submitted, other draft, other submitted
#     contract: own (shared with the partner), other (shared with another partner), published
#     rating:   own, other
# "own" is provider A's (HMP Alpha, the public-sector prison); "other" is provider B's.
# POST None: not a form — a POST must change nothing, whatever it answers.
# ---------------------------------------------------------------------------------------------

SAME = "same as GET"
ANYONE = "ok | ok | ok | ok | ok | ok"
NOT_ALLOWED = "405 | 405 | 405 | 405 | 405 | 405"  # a method the view does not accept
NO_GET = "login | 405 | 405 | 405 | 405 | 405"  # POST-only views behind sign-in


@dataclass(frozen=True)
class Rule:
    subject: str
    get: str
    post: str | None

    def expected(self, method: str) -> str | None:
        if method == "GET":
            return self.get
        return self.get if self.post == SAME else self.post


def rule(subject: str, get: str, post: str | None = SAME) -> Rule:
    return Rule(subject, get, post)


# Proposal pages a provider writes: its own drafts only; the commissioning side may read
# submitted proposals but not write them; drafts are hidden from everyone but their provider.
PROPOSAL_WRITE = (
    "login | ok 403 404 404 | 404 403 404 403 | 404 403 404 403 | 404 403 404 403 | 404"
)
PROPOSAL_READ = "login | ok ok 404 404 | 404 ok 404 ok | 404 ok 404 ok | 404 ok 404 ok | 404"
# Contract-side writes: commissioners and contract managers; the provider reads its own and, like
# everyone, a published one; the partner reads what is shared with it and what is published;
# neither writes.
CONTRACT_WRITE = "login | 403 404 403 | ok | ok | 403 | 403 404 403"
# A contract's assurance pages: another provider's published contract is visible, but its
# management is not (404).
ASSURANCE_WRITE = "login | 403 404 404 | ok | ok | 403 | 403 404 403"
# Writes to a contract's draft version (and its lines and targets), which only the provider and
# the commissioning side can see.
DRAFT_VERSION_WRITE = "login | 403 404 404 | ok | ok | 403 | 404"
# Writes to an action plan, audit or risk: the partner never sees them.
ASSURANCE_RECORD_WRITE = "login | 403 404 404 | ok | ok | 403 | 404"

PAGES: dict[str, Rule] = {
    # public.py
    "public-home": rule("none", ANYONE, NOT_ALLOWED),
    "transparency": rule("none", ANYONE, NOT_ALLOWED),
    "transparency-ocds": rule("none", ANYONE, NOT_ALLOWED),
    "transparency-csv": rule("none", ANYONE, NOT_ALLOWED),
    "transparency-policy": rule("none", ANYONE, NOT_ALLOWED),
    "dashboard": rule("none", "login | ok | ok | ok | ok | ok", NO_GET),
    "audit-log": rule("none", "login | 403 | ok | ok | ok | 403", NO_GET),
    "audit-denials": rule("none", "login | 403 | ok | 403 | ok | 403", NO_GET),
    # accounts.py
    "login": rule("none", ANYONE),
    "logout": rule("none", NOT_ALLOWED, ANYONE),
    "account": rule("none", "login | ok | ok | ok | ok | ok", NO_GET),
    "password-change": rule("none", "login | ok | ok | ok | ok | ok"),
    # rounds.py: a draft round is the commissioning side's; only commissioners change rounds.
    "round-list": rule("none", ANYONE, None),
    "round-create": rule("none", "login | 403 | ok | 403 | 403 | 403"),
    "round-detail": rule("round", "ok 404 | ok 404 | ok | ok | ok | ok 404", None),
    "round-envelope": rule("round", "login | 403 404 | ok | 403 | 403 | 403 404"),
    "round-advance": rule("round", NO_GET, "login | 403 404 | ok | 403 | 403 | 403 404"),
    "round-lot-add": rule("round", "login | 403 404 | ok | 403 | 403 | 403 404"),
    # proposals.py
    "proposal-list": rule("none", "login | ok | ok | ok | ok | ok", NO_GET),
    "proposal-create": rule("none", "login | ok | 403 | 403 | 403 | 403"),
    "proposal-detail": rule("proposal", PROPOSAL_READ, NO_GET),
    "proposal-edit": rule("proposal", PROPOSAL_WRITE),
    "proposal-line-add": rule("proposal", PROPOSAL_WRITE),
    "proposal-line-edit": rule("proposal", PROPOSAL_WRITE),
    "proposal-line-delete": rule("proposal", PROPOSAL_WRITE),
    "proposal-subcontract-add": rule("proposal", PROPOSAL_WRITE),
    "proposal-subcontract-delete": rule("proposal", PROPOSAL_WRITE),
    "proposal-upload": rule("proposal", PROPOSAL_WRITE),
    "proposal-prices": rule("proposal", PROPOSAL_WRITE),
    "proposal-price-template-csv": rule("proposal", PROPOSAL_READ, NO_GET),
    "proposal-price-template-xlsx": rule("proposal", PROPOSAL_READ, NO_GET),
    "proposal-price-values": rule("proposal", PROPOSAL_READ, NO_GET),
    "proposal-submit": rule("proposal", PROPOSAL_WRITE),
    # only a submitted proposal can be withdrawn
    "proposal-withdraw": rule(
        "proposal",
        "login | 403 ok 404 404 | 404 403 404 403 | 404 403 404 403 | 404 403 404 403 | 404",
    ),
    # competition.py: commissioning information — outside the commissioning side every page is
    # "not found"; the auditor reads; only commissioners score, moderate, weigh and award.
    "competition-list": rule("none", "login | 404 | ok | ok | ok | 404", NO_GET),
    "competition-round": rule("round", "login | 404 | ok | ok | ok | 404", NO_GET),
    "competition-criteria": rule("round", "login | 404 | ok | 403 | 403 | 404"),
    "competition-award": rule("round", "login | 404 | ok | 403 | 403 | 404"),
    "competition-score": rule(
        "proposal", "login | 404 | 404 ok 404 ok | 404 403 404 403 | 404 403 404 403 | 404"
    ),
    "competition-moderate": rule(
        "proposal", "login | 404 | 404 ok 404 ok | 404 403 404 403 | 404 403 404 403 | 404"
    ),
    # contracts.py. A provider sees its own contracts and, like everyone, published ones (their
    # agreed versions only); the partner sees shared and published ones, agreed versions only.
    "contract-list": rule("none", ANYONE, None),
    "contract-create": rule("none", "login | 403 | ok | ok | 403 | 403"),
    "contract-detail": rule("contract", "404 404 ok | ok 404 ok | ok | ok | ok | ok 404 ok", None),
    "contract-version-draft": rule("contract", NO_GET, CONTRACT_WRITE),
    "contract-version": rule("contract", "404 | ok 404 404 | ok | ok | ok | 404", None),
    "contract-version-price": rule("contract", NO_GET, DRAFT_VERSION_WRITE),
    "contract-line-add": rule("contract", DRAFT_VERSION_WRITE),
    "contract-line-delete": rule("contract", NO_GET, DRAFT_VERSION_WRITE),
    "contract-target-add": rule("contract", DRAFT_VERSION_WRITE),
    "contract-target-delete": rule("contract", NO_GET, DRAFT_VERSION_WRITE),
    "contract-version-agree": rule("contract", DRAFT_VERSION_WRITE),
    "contract-action-plan-create": rule("contract", CONTRACT_WRITE),
    "contract-action-plan-close": rule("contract", NO_GET, ASSURANCE_RECORD_WRITE),
    "contract-publish": rule("contract", NO_GET, CONTRACT_WRITE),
    "contract-share": rule("contract", CONTRACT_WRITE),
    "contract-unshare": rule("contract", NO_GET, CONTRACT_WRITE),
    # assurance.py: between the provider and the commissioning side; partners are refused.
    "assurance-overview": rule("none", "login | ok | ok | ok | ok | 403", None),
    "assurance-contract": rule("contract", "login | ok 404 404 | ok | ok | ok | 403", None),
    "assurance-return": rule("contract", "login | ok 404 404 | 403 | 403 | 403 | 403 404 403"),
    "assurance-audit": rule("contract", ASSURANCE_WRITE),
    "assurance-audit-opinion": rule("contract", ASSURANCE_RECORD_WRITE),
    "assurance-risk": rule("contract", ASSURANCE_WRITE),
    "assurance-risk-edit": rule("contract", ASSURANCE_RECORD_WRITE),
    "assurance-performance": rule("contract", ASSURANCE_WRITE),
    # ratings: a provider sees its own unpublished rating, never another's.
    "rating-list": rule("none", ANYONE, None),
    "rating-create": rule("none", "login | 403 | ok | ok | 403 | 403"),
    "rating-publish": rule("rating", NO_GET, "login | 403 404 | ok | ok | 403 | 404"),
    # downloads.py: each list as CSV and ODS, through the same walls as its page
    **{f"{name}-{fmt}": rule_ for fmt in ("csv", "ods") for name, rule_ in {
        "proposal-list-download": rule("none", "login | ok | ok | ok | ok | ok", NO_GET),
        "contract-list-download": rule("none", ANYONE, NOT_ALLOWED),
        "schedule-lines-download": rule("none", ANYONE, NOT_ALLOWED),
        "performance-download": rule("none", ANYONE, NOT_ALLOWED),
        "assurance-returns-download": rule("none", "login | ok | ok | ok | ok | 403", NO_GET),
        "rating-list-download": rule("none", ANYONE, NOT_ALLOWED),
        "transparency-figures-download": rule("none", ANYONE, NOT_ALLOWED),
        "audit-log-download": rule("none", "login | 403 | ok | ok | ok | 403", NO_GET),
    }.items()},
    # the API's own pages (its operations are in API below)
    "api:openapi-json": rule("none", ANYONE, None),
    "api:openapi-view": rule("none", ANYONE, None),
    "api:api-root": rule("none", "absent | absent | absent | absent | absent | absent", None),
}

# The API: the same walls as the pages ("login" is 401 here).
API: dict[str, Rule] = {
    "GET /api/rounds": rule("none", ANYONE),
    "GET /api/rounds/{round_id}": rule("round", "ok 404 | ok 404 | ok | ok | ok | ok 404"),
    "GET /api/proposals": rule("none", "login | ok | ok | ok | ok | ok"),
    "POST /api/proposals": rule("none", "login | ok | 403 | 403 | 403 | 403"),
    "GET /api/proposals/{proposal_id}": rule("proposal", PROPOSAL_READ),
    "PATCH /api/proposals/{proposal_id}": rule("proposal", PROPOSAL_WRITE),
    "POST /api/proposals/{proposal_id}/submit": rule("proposal", PROPOSAL_WRITE),
    "GET /api/proposals/{proposal_id}/lines": rule("proposal", PROPOSAL_READ),
    "POST /api/proposals/{proposal_id}/lines": rule("proposal", PROPOSAL_WRITE),
    "PUT /api/proposals/{proposal_id}/lines/{line_id}": rule("proposal", PROPOSAL_WRITE),
    "DELETE /api/proposals/{proposal_id}/lines/{line_id}": rule("proposal", PROPOSAL_WRITE),
    "GET /api/proposals/{proposal_id}/flags": rule("proposal", PROPOSAL_READ),
    "POST /api/proposals/{proposal_id}/schedule": rule("proposal", PROPOSAL_WRITE),
    "GET /api/proposals/{proposal_id}/schedule/template.csv": rule("proposal", PROPOSAL_READ),
    "GET /api/proposals/{proposal_id}/schedule/template.xlsx": rule("proposal", PROPOSAL_READ),
    "GET /api/contracts": rule("none", ANYONE),
    "GET /api/contracts/{contract_id}": rule(
        "contract", "404 404 ok | ok 404 ok | ok | ok | ok | ok 404 ok"
    ),
    "GET /api/transparency/contracts": rule("none", ANYONE),
    # answers as the public, whoever asks
    "GET /api/transparency/contracts/{contract_id}": rule(
        "contract", "404 404 ok | 404 404 ok | 404 404 ok | 404 404 ok | 404 404 ok | 404 404 ok"
    ),
    "GET /api/contracts/{contract_id}/returns": rule(
        "contract", "login | ok 404 404 | ok | ok | ok | ok 404 ok"
    ),
    # agreeing a draft version: the contract page's rule (the same ContractVersion.agree)
    "POST /api/contracts/{contract_id}/versions/{number}/agree": rule(
        "contract", DRAFT_VERSION_WRITE
    ),
    "POST /api/contracts/{contract_id}/returns": rule(
        "contract", "login | ok 404 404 | 403 | 403 | 403 | 403 404 403"
    ),
    "GET /api/ratings": rule("none", ANYONE),
    "GET /api/audit/status": rule("none", "login | 403 | ok | ok | ok | 403"),
}

LINE = {
    "service_id": "thinking_skills_programme",
    "setting": "custody",
    "offence_group": "violence",
    "risk_tier": "high",
    "harm": "medium",
    "volume": 20,
    "unit_price": "1500.00",
}


def api_body(operation: str, world: MatrixWorld) -> dict[str, Any] | None:
    """A valid body, so that a refusal comes from the walls and not from validation."""
    method, path = operation.split(" ", 1)
    if path == "/api/proposals" and method == "POST":
        return {"round_id": world.open_round, "title": "A new bid"}
    if method == "PATCH":
        return {"title": "Renamed"}
    if (path.endswith("/lines") and method == "POST") or method == "PUT":
        return LINE
    if path.endswith("/schedule"):  # multipart: a one-line price schedule, added
        row = {**LINE, "offence_group": "acquisitive"}  # a segment the drafts do not price
        content = ",".join(row) + "\n" + ",".join(str(v) for v in row.values()) + "\n"
        return {"file": SimpleUploadedFile("prices.csv", content.encode()), "mode": "append"}
    if path.endswith("/agree"):
        return {"reason": "Volumes moved between quarters"}
    if path.endswith("/returns") and method == "POST":
        return {"kind": "self_audit", "period": "2012-Q3", "statement": "Fine", "compliant": True}
    return None


# ---------------------------------------------------------------------------------------------
# What the URL configuration and the API declare.
# ---------------------------------------------------------------------------------------------


def _patterns(
    patterns: list[URLPattern | URLResolver], namespace: str = "", prefix: str = ""
) -> Iterator[tuple[str, str]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _patterns(p.url_patterns, ns, prefix + str(p.pattern))
        else:
            yield f"{namespace}{p.name}", prefix + str(p.pattern)


@cache
def declared_urls() -> dict[str, str]:
    """Every named URL pattern (name -> route), the API's included."""
    found: dict[str, str] = {}
    for name, route in _patterns(get_resolver().url_patterns):
        assert name not in found, f"two URL patterns are named {name}"
        found[name] = route
    return found


def declared_operations() -> list[str]:
    """Every API operation as 'METHOD /api/path' from the OpenAPI schema."""
    schema = api.get_openapi_schema()
    return sorted(
        f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops
    )


def _api_route(route: str) -> str:
    """``api/proposals/<proposal_id>`` → ``/api/proposals/{proposal_id}``."""
    return "/" + route.replace("<", "{").replace(">", "}")


OPERATION_PATHS = {op.split(" ", 1)[1] for op in declared_operations()}
#: Page URLs: every named pattern but the API operations' own (tested as operations).
PAGE_NAMES = sorted(
    name
    for name, route in declared_urls().items()
    if not (name.startswith("api:") and _api_route(route) in OPERATION_PATHS)
)


def test_every_url_and_api_operation_is_in_the_policy() -> None:
    urls = declared_urls()
    assert sorted(set(PAGE_NAMES) - set(PAGES)) == [], "pages the policy does not cover"
    assert sorted(set(PAGES) - set(PAGE_NAMES)) == [], "policy rows for pages that do not exist"
    operations = declared_operations()
    assert sorted(set(operations) - set(API)) == [], "API operations the policy does not cover"
    assert sorted(set(API) - set(operations)) == [], "policy rows for operations that are gone"
    # every route under /api/ is an operation in the schema or one of the API's own pages
    for name, route in urls.items():
        if route.startswith("api/"):
            assert name in PAGES or _api_route(route) in OPERATION_PATHS, name


def test_every_row_names_one_code_per_role_and_instance() -> None:
    for key, r in {**PAGES, **API}.items():
        for method in ("GET", "POST"):
            text = r.expected(method)
            if text is not None:
                for role in ROLES:
                    codes(text, role, len(SUBJECTS[r.subject]))  # raises if malformed
        assert r.subject in SUBJECTS, key


CODES = frozenset({"ok", "login", "403", "404", "405", "absent"})


def codes(text: str, role: str, instances: int) -> list[str]:
    columns = [c.split() for c in text.split("|")]
    assert len(columns) == len(ROLES), f"{text!r}: one column per role of {ROLES}"
    mine = columns[ROLES.index(role)]
    if len(mine) == 1:
        mine = mine * instances
    assert len(mine) == instances, f"{text!r}: {role} needs 1 or {instances} codes"
    assert set(mine) <= CODES, f"{text!r}: codes are {sorted(CODES)}"
    return mine


# ---------------------------------------------------------------------------------------------
# Running a cell.
# ---------------------------------------------------------------------------------------------


def _state_sql() -> str:
    quote = connection.ops.quote_name
    tables = [*apps.get_app_config("web").get_models(), get_user_model()]
    counts = ", ".join(
        f"(SELECT COUNT(*) FROM {quote(t._meta.db_table)})"
        for t in tables
        if t is not m.AccessDenial  # a refused request adds one of these
    )
    audit = quote(m.AuditEntry._meta.db_table)
    head = f"(SELECT entry_hash FROM {audit} ORDER BY seq DESC LIMIT 1)"
    return f"SELECT {counts}, {head}"


def state() -> tuple[Any, ...]:
    """Row counts of every table (but refusals) and the head of the audit chain, in one query."""
    with connection.cursor() as cursor:
        cursor.execute(_state_sql())
        row = cursor.fetchone()
    assert row is not None
    return tuple(row)


@dataclass(frozen=True)
class Answer:
    status: int
    location: str
    body: str
    denials: int
    changed: bool

    @property
    def outcome(self) -> str:
        if self.status in (302, 401) and (self.status == 401 or "/sign-in/" in self.location):
            return "login"
        if self.status == 404 and self.denials == 0:
            return "absent"
        if self.status in (403, 404, 405):
            return str(self.status)
        if self.status in (200, 201, 204, 302, 400, 422):
            return "ok"
        return f"status {self.status}"


class Visitor:
    """A test client signed in as ``role`` (signed in again if a request signed it out)."""

    def __init__(self, world: MatrixWorld, role: str) -> None:
        self.user = world.users.get(role)
        self.client = Client()
        self.session = ""
        self._sign_in()

    def _sign_in(self) -> None:
        if self.user is not None:
            self.client.force_login(self.user)
            self.session = self.client.cookies[settings.SESSION_COOKIE_NAME].value

    def ask(self, method: str, url: str, body: dict[str, Any] | None = None) -> Answer:
        """One request, in a savepoint rolled back afterwards."""
        with transaction.atomic():
            before = state()
            denials = m.AccessDenial.objects.count()
            if body is None:
                response = self.client.generic(method, url)
            elif any(isinstance(v, SimpleUploadedFile) for v in body.values()):
                response = self.client.post(url, body)  # multipart/form-data
            else:
                response = self.client.generic(
                    method, url, json.dumps(body), content_type="application/json"
                )
            answer = Answer(
                status=response.status_code,
                location=response.get("Location", ""),
                body=response.content.decode("utf-8", "replace"),
                denials=m.AccessDenial.objects.count() - denials,
                changed=state() != before,
            )
            transaction.set_rollback(True)
        cookie = self.client.cookies.get(settings.SESSION_COOKIE_NAME)
        if self.user is not None and (cookie is None or cookie.value != self.session):
            self._sign_in()
        return answer


def judge(answer: Answer, expected: str, role: str, writes: bool) -> list[str]:
    """What is wrong with ``answer`` (nothing when it is what the policy expects)."""
    problems = []
    if answer.outcome != expected:
        problems.append(f"answered {answer.outcome} ({answer.status}), expected {expected}")
    if expected in ("403", "404") and answer.denials < 1:
        problems.append("refused without recording an AccessDenial")
    if expected == "ok" and answer.denials:
        problems.append("allowed but recorded an AccessDenial")
    if answer.changed and not (writes and expected == "ok"):
        problems.append("changed the database")
    leaked = [word for word in forbidden(role) if word in answer.body]
    if leaked:
        problems.append(f"shows {', '.join(leaked)}")
    return problems


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[MatrixWorld]:
    """The world, built once for the module and rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_matrix_world()
        transaction.set_rollback(True)


def _page_url(name: str, params: dict[str, int]) -> str:
    converters = declared_urls()[name].replace(">", "<").split("<")[1::2]
    names = [c.split(":")[-1] for c in converters]
    missing = [n for n in names if n not in params]
    assert not missing, f"{name}: no value for URL parameter(s) {missing}"
    return reverse(name, kwargs={n: params[n] for n in names})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", PAGE_NAMES)
def test_page(world: MatrixWorld, name: str, role: str) -> None:
    assert name in PAGES, f"{name} is not in the policy table: add a row to PAGES"
    r = PAGES[name]
    visitor = Visitor(world, role)
    failures = []
    instances = SUBJECTS[r.subject]
    for method in ("GET", "POST"):
        text = r.expected(method)
        expected = (
            codes(text, role, len(instances)) if text is not None else [None] * len(instances)
        )
        for instance, code in zip(instances, expected, strict=True):
            url = _page_url(name, world.params[r.subject][instance])
            answer = visitor.ask(method, url, {} if method == "POST" else None)
            problems = judge(answer, code or answer.outcome, role, writes=text is not None)
            if code is None and answer.status >= 500:
                problems.append(f"answered {answer.status}")
            failures += [f"{method} {url} ({instance}): {p}" for p in problems]
    if failures:
        pytest.fail(f"{role} on {name}:\n" + "\n".join(failures), pytrace=False)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", declared_operations())
def test_api_operation(world: MatrixWorld, operation: str, role: str) -> None:
    assert operation in API, f"{operation} is not in the policy table: add a row to API"
    r = API[operation]
    method, path = operation.split(" ", 1)
    instances = SUBJECTS[r.subject]
    visitor = Visitor(world, role)
    failures = []
    for instance, code in zip(instances, codes(r.get, role, len(instances)), strict=True):
        url = path.format(**world.params[r.subject][instance])
        answer = visitor.ask(method, url, api_body(operation, world))
        problems = judge(answer, code, role, writes=method != "GET")
        failures += [f"{method} {url} ({instance}): {p}" for p in problems]
    if failures:
        pytest.fail(f"{role} on {operation}:\n" + "\n".join(failures), pytrace=False)


#: For the cross-record check: whose parent record, with whose child records, as whom.
MISMATCHED = {
    "proposal": ("own draft", "other draft", "provider"),
    "contract": ("own", "other", "commissioner"),
}


def _children(name: str) -> list[str]:
    """The URL's parameters that name a record within the first (not its version number)."""
    converters = declared_urls()[name].replace(">", "<").split("<")[1::2]
    return [c.split(":")[-1] for c in converters[1:] if not c.endswith(":number")]


@pytest.mark.parametrize(
    "name",
    [n for n in PAGE_NAMES if n in PAGES and PAGES[n].subject in MISMATCHED and _children(n)],
)
def test_a_child_record_of_another_parent_is_not_found(world: MatrixWorld, name: str) -> None:
    """A URL naming one's own record with another's child (a line, a risk, a partner...) is
    refused as not found and changes nothing: children are looked up within their parent."""
    subject = PAGES[name].subject
    parent, child, role = MISMATCHED[subject]
    params = {**world.params[subject][child], "pk": world.params[subject][parent]["pk"]}
    visitor = Visitor(world, role)
    url = _page_url(name, params)
    failures = []
    for method in ("GET", "POST"):
        answer = visitor.ask(method, url, {} if method == "POST" else None)
        if answer.status not in (404, 405) or (method == "POST" and answer.status != 404):
            failures.append(f"{method} {url}: answered {answer.status}, expected 404")
        if answer.changed:
            failures.append(f"{method} {url}: changed the database")
    if failures:
        pytest.fail("\n".join(failures), pytrace=False)
