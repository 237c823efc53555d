"""The parameters the tests bind: the built-in set at the round's date (the CLI's default)."""

from __future__ import annotations

from commissioning.cli.common import DEFAULT_DATE
from commissioning.policy.parameters import load_parameters

#: The round's date the tests use (the start of 2012-13, as `commission demo`).
ROUND_DATE = DEFAULT_DATE
#: The built-in parameters bound to it.
POLICY = load_parameters().at(ROUND_DATE)
