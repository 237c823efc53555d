"""Load benchmark of the web workspace: the dashboard and the proposal list, with 200 providers
and 5,000 proposals, on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/web_load.py [--providers 200] [--proposals 5000] [--users 4]
        [--duration 10] [--warmup 2] [--postgres URL | --start-postgres] [--no-sqlite]

For each database:

1. **Data.** A fresh database (SQLite in a temporary workspace; on PostgreSQL a new database
   created on the given server and dropped afterwards) is migrated, then filled with a
   commissioner, ``--providers`` provider organisations with one user each, the 2012-13 round
   (open) and ``--proposals`` submitted proposals spread evenly over the providers, each with
   2 to 6 service lines and the flags the product's own intentions check
   (:func:`commissioning.secure.checks.check_proposal`) finds in them. The records are
   written with ``bulk_create``, which deliberately bypasses the audit log's signals: this is
   fixture loading, not changes anyone made, and auditing 30,000 rows one by one would only
   slow the set-up. The data are synthetic and named so.
2. **Queries.** In that process, with Django's test client, the number of SQL queries and
   their time for each measured page (``CaptureQueriesContext``): the counts must not grow
   with the page shown or the number of proposals (no N+1).
3. **Server.** ``commission serve`` itself — Django's threaded WSGI server on loopback, DEBUG
   off — in a subprocess. Its first-run demo seed is skipped because the commissioner exists.
4. **Sessions.** A provider and the commissioner sign in by a real POST to ``/sign-in/`` (CSRF
   token from the form); the session cookies are handed to locust.
5. **Load.** Locust, used as a library in one subprocess (``benchmarks/web_locustfile.py``),
   one page after another: ``--users`` simulated people asking without pause on kept-alive
   connections, ``--warmup`` seconds not counted, then ``--duration`` seconds measured. A
   response that is not the expected page (e.g. "5,000 proposals" in the list's caption)
   counts as a failure. Pages:

   - baseline: a static file (WhiteNoise) and the public home page (one query, the full
     layout) — measured on the same server in the same session;
   - provider: the dashboard, and the proposal list (their own 25 proposals);
   - commissioner: the dashboard, and the proposal list of every submitted proposal, 50 to a
     page, at a random page on every request.

Prints requests per second, p50 and p95 latency per page, and each page's throughput as a
fraction of the home page's. The load generator runs on the same machine as the server and
takes CPU from it; nothing here is a timed assertion.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse, urlunparse

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
LOCUSTFILE = HERE / "web_locustfile.py"
PASSWORD_ENV = "WEB_LOAD_PASSWORD"
COMMISSIONER = "commissioner"
#: The provider whose pages are measured (any would do: all have the same number of proposals).
PROVIDER = "provider001"
LIST_PAGE_SIZE = 50


# ---------------------------------------------------------------------------------------------
# Step 1 and 2, in a subprocess with Django set up for one database.
# ---------------------------------------------------------------------------------------------


def generate(
    workspace: Path, database_url: str | None, providers: int, proposals: int
) -> dict[str, Any]:
    """Migrate a fresh database and fill it (see the module's docstring). Returns counts and
    timings, and the query counts of the measured pages."""
    # What ``commission serve`` does before serving (cli.cmd_web.setup_django), without
    # importing the whole command line: the settings read these at import.
    (workspace / "web").mkdir(parents=True, exist_ok=True)
    os.environ["COMMISSIONING_WORKSPACE"] = str(workspace.resolve())
    if database_url:
        os.environ["COMMISSIONING_DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "commissioning.web.project.settings"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction

    from commissioning.evidence.catalogue import load_catalogue
    from commissioning.schema.contract import OFFENCE_GROUPS, RISK_TIERS
    from commissioning.secure.checks import (
        LineFacts,
        catalogue_by_id,
        check_proposal,
        rules_on,
    )
    from commissioning.secure.profiling import round_date
    from commissioning.web import models as m
    from commissioning.web.roles import OrganisationKind, Role

    start = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    migrated = time.perf_counter()

    rng = random.Random(7)
    kinds = [
        OrganisationKind.PROBATION_TRUST,
        OrganisationKind.PUBLIC_PRISON,
        OrganisationKind.CONTRACTED_PRISON,
        OrganisationKind.VOLUNTARY_SECTOR,
    ]
    services = {
        setting: [s.id for s in load_catalogue() if setting in s.settings]
        for setting in ("community", "custody")
    }
    password = make_password(os.environ[PASSWORD_ENV])  # one slow hash shared by every account
    user_model = get_user_model()
    with transaction.atomic():
        commissioner = m.Organisation.objects.create(
            name="NOMS Commissioning (benchmark)", kind=OrganisationKind.COMMISSIONER
        )
        orgs = m.Organisation.objects.bulk_create(
            m.Organisation(
                name=f"Benchmark provider {i:03d} (synthetic)",
                kind=kinds[i % len(kinds)],
                provider_id=f"BP{i:03d}",
                region="",
            )
            for i in range(1, providers + 1)
        )
        users = user_model.objects.bulk_create(
            [user_model(username=COMMISSIONER, password=password)]
            + [
                user_model(username=f"provider{i:03d}", password=password)
                for i in range(1, providers + 1)
            ]
        )
        m.Membership.objects.bulk_create(
            [m.Membership(user=users[0], organisation=commissioner, role=Role.COMMISSIONER)]
            + [
                m.Membership(user=user, organisation=org, role=Role.PROVIDER)
                for user, org in zip(users[1:], orgs, strict=True)
            ]
        )
        rnd = m.CommissioningRound.objects.create(
            year="2012-13",
            title="Strategic Commissioning Round 2012-13 (load benchmark, synthetic proposals)",
            status=m.CommissioningRound.Status.OPEN,
            opens=dt.date(2011, 11, 1),
            closes=dt.date(2011, 12, 9),
        )
        first = dt.datetime(2011, 11, 1, 9, 0, tzinfo=dt.UTC)
        made = m.Proposal.objects.bulk_create(
            m.Proposal(
                round=rnd,
                provider=orgs[k % providers],
                title=f"Reoffending services 2012-13, bid {k // providers + 1} (synthetic)",
                status=m.Proposal.Status.SUBMITTED,
                delivery_approach="Synthetic proposal for the load benchmark.",
                created_by=users[1 + k % providers],
                submitted_at=first + dt.timedelta(minutes=rng.randrange(38 * 24 * 60)),
            )
            for k in range(proposals)
        )
        lines: list[m.ProposalLine] = []
        for proposal, org in ((p, orgs[k % providers]) for k, p in enumerate(made)):
            setting = "custody" if org.kind.endswith("_prison") else "community"
            for _ in range(rng.randint(2, 6)):
                lines.append(
                    m.ProposalLine(
                        proposal=proposal,
                        service_id=rng.choice(services[setting]),
                        setting=setting,
                        offence_group=rng.choice(OFFENCE_GROUPS),
                        risk_tier=rng.choice(RISK_TIERS),
                        harm=rng.choice(("low", "medium", "high")),
                        women_only=rng.random() < 0.1,
                        volume=rng.randint(20, 900),
                        unit_price=Decimal(rng.randint(150, 3200)),
                        rationale="Synthetic rationale." if rng.random() < 0.3 else "",
                    )
                )
        lines = m.ProposalLine.objects.bulk_create(lines, batch_size=2000)
        by_proposal: dict[int, list[LineFacts]] = {}
        for line in lines:
            by_proposal.setdefault(line.proposal_id, []).append(LineFacts.of(line))
        catalogue, rules = catalogue_by_id(), rules_on(round_date(rnd.year))
        flags = [
            m.ProposalFlag(
                proposal_id=pid,
                line_id=f.line_id,
                intention=f.intention,
                rule=f.rule,
                detail=f.detail,
                rationale_given=f.rationale_given,
            )
            for pid, facts in by_proposal.items()
            for f in check_proposal(facts, None, catalogue, rules)
        ]
        m.ProposalFlag.objects.bulk_create(flags, batch_size=2000)
        # auto_now stamped every proposal with the same moment: spread them as if submitted.
        from django.db.models import F

        m.Proposal.objects.update(updated_at=F("submitted_at"), created_at=F("submitted_at"))
    loaded = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "providers": providers,
        "proposals": m.Proposal.objects.count(),
        "lines": m.ProposalLine.objects.count(),
        "flags": m.ProposalFlag.objects.count(),
        "flagged_proposals": m.ProposalFlag.objects.values("proposal").distinct().count(),
        "migrate_s": round(migrated - start, 2),
        "load_s": round(loaded - migrated, 2),
        "queries": page_queries(providers, proposals),
    }


def page_queries(providers: int, proposals: int) -> list[dict[str, Any]]:
    """SQL queries per measured page, through Django's test client (signed in by force_login):
    the count, their total time, and the median in-process time of the whole request."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    pages = (proposals + LIST_PAGE_SIZE - 1) // LIST_PAGE_SIZE
    cases = [
        ("public", "home page", "/", ""),
        ("provider", "dashboard", "/dashboard/", "Submitted proposals"),
        ("provider", "proposal list", "/proposals/", f"{proposals // providers:,} proposals"),
        ("commissioner", "dashboard", "/dashboard/", "Proposals with flags"),
        ("commissioner", "proposal list, page 1", "/proposals/", f"{proposals:,} proposals"),
        (
            "commissioner",
            f"proposal list, page {pages}",
            f"/proposals/?page={pages}",
            f"{proposals:,} proposals",
        ),
    ]
    user_model = get_user_model()
    out = []
    for role, page, path, expect in cases:
        client = Client()
        if role != "public":
            username = PROVIDER if role == "provider" else COMMISSIONER
            client.force_login(user_model.objects.get(username=username))
        client.get(path)  # warm the caches (templates, catalogue, intentions)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        body = response.content.decode()
        if response.status_code != 200 or expect not in body:
            raise SystemExit(f"{role} {path}: status {response.status_code}, {expect!r} not shown")
        # Read them now: the next request empties the connection's query log.
        queries = [(q["sql"], float(q["time"])) for q in ctx.captured_queries]
        times = []
        for _ in range(5):
            began = time.perf_counter()
            client.get(path)
            times.append(time.perf_counter() - began)
        out.append(
            {
                "role": role,
                "page": page,
                "queries": len(queries),
                "sql_ms": round(sum(t for _, t in queries) * 1000, 1),
                "slowest": max(queries, key=lambda q: q[1])[0] if queries else "",
                "request_ms": round(statistics.median(times) * 1000, 1),
            }
        )
    return out


# ---------------------------------------------------------------------------------------------
# Steps 3 to 5: databases, the server, sign-in, locust.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    role: str
    page: str
    path: str
    expect: str
    pages: int = 1


@dataclass(frozen=True)
class Measured:
    database: str
    role: str
    page: str
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def with_database(url: str, name: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path=f"/{name}"))


def pg_conninfo(url: str) -> str:
    """libpq connection string for a ``postgresql://`` URL, read as the settings read it."""
    from psycopg.conninfo import make_conninfo

    from commissioning.web.project.settings import database_from_url

    cfg = database_from_url(url)
    given = {
        "dbname": cfg["NAME"] or "postgres",
        "user": cfg["USER"],
        "password": cfg["PASSWORD"],
        "host": cfg["HOST"],
        "port": cfg["PORT"],
    }
    return make_conninfo(**{k: v for k, v in given.items() if v})


def postgres_version(url: str) -> str:
    import psycopg

    with psycopg.connect(pg_conninfo(url)) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


@contextmanager
def fresh_postgres_database(server_url: str) -> Iterator[str]:
    """A new database on the server of ``server_url`` (its role needs CREATEDB), dropped after."""
    import psycopg

    name = f"commissioning_web_load_{secrets.token_hex(4)}"
    with psycopg.connect(pg_conninfo(server_url), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield with_database(server_url, name)
        finally:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A PostgreSQL server on a Unix socket in a temporary folder, as ``.ci/run`` starts one
    (needs root and Debian's server binaries); stopped and removed afterwards."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if os.geteuid() != 0 or not found:
        raise SystemExit("--start-postgres needs root and the postgresql server package")
    pgbin = found[-1]
    folder = Path(tempfile.mkdtemp(prefix="web-load-pg."))
    shutil.chown(folder, "postgres")

    def as_postgres(*args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True)

    as_postgres(
        str(pgbin / "initdb"), "-D", f"{folder}/data", "-A", "trust", "-U", "postgres", "-E", "UTF8"
    )
    as_postgres(
        str(pgbin / "pg_ctl"),
        "-D",
        f"{folder}/data",
        "-l",
        f"{folder}/server.log",
        "-w",
        "-o",
        f"-k {folder} -c listen_addresses=''",
        "start",
    )
    try:
        yield f"postgresql://postgres@/postgres?host={folder}"
    finally:
        as_postgres(str(pgbin / "pg_ctl"), "-D", f"{folder}/data", "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def serving(workspace: Path, database_url: str | None, port: int) -> Iterator[None]:
    """``commission serve`` on loopback, DEBUG off, until the block ends (then Ctrl-C)."""
    env = {k: v for k, v in os.environ.items() if k != "COMMISSIONING_DEBUG"}
    command = [str(BIN / "commission"), "serve", "--workspace", str(workspace), "--port", str(port)]
    if database_url:
        command += ["--database-url", database_url]
    log = (workspace / "server.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(
                        f"the server did not start: {(workspace / 'server.log').read_text()}"
                    ) from None
                time.sleep(0.2)
        yield
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    out = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        out[name.strip()] = rest.split(";", 1)[0]
    return out


def sign_in(port: int, username: str, password: str) -> str:
    """Sign in by the form, as a browser would; returns the session cookie."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/sign-in/")
    response = conn.getresponse()
    page = response.read().decode()
    csrf = cookies(response)["csrftoken"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if token is None:
        raise SystemExit("no CSRF token on the sign-in page")
    body = urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)}
    )
    conn.request(
        "POST",
        "/sign-in/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}",
        },
    )
    response = conn.getresponse()
    response.read()
    session = cookies(response).get("sessionid")
    conn.close()
    if response.status != 302 or not session:
        raise SystemExit(f"sign-in as {username} failed: status {response.status}")
    return session


def run_locust(
    port: int, scenarios: list[Scenario], sessions: dict[str, str], args: argparse.Namespace
) -> Iterator[dict[str, Any]]:
    """The scenarios one after another in one locust process; yields each one's result."""
    wanted = [
        {
            "name": f"{s.role} {s.page}",
            "path": s.path,
            "pages": s.pages,
            "session": sessions[s.role],
            "expect": s.expect,
        }
        for s in scenarios
    ]
    load = subprocess.Popen(
        [
            sys.executable,
            str(LOCUSTFILE),
            "--host",
            f"http://127.0.0.1:{port}",
            "--users",
            str(args.users),
            "--warmup",
            str(args.warmup),
            "--duration",
            str(args.duration),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert load.stdin is not None and load.stdout is not None
    load.stdin.write(json.dumps(wanted))
    load.stdin.close()
    for line in load.stdout:
        yield json.loads(line)
    if load.wait() != 0:
        raise SystemExit(f"the load generator failed: {load.stderr.read() if load.stderr else ''}")


def measure(label: str, database_url: str | None, args: argparse.Namespace) -> list[Measured]:
    password = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="web-load.") as folder:
        workspace = Path(folder)
        env = {**os.environ, PASSWORD_ENV: password}
        command = [
            sys.executable,
            __file__,
            "generate",
            "--workspace",
            str(workspace),
            "--providers",
            str(args.providers),
            "--proposals",
            str(args.proposals),
        ]
        if database_url:
            command += ["--database-url", database_url]
        generated = subprocess.run(command, env=env, check=False, capture_output=True, text=True)
        if generated.returncode != 0:
            raise SystemExit(f"generating the data failed:\n{generated.stderr}")
        report = json.loads(generated.stdout.strip().splitlines()[-1])
        print(
            f"\n== {label}: {report['providers']} providers, {report['proposals']:,} proposals, "
            f"{report['lines']:,} lines, {report['flags']:,} flags on "
            f"{report['flagged_proposals']:,} proposals "
            f"(migrate {report['migrate_s']} s, load {report['load_s']} s)"
        )
        print("queries per request (test client, no HTTP):")
        for q in report["queries"]:
            print(
                f"  {q['role']:<12} {q['page']:<28} {q['queries']:>3} queries  "
                f"SQL {q['sql_ms']:>7.1f} ms  request {q['request_ms']:>7.1f} ms"
            )
        pages = (args.proposals + LIST_PAGE_SIZE - 1) // LIST_PAGE_SIZE
        scenarios = [
            Scenario("baseline", "static file", "/static/app/app.css", ""),
            Scenario("baseline", "home page", "/", "</h1>"),
            Scenario("provider", "dashboard", "/dashboard/", "Submitted proposals"),
            Scenario(
                "provider",
                "proposal list",
                "/proposals/",
                f"{args.proposals // args.providers:,} proposals",
            ),
            Scenario("commissioner", "dashboard", "/dashboard/", "Proposals with flags"),
            Scenario(
                "commissioner",
                f"proposal list (random page of {pages})",
                "/proposals/?page={page}",
                f"{args.proposals:,} proposals",
                pages,
            ),
        ]
        port = free_port()
        results = []
        with serving(workspace, database_url, port):
            sessions = {
                "baseline": "",
                "provider": sign_in(port, PROVIDER, password),
                "commissioner": sign_in(port, COMMISSIONER, password),
            }
            for scenario, got in zip(
                scenarios, run_locust(port, scenarios, sessions, args), strict=True
            ):
                result = Measured(
                    label,
                    scenario.role,
                    scenario.page,
                    got["requests"],
                    got["failures"],
                    got["rps"],
                    got["p50_ms"],
                    got["p95_ms"],
                )
                results.append(result)
                print(
                    f"  {scenario.role:<12} {scenario.page:<36} {result.rps:>7.1f} req/s  "
                    f"p50 {result.p50_ms:>6.0f} ms  p95 {result.p95_ms:>6.0f} ms  "
                    f"({result.requests:,} requests, {result.failures} failed"
                    + (f": {got['errors']}" if got["errors"] else "")
                    + ")",
                    flush=True,
                )
    return results


def table(results: list[Measured]) -> str:
    lines = [
        "| database | role | page | req/s | p50 ms | p95 ms | ÷ home page req/s | failed |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        home = next(b.rps for b in results if b.database == r.database and b.page == "home page")
        lines.append(
            f"| {r.database} | {r.role} | {r.page} | {r.rps:.1f} | {r.p50_ms:.0f} | "
            f"{r.p95_ms:.0f} | {r.rps / home:.2f} | {r.failures}/{r.requests:,} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    gen = sub.add_parser("generate", help="(internal) migrate and fill one database")
    gen.add_argument("--workspace", type=Path, required=True)
    gen.add_argument("--database-url")
    for p in (parser, gen):
        p.add_argument("--providers", type=int, default=200)
        p.add_argument("--proposals", type=int, default=5000)
    parser.add_argument("--users", type=int, default=4, help="concurrent simulated people")
    parser.add_argument("--duration", type=float, default=10, help="seconds measured per page")
    parser.add_argument(
        "--warmup", type=float, default=2, help="seconds of load before measuring each page"
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("COMMISSIONING_TEST_DATABASE_URL"),
        help="a PostgreSQL server to create a throwaway database on (role with CREATEDB); "
        "default $COMMISSIONING_TEST_DATABASE_URL",
    )
    parser.add_argument(
        "--start-postgres",
        action="store_true",
        help="start a throwaway PostgreSQL server as .ci/run does (root only)",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    args = parser.parse_args()

    if args.command == "generate":
        print(
            json.dumps(generate(args.workspace, args.database_url, args.providers, args.proposals))
        )
        return

    began = time.monotonic()
    print(
        f"machine: {platform.system()} {platform.release()} {platform.machine()}, "
        f"{os.cpu_count()} cores (shared with the load generator), Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}; "
        f"{args.users} simulated people, {args.duration} s per page"
    )
    results: list[Measured] = []
    if not args.no_sqlite:
        results += measure("SQLite", None, args)
    with contextlib_chain(args) as server_url:
        if server_url:
            print(f"PostgreSQL {postgres_version(server_url)}")
            with fresh_postgres_database(server_url) as url:
                results += measure("PostgreSQL", url, args)
        else:
            print("\nPostgreSQL not measured: give --postgres URL or --start-postgres")
    if not results:
        raise SystemExit("nothing measured")
    print()
    print(table(results))
    print(f"\nwhole run: {time.monotonic() - began:.0f} s")


@contextmanager
def contextlib_chain(args: argparse.Namespace) -> Iterator[str | None]:
    """The PostgreSQL server to use: a throwaway one, the given one, or none."""
    if args.start_postgres:
        with throwaway_postgres() as url:
            yield url
    else:
        yield args.postgres


if __name__ == "__main__":
    main()
