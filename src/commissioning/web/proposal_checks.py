"""The automatic check of a proposal against the commissioning intentions.

A pure function over the proposal's lines, the provider's population (the profile of their
upload), the evidence catalogue and the intentions with their parameters. Every departure found
becomes a finding for the commissioner, saying which intention, which rule, what was found, and
whether the provider explained the choice on that line. The rules follow the intentions' machine
rules (``rule.kind`` in ``plan/intentions.yaml``, the plan's :mod:`commissioning.plan.rules`):

- ``no_non_core_low_risk`` (community 3, custody 4): a service outside the core rehabilitation
  offer for a segment of low risk of reoffending and low risk of harm. "Low risk of reoffending"
  is OGRS3 two-year below ``risk.medium_high_threshold``, the one definition from which the
  tiers derive too, so the low tier is exactly the low-risk tier. Where the rule is for men
  only (custody 4), women-only lines are not checked.
- ``no_ineffective`` (community 5, custody 7): a service the catalogue rates "no effect or may
  increase reoffending".
- Women (``spend_at_least_baseline`` with ``sex: female``; community 7, custody 5): the profile
  shows women in a setting but no line in that setting is for women only or is a service for
  women (catalogue sub-group).
- Harm (``spend_at_least_baseline`` with ``harm``; community 4, custody 6): the profile shows
  offenders of medium or high risk of serious harm in a setting but no line in that setting
  serves those harm bands (with a service of the rule's evidence categories, where it names any).

Services courts order as sentence requirements (``plan.unit_costs`` ``requirement``) are allowed
by the plan up to the court-ordered volume, which a proposal cannot show: their findings say so,
so the provider can give the court-ordered volume as the rationale. Statutory sentence delivery
(prison places, offender management) is never flagged.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction

from commissioning.assess.risk import RiskRules
from commissioning.evidence.catalogue import CATEGORY_LABELS, Intervention, load_catalogue
from commissioning.plan.intentions import GROUP_LABELS, Intention, Intentions, load_intentions
from commissioning.policy.parameters import ParameterSet, load_parameters

if TYPE_CHECKING:
    from commissioning.web.models import Proposal, ProposalFlag, ProposalLine

#: The catalogue's category for services with no effect, or that may increase reoffending.
INEFFECTIVE = "no_effect"
#: Rule names stored on the flags.
RULE_NON_CORE_LOW_RISK = "no_non_core_low_risk"
RULE_INEFFECTIVE = "no_ineffective"
RULE_WOMEN = "women_provision"
RULE_HARM = "medium_high_harm_provision"
_SETTING_WORDS = {"community": "in the community", "custody": "in custody"}


@dataclass(frozen=True)
class LineFacts:
    """One proposal line as the check sees it."""

    line_id: int | None
    service_id: str
    setting: str
    offence_group: str
    risk_tier: str
    harm: str
    women_only: bool
    rationale: str = ""

    @classmethod
    def of(cls, line: ProposalLine) -> LineFacts:
        """The facts of a stored proposal line."""
        return cls(line.pk, line.service_id, line.setting, line.offence_group, line.risk_tier,
                   line.harm, line.women_only, line.rationale)


@dataclass(frozen=True)
class Population:
    """The provider's population by setting, from the profile of their upload."""

    women: Mapping[str, int] = field(default_factory=dict)
    by_harm: Mapping[tuple[str, str], int] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """A departure from an intention."""

    intention: str
    rule: str
    detail: str
    line_id: int | None
    rationale_given: bool


@dataclass(frozen=True)
class CheckRules:
    """The intentions and parameters the check applies, read for one date."""

    low_risk_tiers: frozenset[str]
    threshold: int
    court_ordered: frozenset[str]
    statutory: frozenset[str]
    non_core_low_risk: tuple[Intention, ...]
    ineffective: tuple[Intention, ...]
    women: tuple[Intention, ...]
    harm: tuple[Intention, ...]

    @classmethod
    def from_policy(cls, params: ParameterSet, intentions: Intentions, when: dt.date) -> CheckRules:
        # the tiers start medium at the one threshold (assess.risk.RiskRules), so the only
        # tier of low risk of reoffending is "low"
        threshold = RiskRules.from_parameters(params, when).medium_high_from_pct
        low_tiers = frozenset({"low"})
        costs: Mapping[str, Mapping[str, object]] = params.value("plan.unit_costs", when)

        def with_rule(
            kind: str, also: Callable[[Mapping[str, Any]], bool] = lambda rule: True
        ) -> tuple[Intention, ...]:
            return tuple(
                item
                for item in intentions.checkable()
                if item.rule is not None
                and item.rule.get("kind") == kind
                and item.rule.get("setting") is not None
                and also(item.rule)
            )

        return cls(
            low_risk_tiers=low_tiers,
            threshold=threshold,
            court_ordered=frozenset(s for s, c in costs.items() if c.get("requirement")),
            statutory=frozenset(s for s, c in costs.items() if c.get("statutory")),
            non_core_low_risk=with_rule(RULE_NON_CORE_LOW_RISK),
            ineffective=with_rule(RULE_INEFFECTIVE),
            women=with_rule("spend_at_least_baseline", lambda r: r.get("sex") == "female"),
            harm=with_rule("spend_at_least_baseline", lambda r: bool(r.get("harm"))),
        )


def _setting_of(intention: Intention) -> str:
    return str((intention.rule or {})["setting"])


def _court_note(line: LineFacts, rules: CheckRules) -> str:
    if line.service_id in rules.court_ordered:
        return (
            " Courts order this service as a sentence requirement, and the intentions allow it "
            "where a court ordered it: give the court-ordered volume in the rationale."
        )
    return ""


def _segment(line: LineFacts) -> str:
    tier = line.risk_tier.replace("_", " ")
    return (
        f"{line.offence_group} offenders {_SETTING_WORDS.get(line.setting, line.setting)}, "
        f"{tier} risk tier, {line.harm} risk of harm"
    )


def _non_core_low_risk(
    line: LineFacts, service: Intervention, rules: CheckRules
) -> Iterable[Finding]:
    if service.core or line.harm != "low" or line.risk_tier not in rules.low_risk_tiers:
        return
    for intention in rules.non_core_low_risk:
        rule = intention.rule or {}
        if _setting_of(intention) != line.setting:
            continue
        if rule.get("sex") == "male" and line.women_only:
            continue
        yield Finding(
            intention=intention.id,
            rule=RULE_NON_CORE_LOW_RISK,
            detail=(
                f"{service.name} is not in the core rehabilitation offer, and this line is for "
                f"{_segment(line)} (OGRS3 two-year below {rules.threshold}%). "
                f"{GROUP_LABELS[intention.group]} intention {intention.number} disinvests in "
                "non-core rehabilitation services for offenders of low risk of reoffending and "
                "low risk of harm." + _court_note(line, rules)
            ),
            line_id=line.line_id,
            rationale_given=bool(line.rationale.strip()),
        )


def _ineffective(line: LineFacts, service: Intervention, rules: CheckRules) -> Iterable[Finding]:
    if service.category != INEFFECTIVE:
        return
    for intention in rules.ineffective:
        if _setting_of(intention) != line.setting:
            continue
        yield Finding(
            intention=intention.id,
            rule=RULE_INEFFECTIVE,
            detail=(
                f"The evidence catalogue rates {service.name} "
                f"'{CATEGORY_LABELS[INEFFECTIVE]}'. {GROUP_LABELS[intention.group]} intention "
                f"{intention.number} disinvests in ineffective services and interventions."
                + _court_note(line, rules)
            ),
            line_id=line.line_id,
            rationale_given=bool(line.rationale.strip()),
        )


def _for_women(line: LineFacts, catalogue: Mapping[str, Intervention]) -> bool:
    if line.women_only:
        return True
    service = catalogue.get(line.service_id)
    return service is not None and any("women" in g.lower() for g in service.sub_groups)


def _women(
    lines: Sequence[LineFacts],
    population: Population,
    catalogue: Mapping[str, Intervention],
    rules: CheckRules,
) -> Iterable[Finding]:
    for intention in rules.women:
        setting = _setting_of(intention)
        if population.women.get(setting, 0) <= 0:
            continue
        if any(ln.setting == setting and _for_women(ln, catalogue) for ln in lines):
            continue
        yield Finding(
            intention=intention.id,
            rule=RULE_WOMEN,
            detail=(
                f"The uploaded population includes women {_SETTING_WORDS[setting]}, but no line "
                f"{_SETTING_WORDS[setting]} is for women only or is a service for women. "
                f"{GROUP_LABELS[intention.group]} intention {intention.number}: "
                f"{intention.text}."
            ),
            line_id=None,
            rationale_given=False,
        )


def _serves(
    line: LineFacts,
    setting: str,
    bands: tuple[str, ...],
    categories: tuple[str, ...],
    catalogue: Mapping[str, Intervention],
) -> bool:
    """Whether a line serves the harm bands in the setting (with a service of the categories)."""
    if line.setting != setting or line.harm not in bands:
        return False
    if not categories:
        return True
    service = catalogue.get(line.service_id)
    return service is not None and service.category in categories


def _harm(
    lines: Sequence[LineFacts],
    population: Population,
    catalogue: Mapping[str, Intervention],
    rules: CheckRules,
) -> Iterable[Finding]:
    for intention in rules.harm:
        rule = intention.rule or {}
        setting = _setting_of(intention)
        bands = tuple(str(b) for b in rule.get("harm") or ())
        categories = tuple(str(c) for c in rule.get("categories") or ())
        if sum(population.by_harm.get((setting, b), 0) for b in bands) <= 0:
            continue
        if any(_serves(ln, setting, bands, categories, catalogue) for ln in lines):
            continue
        kinds = (
            " with a service rated "
            + " or ".join(f"'{CATEGORY_LABELS[c]}'" for c in categories if c in CATEGORY_LABELS)
            if categories
            else ""
        )
        yield Finding(
            intention=intention.id,
            rule=RULE_HARM,
            detail=(
                f"The uploaded population includes offenders of {' or '.join(bands)} risk of "
                f"serious harm {_SETTING_WORDS[setting]}, but no line serves them{kinds}. "
                f"{GROUP_LABELS[intention.group]} intention {intention.number}: "
                f"{intention.text}."
            ),
            line_id=None,
            rationale_given=False,
        )


def check_proposal(
    lines: Sequence[LineFacts],
    population: Population | None,
    catalogue: Mapping[str, Intervention],
    rules: CheckRules,
) -> list[Finding]:
    """Every departure from the intentions: line by line, then (when the provider has uploaded
    their population) what the population needs and no line provides."""
    findings: list[Finding] = []
    for line in lines:
        if line.service_id in rules.statutory:
            continue
        service = catalogue.get(line.service_id)
        if service is None:
            continue
        findings += _non_core_low_risk(line, service, rules)
        findings += _ineffective(line, service, rules)
    if population is not None:
        findings += _women(lines, population, catalogue, rules)
        findings += _harm(lines, population, catalogue, rules)
    return findings


# ---------------------------------------------------------------------------------------------
# Running the check on a stored proposal (called on every save of lines, upload and submit).
# ---------------------------------------------------------------------------------------------


@functools.cache
def catalogue_by_id() -> dict[str, Intervention]:
    """The built-in evidence catalogue, by service id (loaded once per process)."""
    return {item.id: item for item in load_catalogue()}


@functools.cache
def rules_on(when: dt.date) -> CheckRules:
    """The check's rules from the built-in parameters and intentions in force on ``when``."""
    return CheckRules.from_policy(load_parameters([]), load_intentions(), when)


def refresh_flags(proposal: Proposal, when: dt.date) -> list[ProposalFlag]:
    """Re-run the check on a stored proposal and replace its flags with the findings."""
    from commissioning.web.models import ProposalFlag
    from commissioning.web.profiling import population

    lines = [
        LineFacts.of(line)
        for line in proposal.lines.all()
    ]
    findings = check_proposal(
        lines, population(proposal.profile), catalogue_by_id(), rules_on(when)
    )
    with transaction.atomic():
        proposal.flags.all().delete()
        return [
            ProposalFlag.objects.create(
                proposal=proposal,
                line_id=f.line_id,
                intention=f.intention,
                rule=f.rule,
                detail=f.detail,
                rationale_given=f.rationale_given,
            )
            for f in findings
        ]
