"""The commissioning workspace on the web: organisations, proposals, competitions, contracts and
SLAs, assurance and publication — behind the ethical walls the document requires.

A Django application. The core library never imports it; it calls the core (validation,
profiles, intentions) and renders. Settings live in :mod:`commissioning.web.project.settings`.
"""
