"""Reference tables of real providers: the 35 probation trusts and the prisons open on a date.

Built from the package's reference data (``data/reference``, see its SOURCES.md) plus the dated
parameter ``synth.prison_register_amendments`` for facts the register does not carry (opening
dates, 2011 operators, closed prisons' regions). Mapping decisions:

- **Trusts**: ``provider_id`` is the nDelius code; ``region`` is ``cfo_delivery_region`` without
  the trailing " Community"; the Wales Probation Trust (listed with region "Unknown") is "Wales".
- **Prisons**: ``provider_id`` is the NOMIS code (register key + "I" when the code map has none,
  the NOMIS convention, e.g. Grendon/Spring Hill ``GNI``, Usk/Prescoed ``UKI``). A prison is
  open on ``on`` when its opening date is blank or on/before ``on`` and its closing date is blank
  or after ``on``. Register dates of month or year precision (``2011-03``, ``2015``) are read as
  the first day of that month or year, so a prison that closed during March 2011 (Ashwell,
  Lancaster) is closed on 31 March 2011. Immigration removal centre rows (``HMIRC``) and the
  excluded establishments of the parameter are left out.
- ``kind``/``operator``: a register operator ``company:<number>`` means contracted; the company
  is the 2016 estate list's operator (the register has only the company number). The parameter's
  ``public_until`` and ``contracted_operator`` correct the 2011 position.
- ``region``: the 2016 estate list's ``noms_region`` (``region_2011`` of the parameter where it
  differs in 2011); for prisons closed before 2016 the parameter's ``former_region`` (from the
  postcode); else absent.
- ``function``: the 2016 predominant function in snake_case (``Cat C Trainer`` ->
  ``cat_c_trainer``, ``Cat B Trainer/ Open`` -> ``cat_b_trainer_open``, ``YJB`` -> ``yoi``... see
  :data:`FUNCTIONS`), overridden by the parameter's ``function_2011``; absent for closed prisons.
- ``security_category``: derived from the function (high security A, local and Cat B trainer B,
  Cat C trainer C, open D); absent otherwise.
- ``gender``: ``female`` for the female estate, else ``male``; absent when the function is unknown.
- ``age_group``: ``juvenile`` for YJB establishments, ``young_adult`` for YOIs and "HMYOI" names,
  ``mixed`` for "HMP/YOI" names (adults and young adults), else ``adult``.
- ``operational_capacity`` is not in the reference data and is left empty (unknown).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pyarrow as pa

from commissioning.policy.parameters import Policy
from commissioning.schema.contract import ESTABLISHMENTS, PROVIDERS

#: The parameter naming the date on which the estate is taken (the end of the document's
#: sample year, April 2010-March 2011).
ESTATE_DATE = "synth.estate_date"


def estate_date(policy: Policy) -> dt.date:
    """The date on which the providers and establishments are taken (:data:`ESTATE_DATE`)."""
    value = policy.value(ESTATE_DATE)
    if not isinstance(value, dt.date):
        raise ValueError(f"{ESTATE_DATE} must be a date (YYYY-MM-DD), got {value!r}")
    return value

#: 2016 predominant function (as written in the estate list) -> snake_case function.
FUNCTIONS: dict[str, str] = {
    "Local": "local",
    "Cat B Trainer": "cat_b_trainer",
    "Cat C Trainer": "cat_c_trainer",
    "Cat B Trainer/ Open": "cat_b_trainer_open",
    "Cat C Trainer/ Open": "cat_c_trainer_open",
    "High Security": "high_security",
    "Open": "open",
    "Female": "female",
    "YOI": "yoi",
    "YJB": "yjb",
    "Secure Training Centre": "secure_training_centre",
    "Immigration Removal Centre": "immigration_removal_centre",
    "Not in use": "not_in_use",
}
SECURITY_CATEGORY: dict[str, str] = {
    "high_security": "A",
    "local": "B",
    "cat_b_trainer": "B",
    "cat_b_trainer_open": "B",
    "cat_c_trainer": "C",
    "cat_c_trainer_open": "C",
    "open": "D",
}


@dataclass(frozen=True)
class Establishment:
    """One prison as it stood on the reference date."""

    provider_id: str
    name: str
    operator: str
    function: str | None
    security_category: str | None
    gender: str | None
    age_group: str | None
    region: str | None
    open_date: dt.date | None
    close_date: dt.date | None

    @property
    def contracted(self) -> bool:
        return self.operator != "public"


def _read_tsv(name: str) -> list[dict[str, str]]:
    ref = resources.files("commissioning.data").joinpath("reference").joinpath(name)
    with ref.open("r", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _register_date(raw: str, where: str) -> dt.date | None:
    """A register date of day, month or year precision, read as its first day."""
    raw = raw.strip()
    if not raw:
        return None
    parts = raw.split("-")
    try:
        if len(parts) == 1:
            return dt.date(int(parts[0]), 1, 1)
        if len(parts) == 2:
            return dt.date(int(parts[0]), int(parts[1]), 1)
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{where}: {raw!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)") from None


def _estate_key(name: str) -> str:
    """Normalise a prison name for matching the register to the 2016 estate list."""
    for prefix in ("HMP/YOI ", "HMYOI ", "HMP ", "HMIRC "):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    name = name.replace("The ", "").replace(", The", "").replace(" ", "").lower()
    return name.replace("/", "").replace("and", "").replace("hmpyoi", "")


@dataclass(frozen=True)
class ProbationTrust:
    """One of the 35 probation trusts of 2010-2014."""

    provider_id: str
    name: str
    region: str


def probation_trusts() -> list[ProbationTrust]:
    """The 35 probation trusts with their nDelius code and delivery region."""
    out: list[ProbationTrust] = []
    for row in _read_tsv("probation_trusts_2010_2014.tsv"):
        if row["level"] != "probation_trust_2010_2014":
            continue
        region = row["cfo_delivery_region"].removesuffix(" Community").strip()
        if row["delius_code"] == "WPT":
            region = "Wales"
        name = row["delius_description"].replace("&P", "& P")
        out.append(ProbationTrust(row["delius_code"], name, region))
    return out


def providers_table(policy: Policy) -> pa.Table:
    """The ``providers`` table: the 35 probation trusts and the prisons open on the estate date
    (``synth.estate_date``, 31 March 2011)."""
    ids: list[str] = []
    names: list[str] = []
    kinds: list[str] = []
    regions: list[str | None] = []
    for t in probation_trusts():
        ids.append(t.provider_id)
        names.append(t.name)
        kinds.append("probation_trust")
        regions.append(t.region)
    for e in open_establishments(policy):
        ids.append(e.provider_id)
        names.append(e.name)
        kinds.append("contracted_prison" if e.contracted else "public_prison")
        regions.append(e.region)
    data: dict[str, list[Any]] = {
        "provider_id": ids,
        "name": names,
        "kind": kinds,
        "region": regions,
    }
    return pa.table({c: pa.array(data[c], pa.string()) for c in PROVIDERS.column_names})


def all_establishments(policy: Policy) -> list[Establishment]:
    """Every prison of the register (open or closed), as it stood on the estate date where
    known (the amendments in force in ``policy`` hold the 2011 position)."""
    amend: Mapping[str, Any] = policy.mapping("synth.prison_register_amendments")
    on = estate_date(policy)
    opened: Mapping[str, dt.date] = amend.get("opened", {})
    public_until: Mapping[str, dt.date] = amend.get("public_until", {})
    contracted_operator: Mapping[str, str] = amend.get("contracted_operator", {})
    excluded = set(amend.get("excluded", []))
    function_2011: Mapping[str, str] = amend.get("function_2011", {})
    former_region: Mapping[str, str] = amend.get("former_region", {})
    region_2011: Mapping[str, str] = amend.get("region_2011", {})

    nomis = {r["prison"]: r["nomis"] for r in _read_tsv("symroe_nomis_code_map.tsv") if r["prison"]}
    for r in _read_tsv("symroe_former_prisons.tsv"):
        nomis.setdefault(r["prison"], r["nomis"])
    estate = {_estate_key(r["name"]): r for r in _read_tsv("symroe_prison_estate_2016.tsv")}

    out: list[Establishment] = []
    for i, row in enumerate(_read_tsv("symroe_prison_register.tsv"), start=2):
        key, name = row["prison-estate"], row["name"]
        if key in excluded or name.startswith("HMIRC"):
            continue
        where = f"symroe_prison_register.tsv row {i}"
        start = _register_date(row["start-date"], where) or opened.get(key)
        end = _register_date(row["end-date"], where)
        info = estate.get(_estate_key(name))
        operator = "public"
        if key in contracted_operator:
            operator = contracted_operator[key]
        elif row["operator"].startswith("company:"):
            operator = info["operator"] if info else row["operator"]
        if key in public_until and public_until[key] > on:
            operator = "public"
        function = FUNCTIONS.get(info["predominant_function"]) if info else None
        function = function_2011.get(key, function)
        region = info["noms_region"] if info else former_region.get(key)
        region = region_2011.get(key, region)
        out.append(
            Establishment(
                provider_id=nomis.get(key, f"{key}I"),
                name=name,
                operator=operator,
                function=function,
                security_category=SECURITY_CATEGORY.get(function or ""),
                gender=None if function is None else ("female" if function == "female" else "male"),
                age_group=_age_group(name, function),
                region=region,
                open_date=start,
                close_date=end,
            )
        )
    return out


def _age_group(name: str, function: str | None) -> str | None:
    if function in ("yjb", "secure_training_centre"):
        return "juvenile"
    if function == "yoi" or name.startswith("HMYOI"):
        return "young_adult"
    if name.startswith("HMP/YOI"):
        return "mixed"
    return "adult" if function is not None else None


def open_establishments(policy: Policy, on: dt.date | None = None) -> list[Establishment]:
    """Prisons open on ``on`` (opened on or before it, not closed on or before it); by default
    on the estate date of ``policy``."""
    on = estate_date(policy) if on is None else on
    return [
        e
        for e in all_establishments(policy)
        if (e.open_date is None or e.open_date <= on)
        and (e.close_date is None or e.close_date > on)
    ]


def establishments_table(policy: Policy, on: dt.date | None = None) -> pa.Table:
    """The ``establishments`` table: prisons open on ``on`` (by default the estate date),
    columns in contract order."""
    rows = open_establishments(policy, on)
    cols: dict[str, pa.Array] = {}
    for c in ESTABLISHMENTS.columns:
        if c.name == "operational_capacity":
            cols[c.name] = pa.nulls(len(rows), pa.int64())
        elif c.name in ("open_date", "close_date"):
            cols[c.name] = pa.array([getattr(e, c.name) for e in rows], pa.date32())
        else:
            cols[c.name] = pa.array([getattr(e, c.name) for e in rows], pa.string())
    return pa.table(cols)
