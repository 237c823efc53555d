"""Payment-by-results schemes as configuration: one YAML file per scheme.

A scheme names its ``mechanism`` (a hook in :data:`commissioning.review.pbr.mechanisms.MECHANISMS`)
and that mechanism's settings. The built-in schemes (``schemes/*.yaml`` in this package) are the
published mechanisms of REFERENCES.md, "Payment by results": Peterborough, Doncaster, the 2015
Community Rehabilitation Companies and an outcome rate card. A user's own scheme is a YAML file
passed by path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SCHEMES_DIR = Path(__file__).parent / "schemes"

#: Settings each mechanism requires (the rest are optional).
REQUIRED: Mapping[str, tuple[str, ...]] = {
    "frequency_vs_comparison": ("cohort_threshold", "all_cohort_threshold"),
    "binary_vs_baseline": ("threshold_pp", "amount_at_risk_fraction", "bonus_cap_pp"),
    "adjusted_binary_and_frequency": ("significance_level",),
    "rate_card": ("outcomes",),
}


class SchemeError(ValueError):
    """A scheme file that cannot be used: which file, which setting, how to fix it."""


@dataclass(frozen=True)
class Scheme:
    """One payment scheme: its id, name, mechanism, settings and where it came from."""

    id: str
    name: str
    mechanism: str
    settings: Mapping[str, Any]
    reference: str
    source: str

    def setting(self, key: str, default: Any = None) -> Any:
        return self.settings.get(key, default)


def load_scheme(path: Path) -> Scheme:
    """Read and check one scheme file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SchemeError(f"{path}: cannot read the scheme ({exc})") from None
    if not isinstance(raw, dict):
        raise SchemeError(f"{path}: a scheme is a YAML mapping with id, name and mechanism")
    for key in ("id", "name", "mechanism"):
        if not raw.get(key):
            raise SchemeError(f"{path}: the scheme has no {key!r}; add `{key}: ...`")
    mechanism = str(raw["mechanism"])
    if mechanism not in REQUIRED:
        raise SchemeError(
            f"{path}: mechanism {mechanism!r} is unknown; use one of {', '.join(REQUIRED)}"
        )
    missing = [k for k in REQUIRED[mechanism] if raw.get(k) is None]
    if missing:
        raise SchemeError(
            f"{path}: the {mechanism} mechanism needs {', '.join(missing)}; add them to the file"
        )
    settings = {k: v for k, v in raw.items() if k not in ("id", "name", "mechanism", "reference")}
    return Scheme(
        id=str(raw["id"]),
        name=str(raw["name"]),
        mechanism=mechanism,
        settings=settings,
        reference=str(raw.get("reference", "")).strip(),
        source=str(path),
    )


def builtin_schemes() -> dict[str, Scheme]:
    """The schemes shipped with the package, by id."""
    schemes = [load_scheme(p) for p in sorted(SCHEMES_DIR.glob("*.yaml"))]
    return {s.id: s for s in schemes}


def find_scheme(name_or_path: str) -> Scheme:
    """A built-in scheme by id, or a scheme file by path."""
    path = Path(name_or_path)
    if path.suffix.lower() in (".yaml", ".yml") and path.is_file():
        return load_scheme(path)
    schemes = builtin_schemes()
    if name_or_path in schemes:
        return schemes[name_or_path]
    raise SchemeError(
        f"scheme {name_or_path!r} is neither a built-in scheme ({', '.join(sorted(schemes))}) "
        "nor a YAML file"
    )
