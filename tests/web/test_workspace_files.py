"""A whole demo round's workspace: which files hold personal or commercial data and are private
(0600), and the audit head the round anchors, so that truncating the web's audit log later is
detected by ``commission audit verify --expect``."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from commissioning.io.workspace import Workspace

COMMISSION = [str(Path(sys.executable).parent / "commission")]

# The embedded database's files are the workspace's to protect, and its audit table is what the
# truncation test cuts; on PostgreSQL (the CI's second web run) the server owns both, so this
# module runs on SQLite only (CI's first run).
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("COMMISSIONING_DATABASE_URL")),
    reason="file modes of the embedded SQLite workspace; the web database here is PostgreSQL",
)

#: Every file a demo round leaves that holds record-level personal data (pseudonymised or
#: synthetic people) or commercial data (bids, prices, password hashes, keys).
PRIVATE = {
    "derived.duckdb",
    "inputs/assessments.parquet", "inputs/cohort.parquet", "inputs/reoffences.parquet",
    "inputs/interventions.parquet", "inputs/providers.parquet",
    "inputs/establishments.parquet", "inputs/partners.parquet",
    "synthetic/assessments.parquet", "synthetic/cohort.parquet",
    "synthetic/reoffences.parquet", "synthetic/interventions.parquet",
    # the synthetic tables are kept as the imported ones are, people or not
    "synthetic/providers.parquet", "synthetic/establishments.parquet",
    "synthetic/partners.parquet", "synthetic/community_starts.parquet",
    "web/db.sqlite3", "web/secret_key", "web/demo-accounts.txt",
}


@pytest.fixture(scope="module")
def round_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("round") / "ws"
    subprocess.run([*COMMISSION, "demo", "--workspace", str(ws), "--assessments", "2500"],
                   check=True, capture_output=True, text=True, timeout=900)
    return ws


def modes(ws: Path) -> dict[str, int]:
    return {str(p.relative_to(ws)): stat.S_IMODE(p.stat().st_mode)
            for p in sorted(ws.rglob("*")) if p.is_file()}


def test_every_file_with_personal_or_commercial_data_is_private(round_workspace: Path) -> None:
    listed = modes(round_workspace)
    print("\n".join(f"{oct(mode)} {name}" for name, mode in listed.items()))
    assert set(listed) >= PRIVATE, PRIVATE - set(listed)
    wrong = {name: oct(mode) for name, mode in listed.items()
             if name in PRIVATE and mode != 0o600}
    assert wrong == {}
    # the manifests of the imports are private too; what is published (the report, the
    # aggregate exports) stays readable
    assert all(mode == 0o600 for name, mode in listed.items() if name.startswith("inputs/"))
    assert listed["reports/commissioning-round.html"] & 0o044
    # and the workspace's own list of private files is exactly what the round produced
    found = {str(p.relative_to(round_workspace))
             for p in Workspace(round_workspace).private_files()}
    assert found == PRIVATE | {p for p in listed if p.startswith("inputs/")}


def verify(ws: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMISSION, "audit", "verify", "--workspace", str(ws), *extra],
                          capture_output=True, text=True, timeout=300)


def test_the_report_anchors_the_audit_head_and_truncation_is_detected(
    round_workspace: Path,
) -> None:
    ws = round_workspace
    summary = json.loads((ws / "exports" / "secure" / "workspace.json").read_text())
    head = summary["audit"]["head_hash"]
    report = (ws / "reports" / "commissioning-round.html").read_text(encoding="utf-8")
    assert head in report  # the whole hash, so it can be checked later
    assert re.fullmatch(r"[0-9a-f]{64}", head)
    intact = verify(ws, "--expect", head)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "anchored head present" in intact.stdout

    # Someone with the database file drops the guard and removes the three newest entries.
    with sqlite3.connect(ws / "web" / "db.sqlite3") as db:
        db.execute("DROP TRIGGER web_auditentry_no_update")
        (last,) = db.execute("SELECT max(seq) FROM web_auditentry").fetchone()
        db.execute("DELETE FROM web_auditentry WHERE seq > ?", (last - 3,))

    # The shorter chain is still a valid chain on its own ...
    alone = verify(ws)
    assert alone.returncode == 0 and f"head: {last - 3}" in alone.stdout
    # ... but not against the anchored head.
    anchored = verify(ws, "--expect", head)
    assert anchored.returncode == 1
    assert "truncated" in anchored.stdout + anchored.stderr
    assert f"ends at entry {last - 3}" in anchored.stdout + anchored.stderr
    # a malformed anchor is bad input (exit 2), not a verdict
    assert verify(ws, "--expect", "not-a-hash").returncode == 2
