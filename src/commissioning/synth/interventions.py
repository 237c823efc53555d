"""Synthetic ``interventions``: who received which service in 2010-2011, and its true effect.

The catalogue of services (stable snake_case ids, names, the commissioning document's evidence
category, core or non-core) and the allocation rules are the dated parameter
``synth_outcomes.interventions``; the synthetic ground-truth effects on reoffending are
``synth_outcomes.true_effects``. Allocation follows need and risk but, like practice in
2011-12, still gives non-core programmes to low-risk offenders and funds services the document
calls ineffective, so later capabilities have broken intentions to find.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from commissioning.policy.parameters import Policy
from commissioning.schema.contract import NEED_COLUMNS, OFFENCE_GROUPS, REQUIREMENTS, SETTINGS
from commissioning.synth.cases import BoolArray, Cases, FloatArray, IntArray, days_to_dates

#: Evidence categories of the commissioning document ("Reducing reoffending outcomes").
EVIDENCE_CATEGORIES: tuple[str, ...] = ("best_evidence", "promising", "no_effect", "not_evaluated")

INTERVENTIONS_SCHEMA = pa.schema(
    [
        ("offender_id", pa.string()),
        ("intervention_id", pa.string()),
        ("provider_id", pa.string()),
        ("start_date", pa.date32()),
        ("end_date", pa.date32()),
        ("completed", pa.bool_()),
    ]
)

#: Days after an order starts (or a licence release) within which a service starts.
_START_SPREAD_COMMUNITY = 60
#: Extra days before the planned end of custody by which a prison service may start.
_START_SPREAD_CUSTODY = 120


@dataclass(frozen=True)
class Intervention:
    """One service of the synthetic catalogue and who receives it."""

    intervention_id: str
    name: str
    evidence: str
    core: bool
    settings: tuple[str, ...]
    need: str | None
    offence_groups: tuple[str, ...] | None
    requirement: str | None
    uptake: float
    low_risk_factor: float
    completion: float
    duration_days: int


def _intervention(iid: str, raw: Mapping[str, Any]) -> Intervention:
    where = f"synth_outcomes.interventions.{iid}"
    item = Intervention(
        intervention_id=iid,
        name=str(raw["name"]),
        evidence=str(raw["evidence"]),
        core=bool(raw["core"]),
        settings=tuple(raw["settings"]),
        need=raw.get("need"),
        offence_groups=tuple(raw["offence_groups"]) if raw.get("offence_groups") else None,
        requirement=raw.get("requirement"),
        uptake=float(raw["uptake"]),
        low_risk_factor=float(raw["low_risk_factor"]),
        completion=float(raw["completion"]),
        duration_days=int(raw["duration_days"]),
    )
    if item.evidence not in EVIDENCE_CATEGORIES:
        raise ValueError(f"{where}: evidence {item.evidence!r} is not one of {EVIDENCE_CATEGORIES}")
    if not set(item.settings) <= set(SETTINGS):
        raise ValueError(f"{where}: settings {item.settings} must be among {SETTINGS}")
    if item.need is not None and item.need not in NEED_COLUMNS:
        raise ValueError(f"{where}: need {item.need!r} must be one of {NEED_COLUMNS}")
    if item.requirement is not None and item.requirement not in REQUIREMENTS:
        raise ValueError(f"{where}: requirement {item.requirement!r} must be one of {REQUIREMENTS}")
    if item.offence_groups and not set(item.offence_groups) <= set(OFFENCE_GROUPS):
        raise ValueError(f"{where}: offence_groups must be among {OFFENCE_GROUPS}")
    for name, p in (("uptake", item.uptake), ("completion", item.completion)):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{where}: {name} {p} must be a probability between 0 and 1")
    return item


@dataclass(frozen=True)
class InterventionRules:
    """The catalogue and the synthetic true effects, read for one date."""

    catalogue: tuple[Intervention, ...]
    odds_ratio: Mapping[str, float]
    low_risk_fraction: float

    @classmethod
    def from_policy(cls, policy: Policy) -> InterventionRules:
        from commissioning.evidence.catalogue import check_services, load_catalogue

        check_services(load_catalogue(), policy, lists=("synth_outcomes.interventions",))
        raw: Mapping[str, Any] = policy.value("synth_outcomes.interventions")
        effects: Mapping[str, Any] = policy.value("synth_outcomes.true_effects")
        catalogue = tuple(_intervention(str(k), v) for k, v in raw.items())
        ids = {c.intervention_id for c in catalogue}
        odds = {str(k): float(v) for k, v in effects["odds_ratio"].items()}
        unknown = sorted(set(odds) - ids)
        if unknown:
            raise ValueError(
                f"synth_outcomes.true_effects: odds_ratio for unknown interventions {unknown}; "
                "use ids from synth_outcomes.interventions"
            )
        return cls(catalogue, odds, float(effects["low_risk_fraction"]))

    def ids(self) -> tuple[str, ...]:
        return tuple(c.intervention_id for c in self.catalogue)


@dataclass(frozen=True)
class Allocation:
    """The ``interventions`` rows of a chunk and each person's true effect (log-odds)."""

    table: pa.Table
    log_odds_shift: FloatArray


def _targeted(cases: Cases, item: Intervention) -> BoolArray:
    custody = cases.setting_custody
    mask = np.zeros(cases.n, dtype=bool)
    if "custody" in item.settings:
        mask |= custody
    if "community" in item.settings:
        mask |= ~custody
    if item.need is not None:
        mask &= cases.needs[item.need]
    if item.offence_groups:
        groups = [OFFENCE_GROUPS.index(g) for g in item.offence_groups]
        mask &= np.isin(cases.offence_group, groups)
    return mask


def _required(cases: Cases, item: Intervention) -> BoolArray:
    if item.requirement is None:
        return np.zeros(cases.n, dtype=bool)
    return np.asarray(cases.requirements[:, REQUIREMENTS.index(item.requirement)], dtype=bool)


def allocate_interventions(
    cases: Cases,
    reference: IntArray,
    released: BoolArray,
    rules: InterventionRules,
    rng: np.random.Generator,
) -> Allocation:
    """Allocate services to a chunk of people and return their rows and true effects.

    ``reference`` is each person's index date (days) or, outside the cohort, the assessment
    date; ``released`` marks cohort members whose index is a release. Prison services run
    before release, community services start within two months of the reference date.
    """
    n = cases.n
    shift = np.zeros(n, dtype=np.float64)
    effect_scale = np.where(cases.low_risk, rules.low_risk_fraction, 1.0)
    before_release = released & cases.setting_custody
    people: list[IntArray] = []
    codes: list[IntArray] = []
    starts: list[IntArray] = []
    ends: list[IntArray] = []
    done: list[BoolArray] = []
    for code, item in enumerate(rules.catalogue):
        p = item.uptake * np.where(cases.low_risk, item.low_risk_factor, 1.0)
        take = (_targeted(cases, item) & (rng.random(n) < p)) | _required(cases, item)
        who = np.flatnonzero(take)
        if who.size == 0:
            continue
        spread = rng.random(who.size)
        custody_start = np.maximum(
            cases.conviction_date[who],
            reference[who] - item.duration_days - np.floor(spread * _START_SPREAD_CUSTODY),
        )
        community_start = reference[who] + np.floor(spread * _START_SPREAD_COMMUNITY)
        start = np.where(before_release[who], custody_start, community_start).astype(np.int64)
        completed = rng.random(who.size) < item.completion
        length = np.where(
            completed, item.duration_days, np.floor(rng.random(who.size) * item.duration_days)
        ).astype(np.int64)
        odds_ratio = rules.odds_ratio.get(item.intervention_id, 1.0)
        if odds_ratio != 1.0:
            effective = who[completed]
            shift[effective] += np.log(odds_ratio) * effect_scale[effective]
        people.append(who)
        codes.append(np.full(who.size, code, dtype=np.int64))
        starts.append(start)
        ends.append(start + length)
        done.append(completed)
    if not people:
        return Allocation(INTERVENTIONS_SCHEMA.empty_table(), shift)
    person = np.concatenate(people)
    start_all = np.concatenate(starts)
    order = np.lexsort((start_all, person))
    rows = pa.array(person[order], type=pa.int64())
    dictionary = pa.array(list(rules.ids()), type=pa.string())
    intervention_id = pa.DictionaryArray.from_arrays(
        pa.array(np.concatenate(codes)[order].astype(np.int32)), dictionary
    ).cast(pa.string())
    table = pa.table(
        {
            "offender_id": cases.table.column("offender_id").take(rows),
            "intervention_id": intervention_id,
            "provider_id": cases.table.column("provider_id").take(rows),
            "start_date": days_to_dates(start_all[order]),
            "end_date": days_to_dates(np.concatenate(ends)[order]),
            "completed": pa.array(np.concatenate(done)[order]),
        },
        schema=INTERVENTIONS_SCHEMA,
    )
    return Allocation(table, shift)
