"""The relational backend: the one module that knows the engine is DuckDB.

Everything else builds Ibis expressions and hands them here to be read, executed or written,
so the same expressions can run on another Ibis backend (e.g. PySpark) by changing this module.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa
from ibis.backends import BaseBackend

TABULAR_SUFFIXES = (".parquet", ".csv", ".xlsx")


def connect(database: Path | None = None, threads: int | None = None) -> BaseBackend:
    """Open the default backend: DuckDB, in memory or on a workspace database file."""
    path = str(database) if database is not None else ":memory:"
    con = ibis.duckdb.connect(path)
    n = threads or int(os.environ.get("COMMISSIONING_THREADS", "0") or 0)
    if n > 0:
        con.raw_sql(f"SET threads = {int(n)}")
    return con


def read_parquet(con: BaseBackend, path: Path | str, table_name: str | None = None) -> ibis.Table:
    """A lazy table over one Parquet file (or a glob of them)."""
    return con.read_parquet(str(path), table_name=table_name)


def read_csv(con: BaseBackend, path: Path | str, table_name: str | None = None) -> ibis.Table:
    """A lazy table over a CSV file, every column read as text (validation types them)."""
    return con.read_csv(
        str(path), table_name=table_name, all_varchar=True
    )


def from_arrow(con: BaseBackend, table: pa.Table, name: str) -> ibis.Table:
    """Register an in-memory Arrow table with the backend."""
    return con.create_table(name, table, temp=True, overwrite=True)


def from_pandas(con: BaseBackend, frame: pd.DataFrame, name: str) -> ibis.Table:
    """Register an in-memory pandas frame with the backend."""
    return con.create_table(name, frame, temp=True, overwrite=True)


def write(con: BaseBackend, expr: ibis.Table, out: Path) -> None:
    """Write an expression's result to CSV or Parquet, chosen by the file's extension.

    Rows keep the order in which the expression produces them (DuckDB preserves insertion
    order for plain projections).
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()
    if suffix == ".parquet":
        con.to_parquet(expr, str(out))
    elif suffix == ".csv":
        con.to_csv(expr, str(out))
    else:
        raise ValueError(f"{out}: output must end in .csv or .parquet")


def execute(con: BaseBackend, expr: ibis.Expr) -> Any:
    """Run an expression and return pandas (a DataFrame for a table, a scalar otherwise)."""
    return con.execute(expr)


def to_arrow(con: BaseBackend, expr: ibis.Table) -> pa.Table:
    return con.to_pyarrow(expr)


def persist(con: BaseBackend, expr: ibis.Table, name: str) -> ibis.Table:
    """Store a derived table in the workspace database (replacing an older one)."""
    return con.create_table(name, expr, overwrite=True)


def sql_table(con: BaseBackend, name: str) -> ibis.Table:
    return con.table(name)
