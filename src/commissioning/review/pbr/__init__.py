"""Payment by results: schemes as YAML configuration and the mechanisms that price them."""

from commissioning.review.pbr.mechanisms import MECHANISMS, PaymentDecision, calculate
from commissioning.review.pbr.schemes import (
    Scheme,
    SchemeError,
    builtin_schemes,
    find_scheme,
    load_scheme,
)

__all__ = [
    "MECHANISMS",
    "PaymentDecision",
    "Scheme",
    "SchemeError",
    "builtin_schemes",
    "calculate",
    "find_scheme",
    "load_scheme",
]
