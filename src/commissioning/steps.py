"""Round steps: the extension point through which each capability joins `commission demo`.

A capability (evidence, demand, plan, review, ...) registers a :class:`RoundStep`. The round
runs the foundation (synth → import → risk → profile), then every registered step in order,
each reading the workspace and the results of earlier steps from ``StepContext.results`` and
putting its own there under its id; the report builder passes ``results`` to the report as
``RoundContext.extras``, where the capability's own report section (registered with
:func:`commissioning.publish.sections.register_section`) finds them.

Built-in steps register themselves when their module is imported; :data:`STEP_MODULES` lists
the modules the round imports.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ibis.backends import BaseBackend

from commissioning.io.workspace import Workspace
from commissioning.policy.parameters import ParameterSet

#: Modules that register round steps when imported, in no particular order (steps sort by
#: ``order``). A capability adds its module here.
STEP_MODULES: tuple[str, ...] = (
    "commissioning.evidence.step", "commissioning.assess.demand.step", "commissioning.plan.step",
    "commissioning.review.step", "commissioning.web.step", "commissioning.review.equality_step",
)


@dataclass
class StepContext:
    """What a step can use: the workspace, parameters, an open backend and earlier results."""

    workspace: Workspace
    parameters: ParameterSet
    when: dt.date
    con: BaseBackend
    seed: int = 2012
    results: dict[str, Any] = field(default_factory=dict)
    log: Callable[[str], None] = print

    def output_dir(self, step_id: str) -> Path:
        """The step's own folder under the workspace's exports."""
        path = self.workspace.exports_dir / step_id
        path.mkdir(parents=True, exist_ok=True)
        return path


@dataclass(frozen=True)
class RoundStep:
    """One step of the round after the foundation: ``run`` returns what it puts in results."""

    id: str
    title: str
    order: int
    run: Callable[[StepContext], Any]


_STEPS: dict[str, RoundStep] = {}


def register_step(step: RoundStep, *, replace: bool = False) -> RoundStep:
    """Add a step to the round; ids are unique unless ``replace`` is set."""
    if step.id in _STEPS and not replace:
        raise ValueError(f"a round step with id {step.id!r} is already registered")
    _STEPS[step.id] = step
    return step


def unregister_step(step_id: str) -> None:
    _STEPS.pop(step_id, None)


def registered_steps() -> list[RoundStep]:
    """Every registered step (after importing :data:`STEP_MODULES`), sorted by ``order``."""
    for module in STEP_MODULES:
        importlib.import_module(module)
    return sorted(_STEPS.values(), key=lambda s: (s.order, s.id))


def run_steps(context: StepContext) -> dict[str, Any]:
    """Run every registered step in order, collecting each one's result under its id."""
    for step in registered_steps():
        context.results[step.id] = step.run(context)
    return context.results
