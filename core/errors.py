"""Errors a user can cause. Services raise them; views and the API render them."""


def render_message(message) -> str:
    """A message is a string or a (template, params) pair; English rendering."""
    if isinstance(message, tuple):
        template, params = message
        return template % params if params else template
    return str(message)


class ServiceError(Exception):
    """Base class: a message for people and optional per-field messages.

    Messages are English templates with %(name)s placeholders; `params` fill them. Views
    translate `template` and interpolate `params` (see core.i18n.translate_error), so services
    stay locale-free. Field messages are strings or (template, params) pairs.
    """

    status = 400
    code = "bad_request"

    def __init__(self, message, fields=None, **params):
        self.template = str(message)
        self.params = params
        self.message = self.template % {k: str(v) for k, v in params.items()} if params else self.template  # English
        super().__init__(self.message)
        self.fields = dict(fields or {})

    def to_dict(self):
        return {"error": {"code": self.code, "message": self.message,
                          "fields": {k: render_message(v) for k, v in self.fields.items()}}}


class ValidationError(ServiceError):
    status = 400
    code = "validation_error"


class PermissionDenied(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


class PaymentRefused(ServiceError):
    """The payment provider refused the request (a declined card): HTTP 402."""

    status = 402
    code = "payment_refused"


class Unavailable(ServiceError):
    """A service the platform depends on (the payment provider) cannot be reached now: HTTP 503,
    try again later."""

    status = 503
    code = "unavailable"


class Misuse(ValueError):
    """A wiring or calling mistake in code (a programmer error, found by tests, never shown to a
    user): its message is a plain English constant, not a translatable one, and `given` keeps
    the value that was refused for the log and the debugger."""

    def __init__(self, message: str, given=None):
        super().__init__(message)
        self.given = given
