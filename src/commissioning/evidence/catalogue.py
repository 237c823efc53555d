"""The intervention catalogue: one YAML file per service, validated on load.

Each file under ``evidence/catalogue/`` (package data) describes one service or approach the
commissioning document names: what it is, who it is for, the document's evidence category, the
"what works" characteristics, its unit cost (with source), dosage, prerequisites (the
document's sequencing), eligibility, the four minimum conditions for services whose evidence is
lacking, and the studies entered (only real, cited ones; an entry without studies says so in
``study_data``). Ids match the synthetic ``interventions`` table (``synth_outcomes.interventions``)
so outcomes can be joined to the catalogue. A local catalogue folder can replace or extend it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from commissioning.policy.parameters import SAFE_LOADER, ParameterError, Policy
from commissioning.schema.contract import NEEDS, OFFENCE_GROUPS, RISK_TIERS, SETTINGS

CATALOGUE_DIR = Path(__file__).parent / "catalogue"
#: The package folder: a study's ``data_file`` is a path inside it (e.g.
#: ``data/reference/evidence/wsipp_adult_cj_current.csv``), or beside a local catalogue file.
PACKAGE_DIR = Path(__file__).parent.parent

#: The document's four evidence categories, strongest first.
CATEGORIES: tuple[str, ...] = ("best_evidence", "promising", "no_effect", "not_evaluated")
CATEGORY_LABELS: dict[str, str] = {
    "best_evidence": "Best evidence",
    "promising": "Promising",
    "no_effect": "No effect or may increase reoffending",
    "not_evaluated": "Not evaluated",
}
#: The "what works" characteristics (document, "Reducing reoffending outcomes").
WHAT_WORKS: dict[str, str] = {
    "targets_medium_or_higher_risk": "targets medium or higher risk offenders",
    "trained_supervised_staff": "well trained staff whose delivery is supervised",
    "evaluation_plan": "an evaluation plan / researcher involvement",
    "active_participatory": "an active, participatory style of working",
    "multiple_skills_active_methods": "teaches several skills through active methods",
    "cognitive_behavioural": "social learning cognitive-behavioural model",
    "manualised": "structured (has a manual)",
    "individual_and_group": "both individual and group attention",
}
STUDY_KINDS: tuple[str, ...] = ("primary", "systematic_review")
#: ``SMD``: a standardised mean difference (negative = less reoffending), pooled as ln OR = d·π/√3.
STUDY_MEASURES: tuple[str, ...] = ("OR", "DCOX", "SMD", "RR", "RD", "rate_ratio")
QUALITY_LEVELS: tuple[str, ...] = ("high", "adequate", "poor", "unknown")
_NEED_COLUMNS = {n.column for n in NEEDS}


class CatalogueError(ValueError):
    """A catalogue file that breaks the format: says which file, which field and how to fix it."""


class ServiceListError(ParameterError):
    """A parameter that lists a service the catalogue does not have, or describes one
    differently (the catalogue is the one list of services)."""


@dataclass(frozen=True)
class Study:
    """One study or published pooled estimate, with its Maryland Scientific Methods Scale level.

    Either a 2×2 table (``ai`` treated reoffended, ``bi`` treated not, ``ci``/``di`` comparison)
    or an effect ``value`` on ``measure`` with ``se`` or a confidence interval, or only the
    reported significance and direction.
    """

    citation: str
    kind: str
    design: str
    sms_level: int
    outcome: str
    measure: str | None = None
    value: float | None = None
    se: float | None = None
    ci_lower: float | None = None
    ci_upper: float | None = None
    significant: bool | None = None
    ai: float | None = None
    bi: float | None = None
    ci: float | None = None
    di: float | None = None
    n_treated: int | None = None
    n_control: int | None = None
    follow_up: str | None = None
    note: str | None = None
    #: The reference table in the repository that holds the figure as published, with its
    #: source (a path inside the package, e.g. ``data/reference/evidence/<file>.csv``).
    data_file: str | None = None

    @property
    def has_table(self) -> bool:
        return None not in (self.ai, self.bi, self.ci, self.di)

    @property
    def is_reoffending_outcome(self) -> bool:
        """Whether the outcome is general reoffending (usable against proven reoffending)."""
        text = self.outcome.lower()
        return ("reoffending" in text or "recidivism" in text or text.startswith("offending")) and (
            "sexual" not in text
        )


@dataclass(frozen=True)
class UnitCost:
    """A published unit cost. Only a UK price in pounds (``currency: GBP``) is used to value a
    service; a figure in another currency is kept for comparison only (``gbp`` is None)."""

    amount: float | None
    currency: str
    basis: str
    source: str
    price_year: str | None = None

    @property
    def gbp(self) -> float | None:
        return self.amount if self.currency == "GBP" else None


@dataclass(frozen=True)
class Eligibility:
    """Machine-checkable eligibility plus the rules as the document words them."""

    rules: tuple[str, ...] = ()
    min_risk_tier: str | None = None
    offence_groups: tuple[str, ...] = ()
    personal_victim: bool | None = None

    def admits(self, risk_tier: str, offence_group: str) -> bool:
        """Whether a segment (risk tier × offence group) meets the eligibility."""
        if self.offence_groups and offence_group not in self.offence_groups:
            return False
        if self.min_risk_tier is not None:
            return RISK_TIERS.index(risk_tier) >= RISK_TIERS.index(self.min_risk_tier)
        return True


@dataclass(frozen=True)
class Intervention:
    """One catalogue entry."""

    id: str
    name: str
    description: str
    category: str
    category_source: str
    outcomes: tuple[str, ...]
    settings: tuple[str, ...]
    offence_groups: tuple[str, ...]
    min_risk_tier: str | None
    needs: tuple[str, ...]
    sub_groups: tuple[str, ...]
    core: bool
    what_works: Mapping[str, bool | None]
    unit_cost: UnitCost
    dosage: str | None
    duration_days: int | None
    prerequisites: tuple[str, ...]
    eligibility: Eligibility
    rationale: str | None
    evaluation_plan: str | None
    high_risk_caution: str | None
    quality_of_delivery: str
    intentions: tuple[str, ...]
    studies: tuple[Study, ...]
    study_data: str | None
    references: tuple[str, ...]
    published_benefit_cost: Mapping[str, Any] | None = None
    source_file: str | None = None
    #: ``direct`` when the studies evaluate this service, ``analogue`` when they evaluate a
    #: close analogue (named in ``effect_analogue``), e.g. drug courts for a drug
    #: rehabilitation requirement.
    effect_mapping: str = "direct"
    effect_analogue: str | None = None
    #: Comparison-group reoffending rate of the studies, if they give one (else the
    #: outcome model's reference rate).
    reference_rate: float | None = None

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[self.category]


@dataclass(frozen=True)
class Catalogue:
    """The interventions by id, in file-name order."""

    interventions: tuple[Intervention, ...]
    folder: Path = field(default=CATALOGUE_DIR)

    def __iter__(self) -> Iterator[Intervention]:
        return iter(self.interventions)

    def __len__(self) -> int:
        return len(self.interventions)

    def ids(self) -> list[str]:
        return [i.id for i in self.interventions]

    def get(self, intervention_id: str) -> Intervention:
        for item in self.interventions:
            if item.id == intervention_id:
                return item
        raise KeyError(
            f"no intervention {intervention_id!r} in the catalogue "
            f"(known: {', '.join(sorted(self.ids()))})"
        )


class _Reader:
    """Typed access to one YAML mapping with errors that name the file and the field."""

    def __init__(self, raw: Mapping[str, Any], where: str) -> None:
        self.raw = raw
        self.where = where

    def fail(self, key: str, problem: str) -> CatalogueError:
        return CatalogueError(f"{self.where}: field '{key}' {problem}")

    def text(self, key: str, required: bool = True) -> str | None:
        value = self.raw.get(key)
        if value is None:
            if required:
                raise self.fail(key, "is missing: add it (a short text)")
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(key, f"must be a non-empty text, not {value!r}")
        return value

    def req_text(self, key: str) -> str:
        value = self.text(key)
        assert value is not None
        return value

    def choice(self, key: str, allowed: Sequence[str], required: bool = True) -> str | None:
        value = self.raw.get(key)
        if value is None and not required:
            return None
        if value not in allowed:
            raise self.fail(key, f"is {value!r}: use one of {', '.join(allowed)}")
        return str(value)

    def texts(self, key: str, allowed: Sequence[str] | None = None) -> tuple[str, ...]:
        value = self.raw.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "must be a list of texts")
        if allowed is not None:
            for v in value:
                if v not in allowed:
                    raise self.fail(key, f"has {v!r}: use values from {', '.join(allowed)}")
        return tuple(value)

    def number(self, key: str, minimum: float | None = None) -> float | None:
        value = self.raw.get(key)
        if value is None:
            return None
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if not numeric or not math.isfinite(value):
            raise self.fail(key, f"must be a number, not {value!r}")
        if minimum is not None and value < minimum:
            raise self.fail(key, f"is {value}: it must be at least {minimum}")
        return float(value)

    def flag(self, key: str) -> bool | None:
        value = self.raw.get(key)
        if value is not None and not isinstance(value, bool):
            raise self.fail(key, f"must be true, false or empty, not {value!r}")
        return value

    def mapping(self, key: str) -> _Reader:
        value = self.raw.get(key)
        if value is None:
            value = {}
        if not isinstance(value, Mapping):
            raise self.fail(key, "must be a mapping of fields")
        return _Reader(value, f"{self.where} › {key}")


def _study(raw: Any, where: str) -> Study:
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{where}: each study must be a mapping (citation, design, ...)")
    r = _Reader(raw, where)
    level = r.number("sms_level")
    if level is None or level not in (1, 2, 3, 4, 5):
        raise r.fail("sms_level", "must be the Maryland Scientific Methods Scale level, 1 to 5")
    measure = r.choice("measure", STUDY_MEASURES, required=False)
    study = Study(
        citation=r.req_text("citation"),
        kind=str(r.choice("kind", STUDY_KINDS)),
        design=r.req_text("design"),
        sms_level=int(level),
        outcome=r.req_text("outcome"),
        measure=measure,
        value=r.number("value"),
        se=r.number("se", minimum=0),
        ci_lower=r.number("ci_lower"),
        ci_upper=r.number("ci_upper"),
        significant=r.flag("significant"),
        ai=r.number("ai", 0), bi=r.number("bi", 0), ci=r.number("ci", 0), di=r.number("di", 0),
        n_treated=_int(r.number("n_treated", 0)),
        n_control=_int(r.number("n_control", 0)),
        follow_up=r.text("follow_up", required=False),
        note=r.text("note", required=False),
        data_file=_data_file(r, where),
    )
    cells = (study.ai, study.bi, study.ci, study.di)
    if any(c is not None for c in cells) and not study.has_table:
        raise r.fail("ai", "and bi, ci, di come together: give all four counts of the 2×2 table")
    if study.has_table and measure == "SMD":
        raise r.fail("measure", "SMD is for a published standardised mean difference ('value'), "
                     "not a 2×2 table: use OR, RR, RD or DCOX with ai, bi, ci, di")
    if study.value is not None and measure is None:
        raise r.fail("measure",
                     "is needed with 'value': say which scale (OR, DCOX, SMD, RR, RD, ...)")
    if measure in ("OR", "RR", "rate_ratio") and study.value is not None and study.value <= 0:
        raise r.fail("value", f"is {study.value}: a ratio must be positive")
    if (study.ci_lower is None) != (study.ci_upper is None):
        raise r.fail("ci_lower", "and ci_upper come together")
    lo, value, hi = study.ci_lower, study.value, study.ci_upper
    if lo is not None and value is not None and hi is not None and not lo <= value <= hi:
        raise r.fail("value", "must lie within its confidence interval")
    if not study.has_table and study.value is None and study.significant is None:
        raise r.fail(
            "value", "is missing: give a 2×2 table, an effect value, or at least 'significant'"
        )
    return study


def _data_file(r: _Reader, where: str) -> str | None:
    """A study's ``data_file``: it must name a file in the package (or beside the catalogue
    file, for a local catalogue)."""
    name = r.text("data_file", required=False)
    if name is None:
        return None
    beside = Path(where.split(" › ")[0]).parent
    if not ((PACKAGE_DIR / name).is_file() or (beside / name).is_file()):
        raise r.fail("data_file", f"names {name!r}, which is not a file in the package "
                     f"({PACKAGE_DIR}) nor beside the catalogue file: copy the published "
                     "table there first")
    return name


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def parse_intervention(raw: Any, where: str) -> Intervention:
    """Validate one catalogue entry (a YAML mapping) and build the record."""
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{where}: the file must hold one mapping (id, name, ...)")
    r = _Reader(raw, where)
    who = r.mapping("for")
    elig = r.mapping("eligibility")
    cost = r.mapping("unit_cost")
    conditions = r.mapping("minimum_conditions")
    ww_raw = r.mapping("what_works")
    unknown = set(ww_raw.raw) - set(WHAT_WORKS)
    if unknown:
        raise ww_raw.fail(
            sorted(unknown)[0], f"is not a characteristic: use {', '.join(WHAT_WORKS)}"
        )
    studies_raw = raw.get("studies") or []
    if not isinstance(studies_raw, list):
        raise r.fail("studies", "must be a list")
    studies = tuple(_study(s, f"{where} › studies[{i + 1}]") for i, s in enumerate(studies_raw))
    study_data = r.text("study_data", required=False)
    if not studies and not study_data:
        raise r.fail(
            "study_data", "is missing: with no studies, say so (e.g. 'No study data entered: ...')"
        )
    offence_groups = who.texts("offence_groups", OFFENCE_GROUPS)
    min_tier = who.choice("min_risk_tier", RISK_TIERS, required=False)
    intervention_id = r.req_text("id")
    if not intervention_id.replace("_", "").isalnum() or intervention_id != intervention_id.lower():
        raise r.fail("id", f"{intervention_id!r} must be lower-case letters, digits and '_'")
    published = raw.get("published_benefit_cost")
    effect = r.mapping("effect")
    mapping = str(effect.choice("mapping", ("direct", "analogue"), required=False) or "direct")
    analogue = effect.text("analogue_of", required=False)
    if mapping == "analogue" and not analogue:
        raise effect.fail("analogue_of", "is missing: say which programme the studies evaluate")
    reference_rate = effect.number("reference_rate", minimum=0)
    if reference_rate is not None and not 0 < reference_rate < 1:
        raise effect.fail("reference_rate", f"is {reference_rate}: a rate between 0 and 1")
    return Intervention(
        id=intervention_id,
        name=r.req_text("name"),
        description=r.req_text("description"),
        category=str(r.choice("category", CATEGORIES)),
        category_source=r.req_text("category_source"),
        outcomes=r.texts("outcomes"),
        settings=who.texts("settings", SETTINGS) or SETTINGS,
        offence_groups=offence_groups,
        min_risk_tier=min_tier,
        needs=who.texts("needs", sorted(_NEED_COLUMNS)),
        sub_groups=who.texts("sub_groups"),
        core=bool(r.flag("core_rehabilitation_offer")),
        what_works={k: ww_raw.flag(k) for k in WHAT_WORKS},
        unit_cost=UnitCost(
            amount=cost.number("amount", minimum=0),
            currency=str(cost.choice("currency", ("GBP", "USD"))),
            basis=cost.req_text("basis"),
            source=cost.req_text("source"),
            price_year=cost.text("price_year", required=False),
        ),
        dosage=r.text("dosage", required=False),
        duration_days=_int(r.number("duration_days", minimum=0)),
        prerequisites=r.texts("prerequisites"),
        eligibility=Eligibility(
            rules=elig.texts("rules"),
            min_risk_tier=elig.choice("min_risk_tier", RISK_TIERS, required=False),
            offence_groups=elig.texts("offence_groups", OFFENCE_GROUPS),
            personal_victim=elig.flag("personal_victim"),
        ),
        rationale=conditions.text("rationale", required=False),
        evaluation_plan=conditions.text("evaluation_plan", required=False),
        high_risk_caution=conditions.text("high_risk_caution", required=False),
        quality_of_delivery=str(r.choice("quality_of_delivery", QUALITY_LEVELS)),
        intentions=r.texts("intentions"),
        studies=studies,
        study_data=study_data,
        references=r.texts("references"),
        published_benefit_cost=published if isinstance(published, Mapping) else None,
        source_file=where,
        effect_mapping=mapping,
        effect_analogue=analogue,
        reference_rate=reference_rate,
    )


def load_catalogue(folders: Sequence[Path] = ()) -> Catalogue:
    """The built-in catalogue, then every ``*.yaml`` in ``folders`` (same id replaces)."""
    entries: dict[str, Intervention] = {}
    for folder in (CATALOGUE_DIR, *folders):
        if not folder.is_dir():
            raise CatalogueError(f"{folder}: not a folder of catalogue YAML files")
        for path in sorted(folder.glob("*.yaml")):
            try:
                raw = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
            except yaml.YAMLError as exc:
                raise CatalogueError(f"{path}: not valid YAML ({exc})") from None
            item = parse_intervention(raw, str(path))
            if item.id != path.stem:
                raise CatalogueError(
                    f"{path}: id {item.id!r} differs from the file name; "
                    f"name the file {item.id}.yaml"
                )
            entries[item.id] = item
    return Catalogue(tuple(entries.values()))


#: The lists of services kept in parameters, checked against the catalogue by
#: :func:`check_services`.
SERVICE_LISTS: tuple[str, ...] = ("plan.unit_costs", "synth_outcomes.interventions")


def check_services(catalogue: Catalogue | Sequence[Intervention], policy: Policy,
                   lists: Sequence[str] = SERVICE_LISTS) -> None:
    """The catalogue is the one list of services: every service ``plan.unit_costs`` prices
    (except sentence delivery, ``statutory: true``, which is not an intervention) and every
    service of the synthetic data (``synth_outcomes.interventions``) must be a catalogue entry,
    and the synthetic list's evidence category, core flag and settings must be the catalogue's.
    ``lists`` chooses which of :data:`SERVICE_LISTS` to check (each as in force in ``policy``).
    Raises
    :class:`ServiceListError` naming the parameter, the service and the fix."""
    items = {i.id: i for i in catalogue}
    where = f"{CATALOGUE_DIR.name}/ (src/commissioning/evidence/catalogue)"
    unknown = sorted(set(lists) - set(SERVICE_LISTS))
    if unknown:
        raise ValueError(f"no service list {unknown}; the lists are {', '.join(SERVICE_LISTS)}")
    if "plan.unit_costs" in lists and "plan.unit_costs" in policy:
        costs: Mapping[str, Any] = policy.value("plan.unit_costs") or {}
        for sid, entry in costs.items():
            statutory = bool((entry or {}).get("statutory", False))
            if statutory and sid in items:
                raise ServiceListError(
                    f"plan.unit_costs marks {sid!r} statutory (sentence delivery), but it is an "
                    f"intervention of the catalogue {where}; remove `statutory: true`")
            if not statutory and sid not in items:
                raise ServiceListError(
                    f"plan.unit_costs prices {sid!r}, which is not in the catalogue {where}: "
                    "the catalogue is the one list of services; add its entry there first "
                    "(or remove it from plan.unit_costs)")
    if "synth_outcomes.interventions" in lists and "synth_outcomes.interventions" in policy:
        synthetic: Mapping[str, Any] = policy.value("synth_outcomes.interventions") or {}
        for sid, entry in synthetic.items():
            item = items.get(sid)
            if item is None:
                raise ServiceListError(
                    f"synth_outcomes.interventions lists {sid!r}, which is not in the catalogue "
                    f"{where}: the synthetic data may only deliver catalogue services")
            entry = entry or {}
            theirs = {"evidence": item.category, "core": bool(item.core),
                      "settings": tuple(item.settings)}
            ours = {"evidence": entry.get("evidence", item.category),
                    "core": bool(entry.get("core", item.core)),
                    "settings": tuple(entry.get("settings", item.settings))}
            for key, value in ours.items():
                if value != theirs[key]:
                    raise ServiceListError(
                        f"synth_outcomes.interventions.{sid}.{key} is {value!r} but the "
                        f"catalogue ({sid}.yaml) says {theirs[key]!r}; the catalogue is the one "
                        "description of a service: make them agree")
