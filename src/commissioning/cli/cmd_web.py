"""The web workspace: `commission serve` and `commission audit verify`.

``serve`` prepares a workspace's ``web/`` folder (secret key, database, demo data on the first
run only) and serves the site on loopback. ``audit verify`` recomputes the audit log's hash
chain. Both use SQLite in ``WORKSPACE/web/`` unless ``--database-url`` names PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import typer

from commissioning.cli.app import EXIT_FAILURE, BadInput, app, console, out
from commissioning.cli.common import WorkspaceOption

SETTINGS = "commissioning.web.project.settings"
DatabaseOption = typer.Option(
    None,
    "--database-url",
    help="postgresql://user:password@host:port/name (default: SQLite in WORKSPACE/web/; or set "
    "COMMISSIONING_DATABASE_URL).",
)

audit_app = typer.Typer(
    name="audit",
    help="The web workspace's audit log: an append-only, hash-chained record of every change.",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")


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
    os.environ["COMMISSIONING_WORKSPACE"] = str(workspace.resolve())
    if database_url:
        os.environ["COMMISSIONING_DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    import django

    try:
        django.setup()
    except ValueError as exc:  # a database URL that is not PostgreSQL's
        raise BadInput(str(exc)) from None
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


def prepare(workspace: Path, database_url: str | None = None) -> Path:
    """Migrate the database and seed the demo data on the first run only. Returns the file that
    lists the demo accounts and their password (0600)."""
    web = setup_django(workspace, database_url)
    from django.core.management import call_command

    from commissioning.web.seed import seed_demo

    call_command("migrate", interactive=False, verbosity=0)
    accounts_file = web / "demo-accounts.txt"
    seeded = seed_demo()
    if seeded.created and seeded.password is not None:
        rows = [(a.username, a.role, a.organisation) for a in seeded.accounts]
        write_private(accounts_file, demo_accounts_text(seeded.password, rows))
    return accounts_file


def _static_built() -> bool:
    from commissioning.web.project.settings import WEB_DIR

    return (WEB_DIR / "static" / "govuk" / "govuk-frontend.min.css").exists()


@app.command("serve")
def serve_command(
    workspace: Path = WorkspaceOption,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    database_url: str | None = DatabaseOption,
) -> None:
    """Serve the web workspace: prepare WORKSPACE/web/ (secret key, database, demo data on the
    first run), print the demo accounts, and serve on loopback until Ctrl-C."""
    if not 0 < port < 65536:
        raise BadInput(f"--port {port}: use 1 to 65535")
    accounts_file = prepare(workspace, database_url)
    if accounts_file.exists():
        out.print(accounts_file.read_text(encoding="utf-8"), highlight=False, soft_wrap=True)
        out.print(f"(also in {accounts_file}, readable by you only)", highlight=False)
    else:
        out.print("This database was seeded elsewhere: its demo accounts are not listed here.")
    if not _static_built():
        console.print(
            "[yellow]warning:[/] the GOV.UK Frontend files are not built: run `make static`."
        )
    from django.core.servers.basehttp import run
    from django.core.wsgi import get_wsgi_application

    shown = f"[{host}]" if ":" in host else host
    out.print(f"Serving on http://{shown}:{port}/ — press Ctrl-C to stop.", highlight=False)
    try:
        run(host, port, get_wsgi_application(), ipv6=":" in host, threading=True)
    except KeyboardInterrupt:
        out.print("Stopped.")
    except OSError as exc:
        raise BadInput(f"cannot listen on {shown}:{port}: {exc.strerror}") from None


@audit_app.command("verify")
def audit_verify_command(
    workspace: Path = WorkspaceOption, database_url: str | None = DatabaseOption
) -> None:
    """Recompute the audit log's hash chain: print the entries, the head's sequence number and
    hash; exit 1 naming the first broken entry if an entry was changed, removed or reordered."""
    url = database_url or os.environ.get("COMMISSIONING_DATABASE_URL")
    if not url and not (workspace / "web" / "db.sqlite3").exists():
        raise BadInput(f"no web database in {workspace}/web/: run `commission serve` first")
    setup_django(workspace, database_url)
    from django.db.utils import DatabaseError

    from commissioning.web.audit import verify

    try:
        report = verify()
    except DatabaseError as exc:
        raise BadInput(f"cannot read the audit log: {exc}") from None
    out.print(f"entries: {report.entries}", highlight=False)
    out.print(f"head: {report.head_seq}", highlight=False)
    out.print(f"head hash: {report.head_hash}", highlight=False)
    if not report.ok:
        console.print(
            f"[bold red]broken:[/] entry {report.broken_at}: {report.problem}", highlight=False
        )
        raise typer.Exit(EXIT_FAILURE)
    out.print("chain intact", highlight=False)
