"""Pseudonymisation: keyed, stable, and the key is found (or refused) as documented."""

from __future__ import annotations

import hashlib
import hmac
import json
import stat
from pathlib import Path

import pyarrow as pa
import pytest

from commissioning.io.pseudonymise import (
    DEMO_KEY,
    ENV_KEY,
    ENV_KEY_FILE,
    KeyProblem,
    PseudonymKey,
    pseudonyms,
    resolve_key,
    write_key_file,
)

KEY = PseudonymKey(bytes(range(32)), "test")
OTHER_KEY = PseudonymKey(bytes(range(1, 33)), "test")


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_KEY, raising=False)
    monkeypatch.delenv(ENV_KEY_FILE, raising=False)


def test_pseudonym_is_the_truncated_hmac_sha256_of_the_id() -> None:
    expected = "p_" + hmac.new(KEY.secret, b"A0001", hashlib.sha256).hexdigest()[:20]
    assert pseudonyms(pa.array(["A0001"]), KEY).to_pylist() == [expected]


def test_same_id_same_key_same_pseudonym_across_tables_and_calls() -> None:
    first = pseudonyms(pa.array(["A1", "B2", "A1", None]), KEY).to_pylist()
    second = pseudonyms(pa.chunked_array([["B2"], ["A1"]]), KEY).to_pylist()
    assert first[0] == first[2] == second[1]
    assert first[1] == second[0]
    assert first[3] is None
    assert first[0] != first[1]


def test_a_different_key_gives_different_pseudonyms() -> None:
    ids = pa.array(["A1", "B2"])
    assert set(pseudonyms(ids, KEY).to_pylist()).isdisjoint(pseudonyms(ids, OTHER_KEY).to_pylist())


def test_fingerprint_identifies_the_key_without_revealing_it() -> None:
    assert KEY.fingerprint == PseudonymKey(bytes(range(32)), "elsewhere").fingerprint
    assert KEY.fingerprint != OTHER_KEY.fingerprint
    assert KEY.secret.hex() not in KEY.fingerprint + repr(KEY)


def test_no_key_is_refused_with_instructions(tmp_path: Path) -> None:
    with pytest.raises(KeyProblem, match="commission keygen PATH"):
        resolve_key(tmp_path / "ws", tmp_path / "a.csv")


def test_keygen_writes_a_private_32_byte_key_and_never_overwrites(tmp_path: Path) -> None:
    path = write_key_file(tmp_path / "keys" / "k.key")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(bytes.fromhex(path.read_text().strip())) == 32
    with pytest.raises(KeyProblem, match="already exists"):
        write_key_file(path)


def test_key_file_from_option_or_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    path = write_key_file(tmp_path / "k.key")
    secret = bytes.fromhex(path.read_text())
    assert resolve_key(tmp_path / "ws", key_file=path).secret == secret
    monkeypatch.setenv(ENV_KEY_FILE, str(path))
    assert resolve_key(tmp_path / "ws").secret == secret
    monkeypatch.setenv(ENV_KEY, "a passphrase long enough to be a key")
    assert resolve_key(tmp_path / "ws").secret == b"a passphrase long enough to be a key"


def test_short_keys_are_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_KEY, "secret")
    with pytest.raises(KeyProblem, match="too short"):
        resolve_key(tmp_path)


def test_key_file_inside_the_workspace_is_refused(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    path = write_key_file(workspace / "policy" / "k.key")
    with pytest.raises(KeyProblem, match="inside the workspace"):
        resolve_key(workspace, key_file=path)


def test_demo_key_only_beside_a_synthetic_manifest_or_by_flag(tmp_path: Path) -> None:
    data = tmp_path / "synth"
    data.mkdir()
    with pytest.raises(KeyProblem):
        resolve_key(tmp_path / "ws", data / "assessments.parquet")
    (data / "synthetic.json").write_text(json.dumps({"synthetic": False}))
    with pytest.raises(KeyProblem):
        resolve_key(tmp_path / "ws", data / "assessments.parquet")
    (data / "synthetic.json").write_text(json.dumps({"synthetic": True, "seed": 1}))
    key = resolve_key(tmp_path / "ws", data / "assessments.parquet")
    assert key.is_demo and key.secret == DEMO_KEY
    flagged = resolve_key(tmp_path / "ws", tmp_path / "real.csv", synthetic_demo_key=True)
    assert flagged.is_demo
