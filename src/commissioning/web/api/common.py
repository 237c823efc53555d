"""What every router shares: bounded identifiers and texts, error bodies, and the responses
each operation declares so that clients (and schemathesis) know every status it can return."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from ninja.params.functions import Path, Query
from pydantic import AfterValidator, Field, StringConstraints

from commissioning.schema.contract import OFFENCE_GROUPS, RISK_TIERS, SETTINGS
from commissioning.web.models._choices import HARM_CHOICES

#: Database keys are 32-bit on every supported engine; anything larger cannot name a record.
MAX_ID = 2_147_483_647

Id = Annotated[int, Path(ge=1, le=MAX_ID, description="The record's id.")]
Limit = Annotated[int, Query(100, ge=1, le=500, description="At most this many records.")]
Offset = Annotated[int, Query(0, ge=0, le=10_000_000, description="Skip this many records.")]


def _storable(value: str) -> str:
    """Text a database can store: UTF-8, without NUL characters."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def text(max_length: int, *, min_length: int = 0) -> Any:
    """A string type of at most ``max_length`` storable characters (stripped)."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_storable),
    ]


Title = text(200, min_length=1)
LongText = text(20_000)
ServiceId = text(64, min_length=1)
Code = text(32, min_length=1)


def money(max_digits: int) -> Any:
    """A non-negative amount in pounds and pence with at most ``max_digits`` digits."""
    return Annotated[Decimal, Field(ge=0, max_digits=max_digits, decimal_places=2)]


UnitPrice = money(12)


class Error(Schema):
    """Why a request was refused: 401 sign in, 403 not allowed, 404 not found (or walled)."""

    detail: str


class Invalid(Schema):
    """Input that failed validation, one entry per problem with its location."""

    detail: list[dict[str, Any]]


#: Every refusal an operation may answer with.
ERRORS: dict[int, type[Schema]] = {
    400: Error,
    401: Error,
    403: Error,
    404: Error,
    422: Invalid,
}


def responses(ok: Any, status: int = 200) -> dict[int, Any]:
    return {status: ok, **ERRORS}


def download(content_type: str, description: str) -> dict[str, Any]:
    """``openapi_extra`` for an operation that answers 200 with a file (declare the refusals
    with ``response=ERRORS``): its content type, a binary body and its Content-Disposition."""
    return {
        "responses": {
            200: {
                "description": description,
                "headers": {
                    "Content-Disposition": {
                        "description": "attachment; filename=... (the file's name)",
                        "schema": {"type": "string"},
                    }
                },
                "content": {content_type: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


def _one_of(name: str, values: tuple[str, ...]) -> Any:
    """A string that must be one of ``values`` (listed as an enum in the OpenAPI schema)."""

    def check(value: str) -> str:
        if value not in values:
            raise ValueError(f"{name} must be one of: {', '.join(values)}")
        return value

    return Annotated[str, Field(json_schema_extra={"enum": list(values)}), AfterValidator(check)]


Setting = _one_of("setting", SETTINGS)
OffenceGroup = _one_of("offence_group", OFFENCE_GROUPS)
RiskTier = _one_of("risk_tier", RISK_TIERS)
Harm = _one_of("harm", tuple(value for value, _ in HARM_CHOICES))
#: What an uploaded price schedule does to a draft's lines (the page's choice, asked every time).
ScheduleMode = _one_of("mode", ("replace", "append"))
