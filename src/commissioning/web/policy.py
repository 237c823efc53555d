"""The policy parameters the web workspace runs under: the built-in parameters with the
workspace's own overrides (``WORKSPACE/policy/*.yaml``), as the CLI and the round use them.

Reloaded when an override file changes (the cache is keyed by each file's modification time),
so a workspace whose ``policy/local.yaml`` sets ``disclosure.small_cell_threshold`` to 10 shows
10 on every page and in the API, as in the report and the CSV files.
"""

from __future__ import annotations

from pathlib import Path

from commissioning.policy.parameters import ParameterSet, load_parameters_cached


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
