"""OGRS3, the Offender Group Reconviction Scale version 3: coefficients and a NumPy scorer.

Source: Howard, Francis, Soothill & Humphreys (2009), *OGRS 3: the revised Offender Group
Reconviction Scale*, Ministry of Justice Research Summary 7/09 (REFERENCES.md, "OGRS3")::

    copas  = ln(TotalSanctions / (10 + AgeAtConviction - AgeAtFirstSanction))
    y      = AgeSex + Status + 1.251124464 * copas + Offence
    P(1yr) = logistic(1.402562384 + y)
    P(2yr) = logistic(2.121705678 + y)

The relational (Ibis) scorer in :mod:`commissioning.assess.risk` uses the same coefficients.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from commissioning.schema.contract import OFFENCES
from commissioning.schema.dates import whole_years as whole_years  # part of the interface

INTERCEPT_1Y = 1.402562384
INTERCEPT_2Y = 2.121705678
COPAS_COEFFICIENT = 1.251124464
STATUS_NO_PREVIOUS = 0.126142106
STATUS_PREVIOUS = 0.463062792
#: Previous sanctions are capped at this number before adding the current one.
PREVIOUS_SANCTIONS_CAP = 50

#: Lower bound (inclusive) of each age band, in whole years; the first band is 10-11.
AGE_BAND_LOWER: tuple[int, ...] = (10, 12, 14, 16, 18, 21, 25, 30, 35, 40, 50)
AGE_BAND_LABELS: tuple[str, ...] = (
    "10-11", "12-13", "14-15", "16-17", "18-20", "21-24", "25-29", "30-34", "35-39", "40-49", "50+",
)
AGE_SEX_MALE: tuple[float, ...] = (
    0.0, 0.083922902, 0.075775765, -0.061594199, -0.625103618, -1.051515067,
    -1.166679288, -1.325976554, -1.368045933, -1.499690953, -2.025261458,
)
AGE_SEX_FEMALE: tuple[float, ...] = (
    -0.785038489, -0.613852078, -0.669521331, -0.959179629, -0.897480934, -1.028488454,
    -1.052777806, -1.129127959, -1.42187494, -1.524652221, -2.44983716,
)

OFFENCE_COEFFICIENTS: dict[str, float] = {
    "violence": 0.0,
    "robbery": -0.634795912,
    "public_order": 0.181917975,
    "sexual_not_child": 0.003276327,
    "sexual_child": -0.653434071,
    "soliciting": 0.760608858,
    "burglary_domestic": -0.12394352,
    "burglary_other": 0.240604429,
    "theft_non_motor": 0.661244321,
    "handling": 0.351866973,
    "fraud_forgery": 0.159910192,
    "absconding_bail": 0.733378677,
    "taking_driving_away": 0.380059431,
    "theft_from_vehicle": 0.427225615,
    "other_motoring": 0.262228428,
    "drink_driving": -0.121439408,
    "criminal_damage": 0.204960477,
    "drug_import_export_production": -0.795556373,
    "drug_possession_supply": 0.077165871,
    "other": -0.060667525,
}
assert tuple(OFFENCE_COEFFICIENTS) == OFFENCES

#: Offence coefficients indexed by position in :data:`OFFENCES`.
OFFENCE_COEFFICIENT_ARRAY = np.array([OFFENCE_COEFFICIENTS[o] for o in OFFENCES])

IntArray = npt.NDArray[np.integer]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def age_band_index(age: IntArray) -> IntArray:
    """Index into the OGRS3 age bands; ages under 10 fall in the first band."""
    idx = np.searchsorted(np.array(AGE_BAND_LOWER), np.asarray(age), side="right") - 1
    return np.asarray(np.clip(idx, 0, len(AGE_BAND_LOWER) - 1), dtype=np.int64)


def linear_predictor(
    age_at_assessment: IntArray,
    age_at_conviction: IntArray,
    age_at_first_sanction: IntArray,
    female: BoolArray,
    previous_sanctions: IntArray,
    offence_index: IntArray,
) -> FloatArray:
    """The OGRS3 linear predictor ``y`` (without the one- or two-year intercept)."""
    band = age_band_index(age_at_assessment)
    age_sex = np.where(
        np.asarray(female, dtype=bool),
        np.asarray(AGE_SEX_FEMALE)[band],
        np.asarray(AGE_SEX_MALE)[band],
    )
    previous = np.minimum(np.asarray(previous_sanctions, dtype=np.int64), PREVIOUS_SANCTIONS_CAP)
    status = np.where(previous > 0, STATUS_PREVIOUS, STATUS_NO_PREVIOUS)
    career = 10 + np.asarray(age_at_conviction) - np.asarray(age_at_first_sanction)
    copas = COPAS_COEFFICIENT * np.log((previous + 1) / career)
    offence = OFFENCE_COEFFICIENT_ARRAY[np.asarray(offence_index)]
    return np.asarray(age_sex + status + copas + offence, dtype=np.float64)


def logistic(x: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


def probabilities(y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """One- and two-year reconviction probabilities from the linear predictor."""
    return logistic(INTERCEPT_1Y + y), logistic(INTERCEPT_2Y + y)


def score_percent(probability: FloatArray) -> IntArray:
    """The published whole-percent score: rounded half-up, clamped to 1-99."""
    pct = np.floor(np.asarray(probability) * 100.0 + 0.5)
    return np.asarray(np.clip(pct, 1, 99), dtype=np.int64)
