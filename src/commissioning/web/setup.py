"""Preparing a workspace's web database: settings pointed at the workspace, a private secret
key, migrations and the demo data on the first run. Used by ``commission serve``, ``commission
audit verify`` and the round's *secure* step."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

SETTINGS = "commissioning.web.project.settings"


class DatabaseUrlError(ValueError):
    """``--database-url`` / ``COMMISSIONING_DATABASE_URL`` is not a PostgreSQL URL."""


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable and writable by its owner only (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def setup_django(workspace: Path, database_url: str | None) -> Path:
    """Point the settings at ``workspace`` (and the database) and start Django. Returns the
    workspace's ``web/`` folder. Creates the secret key (0600) if there is none."""
    web = workspace.resolve() / "web"
    web.mkdir(parents=True, exist_ok=True)
    key = web / "secret_key"
    if not key.exists() and not os.environ.get("COMMISSIONING_SECRET_KEY"):
        write_private(key, secrets.token_urlsafe(50) + "\n")
    database = web / "db.sqlite3"
    if not database_url and not os.environ.get("COMMISSIONING_DATABASE_URL"):
        # SQLite opens an empty file as a new database and gives its journal the file's mode,
        # so bids and password hashes are never readable by others, not even for a moment.
        fd = os.open(database, os.O_WRONLY | os.O_CREAT, 0o600)
        os.close(fd)
    from commissioning.io.workspace import Workspace

    Workspace(workspace).protect()
    os.environ["COMMISSIONING_WORKSPACE"] = str(workspace.resolve())
    if database_url:
        os.environ["COMMISSIONING_DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    import django

    try:
        django.setup()
    except ValueError as exc:  # a database URL that is not PostgreSQL's
        raise DatabaseUrlError(str(exc)) from None
    from django.conf import settings

    # Static files are served from the package (finders); an empty root keeps WhiteNoise quiet.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    return web


def demo_accounts_text(password: str, accounts: list[tuple[str, str, str]]) -> str:
    lines = [
        "Demo accounts of this workspace (every account has the same password).",
        f"password: {password}",
        "",
        *(f"{username:<18} {role:<18} {organisation}" for username, role, organisation in accounts),
    ]
    return "\n".join(lines) + "\n"


def holds_real_data(workspace: Path) -> bool:
    """Whether the workspace's assessments were imported with a real key (not the synthetic
    data's demo key): such a workspace never gets the demo organisations, people and bids."""
    manifest = workspace / "inputs" / "assessments.manifest.json"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("demo_key") is not True


def prepare(workspace: Path, database_url: str | None = None) -> Path:
    """Migrate the database and, on the first run of a new or synthetic workspace only, seed the
    demo data. Returns the file that lists the demo accounts and their password (0600); it does
    not exist when nothing was seeded."""
    web = setup_django(workspace, database_url)
    from django.core.management import call_command

    from commissioning.web.seed import seed_demo

    call_command("migrate", interactive=False, verbosity=0)
    accounts_file = web / "demo-accounts.txt"
    if holds_real_data(workspace):
        return accounts_file
    seeded = seed_demo()
    if seeded.created and seeded.password is not None:
        rows = [(a.username, a.role, a.organisation) for a in seeded.accounts]
        write_private(accounts_file, demo_accounts_text(seeded.password, rows))
    return accounts_file
