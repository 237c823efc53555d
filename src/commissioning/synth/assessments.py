"""The calibrated synthetic national ``assessments`` table (OASys-like, England & Wales 2010-11).

Generated from a model, block by block (:data:`BLOCK_ROWS` records each, independent of the
output chunk size), so any size streams with bounded memory:

1. **Segments** (:mod:`.calibration`): each block's records get a setting, offence group, latent
   risk tier, sex and under-25 flag by exact quotas from Tables 1-2 (largest remainder).
2. **OGRS3 inputs** (:mod:`.history`): offence, dates and criminal history drawn from stated
   distributions and accepted only when the computed OGRS3 two-year score lands in the tier.
3. **Harm, needs, sentence, characteristics** (:mod:`.attributes`) and **provider**
   (:mod:`.placement`).

Every assumption is a dated ``synth.*`` parameter with its reasoning. The default size is the
document's sample, 217,496 (206,670 community and 10,826 custody assessments); other sizes are
split between settings in the same proportion. The same ``n`` and ``seed`` give the same table
whatever ``chunk_rows`` is.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from commissioning.assess.risk import RiskRules
from commissioning.policy.parameters import Policy
from commissioning.schema.contract import (
    ASSESSMENTS,
    NEEDS,
    OFFENCES,
    ROSH_LEVELS,
    SENTENCE_TYPES,
    SETTINGS,
    SEXES,
)
from commissioning.synth import attributes
from commissioning.synth.calibration import allocate_cells, setting_sizes
from commissioning.synth.history import draw_history
from commissioning.synth.placement import place

#: Records generated together (and calibrated exactly) before being cut into output chunks.
BLOCK_ROWS = 1 << 20
#: The document's sample: 206,670 community + 10,826 custody OASys assessments.
DEFAULT_N = 217_496
#: Prefix of synthetic offender ids (clearly not real identifiers).
ID_PREFIX = "SYN"


def _coded(labels: list[str] | tuple[str, ...], index: npt.NDArray[np.int64]) -> pa.Array:
    """A string column from labels and per-record indices (built via a dictionary array)."""
    dictionary = pa.array(list(labels), pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(index, pa.int32()), dictionary).cast(
        pa.string()
    )


def _offender_ids(start: int, count: int, width: int) -> pa.Array:
    """``SYN`` followed by a zero-padded 1-based row number, built without Python loops."""
    numbers = np.arange(start + 1, start + count + 1, dtype=np.int64)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    digits = ((numbers[:, None] // powers) % 10 + ord("0")).astype(np.uint8)
    prefix = np.frombuffer(ID_PREFIX.encode(), dtype=np.uint8)
    raw = np.concatenate([np.broadcast_to(prefix, (count, len(prefix))), digits], axis=1)
    fixed = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(raw.shape[1]), count, [None, pa.py_buffer(np.ascontiguousarray(raw).tobytes())]
    )
    return fixed.cast(pa.binary()).cast(pa.string())


def _block(
    start: int,
    n: int,
    width: int,
    seed: int,
    block: int,
    policy: Policy,
    rules: RiskRules,
) -> pa.Table:
    rng = np.random.default_rng([seed, block])
    cells = allocate_cells(n, policy, rng)
    hist = draw_history(cells, policy, rules, rng)
    rosh = attributes.draw_rosh(cells, policy, rules, rng)
    needs = attributes.draw_needs(cells, policy, rng)
    stype, length, known, req_mask = attributes.draw_sentences(
        cells, needs, policy, rng, SENTENCE_TYPES
    )
    req_labels, req_index = attributes.requirement_strings(req_mask)
    protected = attributes.draw_protected(cells, policy, rng)
    placement = place(cells, hist.age, policy, rng)
    regions = placement.regions

    cols: dict[str, pa.Array] = {
        "offender_id": _offender_ids(start, n, width),
        "assessment_date": pa.array(hist.assessment_date, pa.date32()),
        "setting": _coded(SETTINGS, cells.setting),
        "provider_id": _coded(placement.provider_ids, placement.provider),
        "region": pa.DictionaryArray.from_arrays(
            pa.array(placement.provider, pa.int32()), pa.array(regions, pa.string())
        ).cast(pa.string()),
        "sex": _coded(SEXES, cells.female.astype(np.int64)),
        "date_of_birth": pa.array(hist.date_of_birth, pa.date32()),
        "conviction_date": pa.array(hist.conviction_date, pa.date32()),
        "first_sanction_date": pa.array(hist.first_sanction_date, pa.date32()),
        "previous_sanctions": pa.array(hist.previous_sanctions, pa.int64()),
        "offence": _coded(OFFENCES, hist.offence),
        "rosh": _coded(ROSH_LEVELS, rosh),
        "sentence_type": _coded(SENTENCE_TYPES, stype),
        "sentence_length_days": pa.array(length, pa.int64(), mask=~known),
        "requirements": pa.DictionaryArray.from_arrays(
            pa.array(req_index, pa.int32(), mask=req_mask == 0), pa.array(req_labels, pa.string())
        ).cast(pa.string()),
    }
    for need in NEEDS:
        cols[need.column] = pa.array(needs[need.code], pa.bool_())
    for name, value in protected.items():
        if isinstance(value, tuple):
            cols[name] = _coded(value[0], value[1])
        else:
            cols[name] = pa.array(value, pa.bool_())
    return pa.table({c: cols[c] for c in ASSESSMENTS.column_names})


def assessments_schema() -> pa.Schema:
    """The Arrow schema of generated assessments (contract order and types)."""
    types = {"date": pa.date32(), "bool": pa.bool_(), "int": pa.int64()}
    return pa.schema([(c.name, types.get(c.type.value, pa.string())) for c in ASSESSMENTS.columns])


def generate_assessments(
    policy: Policy,
    n: int | None = None,
    seed: int = 2012,
    chunk_rows: int = 1_000_000,
    workers: int | None = None,
) -> Iterator[pa.Table]:
    """Yield the synthetic assessments in chunks of at most ``chunk_rows`` rows.

    ``n`` defaults to the document's sample size (217,496). Parameters are those of
    ``policy`` (bound to the round's date by the caller). Chunks have every column of the
    ``assessments`` contract, in contract order.
    Blocks are generated by up to ``workers`` processes (default: the CPUs available, at most
    2 blocks in flight per worker); each block has its own random stream, so the result does not
    depend on ``workers`` either.
    """
    n = _default_n(policy) if n is None else n
    if n < 0 or chunk_rows <= 0:
        raise ValueError(f"n must be >= 0 and chunk_rows > 0 (got n={n}, chunk_rows={chunk_rows})")
    rules = RiskRules.from_policy(policy)
    width = max(7, len(str(n)))
    schema = assessments_schema()
    pending: list[pa.Table] = []
    buffered = 0
    for table in _blocks(n, width, seed, policy, rules, workers):
        table = table.cast(schema)
        pending.append(table)
        buffered += table.num_rows
        while buffered >= chunk_rows:
            joined = pa.concat_tables(pending)
            yield joined.slice(0, chunk_rows).combine_chunks()
            rest = joined.slice(chunk_rows)
            pending, buffered = [rest], rest.num_rows
    if buffered:
        yield pa.concat_tables(pending).combine_chunks()


def _blocks(
    n: int,
    width: int,
    seed: int,
    policy: Policy,
    rules: RiskRules,
    workers: int | None,
) -> Iterator[pa.Table]:
    """The blocks in order, generated in worker processes when there are several."""
    starts = list(range(0, n, BLOCK_ROWS))
    jobs = [(start, min(BLOCK_ROWS, n - start), width, seed, b) for b, start in enumerate(starts)]
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = min(workers or cpus or 1, len(jobs))
    if workers <= 1:
        for job in jobs:
            yield _block(*job, policy, rules)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        queue: deque[Future[pa.Table]] = deque()
        for job in jobs:
            queue.append(pool.submit(_block, *job, policy, rules))
            if len(queue) >= workers:
                yield queue.popleft().result()
        while queue:
            yield queue.popleft().result()


def _default_n(policy: Policy) -> int:
    sample: Mapping[str, int] = policy.value("synth.sample_size")
    return int(sum(int(v) for v in sample.values()))


def write_assessments(
    path: Path | str,
    policy: Policy,
    n: int | None = None,
    seed: int = 2012,
    progress: Callable[[int], None] | None = None,
    chunk_rows: int = 1_000_000,
    workers: int | None = None,
) -> int:
    """Stream the synthetic assessments to a Parquet file; return the number of rows written.

    ``progress`` is called with the number of rows written after each chunk.
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with pq.ParquetWriter(out, assessments_schema()) as writer:
        for chunk in generate_assessments(policy, n, seed, chunk_rows, workers=workers):
            writer.write_table(chunk, row_group_size=chunk_rows)
            written += chunk.num_rows
            if progress is not None:
                progress(written)
    return written


#: The most records :func:`provider_sample` draws from the model to find its sample.
MOST_DRAWN = 1 << 24


def provider_sample(
    policy: Policy,
    n: int,
    seed: int,
    *,
    setting: str,
    provider_id: str,
    region: str,
    sex: str | None = None,
) -> pa.Table:
    """``n`` synthetic assessments shaped like one provider's own extract: the first ``n``
    records in ``setting`` (of ``sex``, when given) that the calibrated national model draws
    with ``seed``, relabelled as ``provider_id`` in ``region``. Synthetic, not any real
    caseload: the demo proposals upload these so their population is profiled as a provider's
    upload is. The same arguments give the same table."""
    if n < 1:
        raise ValueError(f"n must be at least 1 assessment (got {n})")
    if setting not in SETTINGS or (sex is not None and sex not in SEXES):
        raise ValueError(f"setting must be one of {SETTINGS} and sex one of {SEXES}")
    drawn = max(4 * n, 1000)
    while True:
        table = pa.concat_tables(generate_assessments(policy, drawn, seed, workers=1))
        keep = pc.equal(table["setting"], setting)
        if sex is not None:
            keep = pc.and_(keep, pc.equal(table["sex"], sex))
        chosen = table.filter(keep)
        if chosen.num_rows >= n:
            break
        if drawn >= MOST_DRAWN:
            raise ValueError(f"fewer than {n:,} records in {setting} of sex {sex} in "
                             f"{drawn:,} drawn")
        drawn *= 4
    chosen = chosen.slice(0, n)
    for name, value in (("provider_id", provider_id), ("region", region)):
        column = pa.array([value] * n, pa.string())
        chosen = chosen.set_column(chosen.schema.get_field_index(name), name, column)
    return chosen.combine_chunks()


__all__ = [
    "DEFAULT_N",
    "assessments_schema",
    "generate_assessments",
    "provider_sample",
    "setting_sizes",
    "write_assessments",
]
