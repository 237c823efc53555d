"""The synthetic national dataset: one valid Parquet per contract table, a manifest, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from commissioning.io.readers import read_table
from commissioning.schema.contract import TABLES
from commissioning.synth.national import MANIFEST, SynthResult, write_national_dataset
from policy_support import POLICY

N = 6_000
SEED = 7


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    seen: list[tuple[str, int, int]] = []
    result = write_national_dataset(
        tmp_path_factory.mktemp("national"), POLICY, n=N, seed=SEED,
        progress=lambda label, done, total: seen.append((label, done, total)),
    )
    assert ("assessments", N, N) in seen
    return result


def test_one_parquet_per_contract_table_with_the_reported_rows(dataset: SynthResult) -> None:
    assert set(dataset.paths) == set(TABLES)
    for name, path in dataset.paths.items():
        assert path.name == f"{name}.parquet"
        assert pq.ParquetFile(path).metadata.num_rows == dataset.rows[name]
    assert dataset.rows["assessments"] == N
    assert 0.8 * N < dataset.rows["cohort"] <= N
    assert dataset.rows["reoffences"] > dataset.rows["cohort"] // 2
    assert dataset.rows["interventions"] > N // 2


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_table_passes_contract_validation(dataset: SynthResult, table: str) -> None:
    valid = read_table(dataset.paths[table], table)
    assert valid.num_rows == dataset.rows[table]
    assert valid.dropped_columns == ()


def test_ids_link_across_tables(dataset: SynthResult) -> None:
    con = duckdb.connect()
    for name, path in dataset.paths.items():
        con.execute(f"create view {name} as select * from read_parquet('{path}')")
    [(cohort_orphans, reoffence_orphans, intervention_orphans, unknown_providers,
      unknown_delivery)] = con.sql(
        """
        select
          (select count(*) from cohort anti join assessments using (offender_id)),
          (select count(*) from reoffences anti join cohort using (offender_id)),
          (select count(*) from interventions anti join assessments using (offender_id)),
          (select count(*) from cohort anti join providers using (provider_id)),
          (select count(*) from interventions anti join providers using (provider_id))
        """
    ).fetchall()
    assert (cohort_orphans, reoffence_orphans, intervention_orphans) == (0, 0, 0)
    assert (unknown_providers, unknown_delivery) == (0, 0)


def test_manifest_says_synthetic_and_records_what_made_it(dataset: SynthResult) -> None:
    manifest = json.loads(dataset.manifest.read_text(encoding="utf-8"))
    assert dataset.manifest.name == MANIFEST
    assert manifest["synthetic"] is True
    assert (manifest["seed"], manifest["n"]) == (SEED, N)
    assert manifest["generator_version"]
    assert manifest["follow_up_data_cutoff"] == "2013-07-31"
    assert {t: v["rows"] for t, v in manifest["tables"].items()} == dict(dataset.rows)
    assert "synth_outcomes.true_effects" in manifest["parameters"]
    assert "synth_outcomes.follow_up" in manifest["parameters"]
    assert manifest["parameters"]["synth_outcomes.true_effects"]["reference"]


def test_same_seed_gives_identical_tables(dataset: SynthResult, tmp_path: Path) -> None:
    again = write_national_dataset(tmp_path, POLICY, n=N, seed=SEED)
    for name in ("assessments", "cohort", "reoffences", "interventions"):
        assert pq.read_table(again.paths[name]).equals(pq.read_table(dataset.paths[name])), name
    assert again.manifest.read_bytes() == dataset.manifest.read_bytes()
