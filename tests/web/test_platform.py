"""The platform: production settings, security headers, static files, `commission serve` and
`commission audit verify`, and the pages in a real browser (WCAG 2.2 AA by axe-core)."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from tests.web.conftest import PASSWORD, People, axe_violations, follow, sign_in_page

ROOT = Path(__file__).resolve().parents[2]
COMMISSION = Path(sys.executable).parent / "commission"


def _env(workspace: Path, **extra: str) -> dict[str, str]:
    """The environment for a subprocess: SQLite in ``workspace`` (never the test database)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMISSIONING_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests in this process
    env["COMMISSIONING_WORKSPACE"] = str(workspace)
    env.update(extra)
    return env


def run(args: list[str], workspace: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """Run a command; its output with line wrapping undone (the console wraps long lines)."""
    result = subprocess.run(
        args, env=_env(workspace, **extra), capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    result.stdout = " ".join(result.stdout.split())
    result.stderr = " ".join(result.stderr.split())
    return result


# --- production settings and headers -----------------------------------------------------------


def test_check_deploy_is_clean_with_the_production_settings(tmp_path: Path) -> None:
    code = (
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('check', deploy=True, fail_level='WARNING')"
    )
    result = run(
        [sys.executable, "-c", code],
        tmp_path,
        DJANGO_SETTINGS_MODULE="commissioning.web.project.settings_production",
        COMMISSIONING_SECRET_KEY=secrets.token_urlsafe(50),
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_production_settings_refuse_to_start_without_a_secret_key(tmp_path: Path) -> None:
    code = "import django; django.setup()"
    result = run(
        [sys.executable, "-c", code],
        tmp_path,
        DJANGO_SETTINGS_MODULE="commissioning.web.project.settings_production",
    )
    assert result.returncode != 0
    assert "COMMISSIONING_SECRET_KEY must be set in production" in result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/sign-in/", "/transparency/", "/no-such-page/"])
def test_every_page_sends_the_security_headers(url: str) -> None:
    response = Client().get(url)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/sign-in/", "/transparency/", "/no-such-page/"])
def test_pages_have_no_inline_scripts_or_styles(url: str) -> None:
    body = Client().get(url).content.decode()
    scripts = re.findall(r"<script\b[^>]*>", body)
    assert scripts and all("src=" in tag for tag in scripts)
    assert "<style" not in body
    assert not re.search(r"\sstyle=", body)


def test_signed_in_pages_are_not_cached(signed_in: Any) -> None:
    assert signed_in("provider").get("/account/")["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_not_found_and_forbidden_pages_use_the_service_layout(signed_in: Any) -> None:
    missing = Client().get("/no-such-page/")
    assert missing.status_code == 404
    assert "Page not found" in missing.content.decode()
    assert "govuk-header" in missing.content.decode()
    refused = signed_in("provider").get("/audit/")
    assert refused.status_code == 403
    assert "You cannot do this" in refused.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/static/govuk/govuk-frontend.min.css", "text/css"),
        ("/static/govuk/govuk-frontend.min.js", "text/javascript"),
        ("/static/moj/moj-frontend.min.css", "text/css"),
        ("/static/app/init.js", "text/javascript"),
        ("/static/govuk/assets/fonts/bold-b542beb274-v2.woff2", "font/woff2"),
    ],
)
def test_the_built_static_files_are_served(path: str, content_type: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200, f"{path}: run `make static`"
    assert response["Content-Type"].startswith(content_type)


def test_the_stylesheets_point_at_fonts_that_are_served() -> None:
    css = (ROOT / "src/commissioning/web/static/govuk/govuk-frontend.min.css").read_text()
    fonts = set(re.findall(r"url\((assets/fonts/[^)]+)\)", css))
    assert fonts, "the stylesheet's /assets/ URLs were not made relative"
    for font in fonts:
        assert (ROOT / "src/commissioning/web/static/govuk" / font).exists(), font
    assert (ROOT / "src/commissioning/web/frontend/build/axe.min.js").exists()


# --- commission serve and commission audit verify ----------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace prepared by `commission serve`'s preparation, run twice."""
    workspace = tmp_path_factory.mktemp("served")
    code = (
        "import sys; from pathlib import Path; from commissioning.web.setup import prepare; "
        "print(prepare(Path(sys.argv[1])))"
    )
    for _ in range(2):
        result = run([sys.executable, "-c", code, str(workspace)], workspace)
        assert result.returncode == 0, result.stderr
    return workspace


def _private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


def test_serve_prepares_the_workspace_once(served: Path) -> None:
    web = served / "web"
    assert _private(web / "secret_key") and len((web / "secret_key").read_text().strip()) >= 50
    accounts = (web / "demo-accounts.txt").read_text()
    assert _private(web / "demo-accounts.txt")
    password = re.search(r"password: (\S+)", accounts)
    assert password is not None and len(password.group(1)) >= 12
    assert "commissioner" in accounts and "trust.london" in accounts
    with sqlite3.connect(web / "db.sqlite3") as db:
        commissioners = db.execute(
            "SELECT count(*) FROM web_organisation WHERE kind = 'commissioner'"
        ).fetchone()[0]
        users = db.execute("SELECT count(*) FROM auth_user").fetchone()[0]
    # Prepared twice, seeded once.
    assert commissioners == 1
    assert users == accounts.count("\n") - 3


def test_serve_answers_on_loopback(served: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "copy"
    shutil.copytree(served, workspace)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [str(COMMISSION), "serve", "--workspace", str(workspace), "--port", str(port)],
        env=_env(workspace),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = ""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/transparency/") as r:
                    body = r.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        assert "What has been commissioned" in body
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "password:" in output and f"http://127.0.0.1:{port}/" in output


def test_audit_verify_reports_an_intact_chain(served: Path) -> None:
    result = run([str(COMMISSION), "audit", "verify", "--workspace", str(served)], served)
    assert result.returncode == 0, result.stderr
    entries = int(re.search(r"entries: (\d+)", result.stdout).group(1))  # type: ignore[union-attr]
    assert entries > 100
    assert f"head: {entries}" in result.stdout
    assert "chain intact" in result.stdout


def test_audit_verify_finds_a_tampered_entry(served: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "tampered"
    shutil.copytree(served, workspace)
    with sqlite3.connect(workspace / "web" / "db.sqlite3") as db:
        # The table refuses UPDATE; an attacker with the file drops the trigger first.
        db.execute("DROP TRIGGER web_auditentry_no_update")
        data = json.loads(db.execute("SELECT data FROM web_auditentry WHERE seq = 7").fetchone()[0])
        data["name"] = "Someone else"
        db.execute("UPDATE web_auditentry SET data = ? WHERE seq = 7", (json.dumps(data),))
    result = run([str(COMMISSION), "audit", "verify", "--workspace", str(workspace)], workspace)
    assert result.returncode == 1
    assert "entry 7: its content was changed after it was written" in result.stderr
    assert "head: 6" in result.stdout


def test_audit_verify_without_a_database_is_bad_input(tmp_path: Path) -> None:
    result = run([str(COMMISSION), "audit", "verify", "--workspace", str(tmp_path)], tmp_path)
    assert result.returncode == 2
    assert "run `commission serve` first" in result.stderr


def test_serve_rejects_a_database_url_that_is_not_postgresql(tmp_path: Path) -> None:
    result = run(
        [str(COMMISSION), "serve", "--workspace", str(tmp_path), "--database-url", "mysql://x/y"],
        tmp_path,
    )
    assert result.returncode == 2
    assert "must start with postgresql://" in result.stderr


# --- in a browser ------------------------------------------------------------------------------


def test_the_pages_meet_wcag_22_aa_and_run_their_scripts(page: Any, people: People) -> None:
    for url in ("/", "/transparency/", "/sign-in/"):
        page.goto(url)
        assert axe_violations(page) == [], url
    body_classes = page.evaluate("() => document.body.className")
    assert "govuk-frontend-supported" in body_classes
    page.fill("#id_username", "commissioner")
    page.fill("#id_password", "wrong")
    follow(page, "button[type=submit]")
    assert page.locator(".govuk-error-summary").is_visible()
    assert axe_violations(page) == [], "sign-in with errors"

    sign_in_page(page, "commissioner", PASSWORD)
    assert page.url.endswith("/dashboard/")
    for url in ("/dashboard/", "/account/", "/account/password/", "/audit/", "/audit/denials/"):
        page.goto(url)
        assert axe_violations(page) == [], url
    follow(page, "text=Sign out")
    assert page.url.endswith("/")
    assert page.locator("text=Sign in").first.is_visible()
    # No script errors and no CSP violations (the 400 of the failed sign-in is expected).
    assert [e for e in page.errors if not e.startswith("Failed to load resource")] == []
