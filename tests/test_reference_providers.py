"""The real provider reference tables: 35 probation trusts and the prison estate of 2011."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from commissioning.reference.providers import establishments_table, providers_table
from commissioning.schema.contract import ESTABLISHMENTS, PROVIDERS
from policy_support import POLICY


@pytest.fixture(scope="module")
def providers() -> list[dict[str, str | None]]:
    return providers_table(POLICY).to_pylist()


@pytest.fixture(scope="module")
def estate_2011() -> dict[str, dict[str, object]]:
    return {r["provider_id"]: r for r in establishments_table(POLICY).to_pylist()}


def test_providers_follow_the_contract_columns() -> None:
    table = providers_table(POLICY)
    assert tuple(table.column_names) == PROVIDERS.column_names
    assert all(table.schema.field(c).type == pa.string() for c in table.column_names)


def test_there_are_35_probation_trusts_with_their_delius_codes(
    providers: list[dict[str, str | None]],
) -> None:
    trusts = {p["provider_id"]: p for p in providers if p["kind"] == "probation_trust"}
    assert len(trusts) == 35
    assert trusts["LDN"]["name"] == "London"
    assert trusts["LDN"]["region"] == "London"
    assert trusts["ASP"]["region"] == "South West"
    assert trusts["WPT"]["region"] == "Wales"
    assert not any("Community" in str(t["region"]) for t in trusts.values())


def test_provider_ids_are_unique(providers: list[dict[str, str | None]]) -> None:
    ids = [p["provider_id"] for p in providers]
    assert len(ids) == len(set(ids))


def test_prisons_are_public_or_contracted_as_in_2011(
    providers: list[dict[str, str | None]],
) -> None:
    kind = {p["provider_id"]: p["kind"] for p in providers}
    assert kind["ACI"] == "contracted_prison"  # Altcourse, G4S
    assert kind["DNI"] == "contracted_prison"  # Doncaster, Serco
    assert kind["BMI"] == "public_prison"  # Birmingham went to G4S only in October 2011
    assert kind["PVI"] == "public_prison"


def test_prisons_closed_by_march_2011_are_absent(
    estate_2011: dict[str, dict[str, object]],
) -> None:
    assert "AWI" not in estate_2011  # Ashwell, closed 2011-03
    assert "LAI" not in estate_2011  # Lancaster Castle, closed 2011-03
    assert "ALI" not in estate_2011  # Albany, merged into Isle of Wight 2009
    assert "BTI" not in estate_2011  # Blakenhurst, merged into Hewell 2008


def test_prisons_open_in_2011_are_present_and_later_ones_absent(
    estate_2011: dict[str, dict[str, object]],
) -> None:
    for open_then in ("AKI", "CSI", "NEI", "HYI", "WOI", "ISI", "LMI", "KTI"):
        assert open_then in estate_2011, open_then
    for later in ("OWI", "TSI", "BWI", "NLI"):  # Oakwood, Thameside, Berwyn, Northumberland
        assert later not in estate_2011, later
    assert estate_2011["AKI"]["close_date"] == dt.date(2011, 10, 31)
    assert estate_2011["NEI"]["close_date"] == dt.date(2011, 4, 1)


def test_immigration_removal_centres_and_secure_training_centres_are_not_prisons(
    estate_2011: dict[str, dict[str, object]],
) -> None:
    for code in ("DVI", "HRI", "MWI"):
        assert code not in estate_2011
    assert len(estate_2011) == 135


def test_the_female_estate_holds_women(estate_2011: dict[str, dict[str, object]]) -> None:
    female = {k for k, r in estate_2011.items() if r["gender"] == "female"}
    assert {"STI", "BZI", "HYI", "NHI", "LNI", "MHI", "ESI", "AGI"} <= female
    assert estate_2011["PVI"]["gender"] == "male"
    assert len(female) == 13


def test_establishment_function_age_group_and_security(
    estate_2011: dict[str, dict[str, object]],
) -> None:
    assert estate_2011["FKI"]["function"] == "high_security"
    assert estate_2011["FKI"]["security_category"] == "A"
    assert estate_2011["FDI"]["function"] == "open"
    assert estate_2011["FDI"]["security_category"] == "D"
    assert estate_2011["FMI"]["age_group"] == "young_adult"
    assert estate_2011["WYI"]["age_group"] == "juvenile"
    assert estate_2011["PVI"]["age_group"] == "mixed"
    assert estate_2011["AKI"]["function"] is None  # closed prisons: function unknown


def test_capacity_is_left_unknown_not_guessed() -> None:
    table = establishments_table(POLICY)
    assert tuple(table.column_names) == ESTABLISHMENTS.column_names
    assert table.column("operational_capacity").null_count == table.num_rows
    assert table.schema.field("open_date").type == pa.date32()


def test_the_estate_of_mid_2012_has_the_new_prisons() -> None:
    table = establishments_table(POLICY, on=dt.date(2012, 6, 30))
    ids = set(table.column("provider_id").to_pylist())
    assert {"OWI", "TSI", "NLI"} <= ids
    assert not {"AKI", "CSI", "AWI", "BWI"} & ids
