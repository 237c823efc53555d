"""Dated policy parameters, one YAML file each (OpenFisca style).

A parameter file holds a ``description``, ``metadata`` (``unit``, ``reference`` and, for
assumptions the document does not settle, ``reasoning``) and ``values`` keyed by the date from
which each value is in force. The parameter's name is its path under ``parameters/`` with dots,
e.g. ``risk/medium_high_threshold.yaml`` is ``risk.medium_high_threshold``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import types
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

import yaml

PARAMETERS_DIR = Path(__file__).parent / "parameters"

#: libyaml's safe loader when PyYAML was built with it (same results, several times faster).
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ParameterError(ValueError):
    """A parameter file or override that breaks the parameter format."""


#: Units whose scalar values are shares of one (0 to 1), and units that count things (>= 0).
_UNIT_RANGES: tuple[tuple[tuple[str, ...], float | None, float | None], ...] = (
    (("probability", "share", "fraction", "proportion"), 0.0, 1.0),
    (("percent",), 0.0, 100.0),
    (("people", "count", "places", "prisoners", "assessments", "receptions", "gbp"), 0.0, None),
)
#: Units counting whole people or things: a value must be a whole number.
_WHOLE_UNITS = ("people", "count", "places", "prisoners", "assessments")



class ParameterWarning(UserWarning):
    """An override that is allowed but worth a second look (e.g. a weaker disclosure rule)."""


def _closest(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    if not close:
        prefix = name.split(".")[0]
        close = [k for k in known if k.split(".")[0] == prefix][:3]
    return f"; did you mean {', '.join(close)}?" if close else ""


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dt.date):
        return "a date"
    return type(value).__name__


def _unit_range(param: Parameter) -> tuple[float | None, float | None]:
    if param.minimum is not None or param.maximum is not None:
        return param.minimum, param.maximum
    unit = param.unit.strip().lower()
    if ";" in unit:
        return None, None  # a compound parameter: its parts have different units
    for words, low, high in _UNIT_RANGES:
        if unit.split(" ")[0] in words:
            return low, high
    return None, None


def _check_like(value: Any, base: Any, where: str, unit: str, top: bool = True) -> None:
    """``value`` must be the same kind of value as the built-in ``base`` (recursively); at the
    top level, a key the built-in record does not have is refused with the closest names
    (deeper, entries may be added or reshaped: e.g. a service's unit cost)."""
    if base is None or value is None:
        return
    if _kind(value) != _kind(base):
        hint = ""
        if isinstance(value, str) and _kind(base) == "a number":
            hint = f" (write the number alone; the unit is {unit})"
            if value.strip().endswith("%"):
                hint = (f" ({value!r} is a percentage; the unit is {unit}: write e.g. "
                        f"{_percent_hint(value, unit)})")
        raise ParameterError(f"{where}: expects {_kind(base)}, got {value!r}{hint}")
    if isinstance(base, Mapping) and isinstance(value, Mapping):
        is_record = bool(base) and not all(isinstance(v, Mapping) for v in base.values())
        for key, item in value.items():
            if key in base:
                _check_like(item, base[key], f"{where}.{key}", unit, top=False)
            elif is_record and top:
                raise ParameterError(
                    f"{where}: unknown key {key!r}{_closest(str(key), [str(k) for k in base])}"
                )


def _percent_hint(text: str, unit: str) -> str:
    try:
        number = float(text.strip().rstrip("%"))
    except ValueError:
        return "a number"
    return f"{number / 100:g}" if unit.split(" ")[0] in ("probability", "share", "fraction",
                                                        "proportion") else f"{number:g}"


def check_override(param: Parameter, when: dt.date, value: Any, source: str) -> None:
    """Refuse an override value of the wrong kind, unit or range, naming file and key."""
    where = f"{source}: {param.name} on {when.isoformat()}"
    base = param.values[-1][1]
    _check_like(value, base, where, param.unit)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return
    low, high = _unit_range(param)
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = (f"from {low:g} to {high:g}" if low is not None and high is not None
                  else f"at least {low:g}" if low is not None else f"at most {high:g}")
        raise ParameterError(f"{where}: {value!r} is out of range; the unit is {param.unit}, "
                             f"so the value must be {bounds}")
    unit = param.unit.strip().lower().split(" ")[0]
    if unit in _WHOLE_UNITS and float(value) != int(value):
        raise ParameterError(f"{where}: {value!r} must be a whole number of {param.unit}")
    if param.convention_minimum is not None and value < param.convention_minimum:
        warnings.warn(
            f"{where}: {value!r} is below the convention of {param.convention_minimum:g} "
            f"{param.unit} ({'; '.join(param.reference)}); published output will be less "
            "protected",
            ParameterWarning,
            stacklevel=3,
        )


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
    #: Bounds an override must respect (``metadata.minimum`` / ``maximum``); without them,
    #: a scalar's unit implies them (a probability or share 0-1, a count of people >= 0).
    minimum: float | None = None
    maximum: float | None = None
    #: A value under this is allowed but warned about (``metadata.convention_minimum``).
    convention_minimum: float | None = None

    def at(self, when: dt.date) -> Any:
        """The value in force on ``when`` (the latest value dated on or before it)."""
        in_force = [v for d, v in self.values if d <= when]
        if not in_force:
            first = self.values[0][0].isoformat()
            raise ParameterError(
                f"parameter {self.name!r} has no value in force on {when.isoformat()} "
                f"(its first value starts {first})"
            )
        return in_force[-1]

    def since(self, when: dt.date) -> dt.date:
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
    bounds: dict[str, float | None] = {}
    for key in ("minimum", "maximum", "convention_minimum"):
        bound = metadata.get(key)
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int | float)):
            raise ParameterError(f"{where}: 'metadata.{key}' must be a number")
        bounds[key] = None if bound is None else float(bound)
    return Parameter(
        name=name,
        description=" ".join(description.split()),
        unit=unit,
        reference=references,
        values=_parse_values(doc.get("values"), where),
        reasoning=" ".join(str(reasoning).split()) if reasoning else None,
        source_file=source_file,
        minimum=bounds["minimum"],
        maximum=bounds["maximum"],
        convention_minimum=bounds["convention_minimum"],
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

    def value(self, name: str, when: dt.date) -> Any:
        """The value of parameter ``name`` in force on ``when``."""
        return self.get(name).at(when)

    def at(self, when: dt.date) -> Policy:
        """These parameters bound to one date (OpenFisca's ``parameters(period)``): the
        :class:`Policy` a round, a command or a web page reads."""
        if not isinstance(when, dt.date):
            raise TypeError(f"ParameterSet.at needs a date, got {when!r}")
        return Policy(self, when)

    def names(self) -> list[str]:
        return sorted(self.parameters)

    def in_force(self, when: dt.date) -> list[InForce]:
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

    def with_overrides(
        self, overrides: Mapping[str, Mapping[Any, Any]], source: str = "override"
    ) -> ParameterSet:
        """A copy with dated values replaced or added: ``{"name": {"2012-04-01": value}}``.

        Each override is checked (:func:`check_override`): an unknown name (the closest names
        are suggested), a value of the wrong kind or unit, or out of range raises
        ParameterError naming ``source`` (the file) and the key.
        """
        params = dict(self.parameters)
        for name, dated in overrides.items():
            if name not in self.parameters:
                raise ParameterError(
                    f"{source}: no parameter named {name!r}{_closest(name, list(self.parameters))}"
                    " (`commission params` lists them)"
                )
            base = self.get(name)
            if not isinstance(dated, Mapping):
                raise ParameterError(
                    f"{source}: {name}: an override maps dates to values, e.g. "
                    f"{{{name}: {{2012-04-01: ...}}}}; got {dated!r}"
                )
            merged = dict(base.values)
            for d, v in _parse_values(dated, f"{source}: {name}"):
                check_override(base, d, v, source)
                merged[d] = v
            params[name] = replace(base, values=tuple(sorted(merged.items())), overridden=True)
        return ParameterSet(params)


T = TypeVar("T")


@dataclass(frozen=True)
class Policy:
    """The parameters in force on one date, bound once (``ParameterSet.at(when)``).

    A round, a command and a web page each bind the workspace's parameters to the round's
    date once and pass this object down; nothing below the CLI chooses a date of its own.
    Typed accessors fail with a :class:`ParameterError` naming the parameter when its value
    is not of the kind asked for; :meth:`load` builds a dataclass from a mapping parameter and
    refuses unknown or missing keys.
    """

    parameters: ParameterSet
    when: dt.date

    def __contains__(self, name: object) -> bool:
        return name in self.parameters

    def get(self, name: str) -> Parameter:
        return self.parameters.get(name)

    def value(self, name: str) -> Any:
        """The value of ``name`` in force on the bound date."""
        return self.parameters.value(name, self.when)

    def since(self, name: str) -> dt.date:
        """The date from which the value in force applies."""
        return self.get(name).since(self.when)

    def in_force(self) -> list[InForce]:
        return self.parameters.in_force(self.when)

    def on(self, when: dt.date) -> Policy:
        """The same parameters bound to another date (a projection's origin, a history)."""
        return Policy(self.parameters, when)

    def number(self, name: str) -> float:
        value = self.value(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParameterError(f"{name} on {self.when.isoformat()}: expects a number, got "
                                 f"{value!r}")
        return float(value)

    def integer(self, name: str) -> int:
        number = self.number(name)
        if number != int(number):
            raise ParameterError(f"{name} on {self.when.isoformat()}: expects a whole number, "
                                 f"got {number!r}")
        return int(number)

    def text(self, name: str) -> str:
        value = self.value(name)
        if not isinstance(value, str):
            raise ParameterError(f"{name} on {self.when.isoformat()}: expects text, got {value!r}")
        return value

    def mapping(self, name: str) -> Mapping[str, Any]:
        value = self.value(name)
        if not isinstance(value, Mapping):
            raise ParameterError(f"{name} on {self.when.isoformat()}: expects a mapping, got "
                                 f"{value!r}")
        return value

    def load(self, cls: type[T], name: str, *, keys: Sequence[str] | None = None) -> T:
        """The dataclass ``cls`` built from the mapping parameter ``name``.

        Every field of ``cls`` is a key of the mapping (a field with a default may be
        absent); a key the dataclass does not have is refused, as is a missing one, naming the
        parameter, the key and the closest names. ``keys`` restricts the mapping's keys read
        (the rest belong to other readers of the same parameter). Values are converted to
        the field's type (``int``, ``float``, ``bool``, ``str``, dates, tuples, mappings and
        nested dataclasses); ``__post_init__`` checks run as usual.
        """
        return load_dataclass(cls, self.mapping(name), f"{name} on {self.when.isoformat()}",
                              keys=keys)


def _convert(value: Any, hint: Any, where: str) -> Any:
    origin = get_origin(hint)
    args = get_args(hint)
    if hint is Any:
        return value
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        errors = []
        for option in options:
            try:
                return _convert(value, option, where)
            except ParameterError as exc:
                errors.append(str(exc))
        raise ParameterError(errors[0] if errors else f"{where}: no value allowed")
    if is_dataclass(hint) and isinstance(hint, type):
        if not isinstance(value, Mapping):
            raise ParameterError(f"{where}: expects a mapping, got {value!r}")
        return load_dataclass(hint, value, where)
    if hint is bool:
        if not isinstance(value, bool):
            raise ParameterError(f"{where}: expects true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise ParameterError(f"{where}: expects a whole number, got {value!r}")
        return int(value)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParameterError(f"{where}: expects a number, got {value!r}")
        return float(value)
    if hint is str:
        if isinstance(value, Mapping | list) or value is None:
            raise ParameterError(f"{where}: expects text, got {value!r}")
        return str(value)
    if hint is dt.date:
        return _parse_date(value, where)
    if origin in (tuple, list) or hint in (tuple, list):
        if not isinstance(value, list | tuple):
            raise ParameterError(f"{where}: expects a list, got {value!r}")
        item = args[0] if args else Any
        converted = [_convert(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(converted) if (origin or hint) is tuple else converted
    if origin in (dict, Mapping) or hint in (dict, Mapping) or str(origin).endswith("Mapping'>"):
        if not isinstance(value, Mapping):
            raise ParameterError(f"{where}: expects a mapping, got {value!r}")
        key_hint, item_hint = args if len(args) == 2 else (Any, Any)
        return {_convert(k, key_hint, f"{where} key {k!r}"): _convert(v, item_hint, f"{where}.{k}")
                for k, v in value.items()}
    if isinstance(hint, type) and not isinstance(value, hint):
        raise ParameterError(f"{where}: expects {hint.__name__}, got {value!r}")
    return value


def load_dataclass(cls: type[T], raw: Mapping[str, Any], where: str,
                   *, keys: Sequence[str] | None = None) -> T:
    """Build dataclass ``cls`` from ``raw``, refusing unknown and missing keys (see
    :meth:`Policy.load`)."""
    if not (is_dataclass(cls) and isinstance(cls, type)):
        raise TypeError(f"{cls!r} is not a dataclass")
    hints = get_type_hints(cls)
    own = {f.name: f for f in fields(cls) if f.init}
    wanted = set(keys) if keys is not None else None
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = str(key)
        if wanted is not None and name not in wanted:
            continue
        if name not in own:
            raise ParameterError(f"{where}: unknown key {name!r}{_closest(name, list(own))}")
        values[name] = _convert(value, hints[name], f"{where}.{name}")
    missing = [n for n, f in own.items() if n not in values
               and f.default is MISSING and f.default_factory is MISSING]
    if missing:
        raise ParameterError(f"{where}: missing key{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(repr(m) for m in missing)}")
    return cls(**values)


def load_overrides(path: Path) -> dict[str, dict[Any, Any]]:
    """Read a scenario or workspace override file: ``{name: {date: value}}``."""
    try:
        with path.open(encoding="utf-8") as fh:
            doc = yaml.load(fh, Loader=SAFE_LOADER) or {}
    except OSError as exc:
        raise ParameterError(f"{path}: the override file cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ParameterError(f"{path}: not valid YAML{at}: {problem}") from None
    if not isinstance(doc, Mapping):
        raise ParameterError(f"{path}: overrides must map parameter names to {{date: value}}")
    for name, dated in doc.items():
        if not isinstance(dated, Mapping):
            raise ParameterError(
                f"{path}: {name}: an override maps dates to values, e.g. "
                f"{name}: {{2012-04-01: ...}}; got {dated!r}"
            )
    return {str(k): dict(v) for k, v in doc.items()}


def load_parameters(
    override_files: Sequence[Path] = (), parameters_dir: Path = PARAMETERS_DIR
) -> ParameterSet:
    """Load the built-in parameters, then apply override files in order."""
    params = ParameterSet(_load_dir(parameters_dir))
    for path in override_files:
        params = params.with_overrides(load_overrides(path), source=str(path))
    return params


@functools.lru_cache(maxsize=16)
def _load_cached(key: tuple[tuple[str, int, int], ...]) -> ParameterSet:
    return load_parameters([Path(name) for name, _, _ in key])


def load_parameters_cached(override_files: Sequence[Path] = ()) -> ParameterSet:
    """:func:`load_parameters`, cached until an override file changes (for long-running
    processes such as the web server)."""
    key = []
    for path in override_files:
        try:
            stat = Path(path).stat()
        except OSError:
            key.append((str(path), -1, -1))  # load_parameters names the unreadable file
            continue
        key.append((str(path), stat.st_mtime_ns, stat.st_size))
    return _load_cached(tuple(key))
