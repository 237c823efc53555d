"""Production settings: HTTPS only, secure cookies, HSTS, and a secret key that must be given.

Use with ``DJANGO_SETTINGS_MODULE=commissioning.web.project.settings_production``;
``python manage.py check --deploy`` is clean for these settings (a test runs it).
"""

from __future__ import annotations

import os

from commissioning.web.project.settings import *  # noqa: F403

if not os.environ.get("COMMISSIONING_SECRET_KEY"):
    raise RuntimeError(
        "COMMISSIONING_SECRET_KEY must be set in production (50+ random characters); "
        "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
SECRET_KEY = os.environ["COMMISSIONING_SECRET_KEY"]
DEBUG = False
SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
WHITENOISE_AUTOREFRESH = False
