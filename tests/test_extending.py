"""docs/extending.md names every extension point the product has: each capability and where
it is declared, each report section, CLI command and group, data-contract table, intention rule
kind, payment mechanism, parameter group, extension data file and entry-point group."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from commissioning.capabilities import CAPABILITIES
from commissioning.publish import BUILT_IN_SECTIONS
from commissioning.round import FOUNDATION_ID

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "commissioning"
DOC = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")


def named(word: str) -> bool:
    return f"`{word}`" in DOC


def test_every_capability_its_declaration_and_section_are_named() -> None:
    assert named(FOUNDATION_ID)
    for cap in CAPABILITIES:
        assert named(cap.id), f"capability {cap.id!r} is not in docs/extending.md"
        module = cap.run.__module__.removeprefix("commissioning.").replace(".", "/") + ".py"
        assert f"`{module}`" in DOC, f"the step of {cap.id!r} ({module}) is not named"
        if cap.section is not None:
            render = getattr(cap.section, "renderer", None)
            if render is not None:
                where = render.__module__.removeprefix("commissioning.").replace(".", "/")
                assert f"`{where}.py`" in DOC, f"the section of {cap.id!r} is not named"
    declared = sorted(p.relative_to(SRC).as_posix() for p in SRC.rglob("capability.py"))
    for path in declared:
        assert f"`{path}`" in DOC, f"{path} declares a capability docs/extending.md omits"


def test_every_built_in_section_is_named() -> None:
    for section in BUILT_IN_SECTIONS:
        assert named(section.id), f"report section {section.id!r} is not named"


def test_every_cli_command_and_group_is_named() -> None:
    manifest = json.loads((SRC / "cli" / "commands.json").read_text(encoding="utf-8"))
    for entry in manifest:
        assert named(entry["name"]), f"CLI {entry['kind']} {entry['name']!r} is not named"


@pytest.mark.parametrize(("module", "registry"), [
    ("commissioning.schema.contract", "TABLES"),
    ("commissioning.plan.rules", "RULES"),
    ("commissioning.review.pbr.mechanisms", "MECHANISMS"),
])
def test_every_entry_of_each_registry_is_named(module: str, registry: str) -> None:
    import importlib

    entries = getattr(importlib.import_module(module), registry)
    assert f"{module}.{registry}" in DOC
    for key in entries:
        assert named(str(key)), f"{module}.{registry}[{key!r}] is not in docs/extending.md"


def test_every_parameter_group_and_extension_data_file_is_named() -> None:
    for group in sorted(p.name for p in (SRC / "policy" / "parameters").iterdir() if p.is_dir()):
        assert named(group), f"parameter group {group!r} is not named"
    # YAML the product reads as extension data, outside the parameters and the catalogue
    # (each a file or a folder of files): every one is named by its path
    skip = (SRC / "policy" / "parameters", SRC / "evidence" / "catalogue")
    for path in sorted(SRC.rglob("*.yaml")):
        if any(path.is_relative_to(s) for s in skip):
            continue
        rel = path.relative_to(ROOT).as_posix()
        folder = path.parent.relative_to(ROOT).as_posix() + "/"
        assert f"`{rel}`" in DOC or f"`{folder}`" in DOC, f"{rel} is not in docs/extending.md"
    for folder in skip:
        assert f"`{folder.relative_to(ROOT).as_posix()}/" in DOC


def test_every_entry_point_group_and_script_is_named() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for group in project.get("entry-points", {}):
        assert f'[project.entry-points."{group}"]' in DOC, f"entry-point group {group!r}"
    for script in project.get("scripts", {}):
        assert f"[project.scripts] {script}" in DOC


def test_every_web_api_router_is_named() -> None:
    for path in sorted((SRC / "web" / "api").glob("*.py")):
        if path.stem in ("__init__", "common"):
            continue
        assert named(path.stem), f"API router module web/api/{path.name} is not named"
