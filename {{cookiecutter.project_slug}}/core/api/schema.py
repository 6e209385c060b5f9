"""The OpenAPI schema's AutoSchema: every operation documents the errors it can answer with.

drf-spectacular documents what a view returns; the refusals come from the framework around it
(parsing, authentication, permissions, throttling), so they are derived here from the view's
own classes rather than repeated in every extend_schema. A postprocessing hook could not do
this: it sees the finished document, not the views. Every error has the shape of core.errors.
"""

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework_simplejwt.views import TokenViewBase

from core.errors import ERROR_SCHEMA

ERROR_COMPONENT = "Error"
ERROR_DESCRIPTIONS = {
    400: "The body is not valid JSON, or fails validation: `fields` names each refused field.",
    401: "Credentials are missing, wrong, expired or revoked.",
    403: "The credentials are valid but not allowed to do this, or a session request lacks "
    "its CSRF token.",
    404: "Nothing is at this path.",
    415: "The body is not JSON (send Content-Type: application/json).",
    429: "Too many requests; the Retry-After header says how many seconds to wait.",
}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Permissions that refuse only anonymous requests, which authentication answers with 401.
AUTHENTICATION_ONLY = (AllowAny, IsAuthenticated)


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        self.registry.register_on_missing(
            ResolvedComponent(  # type: ignore[no-untyped-call]  # drf-spectacular has no hints here
                name=ERROR_COMPONENT,
                type=ResolvedComponent.SCHEMA,
                object=ERROR_COMPONENT,
                schema=ERROR_SCHEMA,
            )
        )
        reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
        for status in self.error_statuses("requestBody" in operation):
            operation["responses"].setdefault(
                str(status),
                {
                    "description": ERROR_DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": reference}},
                },
            )
        return operation

    def error_statuses(self, has_body: bool) -> list[int]:
        """The error statuses this operation can answer with, from the view's classes."""
        view = self.view
        authenticators = view.get_authenticators()
        statuses = []
        if has_body:
            statuses.append(400)
        # A bad bearer token is refused even where anonymous requests are allowed; simplejwt's
        # token views check the credentials they are given themselves.
        if authenticators or isinstance(view, TokenViewBase):
            statuses.append(401)
        csrf = self.method in UNSAFE_METHODS and any(
            isinstance(authenticator, SessionAuthentication) for authenticator in authenticators
        )
        if csrf or any(
            not isinstance(permission, AUTHENTICATION_ONLY) for permission in view.get_permissions()
        ):
            statuses.append(403)
        if "{" in self.path:
            statuses.append(404)
        if has_body:
            statuses.append(415)
        if view.get_throttles():
            statuses.append(429)
        return statuses
