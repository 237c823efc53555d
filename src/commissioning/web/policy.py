"""The policy parameters the web workspace runs under: the built-in parameters with the
workspace's own overrides (``WORKSPACE/policy/*.yaml``), as the CLI and the round use them.

Reloaded when an override file changes (the cache is keyed by each file's modification time),
so a workspace whose ``policy/local.yaml`` sets ``disclosure.small_cell_threshold`` to 10 shows
10 on every page and in the API, as in the report and the CSV files. Every dated value is read
at a round's date (:attr:`CommissioningRound.starts`) or at the workspace's reporting date
(:func:`reporting_date`), never at today's.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from commissioning.policy.parameters import ParameterSet, load_parameters_cached
from commissioning.publish import disclosure
from commissioning.secure import assurance
from commissioning.secure import rounds as rounds_module


def workspace_folder() -> Path | None:
    """The workspace the web serves (Django's ``WORKSPACE`` setting), None outside Django."""
    from django.conf import settings

    if not settings.configured:
        return None
    folder = getattr(settings, "WORKSPACE", None)
    return Path(folder) if folder else None


def policy_files(workspace: Path | None) -> list[Path]:
    """The workspace's override files in force (``policy/**/*.yaml``, sorted)."""
    if workspace is None:
        return []
    from commissioning.io.workspace import Workspace

    return Workspace(workspace).policy_override_files()


def parameters() -> ParameterSet:
    """The parameters in force for the web: built-in plus the workspace's overrides."""
    return load_parameters_cached(policy_files(workspace_folder()))


def reporting_date() -> dt.date | None:
    """The date the web reports as at (:func:`commissioning.secure.rounds.reporting_date`): the
    start of the workspace's latest published round — the date the round's report is made on —
    or, with no round, the start of its latest contract; None when it holds neither. Never
    today's date: assurance is as at the round, as in the report."""
    from commissioning.web import models as m

    rounds = m.CommissioningRound.objects
    draft = m.CommissioningRound.Status.DRAFT
    on = rounds_module.reporting_date(
        rounds.exclude(status=draft).values_list("year", flat=True),
        rounds.filter(status=draft).values_list("year", flat=True),
    )
    if on is not None:
        return on
    latest = m.Contract.objects.order_by("-starts").values_list("starts", flat=True).first()
    return latest


def small_cell_threshold(on: dt.date) -> int:
    """The workspace's small-cell threshold in force on ``on``."""
    return disclosure.small_cell_threshold(parameters().at(on))


def high_risk_score(on: dt.date) -> int:
    """The workspace's ``secure.high_risk_score`` in force on ``on``."""
    return assurance.high_risk_score(parameters(), on)
