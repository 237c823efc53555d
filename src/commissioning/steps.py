"""Capabilities: how each part of the product (evidence, demand, plan, ...) joins the round.

A capability declares, in one module of its own (``<package>/capability.py``), one
:class:`Capability`: its id, title and order, the ``run`` of its round step and its report
section. The product's capabilities are listed once, at the top of the layers, in
:mod:`commissioning.capabilities` (the composition root); the round (:mod:`commissioning.round`)
runs the foundation (risk, segments and need profiles) and then the capabilities it is given,
in order, each reading the workspace and the results of earlier steps from
``StepContext.results`` and putting its own there under its id. The report builder passes
``results`` to the report as ``RoundContext.extras``, where the capability's own section finds
them. Nothing registers itself on import, and nothing below the composition root names a
capability (docs/extending.md, docs/architecture.md).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ibis.backends import BaseBackend

from commissioning.io.workspace import Workspace
from commissioning.policy.parameters import ParameterSet, Policy
from commissioning.publish.sections import ReportSection

_ID = re.compile(r"^[a-z][a-z0-9_-]*$")


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
    #: Steps that did not run, with why (a table the workspace lacks, or an earlier step that
    #: did not run): their sections say so instead of failing.
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def policy(self) -> Policy:
        """The parameters bound to the round's date: what steps read."""
        return self.parameters.at(self.when)

    def output_dir(self, step_id: str) -> Path:
        """The step's own folder under the workspace's exports."""
        path = self.workspace.exports_dir / step_id
        path.mkdir(parents=True, exist_ok=True)
        return path


@dataclass(frozen=True)
class Capability:
    """One capability's part in the round, declared in one place.

    ``run`` is its round step: it returns what the step puts in ``results`` under ``id`` (and
    the report in ``RoundContext.extras``); ``order`` places the step (ascending, ties by id);
    ``section`` is its report section (None for a step without one), whose own ``order``
    places it in the report. ``requires`` are the workspace tables the step reads and ``after``
    the earlier steps whose results it needs: without any of them the step does not run and
    the round goes on (a workspace of one's own data may hold only assessments).
    """

    id: str
    title: str
    order: int
    run: Callable[[StepContext], Any]
    section: ReportSection | None = None
    requires: tuple[str, ...] = ()
    after: tuple[str, ...] = ()

    def missing(self, context: StepContext) -> str | None:
        """Why the step cannot run in ``context`` (None when it can)."""
        tables = [t for t in self.requires if not context.workspace.has(t)]
        if tables:
            quoted = [f"`{t}`" for t in tables]
            names = quoted[0] if len(quoted) == 1 else (
                ", ".join(quoted[:-1]) + " and " + quoted[-1])
            return (f"the workspace has no {names} table{'s' if len(tables) > 1 else ''} "
                    f"(import with `commission import TABLE FILE`)")
        for earlier in self.after:
            if earlier in context.skipped:
                return f"it needs the {earlier} step, which did not run"
            if earlier not in context.results:
                return f"it needs the {earlier} step, which is not in this round"
        return None


def check_capabilities(capabilities: Iterable[Capability],
                       reserved: Sequence[str] = ()) -> list[Capability]:
    """The capabilities in step order, after checking their ids are well formed and unique
    (``reserved``: ids taken by the round itself, e.g. the foundation)."""
    seen: dict[str, str] = {r: "the round" for r in reserved}
    out = list(capabilities)
    for cap in out:
        if not _ID.match(cap.id):
            raise ValueError(f"capability id {cap.id!r} must be lower-case letters, digits, "
                             "'-' or '_' (it names its results and its exports folder)")
        if cap.id in seen:
            raise ValueError(f"two capabilities have the id {cap.id!r} ({seen[cap.id]!r} and "
                             f"{cap.title!r}); ids are unique")
        seen[cap.id] = cap.title
    return sorted(out, key=lambda c: (c.order, c.id))


def run_steps(context: StepContext, capabilities: Iterable[Capability]) -> dict[str, Any]:
    """Run the capabilities' steps in order, collecting each one's result under its id."""
    for cap in check_capabilities(capabilities, reserved=tuple(context.results)):
        reason = cap.missing(context)
        if reason is not None:
            context.skipped[cap.id] = reason
            context.log(f"{cap.id}: not run ({reason})")
            continue
        context.results[cap.id] = cap.run(context)
    return context.results
