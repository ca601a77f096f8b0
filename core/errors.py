"""Errors a user can cause. Services raise them; views and the API render them."""


class ServiceError(Exception):
    """Base class: a message for people and optional per-field messages."""

    status = 400
    code = "bad_request"

    def __init__(self, message, fields=None):
        super().__init__(message)
        self.message = str(message)
        self.fields = dict(fields or {})

    def to_dict(self):
        return {"error": {"code": self.code, "message": self.message, "fields": {k: str(v) for k, v in self.fields.items()}}}


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
