"""The canonical data contract: the tables a user brings or `commission synth` makes.

Column names, types and enumerations follow the project's data model
(docs/reference/DATA_MODEL.md). Readers, validation, the synthetic generator, the CLI and
`commission schema` (with docs/data-contract.md, generated from here) all use these specs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ColumnType(StrEnum):
    """Logical column types of the contract."""

    STRING = "string"
    DATE = "date"
    ENUM = "enum"
    INT = "int"
    BOOL = "bool"
    FLOAT = "float"


@dataclass(frozen=True)
class Column:
    """One column of a contract table."""

    name: str
    type: ColumnType
    required: bool
    description: str
    values: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class TableSpec:
    """One table of the contract: its columns and its cross-column rules (by rule id)."""

    name: str
    description: str
    columns: tuple[Column, ...]
    rules: tuple[str, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")


SETTINGS: tuple[str, ...] = ("community", "custody")
SEXES: tuple[str, ...] = ("male", "female")
ROSH_LEVELS: tuple[str, ...] = ("low", "medium", "high", "very_high")
RISK_TIERS: tuple[str, ...] = ("low", "medium", "high", "very_high")
OGRS3_BANDS: tuple[str, ...] = ("low", "medium", "high", "very_high")
OFFENCE_GROUPS: tuple[str, ...] = ("sex", "violence", "acquisitive", "other")

#: The 20 OGRS3 offence categories, in the order of Howard et al. (2009).
OFFENCES: tuple[str, ...] = (
    "violence",
    "robbery",
    "public_order",
    "sexual_not_child",
    "sexual_child",
    "soliciting",
    "burglary_domestic",
    "burglary_other",
    "theft_non_motor",
    "handling",
    "fraud_forgery",
    "absconding_bail",
    "taking_driving_away",
    "theft_from_vehicle",
    "other_motoring",
    "drink_driving",
    "criminal_damage",
    "drug_import_export_production",
    "drug_possession_supply",
    "other",
)

OFFENCE_LABELS: dict[str, str] = {
    "violence": "Violence against the person",
    "robbery": "Robbery",
    "public_order": "Public order or riot",
    "sexual_not_child": "Sexual (not against a child)",
    "sexual_child": "Sexual (against a child)",
    "soliciting": "Soliciting or prostitution",
    "burglary_domestic": "Burglary (domestic)",
    "burglary_other": "Burglary (other)",
    "theft_non_motor": "Theft (non-motor)",
    "handling": "Handling stolen goods",
    "fraud_forgery": "Fraud and forgery",
    "absconding_bail": "Absconding or bail offences",
    "taking_driving_away": "Taking and driving away",
    "theft_from_vehicle": "Theft from vehicles",
    "other_motoring": "Other motoring",
    "drink_driving": "Drink driving",
    "criminal_damage": "Criminal damage",
    "drug_import_export_production": "Drug import, export or production",
    "drug_possession_supply": "Drug possession or supply",
    "other": "Other offences",
}


@dataclass(frozen=True)
class Need:
    """An OASys criminogenic need section."""

    code: str
    column: str
    oasys_section: int
    label: str


#: OASys sections 3-12 (docs/reference/REFERENCES.md, "OASys criminogenic need sections").
NEEDS: tuple[Need, ...] = (
    Need("accommodation", "need_accommodation", 3, "Accommodation"),
    Need("ete", "need_ete", 4, "Education, training & employability (ETE)"),
    Need("finance", "need_finance", 5, "Financial management & income"),
    Need("relationships", "need_relationships", 6, "Relationships"),
    Need("lifestyle", "need_lifestyle", 7, "Lifestyle & associates"),
    Need("drugs", "need_drugs", 8, "Drug misuse"),
    Need("alcohol", "need_alcohol", 9, "Alcohol misuse"),
    Need("emotional", "need_emotional", 10, "Emotional well-being"),
    Need("thinking", "need_thinking", 11, "Criminal thinking & behaviour"),
    Need("attitudes", "need_attitudes", 12, "Anti-social attitudes"),
)
NEED_CODES: tuple[str, ...] = tuple(n.code for n in NEEDS)
NEED_COLUMNS: tuple[str, ...] = tuple(n.column for n in NEEDS)

SENTENCE_TYPES: tuple[str, ...] = (
    "community_order",
    "suspended_sentence_order",
    "licence",
    "determinate_custody",
    "indeterminate",
    "remand",
)

#: Requirement codes of community orders and suspended sentence orders (Criminal Justice Act 2003).
REQUIREMENTS: tuple[str, ...] = (
    "supervision",
    "unpaid_work",
    "accredited_programme",
    "drug_rehabilitation",
    "alcohol_treatment",
    "specified_activity",
    "curfew",
    "mental_health_treatment",
    "residence",
    "exclusion",
    "attendance_centre",
    "prohibited_activity",
)

EXTREMISM: tuple[str, ...] = ("none", "tact", "tact_related", "domestic_extremist")
INDEX_TYPES: tuple[str, ...] = ("release", "court_order", "caution")
DISPOSAL_TYPES: tuple[str, ...] = ("conviction", "caution")
PROVIDER_KINDS: tuple[str, ...] = (
    "probation_trust",
    "public_prison",
    "contracted_prison",
    "voluntary_sector",
    "partner",
)
PARTNER_KINDS: tuple[str, ...] = (
    "health",
    "local_authority",
    "police_and_crime_commissioner",
    "employment_and_benefits",
    "skills_and_education",
    "housing",
    "voluntary_sector",
    "other",
)

_S, _D, _E, _I, _B = (
    ColumnType.STRING,
    ColumnType.DATE,
    ColumnType.ENUM,
    ColumnType.INT,
    ColumnType.BOOL,
)

_NEED_COLS = tuple(
    Column(
        n.column, _B, False, f"OASys section {n.oasys_section} ({n.label}): linked to offending"
    )
    for n in NEEDS
)

_ASSESSMENT_COLUMNS: tuple[Column, ...] = (
    Column("offender_id", _S, True, "pseudonymous offender id"),
    Column("assessment_date", _D, True, "risk date: age for the age-sex factor is taken here"),
    Column("setting", _E, True, "where the offender is managed", SETTINGS),
    Column("provider_id", _S, True, "probation trust or prison code responsible for the case"),
    Column("region", _S, False, "commissioning region"),
    Column("sex", _E, True, "sex", SEXES),
    Column("date_of_birth", _D, True, "date of birth"),
    Column("conviction_date", _D, True, "date of the current conviction"),
    Column("first_sanction_date", _D, True, "date of the first ever sanction"),
    Column("previous_sanctions", _I, True, "sanctions before the current one", minimum=0),
    Column("offence", _E, True, "current offence (OGRS3 category)", OFFENCES),
    Column("rosh", _E, True, "risk of serious harm", ROSH_LEVELS),
    *_NEED_COLS,
    Column("sentence_type", _E, False, "sentence or status", SENTENCE_TYPES),
    Column("sentence_length_days", _I, False, "sentence length in days", minimum=0),
    Column("requirements", _S, False, "';'-separated requirement codes", REQUIREMENTS),
    Column("ethnicity", _S, False, "protected characteristic (free code; 'unknown' allowed)"),
    Column("religion", _S, False, "protected characteristic (free code; 'unknown' allowed)"),
    Column("sexual_orientation", _S, False, "protected characteristic (free code)"),
    Column("disability", _B, False, "protected characteristic"),
    Column("gender_reassignment", _B, False, "protected characteristic"),
    Column("pregnancy_maternity", _B, False, "protected characteristic"),
    Column("learning_disability", _B, False, "responsivity sub-group"),
    Column("extremism", _E, False, "extremism flag", EXTREMISM),
)

ASSESSMENTS = TableSpec(
    name="assessments",
    description="One row per offender assessment (OASys-like).",
    columns=_ASSESSMENT_COLUMNS,
    rules=(
        "first_sanction_not_after_conviction",
        "conviction_not_after_assessment",
        "born_before_first_sanction",
        "age_of_criminal_responsibility",
        "requirements_only_for_community_sentences",
    ),
)

COHORT = TableSpec(
    name="cohort",
    description="One row per person entering a proven-reoffending cohort.",
    columns=(
        Column("offender_id", _S, True, "pseudonymous offender id"),
        Column("index_date", _D, True, "release, court order start or caution date"),
        Column("index_type", _E, True, "what starts follow-up", INDEX_TYPES),
        Column("provider_id", _S, True, "provider responsible at the index date"),
        *(
            Column(c.name, c.type, False, c.description, c.values, c.minimum, c.maximum)
            for c in _ASSESSMENT_COLUMNS
            if c.name not in ("offender_id", "provider_id")
        ),
    ),
    rules=("first_sanction_not_after_conviction", "born_before_first_sanction"),
)

REOFFENCES = TableSpec(
    name="reoffences",
    description="Proven reoffences: offences disposed of by conviction or caution.",
    columns=(
        Column("offender_id", _S, True, "pseudonymous offender id"),
        Column("offence_date", _D, True, "date the offence was committed"),
        Column("disposal_date", _D, True, "conviction or caution date"),
        Column("disposal_type", _E, True, "conviction or caution", DISPOSAL_TYPES),
        Column("court_appearance_id", _S, False, "offences disposed of at one appearance share it"),
        Column("offence", _E, False, "offence (OGRS3 category)", OFFENCES),
    ),
    rules=("offence_not_after_disposal",),
)

INTERVENTIONS = TableSpec(
    name="interventions",
    description="Who received which service.",
    columns=(
        Column("offender_id", _S, True, "pseudonymous offender id"),
        Column("intervention_id", _S, True, "catalogue id of the service"),
        Column("provider_id", _S, True, "provider that delivered it"),
        Column("start_date", _D, True, "start date"),
        Column("end_date", _D, False, "end date (empty while ongoing)"),
        Column("completed", _B, False, "completed the service"),
    ),
    rules=("start_not_after_end",),
)

PROVIDERS = TableSpec(
    name="providers",
    description="Providers: probation trusts, prisons, voluntary sector and partners.",
    columns=(
        Column("provider_id", _S, True, "provider code (nDelius trust or NOMIS prison code)"),
        Column("name", _S, True, "provider name"),
        Column("kind", _E, True, "kind of provider", PROVIDER_KINDS),
        Column("region", _S, False, "commissioning region"),
    ),
)

ESTABLISHMENTS = TableSpec(
    name="establishments",
    description="Prisons: function, security category, population, capacity and operator.",
    columns=(
        Column("provider_id", _S, True, "NOMIS establishment code"),
        Column("name", _S, True, "official name"),
        Column("operator", _S, True, "'public' or the contracting company"),
        Column("function", _S, False, "predominant function (local, cat_c_trainer, open, ...)"),
        Column("security_category", _S, False, "security category"),
        Column("gender", _E, False, "population held", ("male", "female", "mixed")),
        Column("age_group", _E, False, "ages held", ("adult", "young_adult", "juvenile", "mixed")),
        Column("operational_capacity", _I, False, "operational capacity (places)", minimum=0),
        Column("region", _S, False, "NOMS region"),
        Column("open_date", _D, False, "date opened (empty if long-standing)"),
        Column("close_date", _D, False, "date closed (empty if open)"),
    ),
)

PARTNERS = TableSpec(
    name="partners",
    description="Co-commissioning partners.",
    columns=(
        Column("partner_id", _S, True, "partner code"),
        Column("name", _S, True, "partner name"),
        Column("kind", _E, True, "kind of partner", PARTNER_KINDS),
        Column("region", _S, False, "region"),
    ),
)

#: Sentence types whose starts community demand forecasts (the document's Fig 1).
COMMUNITY_SENTENCE_TYPES: tuple[str, ...] = (
    "community_order", "suspended_sentence_order", "licence",
)

COMMUNITY_STARTS = TableSpec(
    name="community_starts",
    description="Quarterly starts of community sentences and of their requirements (counts, "
    "no person-level data): the history community demand is forecast from.",
    columns=(
        Column("quarter", _S, True, "calendar quarter, written like 2011Q2"),
        Column("sentence_type", _E, True, "sentence type", COMMUNITY_SENTENCE_TYPES),
        Column("requirement", _E, True,
               "'all' for the starts of the sentence type, else a requirement code",
               ("all", *REQUIREMENTS)),
        Column("starts", _I, True, "starts in the quarter", minimum=0),
    ),
    rules=("quarter_is_a_quarter",),
)

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        ASSESSMENTS,
        COHORT,
        REOFFENCES,
        INTERVENTIONS,
        PROVIDERS,
        ESTABLISHMENTS,
        PARTNERS,
        COMMUNITY_STARTS,
    )
}


def table_spec(name: str) -> TableSpec:
    """Return the spec of a contract table, with a helpful error for unknown names."""
    try:
        return TABLES[name]
    except KeyError:
        known = ", ".join(TABLES)
        raise KeyError(f"unknown table {name!r}; the contract has: {known}") from None
