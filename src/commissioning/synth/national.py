"""The synthetic national dataset: one Parquet file per contract table plus a manifest.

:func:`write_national_dataset` streams the calibrated assessments chunk by chunk
(:mod:`commissioning.synth.assessments`), derives each chunk's cohort, reoffences and
interventions (:mod:`commissioning.synth.outcomes`) on a worker thread while the next chunk is
generated, and appends every table to its Parquet file, so memory stays bounded at any size.
``synthetic.json`` records that the data are synthetic, the seed, size, generator version, row
counts and every parameter used, so any figure computed from the files can be traced.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from commissioning import __version__
from commissioning.policy.parameters import ParameterSet, Policy
from commissioning.reference.partners import partners_table
from commissioning.reference.providers import establishments_table, providers_table
from commissioning.schema.contract import COHORT
from commissioning.synth.assessments import DEFAULT_N, assessments_schema, generate_assessments
from commissioning.synth.demand_history import community_starts_table
from commissioning.synth.interventions import INTERVENTIONS_SCHEMA
from commissioning.synth.outcomes import (
    REOFFENCES_SCHEMA,
    OutcomeRules,
    OutcomeTables,
    generate_outcomes,
)

#: Assessments per chunk: large enough for vectorised speed, small enough for bounded memory.
CHUNK_ROWS = 500_000
#: Chunks in flight (generated, not yet written) - bounds memory.
MAX_PENDING = 2
MANIFEST = "synthetic.json"
#: Parameter families the generator reads (recorded in the manifest).
PARAMETER_PREFIXES: tuple[str, ...] = (
    "synth.", "synth_outcomes.", "risk.", "demand.community_history",
)
#: Distinct stream of random numbers for outcomes (the assessments use the seed itself).
_OUTCOME_STREAM = 0x0C0E

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SynthResult:
    """Where the synthetic dataset was written and how many rows each table has."""

    out_dir: Path
    paths: Mapping[str, Path]
    rows: Mapping[str, int]
    manifest: Path
    seed: int
    n: int
    parameters: tuple[str, ...] = field(default_factory=tuple)


def cohort_schema() -> pa.Schema:
    """Arrow schema of the generated ``cohort``: index fields, then the assessment columns."""
    assessed = assessments_schema()
    head = [
        pa.field("offender_id", pa.string()),
        pa.field("index_date", pa.date32()),
        pa.field("index_type", pa.string()),
        pa.field("provider_id", pa.string()),
    ]
    rest = [assessed.field(c) for c in COHORT.column_names[4:] if c in assessed.names]
    return pa.schema(head + rest)


def _default_n(policy: Policy) -> int:
    if "synth.sample_size" in policy:
        sample: Mapping[str, Any] = policy.mapping("synth.sample_size")
        return int(sum(int(v) for v in sample.values()))
    return DEFAULT_N


def _json_value(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _parameters_used(params: ParameterSet) -> dict[str, Any]:
    used: dict[str, Any] = {}
    for p in params:
        if not p.name.startswith(PARAMETER_PREFIXES):
            continue
        used[p.name] = {
            "values": {d.isoformat(): _json_value(v) for d, v in p.values},
            "unit": p.unit,
            "reference": list(p.reference),
            "overridden": p.overridden,
        }
    return used


def write_national_dataset(
    out_dir: Path,
    policy: Policy,
    n: int | None = None,
    seed: int = 2012,
    progress: Progress | None = None,
) -> SynthResult:
    """Write the synthetic national dataset to ``out_dir`` and return what was written.

    ``n`` assessments (default the document's 217,496); the same ``n`` and ``seed`` give
    byte-identical tables. ``progress(label, done, total)`` is called after every chunk.
    ``policy`` is the parameters bound to the round's date (the synthetic parameters have one
    value each, in force from before the data they describe).
    """
    params = policy.parameters
    total = _default_n(policy) if n is None else int(n)
    if total < 1:
        raise ValueError(f"n must be at least 1 assessment (got {total})")
    rules = OutcomeRules.from_policy(policy)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    schemas = {
        "assessments": assessments_schema(),
        "cohort": cohort_schema(),
        "reoffences": REOFFENCES_SCHEMA,
        "interventions": INTERVENTIONS_SCHEMA,
    }
    paths = {name: out_dir / f"{name}.parquet" for name in (
        "assessments", "providers", "establishments", "partners",
        "cohort", "reoffences", "interventions", "community_starts",
    )}
    rows = dict.fromkeys(paths, 0)
    for name, table in (
        ("providers", providers_table(policy)),
        ("establishments", establishments_table(policy)),
        ("partners", partners_table()),
        ("community_starts", community_starts_table(policy, seed)),
    ):
        pq.write_table(table, paths[name])
        rows[name] = table.num_rows

    writers = {name: pq.ParquetWriter(paths[name], schema) for name, schema in schemas.items()}
    pending: deque[tuple[Future[OutcomeTables], int]] = deque()
    done_assessments = 0
    done_outcomes = 0

    def write_outcomes(result: OutcomeTables) -> None:
        nonlocal done_outcomes
        for name, table in (("cohort", result.cohort), ("reoffences", result.reoffences),
                            ("interventions", result.interventions)):
            writers[name].write_table(table.cast(schemas[name]))
            rows[name] += table.num_rows
        done_outcomes += 1

    outcome_rows = 0  # assessments whose outcomes are written, for progress
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="synth-outcomes") as pool:
            chunks = generate_assessments(policy, total, seed, CHUNK_ROWS)
            for number, chunk in enumerate(chunks):
                rng = np.random.default_rng([seed, _OUTCOME_STREAM, number])
                future_outcomes = pool.submit(generate_outcomes, chunk, rules, rng)
                pending.append((future_outcomes, chunk.num_rows))
                writers["assessments"].write_table(chunk.cast(schemas["assessments"]))
                rows["assessments"] += chunk.num_rows
                done_assessments += chunk.num_rows
                if progress is not None:
                    progress("assessments", done_assessments, total)
                while len(pending) >= MAX_PENDING:
                    future, chunk_rows = pending.popleft()
                    write_outcomes(future.result())
                    outcome_rows += chunk_rows
                    if progress is not None:
                        progress("outcomes", outcome_rows, total)
            while pending:
                future, chunk_rows = pending.popleft()
                write_outcomes(future.result())
                outcome_rows += chunk_rows
                if progress is not None:
                    progress("outcomes", outcome_rows, total)
    finally:
        for writer in writers.values():
            writer.close()

    used = _parameters_used(params)
    follow = policy.mapping("synth_outcomes.follow_up")
    manifest = {
        "synthetic": True,
        "notice": "Synthetic data generated from a model; no real person is represented.",
        "generator": "commissioning.synth.national",
        "generator_version": __version__,
        "seed": seed,
        "n": total,
        "chunk_rows": CHUNK_ROWS,
        "follow_up_data_cutoff": str(follow["data_cutoff"]),
        "true_effects_parameter": "synth_outcomes.true_effects",
        "tables": {
            name: {"file": path.name, "rows": rows[name]} for name, path in paths.items()
        },
        "parameters": used,
    }
    manifest_path = out_dir / MANIFEST
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n",
                             encoding="utf-8")
    return SynthResult(
        out_dir=out_dir,
        paths=paths,
        rows=rows,
        manifest=manifest_path,
        seed=seed,
        n=total,
        parameters=tuple(sorted(used)),
    )
