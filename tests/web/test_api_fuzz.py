"""Fuzzing every API operation with schemathesis, as the public and as a signed-in provider
(session cookie and CSRF token): no server errors, and every response — status code, content
type and body — conforms to the OpenAPI schema. Bounded: 25 valid and 10 invalid examples per
operation."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.web.conftest import People
from tests.web.contract_world import build_contracts

from commissioning.web import models as m
from commissioning.web.project.wsgi import application

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
#: Django accepts its own unmasked secret as both the cookie and the header token.
CSRF = "a" * 32


def _fuzz(
    operation: Any, mode: GenerationMode, headers: dict[str, str], cookies: dict[str, str]
) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=25 if mode is GenerationMode.POSITIVE else 10,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, cookies=cookies, checks=CHECKS)

    try:
        run()
    except Unsatisfiable:
        # An operation without parameters or body has no invalid input to generate.
        if mode is not GenerationMode.NEGATIVE:
            raise


@pytest.fixture
def connections_kept_open() -> Any:
    """Keep the test's database connection across requests, as Django's test client does: the
    WSGI handler closes connections after each request, which ends the test's transaction on
    PostgreSQL (``CONN_MAX_AGE``)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("who", ["public", "provider"])
@pytest.mark.usefixtures("connections_kept_open")
def test_no_api_operation_fails_or_breaks_its_schema(people: People, who: str) -> None:
    build_contracts(people.orgs)
    rnd = m.CommissioningRound.objects.create(year="2013-14", title="Round", status="open")
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    if who == "provider":
        client = Client()
        client.force_login(people.users["provider"])
        session = client.cookies["sessionid"].value
        headers = {"X-CSRFToken": CSRF}
        cookies = {"sessionid": session, "csrftoken": CSRF}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, headers, cookies)
    if who == "provider":
        # The fuzzer's requests were signed in, CSRF included: the same headers create a draft.
        create = schema["/api/proposals"]["POST"].Case(body={"round_id": rnd.pk, "title": "Bid"})
        response = create.call_and_validate(headers=headers, cookies=cookies, checks=CHECKS)
        assert response.status_code == 201
        assert m.Proposal.objects.filter(provider=people.orgs["prison"], title="Bid").exists()
