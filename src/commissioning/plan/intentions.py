"""The 38 commissioning intentions as data (``intentions.yaml``), validated on load.

Each intention has its id (``co_commissioning 1`` ... ``custody 13``), the document's wording,
its kind, the services and segments it touches and, where a machine can check it against a
portfolio, a rule (see :mod:`commissioning.plan.rules`). Source: Commissioning Intentions
2012-13, "Commissioning Intentions 2012-13", "Summary".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

INTENTIONS_FILE = Path(__file__).parent / "intentions.yaml"

#: The three groups of the document's summary, in its order, with how many intentions each has.
GROUPS: dict[str, int] = {"co_commissioning": 10, "community": 15, "custody": 13}
GROUP_LABELS: dict[str, str] = {
    "co_commissioning": "Co-commissioned services",
    "community": "Community services",
    "custody": "Custodial services",
}
KINDS: tuple[str, ...] = (
    "capacity", "minimum_standard", "invest", "disinvest", "maintain", "develop", "partnership",
)


class IntentionError(ValueError):
    """An intentions file that breaks the format: which entry, which field, how to fix it."""


@dataclass(frozen=True)
class Intention:
    """One commissioning intention."""

    group: str
    number: int
    kind: str
    text: str
    services: tuple[str, ...] = ()
    segments: str | None = None
    rule: Mapping[str, Any] | None = None
    not_checked: str | None = None

    @property
    def id(self) -> str:
        """``community 3``, ``custody 5``, ``co_commissioning 9``: group and number."""
        return f"{self.group} {self.number}"

    @property
    def checkable(self) -> bool:
        return self.rule is not None


@dataclass(frozen=True)
class Intentions:
    """All intentions in the document's order."""

    items: tuple[Intention, ...]
    source: Path = field(default=INTENTIONS_FILE)

    def __iter__(self) -> Iterator[Intention]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def get(self, intention_id: str) -> Intention:
        for item in self.items:
            if item.id == intention_id:
                return item
        raise KeyError(f"no intention {intention_id!r}; ids look like 'community 3', 'custody 5'")

    def checkable(self) -> list[Intention]:
        return [i for i in self.items if i.checkable]


def _parse(group: str, raw: Any, where: str) -> Intention:
    if not isinstance(raw, Mapping):
        raise IntentionError(f"{where}: each intention must be a mapping")
    number = raw.get("number")
    kind = raw.get("kind")
    text = raw.get("text")
    if not isinstance(number, int):
        raise IntentionError(f"{where}: 'number' must be a whole number")
    if kind not in KINDS:
        raise IntentionError(f"{where}: 'kind' {kind!r} must be one of {', '.join(KINDS)}")
    if not isinstance(text, str) or not text.strip():
        raise IntentionError(f"{where}: 'text' is required (the document's wording)")
    rule = raw.get("rule")
    if rule is not None and not (isinstance(rule, Mapping) and "kind" in rule):
        raise IntentionError(f"{where}: 'rule' must be null or a mapping with a 'kind'")
    if rule is None and not raw.get("not_checked"):
        raise IntentionError(f"{where}: an intention without a rule must say why (not_checked)")
    return Intention(
        group=group,
        number=number,
        kind=str(kind),
        text=" ".join(text.split()),
        services=tuple(raw.get("services") or ()),
        segments=raw.get("segments"),
        rule=dict(rule) if rule is not None else None,
        not_checked=raw.get("not_checked"),
    )


def load_intentions(path: Path = INTENTIONS_FILE) -> Intentions:
    """Read and check the intentions file: 10 co-commissioned, 15 community, 13 custodial."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(doc, Mapping):
        raise IntentionError(f"{path}: expected the groups {', '.join(GROUPS)}")
    items: list[Intention] = []
    for group, expected in GROUPS.items():
        entries = doc.get(group)
        if not isinstance(entries, list):
            raise IntentionError(f"{path}: group {group!r} is missing")
        parsed = [_parse(group, e, f"{path}, {group} entry {n + 1}") for n, e in enumerate(entries)]
        numbers = [i.number for i in parsed]
        if numbers != list(range(1, expected + 1)):
            raise IntentionError(
                f"{path}: group {group!r} must number its intentions 1..{expected} in order "
                f"(found {numbers})"
            )
        items += parsed
    return Intentions(tuple(items), path)
