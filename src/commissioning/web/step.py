"""The round step ``secure`` (order 450): the web workspace where the round is secured.

Prepares ``WORKSPACE/web/`` — its database migrated and, on the first run, the demo
organisations (the real trusts, prisons and partners), people, proposals, contracts and
assurance — and hands the report an aggregate of what it holds: proposals and the intentions
check's flags, competition, contracts and SLAs with their annual operating prices, assurance,
ratings and the audit chain's state. After the round, ``commission serve`` opens it.

Django runs in a child process (:mod:`commissioning.web.round_summary`) so the round never
shares Django's global settings with whatever process runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from commissioning.steps import StepContext

STEP_ID = "secure"


@dataclass(frozen=True)
class SecureResult:
    """The web workspace's aggregates (None with the reason when it could not be prepared)."""

    summary: dict[str, Any] | None
    skipped: str | None
    seconds: float
    workspace: Path

    @property
    def audit_head(self) -> str | None:
        """The audit chain's head hash at the end of the step: the anchor that ``commission
        audit verify --expect`` checks later (None when the workspace was not prepared)."""
        return None if self.summary is None else str(self.summary["audit"]["head_hash"])


def run(ctx: StepContext) -> SecureResult:
    started = time.perf_counter()
    out = ctx.output_dir(STEP_ID) / "workspace.json"
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "commissioning.web.project.settings"
    cmd = [sys.executable, "-m", "commissioning.web.round_summary", str(ctx.workspace.path),
           str(out), ctx.when.isoformat()]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, check=False)
    seconds = time.perf_counter() - started
    # derived.duckdb and the synthetic tables are written by other steps with the umask.
    ctx.workspace.protect()
    if proc.returncode != 0:
        why = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        ctx.log(f"secure: the web workspace could not be prepared ({why})")
        return SecureResult(None, why, seconds, ctx.workspace.path)
    summary: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    ctx.log(f"secure: web workspace ready ({sum(summary['proposals'].values())} proposals, "
            f"{len(summary['contracts'])} contracts, audit chain of {summary['audit']['entries']} "
            f"entries {'verified' if summary['audit']['ok'] else 'BROKEN'}, head "
            f"{summary['audit']['head_hash'][:12]}…) in {seconds:.1f} s")
    return SecureResult(summary, None, seconds, ctx.workspace.path)

