"""Code-health checks: the command reference is current, and every parameter is sourced."""

from __future__ import annotations

from pathlib import Path

from commissioning.cli.reference import reference
from commissioning.policy.parameters import ParameterSet

ROOT = Path(__file__).resolve().parents[1]


def test_command_reference_is_generated_from_the_cli() -> None:
    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == reference(), (
        "docs/cli.md is out of date: run "
        "`.venv/bin/python -m commissioning.cli.reference > docs/cli.md`"
    )


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for line in reference().splitlines():
        if line.startswith(("## `commission ", "### `commission ")):
            command = line.lstrip("#").strip().strip("`")
            assert command in readme, f"{command} is not documented in README.md"


def test_every_parameter_has_description_unit_and_reference(params: ParameterSet) -> None:
    assert len(list(params)) >= 5
    for p in params:
        assert p.description.strip(), p.name
        assert p.unit.strip(), p.name
        assert all(r.strip() for r in p.reference), p.name


def test_assumptions_say_why(params: ParameterSet) -> None:
    """Parameters of the synthetic generator are assumptions unless the document gives them:
    each states its reasoning."""
    for p in params:
        from_document = all(r.startswith("Commissioning Intentions") for r in p.reference)
        if p.name.startswith("synth") and not from_document:
            assert p.reasoning, f"{p.name} needs metadata.reasoning"
