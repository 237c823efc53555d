"""Secure: the commissioning logic of proposals, evaluation, contracts and assurance.

A core capability with no Django in it: the web (:mod:`commissioning.web`) is its adapter —
models, forms, views and the JSON API — and calls these functions with plain values.

- :mod:`~commissioning.secure.rounds`: a round's date (the first day of its financial year)
  and the date the workspace reports as at.
- :mod:`~commissioning.secure.checks`: a proposal against the commissioning intentions, its
  lines as plan cells through :mod:`commissioning.plan.rules`.
- :mod:`~commissioning.secure.profiling`: a provider's upload validated, scored and profiled.
- :mod:`~commissioning.secure.evaluation`: scoring and ranking bids.
- :mod:`~commissioning.secure.assurance`: quarterly returns, targets and withheld results.
"""
