"""Settings for the web workspace: SQLite in the workspace by default, PostgreSQL when asked.

Environment variables (all optional for the local demo):

- ``COMMISSIONING_WORKSPACE``: the workspace folder (default ``./workspace``); the SQLite
  database and uploaded files live in its ``web/`` folder.
- ``COMMISSIONING_DATABASE_URL``: ``postgresql://user:password@host:port/name`` (or
  ``postgresql:///name?host=/socket/dir``) to use PostgreSQL instead of SQLite.
- ``COMMISSIONING_SECRET_KEY``: the signing key; without it a random key is created once in
  ``workspace/web/secret_key`` (never committed, readable only by its owner).
- ``COMMISSIONING_DEBUG=1``: Django's debug pages (never in production).

Production settings (:mod:`commissioning.web.project.settings_production`) add HTTPS-only
cookies, HSTS and a required secret key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

WEB_DIR = Path(__file__).resolve().parent.parent
WORKSPACE = Path(os.environ.get("COMMISSIONING_WORKSPACE", "workspace")).resolve()
WEB_DATA = WORKSPACE / "web"


def _secret_key() -> str:
    """The given key, else the workspace's (``commission serve`` creates it), else a key for
    this process only (sessions then end when it stops). Importing settings writes nothing."""
    given = os.environ.get("COMMISSIONING_SECRET_KEY")
    if given:
        return given
    path = WEB_DATA / "secret_key"
    if path.exists():
        return path.read_text().strip()
    return secrets.token_urlsafe(50)


def database_from_url(url: str | None) -> dict[str, Any]:
    """Django ``DATABASES['default']`` for a PostgreSQL URL, or SQLite in the workspace."""
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(WEB_DATA / "db.sqlite3"),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    parts = urlparse(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(
            "the database URL (--database-url or COMMISSIONING_DATABASE_URL) must start with "
            f"postgresql:// (got {parts.scheme}://): only SQLite (the default) and PostgreSQL "
            "are supported"
        )
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or ""])[0]
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": 60,
    }


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("COMMISSIONING_DEBUG") == "1"
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get(
        "COMMISSIONING_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver"
    ).split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "commissioning.web.apps.WebConfig",
    # django-ninja's static Swagger UI (its docs page then uses no CDN; see web/api/__init__.py)
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "commissioning.web.audit.ActorMiddleware",
    "commissioning.web.security.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "commissioning.web.project.urls"
WSGI_APPLICATION = "commissioning.web.project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [WEB_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "commissioning.web.context.workspace",
            ],
        },
    },
]

DATABASES = {"default": database_from_url(os.environ.get("COMMISSIONING_DATABASE_URL"))}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "public-home"

#: Failed sign-ins allowed per username (and per client address) in the window before lock-out.
LOGIN_THROTTLE_ATTEMPTS = int(os.environ.get("COMMISSIONING_LOGIN_ATTEMPTS", "5"))
LOGIN_THROTTLE_WINDOW_SECONDS = 15 * 60

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
#: Built from npm (GOV.UK Frontend, MoJ Frontend) by ``make install``; see web/frontend/.
STATICFILES_DIRS = [WEB_DIR / "static"]
STATIC_ROOT = WEB_DATA / "staticfiles"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
#: Largest provider extract accepted (bytes).
COMMISSIONING_MAX_UPLOAD = int(os.environ.get("COMMISSIONING_MAX_UPLOAD", str(200 * 1024 * 1024)))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "commissioning.web.walls": {"handlers": ["console"], "level": "WARNING"},
        "django.security": {"handlers": ["console"], "level": "WARNING"},
    },
}
