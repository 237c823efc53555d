"""Dated policy parameters, one YAML file each (OpenFisca style).

A parameter file holds a ``description``, ``metadata`` (``unit``, ``reference`` and, for
assumptions the document does not settle, ``reasoning``) and ``values`` keyed by the date from
which each value is in force. The parameter's name is its path under ``parameters/`` with dots,
e.g. ``risk/medium_high_threshold.yaml`` is ``risk.medium_high_threshold``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

PARAMETERS_DIR = Path(__file__).parent / "parameters"

#: The start of the commissioning year the document plans (2012-13).
DEFAULT_DATE = dt.date(2012, 4, 1)

#: libyaml's safe loader when PyYAML was built with it (same results, several times faster).
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ParameterError(ValueError):
    """A parameter file or override that breaks the parameter format."""


@dataclass(frozen=True)
class Parameter:
    """One dated policy parameter."""

    name: str
    description: str
    unit: str
    reference: tuple[str, ...]
    values: tuple[tuple[dt.date, Any], ...]
    reasoning: str | None = None
    source_file: str | None = None
    overridden: bool = False

    def at(self, when: dt.date = DEFAULT_DATE) -> Any:
        """The value in force on ``when`` (the latest value dated on or before it)."""
        in_force = [v for d, v in self.values if d <= when]
        if not in_force:
            first = self.values[0][0].isoformat()
            raise ParameterError(
                f"parameter {self.name!r} has no value in force on {when.isoformat()} "
                f"(its first value starts {first})"
            )
        return in_force[-1]

    def since(self, when: dt.date = DEFAULT_DATE) -> dt.date:
        """The date from which the value in force on ``when`` applies."""
        dates = [d for d, _ in self.values if d <= when]
        if not dates:
            raise ParameterError(f"parameter {self.name!r} has no value in force on {when}")
        return dates[-1]


@dataclass(frozen=True)
class InForce:
    """A parameter's value in force on a date, for listings and provenance."""

    name: str
    value: Any
    since: dt.date
    unit: str
    reference: str
    description: str
    overridden: bool


def _parse_date(raw: Any, where: str) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise ParameterError(f"{where}: {raw!r} is not an ISO date (YYYY-MM-DD)") from None


def _parse_values(raw: Any, where: str) -> tuple[tuple[dt.date, Any], ...]:
    if not isinstance(raw, Mapping) or not raw:
        raise ParameterError(f"{where}: 'values' must be a non-empty mapping of date -> value")
    parsed = sorted((_parse_date(k, where), v) for k, v in raw.items())
    return tuple(parsed)


def parse_parameter(name: str, doc: Any, source_file: str | None = None) -> Parameter:
    """Build a parameter from a parsed YAML document, checking every required field."""
    where = source_file or name
    if not isinstance(doc, Mapping):
        raise ParameterError(f"{where}: a parameter file must be a mapping")
    description = doc.get("description")
    metadata = doc.get("metadata") or {}
    if not isinstance(description, str) or not description.strip():
        raise ParameterError(f"{where}: 'description' is required")
    if not isinstance(metadata, Mapping):
        raise ParameterError(f"{where}: 'metadata' must be a mapping")
    unit = metadata.get("unit")
    reference = metadata.get("reference")
    if not isinstance(unit, str) or not unit.strip():
        raise ParameterError(f"{where}: 'metadata.unit' is required")
    if isinstance(reference, str):
        references: tuple[str, ...] = (reference,)
    elif isinstance(reference, list) and all(isinstance(r, str) for r in reference) and reference:
        references = tuple(reference)
    else:
        raise ParameterError(f"{where}: 'metadata.reference' is required (a string or a list)")
    reasoning = metadata.get("reasoning")
    return Parameter(
        name=name,
        description=" ".join(description.split()),
        unit=unit,
        reference=references,
        values=_parse_values(doc.get("values"), where),
        reasoning=" ".join(str(reasoning).split()) if reasoning else None,
        source_file=source_file,
    )


def _load_dir(root: Path) -> dict[str, Parameter]:
    params: dict[str, Parameter] = {}
    for path in sorted(root.rglob("*.yaml")):
        rel = path.relative_to(root).with_suffix("")
        name = ".".join(rel.parts)
        with path.open(encoding="utf-8") as fh:
            doc = yaml.load(fh, Loader=SAFE_LOADER)
        params[name] = parse_parameter(name, doc, str(path.relative_to(root.parent)))
    return params


@dataclass(frozen=True)
class ParameterSet:
    """The parameters in use for a run, after any overrides."""

    parameters: Mapping[str, Parameter] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self.parameters[k] for k in sorted(self.parameters))

    def __contains__(self, name: object) -> bool:
        return name in self.parameters

    def get(self, name: str) -> Parameter:
        try:
            return self.parameters[name]
        except KeyError:
            raise ParameterError(f"no parameter named {name!r}") from None

    def value(self, name: str, when: dt.date = DEFAULT_DATE) -> Any:
        """The value of parameter ``name`` in force on ``when``."""
        return self.get(name).at(when)

    def in_force(self, when: dt.date = DEFAULT_DATE) -> list[InForce]:
        """Every parameter with a value in force on ``when``, sorted by name."""
        out: list[InForce] = []
        for p in self:
            if p.values[0][0] > when:
                continue
            out.append(
                InForce(
                    name=p.name,
                    value=p.at(when),
                    since=p.since(when),
                    unit=p.unit,
                    reference="; ".join(p.reference),
                    description=p.description,
                    overridden=p.overridden,
                )
            )
        return out

    def with_overrides(self, overrides: Mapping[str, Mapping[Any, Any]]) -> ParameterSet:
        """A copy with dated values replaced or added: ``{"name": {"2012-04-01": value}}``."""
        params = dict(self.parameters)
        for name, dated in overrides.items():
            base = self.get(name)
            merged = dict(base.values)
            for d, v in _parse_values(dated, f"override of {name}"):
                merged[d] = v
            params[name] = replace(base, values=tuple(sorted(merged.items())), overridden=True)
        return ParameterSet(params)


def load_overrides(path: Path) -> dict[str, dict[Any, Any]]:
    """Read a scenario or workspace override file: ``{name: {date: value}}``."""
    with path.open(encoding="utf-8") as fh:
        doc = yaml.load(fh, Loader=SAFE_LOADER) or {}
    if not isinstance(doc, Mapping) or not all(isinstance(v, Mapping) for v in doc.values()):
        raise ParameterError(f"{path}: overrides must map parameter names to {{date: value}}")
    return {str(k): dict(v) for k, v in doc.items()}


def load_parameters(
    override_files: Sequence[Path] = (), parameters_dir: Path = PARAMETERS_DIR
) -> ParameterSet:
    """Load the built-in parameters, then apply override files in order."""
    params = ParameterSet(_load_dir(parameters_dir))
    for path in override_files:
        params = params.with_overrides(load_overrides(path))
    return params
