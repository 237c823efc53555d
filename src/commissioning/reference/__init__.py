"""Real reference data, read from the package's ``data/reference`` (see its SOURCES.md).

:mod:`commissioning.reference.providers`: the 35 probation trusts and the prisons open on a
date; :mod:`commissioning.reference.partners`: the co-commissioning partners the 2012-13
document names. These are real registers, not synthetic data: the demand capability reads them for
capacity, the synthetic generator (:mod:`commissioning.synth`) to place its people, and the web
workspace to seed its organisations.
"""
