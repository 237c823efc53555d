"""The automatic check of a proposal against the commissioning intentions.

There is one implementation of each intention's machine rule: the plan's
(:mod:`commissioning.plan.rules`, ``rule.kind`` in ``plan/intentions.yaml``). A proposal's lines
become plan cells (:func:`line_cells`: the plan's cell columns, the service's evidence rating,
core status and sentence delivery from the catalogue and ``plan.unit_costs``, the segment's
medium-to-high flag from the risk tier) and go through those rules; this module only maps the
plan's verdicts to findings for the commissioner, saying which intention, which rule, what was
found and whether the provider explained the choice on that line.

- Per-cell rules (``no_non_core_low_risk``, community 3 and custody 4; ``no_ineffective``,
  community 5 and custody 7) are the plan's rows ``volume ≤ court-ordered volume``. A proposal
  cannot show a court-ordered volume, so it is 0 and every line in such a cell is a finding:
  for a service courts order as a sentence requirement (``plan.unit_costs`` ``requirement``)
  the finding says so, so the provider can give the court-ordered volume as the rationale.
- Provision rules (``spend_at_least_baseline`` for women, community 7 and custody 5, and for
  medium or high risk of serious harm, community 4 and custody 6): a proposal has no 2011-12
  baseline to spend against, so the check asks whether the provider's population (the profile
  of their upload) has people the rule is about (:func:`commissioning.plan.rules.segment_mask`)
  and no line is in a cell whose spend the rule counts (:func:`commissioning.plan.rules.
  spend_cells`: rehabilitation of the rule's segment, of its evidence categories where it names
  any).

A line's cells: its setting, offence group, tier and harm band; ``ogrs_medium_high`` is whether
the tier starts at or above ``risk.medium_high_threshold`` (:func:`commissioning.assess.risk.
tier_is_medium_high`); sex ``female`` for a women-only line, ``male`` otherwise, and both for a
line of a service for women (catalogue sub-group) open to all. Sentence delivery (prison places,
offender management) is not rehabilitation and is never a finding.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from commissioning.assess.risk import RiskRules, tier_is_medium_high
from commissioning.evidence.catalogue import CATEGORY_LABELS, Intervention
from commissioning.plan import rules as plan_rules
from commissioning.plan.inputs import NOT_APPLICABLE, PlanSettings
from commissioning.plan.intentions import GROUP_LABELS, Intention, Intentions
from commissioning.policy.parameters import ParameterSet

#: Rule names stored on the flags: the plan's rule kinds for the per-cell rules, and one name
#: for each of the two provision checks of ``spend_at_least_baseline``.
RULE_NON_CORE_LOW_RISK = "no_non_core_low_risk"
RULE_INEFFECTIVE = "no_ineffective"
RULE_WOMEN = "women_provision"
RULE_HARM = "medium_high_harm_provision"
PER_CELL_KINDS: tuple[str, ...] = (RULE_NON_CORE_LOW_RISK, RULE_INEFFECTIVE)
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
    volume: int = 1
    unit_price: float = 0.0


@dataclass(frozen=True)
class Population:
    """The provider's population by setting, from the profile of their upload."""

    women: Mapping[str, int] = field(default_factory=dict)
    by_harm: Mapping[tuple[str, str], int] = field(default_factory=dict)

    def cells(self) -> pd.DataFrame:
        """People by setting, sex and harm band as frame rows the plan's segment mask reads
        (the profile crosses setting with sex, and setting with harm, not all three)."""
        rows: list[dict[str, Any]] = [
            {"setting": s, "sex": "female", "harm": None, "people": n}
            for s, n in self.women.items()
        ]
        rows += [
            {"setting": s, "sex": None, "harm": h, "people": n}
            for (s, h), n in self.by_harm.items()
        ]
        return pd.DataFrame(rows, columns=["setting", "sex", "harm", "people"])


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

    risk: RiskRules
    court_ordered: frozenset[str]
    statutory: frozenset[str]
    settings: PlanSettings
    per_cell: tuple[Intention, ...]
    women: tuple[Intention, ...]
    harm: tuple[Intention, ...]

    @property
    def threshold(self) -> int:
        """``risk.medium_high_threshold``: the one threshold of medium to high risk."""
        return self.risk.medium_high_from_pct

    @classmethod
    def from_policy(cls, params: ParameterSet, intentions: Intentions, when: dt.date) -> CheckRules:
        costs: Mapping[str, Mapping[str, object]] = params.value("plan.unit_costs", when)

        def spend(test: str) -> tuple[Intention, ...]:
            return tuple(
                i for i in intentions.checkable()
                if (i.rule or {}).get("kind") == "spend_at_least_baseline"
                and (i.rule or {}).get("setting") is not None and bool((i.rule or {}).get(test))
                and (test != "sex" or (i.rule or {}).get("sex") == "female")
            )

        return cls(
            risk=RiskRules.from_policy(params.at(when)),
            court_ordered=frozenset(s for s, c in costs.items() if (c or {}).get("requirement")),
            statutory=frozenset(s for s, c in costs.items() if (c or {}).get("statutory")),
            settings=PlanSettings.from_policy(params.at(when)),
            per_cell=tuple(
                i for i in intentions.checkable()
                if (i.rule or {}).get("kind") in PER_CELL_KINDS
            ),
            women=spend("sex"),
            harm=spend("harm"),
        )


def _for_women(service: Intervention) -> bool:
    return any("women" in g.lower() for g in service.sub_groups)


def line_cells(
    lines: Sequence[LineFacts], catalogue: Mapping[str, Intervention], rules: CheckRules
) -> tuple[pd.DataFrame, np.ndarray[Any, np.dtype[np.float64]]]:
    """The proposal's lines as plan cells (the columns :mod:`commissioning.plan.rules` reads,
    ``line`` the index of the line) and their volumes. A line of a service outside the
    catalogue and sentence delivery has no cell."""
    rows: list[dict[str, Any]] = []
    volume: list[float] = []
    for index, ln in enumerate(lines):
        statutory = ln.service_id in rules.statutory
        service = catalogue.get(ln.service_id)
        if service is None and not statutory:
            continue
        if ln.women_only:
            sexes: tuple[str, ...] = ("female",)
        elif service is not None and not statutory and _for_women(service):
            sexes = ("male", "female")
        else:
            sexes = ("male",)
        for sex in sexes:
            rows.append({
                "line": index,
                "service_id": ln.service_id,
                "setting": ln.setting,
                "offence_group": ln.offence_group,
                "risk_tier": ln.risk_tier,
                "harm": ln.harm,
                "region": "unknown",
                "sex": sex,
                "ogrs_medium_high": tier_is_medium_high(ln.risk_tier),
                "evidence_category": NOT_APPLICABLE if statutory or service is None
                else service.category,
                "core": True if statutory or service is None else bool(service.core),
                "statutory": statutory,
                "rehabilitation": not statutory,
                # what a court ordered cannot be shown by a proposal
                "statutory_volume": 0.0,
                "baseline_volume": 0.0,
                "baseline_spend": 0.0,
                "eligible": 0.0,
                "unit_cost": float(ln.unit_price),
                "planned_unit_cost": float(ln.unit_price),
            })
            volume.append(float(ln.volume))
    columns = ["line", *plan_rules_columns()]
    return pd.DataFrame(rows, columns=columns), np.asarray(volume, float)


def plan_rules_columns() -> tuple[str, ...]:
    """The cell columns the plan's rules read, in the plan's order."""
    return ("service_id", "setting", "offence_group", "risk_tier", "harm", "region", "sex",
            "ogrs_medium_high", "evidence_category", "core", "statutory", "rehabilitation",
            "statutory_volume", "baseline_volume", "baseline_spend", "eligible", "unit_cost",
            "planned_unit_cost")


def _heading(intention: Intention) -> str:
    return f"{GROUP_LABELS[intention.group]} intention {intention.number}"


def _segment(line: LineFacts, rules: CheckRules) -> str:
    tier = line.risk_tier.replace("_", " ")
    ogrs = ("at or above" if tier_is_medium_high(line.risk_tier) else "below")
    return (
        f"{line.offence_group} offenders {_SETTING_WORDS.get(line.setting, line.setting)}, "
        f"{tier} risk tier (OGRS3 two-year {ogrs} {rules.threshold}%), {line.harm} risk of harm"
        + (", women only" if line.women_only else "")
    )


def _service_words(service: Intervention) -> str:
    core = "in the core rehabilitation offer" if service.core else (
        "not in the core rehabilitation offer")
    return f"{service.name} ({core}; the evidence catalogue rates it " \
           f"'{CATEGORY_LABELS.get(service.category, service.category)}')"


def _court_note(line: LineFacts, rules: CheckRules) -> str:
    if line.service_id in rules.court_ordered:
        return (
            " Courts order this service as a sentence requirement, and the intentions allow it "
            "where a court ordered it: give the court-ordered volume in the rationale."
        )
    return ""


def _per_cell_findings(
    lines: Sequence[LineFacts],
    cells: pd.DataFrame,
    volume: np.ndarray[Any, np.dtype[np.float64]],
    catalogue: Mapping[str, Intervention],
    rules: CheckRules,
) -> Iterable[tuple[int, Finding]]:
    for intention in rules.per_cell:
        kind = str((intention.rule or {})["kind"])
        for req in plan_rules.requirements_for(intention, cells, rules.settings):
            if not (req.per_cell and req.sense == "<="):
                continue  # the core offer needs the people with the need, not in a proposal
            short = req.shortfall(volume)
            broken = sorted({
                int(cells["line"].iloc[int(req.group_labels[g])])
                for g in np.flatnonzero(short > 0)
            })
            for index in broken:
                ln = lines[index]
                service = catalogue[ln.service_id]
                yield index, Finding(
                    intention=intention.id,
                    rule=kind,
                    detail=(
                        f"{_heading(intention)} — {req.label}: {_service_words(service)} for "
                        f"{_segment(ln, rules)}, {ln.volume:,} a year beyond what courts "
                        f"ordered. {intention.text}." + _court_note(ln, rules)
                    ),
                    line_id=ln.line_id,
                    rationale_given=bool(ln.rationale.strip()),
                )


def _provision_findings(
    cells: pd.DataFrame,
    population: Population,
    intentions: Iterable[Intention],
    rule_name: str,
) -> Iterable[Finding]:
    people = population.cells()
    for intention in intentions:
        rule = intention.rule or {}
        setting = str(rule["setting"])
        who = plan_rules.segment_mask(people, rule)
        if people["people"].to_numpy(float)[who].sum() <= 0:
            continue
        if len(cells) and plan_rules.spend_cells(cells, rule).any():
            continue
        if rule.get("sex"):
            group = "women"
        else:
            group = f"offenders of {' or '.join(rule.get('harm') or ())} risk of serious harm"
        kinds = (
            " with a service rated "
            + " or ".join(f"'{CATEGORY_LABELS[c]}'" for c in rule.get("categories") or ()
                          if c in CATEGORY_LABELS)
            if rule.get("categories") else ""
        )
        yield Finding(
            intention=intention.id,
            rule=rule_name,
            detail=(
                f"{_heading(intention)}: {intention.text}. The uploaded population includes "
                f"{group} {_SETTING_WORDS.get(setting, setting)}, but no line of rehabilitation "
                f"serves them{kinds}."
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
    cells, volume = line_cells(lines, catalogue, rules)
    # line by line, in the order of the intentions (the sort is stable)
    by_line = sorted(_per_cell_findings(lines, cells, volume, catalogue, rules),
                     key=lambda found: found[0])
    findings = [finding for _, finding in by_line]
    if population is not None:
        findings += _provision_findings(cells, population, rules.women, RULE_WOMEN)
        findings += _provision_findings(cells, population, rules.harm, RULE_HARM)
    return findings
