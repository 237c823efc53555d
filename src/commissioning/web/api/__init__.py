"""The JSON API (django-ninja, OpenAPI at ``/api/openapi.json``, docs at ``/api/docs``).

The same ethical walls as the pages: every operation reads through ``walls.visible`` /
``walls.get_visible_or_404`` and checks writes with ``walls.require``. Signed-in calls use the
Django session cookie (and the CSRF token for unsafe methods); published data needs no sign-in.
Answers: 401 sign in, 403 refused (with ``detail``), 404 missing or behind the wall, 422 invalid.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Swagger

from commissioning.web.api import assurance, audit, contracts, proposals, rounds


class ApiDocs(Swagger):
    """The docs page: Swagger UI served from this site's own static files (the copy of
    swagger-ui-dist that the locked django-ninja package ships, Apache-2.0), started by a static
    script, so it works under the same Content-Security-Policy as every page: no CDN, no inline
    script or style, and no call to the public spec validator. Our template adds lang, a title
    and a main landmark."""

    template = "web/api_docs.html"


api = NinjaAPI(
    title="Commission offender services API",
    version="1",
    description=__doc__ or "",
    urls_namespace="api",
    docs=ApiDocs(
        settings={"validatorUrl": None, "tryItOutEnabled": False, "defaultModelsExpandDepth": 0}
    ),
)


@api.exception_handler(PermissionDenied)
def refused(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "not allowed"}, status=403)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    detail = [
        {"loc": ["body", field], "msg": message, "type": "value_error"}
        for field, messages in problems.items()
        for message in messages
    ]
    return api.create_response(request, {"detail": detail}, status=422)


api.add_router("", rounds.router)
api.add_router("", proposals.router)
api.add_router("", contracts.router)
api.add_router("", contracts.transparency)
api.add_router("", assurance.router)
api.add_router("", audit.router)
