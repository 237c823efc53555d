"""Human labels for every code that can reach a published page: one vocabulary for the round.

Codes such as ``education_training``, ``indeterminate_17`` or ``no_effect`` are how the data
and the parameters name things; readers see "Education and training", "Indeterminate share
rises to 17%" and "No effect or may increase reoffending". :func:`label` names one code;
:func:`humanise` replaces every known code inside a string (whole ``snake_case`` words only,
so ordinary prose is untouched). The report's tables and charts pass their text through
:func:`humanise` (``publish.html.Cell`` and ``publish.charts.to_svg``), so a section that
forgets a label still publishes a human one.

Service names come from the intervention catalogue (each YAML file's ``name``); the rest are
stated here, with the document's wording where it has one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from commissioning.schema.contract import NEEDS, OFFENCE_LABELS

#: Services the plan prices that are not rehabilitation interventions in the catalogue.
SENTENCE_SERVICES: dict[str, str] = {
    "offender_management": "Offender management (supervision)",
    "prison_place": "Prison places",
}

SETTINGS: dict[str, str] = {"community": "Community", "custody": "Custody"}
OFFENCE_GROUPS: dict[str, str] = {
    "sex": "Sexual offences",
    "violence": "Violence",
    "acquisitive": "Acquisitive",
    "other": "Other offences",
}
RISK_TIERS: dict[str, str] = {
    "low": "Low",
    "medium": "Medium",
    "high": "High",
    "very_high": "Very high",
    "medium_high": "Medium or high",
    "high_very_high": "High or very high",
    "medium_high_very_high": "Medium, high or very high",
}
HARM: dict[str, str] = {"low": "Low", "medium": "Medium", "high": "High or very high"}
EVIDENCE: dict[str, str] = {
    "best_evidence": "Best evidence",
    "promising": "Promising",
    "no_effect": "No effect or may increase reoffending",
    "not_evaluated": "Not evaluated",
    "not_applicable": "Sentence delivery (not rated)",
}
#: Demand scenarios (assess/demand/scenarios/*.yaml) and the plan's scenario names.
SCENARIOS: dict[str, str] = {
    "baseline": "Central projection",
    "indeterminate_17": "Indeterminate share rises to 17%",
    "public_disorder": "August 2011 public disorder",
    "sentencing_reform": "Sentencing reform (LASPO Bill)",
}
INTENTION_KINDS: dict[str, str] = {
    "capacity": "Capacity",
    "minimum_standard": "Minimum standard",
    "invest": "Invest",
    "disinvest": "Disinvest",
    "maintain": "Maintain",
    "develop": "Develop",
    "partnership": "Partnership",
}
INTENTION_GROUPS: dict[str, str] = {
    "co_commissioning": "Co-commissioned services",
    "community": "Community services",
    "custody": "Custodial services",
}
#: Protected characteristics (Equality Act 2010, s.4) and the data contract's codes.
CHARACTERISTICS: dict[str, str] = {
    "sex": "Sex",
    "age_band": "Age",
    "ethnicity": "Race (ethnic group)",
    "religion": "Religion or belief",
    "disability": "Disability",
    "sexual_orientation": "Sexual orientation",
    "gender_reassignment": "Gender reassignment",
    "pregnancy_maternity": "Pregnancy and maternity",
}
CHARACTERISTIC_VALUES: dict[str, str] = {
    "male": "Men",
    "female": "Women",
    "white": "White",
    "black": "Black",
    "asian": "Asian",
    "mixed": "Mixed",
    "christian": "Christian",
    "muslim": "Muslim",
    "none": "No religion",
    "heterosexual": "Heterosexual",
    "gay_or_lesbian": "Gay or lesbian",
    "bisexual": "Bisexual",
    "unknown": "Not known",
    "18_24": "18 to 24",
    "25_34": "25 to 34",
    "35_49": "35 to 49",
    "50_plus": "50 and over",
}
#: Prison functions (the demand step's estate) and review measures.
PRISON_FUNCTIONS: dict[str, str] = {
    "local": "Local prisons",
    "high_security": "High security",
    "cat_b_trainer": "Category B training prisons",
    "cat_c_trainer": "Category C training prisons",
    "cat_b_trainer_open": "Category B training and open prisons",
    "cat_c_trainer_open": "Category C training and open prisons",
    "open": "Open prisons",
    "female": "Women's prisons",
    "yoi": "Young offender institutions",
    "secure_training_centre": "Secure training centres",
}
MEASURES: dict[str, str] = {
    "planning_projection": "Planning projection",
    "adjusted_reoffending_ratio": "Adjusted reoffending ratio",
    "frequency_per_offender": "Reoffences per offender",
    "completion_rate": "Completion rate",
    "proven_reoffending_rate": "Proven reoffending rate",
}
OTHER: dict[str, str] = {
    "within": "Within the limits",
    "above": "Above the upper limit",
    "below": "Below the lower limit",
    "best_evidence_or_promising": "Best evidence or promising",
}


@functools.cache
def service_labels() -> dict[str, str]:
    """Every service id the round can name: the catalogue's names and sentence delivery."""
    from commissioning.evidence.catalogue import load_catalogue

    labels = {i.id: i.name for i in load_catalogue()}
    labels.update(SENTENCE_SERVICES)
    return labels


def service(code: str) -> str:
    """A service's name (the catalogue's), or the code made readable if it is unknown."""
    return service_labels().get(code, readable(code))


def need(code: str) -> str:
    """An OASys need by code (``ete``) or column (``need_ete``)."""
    for n in NEEDS:
        if code in (n.code, n.column):
            return n.label
    return readable(code)


def readable(code: str) -> str:
    """A code with no stated label: underscores to spaces, first letter capitalised."""
    text = str(code).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@functools.cache
def _codes() -> dict[str, str]:
    """Every code with a stated label (multi-word codes only: those are never ordinary words)."""
    table: dict[str, str] = {}
    for part in (
        OFFENCE_LABELS, RISK_TIERS, HARM, EVIDENCE, SCENARIOS, INTENTION_KINDS, INTENTION_GROUPS,
        CHARACTERISTICS, CHARACTERISTIC_VALUES, OTHER, PRISON_FUNCTIONS, MEASURES,
    ):
        table.update(part)
    table.update({n.column: n.label for n in NEEDS})
    table.update(service_labels())
    return {k: v for k, v in table.items() if "_" in k}


_SNAKE = re.compile(r"(?<![\w/.#-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/.(-])")


def label(code: object, kind: str | None = None) -> str:
    """The human label of ``code``; ``kind`` picks the vocabulary when a code is ambiguous
    (``"setting"``, ``"offence_group"``, ``"risk_tier"``, ``"harm"``, ``"evidence"``,
    ``"service"``, ``"scenario"``, ``"need"``, ``"characteristic"``, ``"value"``,
    ``"function"``)."""
    text = str(code)
    tables: Mapping[str, Mapping[str, str]] = {
        "setting": SETTINGS, "offence_group": OFFENCE_GROUPS, "risk_tier": RISK_TIERS,
        "harm": HARM, "evidence": EVIDENCE, "scenario": SCENARIOS,
        "characteristic": CHARACTERISTICS, "value": CHARACTERISTIC_VALUES,
        "kind": INTENTION_KINDS, "group": INTENTION_GROUPS, "function": PRISON_FUNCTIONS,
    }
    if kind == "service":
        return service(text)
    if kind == "need":
        return need(text)
    if kind is not None and kind in tables:
        return tables[kind].get(text, readable(text))
    for part in (SETTINGS, OFFENCE_GROUPS, RISK_TIERS):
        if text in part:
            return part[text]
    return _codes().get(text, service_labels().get(text, readable(text)))


def humanise(text: str) -> str:
    """Replace each known ``snake_case`` code in ``text`` with its label (unknown ones stay).

    Only whole words made of lower-case letters, digits and underscores are looked up, and not
    inside paths, anchors or parameter names (``plan.unit_costs``, ``#plan-changes``), so prose
    and references are left as they are.
    """
    if "_" not in text:
        return text
    codes = _codes()
    return _SNAKE.sub(lambda m: codes.get(m.group(0), m.group(0)), text)
