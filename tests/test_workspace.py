"""The workspace: layout, idempotent init, all-or-nothing imports with manifests."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from commissioning.io.pseudonymise import KeyProblem, PseudonymKey
from commissioning.io.validation import ValidationFailed
from commissioning.io.workspace import Workspace
from io_support import records, write

KEY = PseudonymKey(b"k" * 32, "test")


def folder_digest(root: Path) -> str:
    """A hash of every path, mode and content under a folder."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(str(path.stat().st_mode).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_init_creates_the_layout_and_is_idempotent(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    assert ws.init() is True
    for name in ("inputs", "policy", "reports", "exports"):
        assert (ws.path / name).is_dir()
    config = json.loads((ws.path / "workspace.json").read_text())
    assert config["version"] == 1 and config["created"]
    before = folder_digest(ws.path)
    assert ws.init() is False
    assert folder_digest(ws.path) == before
    assert ws.database_path == ws.path / "derived.duckdb"
    assert ws.reports_dir == ws.path / "reports"
    assert ws.exports_dir == ws.path / "exports"
    assert ws.input_path("cohort") == ws.path / "inputs" / "cohort.parquet"
    assert not ws.has("cohort")


def test_policy_override_files_are_the_yaml_files_under_policy(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.init()
    (ws.policy_dir / "risk").mkdir()
    (ws.policy_dir / "risk" / "tier_rule.yaml").write_text("values: {}\n")
    (ws.policy_dir / "README.txt").write_text("not a parameter")
    assert ws.policy_override_files() == [ws.policy_dir / "risk" / "tier_rule.yaml"]


def test_import_writes_pseudonymised_parquet_and_a_manifest(tmp_path: Path) -> None:
    source = write(records("assessments", 3, pnc_number="X"), tmp_path / "a.csv")
    ws = Workspace(tmp_path / "ws")
    result = ws.import_table("assessments", source, KEY)
    assert ws.has("assessments") and ws.tables() == ["assessments"]
    stored = pq.read_table(ws.input_path("assessments"))
    ids = stored.column("offender_id").to_pylist()
    assert all(i.startswith("p_") and len(i) == 22 for i in ids)
    assert "A0001_0" not in ids and "pnc_number" not in stored.column_names
    manifest = ws.manifest("assessments")
    assert manifest["source_file"] == "a.csv"
    assert manifest["source_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert manifest["rows"] == 3 == result.rows
    assert manifest["dropped_columns"] == ["pnc_number"]
    assert manifest["key_fingerprint"] == KEY.fingerprint
    assert KEY.secret.decode() not in json.dumps(manifest)
    assert not list(ws.inputs_dir.glob(".*.tmp"))


def test_tables_link_after_import(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.import_table("assessments", write(records("assessments", 3), tmp_path / "a.csv"), KEY)
    ws.import_table("reoffences", write(records("reoffences", 2), tmp_path / "r.parquet"), KEY)
    assessed = set(pq.read_table(ws.input_path("assessments")).column("offender_id").to_pylist())
    reoffenders = set(pq.read_table(ws.input_path("reoffences")).column("offender_id").to_pylist())
    assert len(reoffenders) == 2 and reoffenders <= assessed


def test_a_failed_import_leaves_the_workspace_exactly_as_it_was(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.import_table("assessments", write(records("assessments", 3), tmp_path / "a.csv"), KEY)
    before = folder_digest(ws.path)
    bad = records("assessments", 50)
    bad[49]["offence"] = "jaywalking"
    with pytest.raises(ValidationFailed):
        ws.import_table("assessments", write(bad, tmp_path / "bad.csv"), KEY)
    with pytest.raises(KeyProblem):
        ws.import_table("assessments", tmp_path / "a.csv", None)
    assert folder_digest(ws.path) == before
    assert pq.read_table(ws.input_path("assessments")).num_rows == 3


def test_a_failed_import_into_a_new_folder_creates_nothing(tmp_path: Path) -> None:
    bad = records("providers", 2, kind="charity")
    with pytest.raises(ValidationFailed):
        Workspace(tmp_path / "ws").import_table("providers", write(bad, tmp_path / "p.csv"), None)
    assert not (tmp_path / "ws").exists()


def test_reference_tables_need_no_key(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    result = ws.import_table("providers", write(records("providers", 2), tmp_path / "p.xlsx"),
                             None)
    assert result.key_fingerprint is None and result.pseudonymised_columns == ()
    assert pq.read_table(ws.input_path("providers")).column("provider_id").to_pylist() == [
        "N01_0", "N01_1"]
