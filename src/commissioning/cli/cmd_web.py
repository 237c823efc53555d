"""The web workspace: `commission serve` and `commission audit verify`.

``serve`` prepares a workspace's ``web/`` folder (secret key, database, demo data on the first
run only) and serves the site on loopback. ``audit verify`` recomputes the audit log's hash
chain. Both use SQLite in ``WORKSPACE/web/`` unless ``--database-url`` names PostgreSQL.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from commissioning.cli.app import EXIT_FAILURE, BadInput, app, console, out
from commissioning.cli.common import WorkspaceOption
from commissioning.web.setup import DatabaseUrlError, holds_real_data, prepare, setup_django

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
    try:
        accounts_file = prepare(workspace, database_url)
    except DatabaseUrlError as exc:
        raise BadInput(str(exc)) from None
    if accounts_file.exists():
        out.print(accounts_file.read_text(encoding="utf-8"), highlight=False, soft_wrap=True)
        out.print(f"(also in {accounts_file}, readable by you only)", highlight=False)
    else:
        out.print(
            "This workspace holds real (not synthetic) data, so no demo organisations, people or "
            "bids were added; or its database was seeded elsewhere and its demo accounts are not "
            "listed here. See docs/web.md, 'Your own organisations and people'."
            if holds_real_data(workspace)
            else "This database was seeded elsewhere: its demo accounts are not listed here."
        )
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
    workspace: Path = WorkspaceOption,
    database_url: str | None = DatabaseOption,
    expect: str | None = typer.Option(
        None,
        "--expect",
        help="A head hash anchored earlier (in the round's report, exports/secure/"
        "workspace.json or a download from the web): the chain must still hold that entry, "
        "so entries removed from the end are detected.",
    ),
) -> None:
    """Recompute the audit log's hash chain: print the entries, the head's sequence number and
    hash; exit 1 naming the first broken entry if an entry was changed, removed or reordered,
    or (with --expect) if the anchored head is no longer in the chain."""
    url = database_url or os.environ.get("COMMISSIONING_DATABASE_URL")
    if not url and not (workspace / "web" / "db.sqlite3").exists():
        raise BadInput(f"no web database in {workspace}/web/: run `commission serve` first")
    try:
        setup_django(workspace, database_url)
    except DatabaseUrlError as exc:
        raise BadInput(str(exc)) from None
    from django.db.utils import DatabaseError

    from commissioning.web.audit import verify

    try:
        report = verify(expect)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
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
    out.print("chain intact" + (", anchored head present" if expect else ""), highlight=False)
