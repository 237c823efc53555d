"""The workspace: a folder holding a commissioning round's inputs, derived data and outputs.

Layout (ARCHITECTURE.md, "The workspace")::

    workspace.json              format version and creation time
    inputs/<table>.parquet      validated, pseudonymised contract tables
    inputs/<table>.manifest.json  where each came from (file, sha256, rows, dropped columns,
                                  import time, key fingerprint - never the key)
    policy/*.yaml               policy parameter overrides in force
    derived.duckdb              derived tables
    reports/  exports/          outputs

Imports are all-or-nothing: the file is validated and pseudonymised in memory, written to
temporary files beside their targets and renamed into place, so a failed import leaves the
workspace exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from commissioning import __version__
from commissioning.io.pseudonymise import (
    HOW_TO_MAKE_A_KEY,
    KeyProblem,
    PseudonymKey,
    needs_key,
    pseudonymise,
)
from commissioning.io.readers import read_table
from commissioning.schema.contract import table_spec

#: Files that hold record-level personal data (pseudonymised people, even synthetic ones) or
#: commercial data (bids, prices, password hashes, keys): readable and writable by their owner
#: only. Patterns relative to the workspace; :meth:`Workspace.protect` applies the mode.
PRIVATE_MODE = 0o600
PRIVATE_FILES: tuple[str, ...] = (
    "inputs/*",
    "derived.duckdb",
    "derived.duckdb.wal",
    "synthetic/*.parquet",
    "web/db.sqlite3*",
    "web/secret_key",
    "web/demo-accounts.txt",
)

WORKSPACE_FORMAT = "commissioning-workspace"
WORKSPACE_VERSION = 1
DEFAULT_WORKSPACE = Path("workspace")
SUBDIRECTORIES: tuple[str, ...] = ("inputs", "policy", "reports", "exports")


@dataclass(frozen=True)
class ImportResult:
    """What one import did: recorded as the table's manifest and shown to the user."""

    table: str
    source_file: str
    source_sha256: str
    rows: int
    columns: tuple[str, ...]
    dropped_columns: tuple[str, ...]
    imported_at: str
    key_fingerprint: str | None
    demo_key: bool
    pseudonymised_columns: tuple[str, ...]
    parquet: str
    #: The file is one the synthetic generator wrote (named in the ``synthetic.json`` beside
    #: it, with the same rows): the report calls what comes from it synthetic.
    synthetic: bool = False

    def manifest(self) -> dict[str, Any]:
        data = asdict(self)
        data["columns"] = list(self.columns)
        data["dropped_columns"] = list(self.dropped_columns)
        data["pseudonymised_columns"] = list(self.pseudonymised_columns)
        data["commissioning_version"] = __version__
        return data


SYNTHETIC_MANIFEST = "synthetic.json"


def synthetic_source(source: Path, rows: int) -> bool:
    """Whether ``source`` is a table of a synthetic dataset: the generator's
    ``synthetic.json`` beside it says ``synthetic: true`` and lists the file with these rows."""
    manifest = Path(source).parent / SYNTHETIC_MANIFEST
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(data, dict) or data.get("synthetic") is not True:
        return False
    tables = data.get("tables")
    if not isinstance(tables, dict):
        return False
    return any(
        isinstance(t, dict) and t.get("file") == Path(source).name and t.get("rows") == rows
        for t in tables.values()
    )


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _atomic_write_bytes(target: Path, write: Any) -> Path:
    """Call `write(tmp_path)` on a temporary file beside `target`; return the temp path."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return tmp_path


class Workspace:
    """A workspace folder (default ``./workspace``)."""

    def __init__(self, path: Path | str = DEFAULT_WORKSPACE) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"

    @property
    def config_path(self) -> Path:
        return self.path / "workspace.json"

    @property
    def inputs_dir(self) -> Path:
        return self.path / "inputs"

    @property
    def policy_dir(self) -> Path:
        return self.path / "policy"

    @property
    def reports_dir(self) -> Path:
        return self.path / "reports"

    @property
    def exports_dir(self) -> Path:
        return self.path / "exports"

    @property
    def database_path(self) -> Path:
        """The DuckDB file for derived tables (opened through commissioning.engine.backend)."""
        return self.path / "derived.duckdb"

    def private_files(self) -> list[Path]:
        """The workspace's files that hold personal or commercial data (:data:`PRIVATE_FILES`)."""
        found = {p for pattern in PRIVATE_FILES for p in self.path.glob(pattern) if p.is_file()}
        return sorted(found)

    def protect(self) -> list[Path]:
        """Make every private file readable and writable by its owner only (0600); return them.

        Imports write their files 0600 from the start; files that other libraries create with
        the process's umask (DuckDB's ``derived.duckdb``, SQLite's ``web/db.sqlite3``, the
        synthetic record-level tables) are narrowed here by the round's secure step and by
        ``commission serve``."""
        files = self.private_files()
        for path in files:
            if path.stat().st_mode & 0o777 != PRIVATE_MODE:
                os.chmod(path, PRIVATE_MODE)
        return files

    def is_initialised(self) -> bool:
        return self.config_path.is_file()

    def init(self) -> bool:
        """Create the folders and `workspace.json`; return True if anything was created.

        Idempotent: an existing workspace (and its creation time) is left as it is.
        """
        created = not self.path.exists()
        for name in SUBDIRECTORIES:
            directory = self.path / name
            if not directory.is_dir():
                directory.mkdir(parents=True, exist_ok=True)
                created = True
        if not self.config_path.is_file():
            config = {
                "format": WORKSPACE_FORMAT,
                "version": WORKSPACE_VERSION,
                "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "commissioning_version": __version__,
            }
            tmp = _atomic_write_bytes(
                self.config_path,
                lambda p: p.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8"),
            )
            os.replace(tmp, self.config_path)
            created = True
        return created

    def config(self) -> dict[str, Any]:
        """The contents of `workspace.json`."""
        data: dict[str, Any] = json.loads(self.config_path.read_text(encoding="utf-8"))
        return data

    def input_path(self, table: str) -> Path:
        """Where an imported table lives (whether or not it has been imported)."""
        table_spec(table)
        return self.inputs_dir / f"{table}.parquet"

    def manifest_path(self, table: str) -> Path:
        table_spec(table)
        return self.inputs_dir / f"{table}.manifest.json"

    def has(self, table: str) -> bool:
        """True when the table has been imported."""
        return self.input_path(table).is_file()

    def tables(self) -> list[str]:
        """Names of the imported contract tables."""
        from commissioning.schema.contract import TABLES

        return [name for name in TABLES if self.has(name)]

    def manifest(self, table: str) -> dict[str, Any]:
        """The import manifest of a table."""
        data: dict[str, Any] = json.loads(self.manifest_path(table).read_text(encoding="utf-8"))
        return data

    def policy_override_files(self) -> list[Path]:
        """Policy parameter overrides in force: `policy/**/*.yaml`, sorted by path."""
        if not self.policy_dir.is_dir():
            return []
        found = [*self.policy_dir.rglob("*.yaml"), *self.policy_dir.rglob("*.yml")]
        return sorted(p for p in found if p.is_file())

    def import_table(
        self, table: str, file: Path | str, key: PseudonymKey | None
    ) -> ImportResult:
        """Validate, pseudonymise and store a contract table as Parquet, all-or-nothing.

        Raises KeyError (unknown table), ValidationFailed (bad input) or KeyProblem (a table
        naming people but no key); in each case the workspace is left untouched.
        """
        spec = table_spec(table)
        source = Path(file)
        if key is None and needs_key(spec.column_names):
            raise KeyProblem(
                f"{table} names people (offender_id) and must be pseudonymised, but no key was "
                f"given, so nothing was imported. {HOW_TO_MAKE_A_KEY}"
            )
        valid = read_table(source, table)
        source_hash = sha256_of(source)
        columns = tuple(valid.table.column_names)
        person_columns = tuple(c for c in columns if needs_key((c,)))
        data = pseudonymise(valid.table, key) if key is not None else valid.table
        self.init()
        target = self.input_path(table)
        result = ImportResult(
            table=table,
            source_file=source.name,
            source_sha256=source_hash,
            rows=valid.num_rows,
            columns=columns,
            dropped_columns=valid.dropped_columns,
            imported_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            key_fingerprint=key.fingerprint if key is not None and person_columns else None,
            demo_key=bool(key is not None and key.is_demo and person_columns),
            pseudonymised_columns=person_columns,
            parquet=str(target.relative_to(self.path)),
            synthetic=synthetic_source(source, valid.num_rows),
        )
        manifest_text = json.dumps(result.manifest(), indent=2) + "\n"
        parquet_tmp = _atomic_write_bytes(target, lambda p: pq.write_table(data, p))
        try:
            manifest_tmp = _atomic_write_bytes(
                self.manifest_path(table),
                lambda p: p.write_text(manifest_text, encoding="utf-8"),
            )
        except BaseException:
            parquet_tmp.unlink(missing_ok=True)
            raise
        os.replace(parquet_tmp, target)
        os.replace(manifest_tmp, self.manifest_path(table))
        return result
