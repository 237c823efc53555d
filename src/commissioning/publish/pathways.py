"""Co-commissioning partners and suggested pathways (``plan/pathways.yaml``).

* :func:`co_commissioning` — per co-commissioning intention, the partners' aligned resources
  (partner names from the workspace's ``partners`` table when it has one) and shared outcomes;
* :func:`suggest_pathways` — per segment (setting, offence group, risk tier), the services the
  plan funds for it in the order of the stages (stabilise, motivate, reduce risk, reintegrate)
  with the stated prerequisites, kept while their cumulative duration fits the segment's median
  sentence length. Services with no stated duration are listed but not counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from commissioning.publish.vocabulary import service

PATHWAYS_FILE = Path(__file__).resolve().parent.parent / "plan" / "pathways.yaml"


class PathwayError(ValueError):
    """A pathways file that breaks the format: names the file, the entry and the rule."""


@dataclass(frozen=True)
class AlignedResource:
    partner_id: str
    partner: str
    resource: str
    amount: float | None
    of_total: float | None
    volume: str | None


@dataclass(frozen=True)
class CoCommissioning:
    number: int
    partners: tuple[AlignedResource, ...]
    shared_outcomes: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Pathways:
    co_commissioning: dict[int, CoCommissioning]
    stages: tuple[tuple[str, str, tuple[str, ...]], ...]
    prerequisites: dict[str, tuple[str, ...]]

    def stage_of(self, service_id: str) -> int | None:
        for i, (_, _, services) in enumerate(self.stages):
            if service_id in services:
                return i
        return None


def load_pathways(path: Path = PATHWAYS_FILE,
                  partner_names: Mapping[str, str] | None = None) -> Pathways:
    """Read and check the pathways file (partner ids must be in ``partner_names`` if given)."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PathwayError(f"{path}: cannot read the pathways file ({exc})") from None
    names = dict(partner_names or {})
    co: dict[int, CoCommissioning] = {}
    for number, entry in (doc.get("co_commissioning") or {}).items():
        where = f"{path}: co_commissioning {number}"
        if not isinstance(entry, Mapping) or not entry.get("partners"):
            raise PathwayError(f"{where}: needs a list of partners")
        partners = []
        for i, p in enumerate(entry["partners"]):
            pid = str(p.get("partner", ""))
            if names and pid not in names:
                raise PathwayError(f"{where}, partner {i + 1}: {pid!r} is not in the partners "
                                   f"table (known: {', '.join(sorted(names))})")
            amount = p.get("amount")
            if amount is not None and not isinstance(amount, int | float):
                raise PathwayError(f"{where}, partner {i + 1}: amount must be a number or null")
            partners.append(AlignedResource(
                pid, names.get(pid, pid.replace("_", " ")), str(p.get("resource", "")),
                None if amount is None else float(amount),
                None if p.get("of_total") is None else float(p["of_total"]),
                None if p.get("volume") is None else str(p["volume"])))
        if not entry.get("source"):
            raise PathwayError(f"{where}: every entry needs its source")
        co[int(number)] = CoCommissioning(int(number), tuple(partners),
                                          tuple(str(o) for o in entry.get("shared_outcomes", [])),
                                          str(entry["source"]))
    stages = tuple((str(s["id"]), str(s["label"]), tuple(str(x) for x in s["services"]))
                   for s in doc.get("stages", []))
    prereq = {str(k): tuple(str(x) for x in v) for k, v in (doc.get("prerequisites") or {})
              .items()}
    return Pathways(co, stages, prereq)


def order_services(pathways: Pathways, services: list[str]) -> list[str]:
    """Services by stage (unstaged last), each after the prerequisites it has in the list."""
    ranked = sorted(services, key=lambda s: (pathways.stage_of(s) is None,
                                             pathways.stage_of(s) or 0, s))
    out: list[str] = []

    def place(s: str, seen: frozenset[str]) -> None:
        if s in out or s in seen:
            return
        for pre in pathways.prerequisites.get(s, ()):
            if pre in services:
                place(pre, seen | {s})
        out.append(s)

    for s in ranked:
        place(s, frozenset())
    return out


def suggest_pathways(pathways: Pathways, portfolio: pd.DataFrame, sentence_days: pd.DataFrame,
                     durations: Mapping[str, int | None]) -> pd.DataFrame:
    """One row per segment: the suggested stages, what does not fit and the bound used.

    Only services the plan funds for the segment and that belong to a stage are sequenced
    (sentence delivery and services outside the stages, such as curfews, are not pathway
    steps). Services of one stage run side by side, so a stage lasts as long as its longest
    service (catalogue ``duration_days``; a service with none stated does not lengthen its
    stage); stages run one after another and a stage that would end after the segment's median
    sentence is left out, with its services listed as not fitting.

    ``portfolio``: the plan's cells; ``sentence_days``: median sentence length (days) per
    setting, offence group and risk tier (column ``median_days``); ``durations``: catalogue
    ``duration_days`` per service (None when not stated).
    """
    keys = ["setting", "offence_group", "risk_tier"]
    funded = portfolio[(portfolio["planned_volume"] > 0.5)
                       & (portfolio["evidence_category"] != "not_applicable")
                       & (portfolio["evidence_category"] != "no_effect")]
    per = funded.groupby(keys, observed=True)["service_id"].unique()
    bounds = (sentence_days.set_index(keys)["median_days"] if len(sentence_days)
              else pd.Series(dtype=float))
    rows: list[dict[str, Any]] = []
    for key, services in per.items():
        bound = bounds.get(key)
        staged = [str(s) for s in services if pathways.stage_of(str(s)) is not None]
        order = order_services(pathways, staged)
        used, stages, left = 0, [], []
        for i, (_, stage_label, _) in enumerate(pathways.stages):
            members = [s for s in order if pathways.stage_of(s) == i]
            if not members:
                continue
            days = max((durations.get(s) or 0) for s in members)
            if bound is not None and not pd.isna(bound) and used + days > float(bound):
                left += members
                continue
            used += days
            stages.append(f"{stage_label}: " + ", ".join(service(s) for s in members))
        parts: tuple[Any, ...] = tuple(key) if isinstance(key, tuple) else (key,)
        rows.append({
            "setting": parts[0], "offence_group": parts[1], "risk_tier": parts[2],
            "median_sentence_days": None if bound is None or pd.isna(bound) else float(bound),
            "stages": stages,
            "sequence": " → ".join(stages),
            "days_counted": used,
            "does_not_fit": "; ".join(service(s) for s in left),
        })
    return pd.DataFrame(rows)
