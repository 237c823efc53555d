"""Security that Django does not set by default: a strict Content-Security-Policy and related
headers, and throttling of failed sign-ins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

#: Only our own scripts, styles, fonts and images (GOV.UK Frontend is served from /static/).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy, Permissions-Policy and no-store for signed-in pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Every page, the API docs included (Swagger UI is served from /static/ too).
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def client_address(request: HttpRequest) -> str:
    """The client's address as seen by this server (proxies are not trusted by default)."""
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def sign_in_locked(username: str, address: str) -> bool:
    """Whether too many recent failures for this username or this address lock sign-in."""
    from commissioning.web.models import FailedLogin

    since = timezone.now() - dt.timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)
    recent = FailedLogin.objects.filter(at__gte=since)
    limit = settings.LOGIN_THROTTLE_ATTEMPTS
    by_user = recent.filter(username__iexact=username).count() if username else 0
    by_address = recent.filter(address=address).count() if address else 0
    return by_user >= limit or by_address >= limit * 4


def record_failed_sign_in(username: str, address: str) -> None:
    from commissioning.web.models import FailedLogin

    FailedLogin.objects.create(username=username[:150], address=address)


def clear_failed_sign_ins(username: str) -> None:
    from commissioning.web.models import FailedLogin

    FailedLogin.objects.filter(username__iexact=username).delete()
