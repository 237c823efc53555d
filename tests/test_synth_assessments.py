"""The synthetic national assessments: calibrated to Tables 1-2, deterministic, contract-valid."""

from __future__ import annotations

import csv
import re
from importlib import resources
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from commissioning.assess.risk import RiskRules, score
from commissioning.engine import backend
from commissioning.policy.parameters import load_parameters
from commissioning.reference.providers import establishments_table, probation_trusts
from commissioning.schema.contract import (
    ASSESSMENTS,
    NEED_CODES,
    OFFENCES,
    REQUIREMENTS,
    SENTENCE_TYPES,
)
from commissioning.synth.assessments import DEFAULT_N, generate_assessments, write_assessments
from policy_support import POLICY, ROUND_DATE

TOLERANCE_PP = 1.5


def _published(name: str) -> list[dict[str, str]]:
    ref = resources.files("commissioning.data").joinpath("published").joinpath(name)
    with ref.open("r", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _scored(seed: int) -> pd.DataFrame:
    """Generate the document's sample and score it with the project's Ibis scorer on DuckDB."""
    table = pa.concat_tables(list(generate_assessments(POLICY, seed=seed)))
    rules = RiskRules.from_policy(load_parameters().at(ROUND_DATE))
    con = backend.connect()
    frame: pd.DataFrame = con.execute(score(ibis.memtable(table), rules))
    return frame


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return _scored(2012)


@pytest.fixture(scope="module")
def other_seed() -> pd.DataFrame:
    return _scored(7)


def _profile_gaps(scored: pd.DataFrame) -> list[tuple[str, float]]:
    gaps: list[tuple[str, float]] = []
    for row in _published("risk_profile.csv"):
        group = scored[
            (scored.setting == row["setting"]) & (scored.offence_group == row["offence_group"])
        ]
        cell = group[group.risk_tier.isin(row["risk_tier"].split("+"))]
        where = f"{row['setting']}/{row['offence_group']}/{row['risk_tier']}"
        share = 100.0 * len(cell) / len(group)
        under_25 = 100.0 * float((cell.age_at_assessment < 25).mean())
        female = 100.0 * float((cell.sex == "female").mean())
        gaps.append((f"{where} share", share - float(row["share_pct"])))
        gaps.append((f"{where} under 25", under_25 - float(row["under_25_pct"])))
        gaps.append((f"{where} female", female - float(row["female_pct"])))
    for row in _published("need_prevalence.csv"):
        group = scored[
            (scored.setting == row["setting"]) & (scored.offence_group == row["offence_group"])
        ]
        prevalence = 100.0 * float(group[f"need_{row['need']}"].mean())
        where = f"{row['setting']}/{row['offence_group']}/{row['need']}"
        gaps.append((where, prevalence - float(row["prevalence_pct"])))
    return gaps


def test_default_size_is_the_documents_sample(sample: pd.DataFrame) -> None:
    assert len(sample) == DEFAULT_N == 217_496
    assert (sample.setting == "community").sum() == 206_670
    assert (sample.setting == "custody").sum() == 10_826


def test_every_published_share_is_reproduced_within_one_and_a_half_points(
    sample: pd.DataFrame,
) -> None:
    gaps = _profile_gaps(sample)
    assert len(gaps) == 30 * 3 + 48
    off = [(w, round(g, 2)) for w, g in gaps if abs(g) > TOLERANCE_PP]
    assert off == []


def test_calibration_holds_for_another_seed(other_seed: pd.DataFrame) -> None:
    off = [(w, round(g, 2)) for w, g in _profile_gaps(other_seed) if abs(g) > TOLERANCE_PP]
    assert off == []


def test_a_third_seed_at_a_smaller_size_still_calibrates() -> None:
    table = pa.concat_tables(list(generate_assessments(POLICY, n=60_000, seed=99)))
    rules = RiskRules.from_policy(load_parameters().at(ROUND_DATE))
    scored: pd.DataFrame = backend.connect().execute(score(ibis.memtable(table), rules))
    tier_gaps = [g for w, g in _profile_gaps(scored) if w.endswith("share")]
    assert max(abs(g) for g in tier_gaps) <= TOLERANCE_PP


def test_unlisted_needs_are_below_the_sixth_listed_value(sample: pd.DataFrame) -> None:
    listed: dict[tuple[str, str], dict[str, float]] = {}
    for row in _published("need_prevalence.csv"):
        key = (row["setting"], row["offence_group"])
        listed.setdefault(key, {})[row["need"]] = float(row["prevalence_pct"])
    for (setting, group), needs in listed.items():
        rows = sample[(sample.setting == setting) & (sample.offence_group == group)]
        for need in NEED_CODES:
            if need not in needs:
                assert 100.0 * rows[f"need_{need}"].mean() < min(needs.values()), (setting, need)


def test_need_rises_with_risk_tier(sample: pd.DataFrame) -> None:
    needs = sample[[f"need_{c}" for c in NEED_CODES]].sum(axis=1)
    by_tier = needs.groupby([sample.setting, sample.risk_tier]).mean()
    for setting in ("community", "custody"):
        assert by_tier[setting, "low"] < by_tier[setting, "medium"] < by_tier[setting, "high"]


def test_very_high_tier_is_high_harm_and_other_tiers_are_not(sample: pd.DataFrame) -> None:
    high_harm = sample.rosh.isin(["high", "very_high"])
    assert (high_harm == (sample.risk_tier == "very_high")).all()


def test_columns_follow_the_contract_in_order_and_type() -> None:
    chunk = next(generate_assessments(POLICY, n=2_000, seed=1))
    assert tuple(chunk.column_names) == ASSESSMENTS.column_names
    types = {"date": pa.date32(), "bool": pa.bool_(), "int": pa.int64()}
    for column in ASSESSMENTS.columns:
        assert chunk.schema.field(column.name).type == types.get(column.type.value, pa.string())


def test_contract_rules_hold(sample: pd.DataFrame) -> None:
    s = sample
    assert (s.first_sanction_date <= s.conviction_date).all()
    assert (s.conviction_date <= s.assessment_date).all()
    assert (s.date_of_birth < s.first_sanction_date).all()
    tenth = s.date_of_birth.map(lambda d: d.replace(year=d.year + 10, day=min(d.day, 28)))
    assert (s.first_sanction_date >= tenth).all()
    assert s.assessment_date.min() >= pd.Timestamp("2010-04-01")
    assert s.assessment_date.max() <= pd.Timestamp("2011-03-31")
    first_offenders = s.previous_sanctions == 0
    assert (s.first_sanction_date[first_offenders] == s.conviction_date[first_offenders]).all()
    assert (s.first_sanction_date[~first_offenders] < s.conviction_date[~first_offenders]).all()
    assert s.offence.isin(OFFENCES).all()
    assert s.sentence_type.isin(SENTENCE_TYPES).all()
    ordered = s.sentence_type.isin(["community_order", "suspended_sentence_order"])
    assert s.requirements[~ordered].isna().all()
    assert s.requirements[ordered].notna().all()
    used = {r for reqs in s.requirements[ordered] for r in reqs.split(";")}
    assert used <= set(REQUIREMENTS)
    assert s.sentence_type[s.setting == "community"].isin(
        ["community_order", "suspended_sentence_order", "licence"]
    ).all()
    assert s.pregnancy_maternity[s.sex == "male"].eq(False).all()


def test_offender_ids_are_synthetic_and_unique(sample: pd.DataFrame) -> None:
    assert sample.offender_id.is_unique
    assert sample.offender_id.map(lambda v: re.fullmatch(r"SYN\d{7}", v) is not None).all()
    assert sample.offender_id.iloc[0] == "SYN0000001"


def test_providers_are_real_trusts_and_2011_prisons(sample: pd.DataFrame) -> None:
    trusts = {t.provider_id for t in probation_trusts()}
    estate = establishments_table(POLICY).to_pandas().set_index("provider_id")
    community = sample[sample.setting == "community"]
    custody = sample[sample.setting == "custody"]
    assert set(community.provider_id) == trusts
    assert set(custody.provider_id) <= set(estate.index)
    gender = custody.provider_id.map(estate.gender)
    assert (gender[custody.sex == "female"] == "female").all()
    assert (gender[custody.sex == "male"] != "female").all()
    young_adult_only = custody.provider_id.map(estate.age_group) == "young_adult"
    assert (custody.age_at_assessment[young_adult_only] < 21).all()
    under_21 = custody[(custody.age_at_assessment < 21) & (custody.sex == "male")]
    assert (under_21.provider_id.map(estate.age_group) == "young_adult").mean() > 0.6


def test_same_seed_gives_the_same_table_whatever_the_chunk_size() -> None:
    one = pa.concat_tables(
        list(generate_assessments(POLICY, n=30_000, seed=5, chunk_rows=1_000_000)))
    chunks = list(generate_assessments(POLICY, n=30_000, seed=5, chunk_rows=7_000))
    assert [c.num_rows for c in chunks] == [7_000] * 4 + [2_000]
    assert pa.concat_tables(chunks).equals(one)
    other = pa.concat_tables(list(generate_assessments(POLICY, n=30_000, seed=6)))
    assert not other.equals(one)


def test_other_sizes_split_settings_in_the_documents_proportion() -> None:
    table = pa.concat_tables(list(generate_assessments(POLICY, n=10_000, seed=3)))
    custody = int(np.sum(np.asarray(table.column("setting").to_pylist()) == "custody"))
    assert custody == round(10_000 * 10_826 / 217_496)


def test_write_assessments_streams_parquet_with_progress(tmp_path: Path) -> None:
    seen: list[int] = []
    out = tmp_path / "assessments.parquet"
    written = write_assessments(out, POLICY, n=12_345, seed=4, progress=seen.append)
    assert written == 12_345
    assert seen[-1] == 12_345
    back = pq.read_table(out)
    assert back.num_rows == 12_345
    assert tuple(back.column_names) == ASSESSMENTS.column_names


def test_parallel_blocks_give_the_same_table(monkeypatch: pytest.MonkeyPatch) -> None:
    from commissioning.synth import assessments

    monkeypatch.setattr(assessments, "BLOCK_ROWS", 8_000)
    serial = pa.concat_tables(list(generate_assessments(POLICY, n=20_000, seed=8, workers=1)))
    parallel = pa.concat_tables(list(generate_assessments(POLICY, n=20_000, seed=8, workers=2)))
    assert serial.num_rows == 20_000
    assert parallel.equals(serial)
