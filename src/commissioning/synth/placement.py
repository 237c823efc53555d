"""Which real provider manages each synthetic record: a probation trust or a prison open in 2011.

Community records go to the 35 probation trusts in proportion to their area's population
(``synth.trust_population``). Custody records go to prisons open on 31 March 2011 in proportion
to a weight by predominant function (``synth.prison_allocation``): women only to female
establishments, men only to the others; men under 21 to establishments holding only young adults
with the parameter's probability, else (like men 21 and over) to adult and mixed-age ones;
juvenile establishments take no OASys cases. Prisons whose 2011 function is unknown (none are
open in 2011 under the default register) count as male adult establishments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from commissioning.policy.parameters import Policy
from commissioning.reference.providers import open_establishments, probation_trusts
from commissioning.schema.contract import SETTINGS
from commissioning.synth.attributes import categorical
from commissioning.synth.calibration import Cells

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Placement:
    """Provider and region per record, as indices into ``provider_ids`` and ``regions``."""

    provider_ids: list[str]
    regions: list[str | None]
    provider: IntArray


def place(
    cells: Cells,
    age: IntArray,
    policy: Policy,
    rng: np.random.Generator,
) -> Placement:
    """Assign a provider to every record (see the module docstring for the rule)."""
    pop: Mapping[str, float] = policy.value("synth.trust_population")
    alloc: Mapping[str, Any] = policy.value("synth.prison_allocation")
    trusts = probation_trusts()
    missing = [t.provider_id for t in trusts if t.provider_id not in pop]
    if missing:
        raise ValueError(f"synth.trust_population: no population for trusts {missing}")
    prisons = [
        e for e in open_establishments(policy)
        if e.age_group != "juvenile"
    ]
    ids = [t.provider_id for t in trusts] + [e.provider_id for e in prisons]
    regions: list[str | None] = [t.region for t in trusts]
    regions += [e.region for e in prisons]
    n = cells.tier.size
    provider = np.zeros(n, dtype=np.int64)

    community = np.flatnonzero(cells.setting == SETTINGS.index("community"))
    provider[community] = categorical(
        rng, [float(pop[t.provider_id]) for t in trusts], community.size
    )

    fw: Mapping[str, float] = alloc["function_weight"]
    weight = np.array([float(fw.get(e.function or "unknown", fw["unknown"])) for e in prisons])
    female_estate = np.array([e.gender == "female" for e in prisons])
    young_only = np.array([e.age_group == "young_adult" for e in prisons]) & ~female_estate
    adult_male = ~female_estate & ~young_only
    custody = cells.setting == SETTINGS.index("custody")
    to_young = (
        custody
        & ~cells.female
        & (age < 21)
        & (rng.random(n) < float(alloc["under_21_in_young_adult_estate"]))
    )
    groups = (
        (custody & cells.female, female_estate),
        (to_young, young_only),
        (custody & ~cells.female & ~to_young, adult_male),
    )
    offset = len(trusts)
    for who, eligible in groups:
        idx = np.flatnonzero(who)
        choices = np.flatnonzero(eligible)
        if idx.size and choices.size == 0:
            raise ValueError("no open prison can hold some custody records; check the register")
        if idx.size:
            pick = categorical(rng, weight[choices].tolist(), idx.size)
            provider[idx] = offset + choices[pick]
    return Placement(ids, regions, provider)
