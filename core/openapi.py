"""The OpenAPI 3 document at /api/v1/openapi.json, grown by every endpoint's `spec` call."""
import copy

_PATHS: dict[str, dict] = {}
_SCHEMAS: dict[str, dict] = {}

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message", "fields"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}},
}


def spec(path: str, method: str, operation: dict) -> None:
    """Register an operation; `path` is relative to /api/v1 (e.g. "/products/{id}")."""
    op = copy.deepcopy(operation)
    responses = op.setdefault("responses", {})
    responses.setdefault("400", {"description": "Invalid input", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
    responses.setdefault("401", {"description": "Missing, expired or revoked token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
    _PATHS.setdefault(path, {})[method.lower()] = op


def schema(name: str, body: dict) -> None:
    """Register a reusable component schema."""
    _SCHEMAS[name] = body


def document(version: str = "1.0.0") -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Green Building Materials Procurement Platform API", "version": version,
                 "description": "JSON API. Authenticate with `Authorization: Bearer <token>` (create tokens on your account page)."},
        "servers": [{"url": "/api/v1"}],
        "paths": {p: _PATHS[p] for p in sorted(_PATHS)},
        "components": {
            "schemas": {"Error": ERROR_SCHEMA, **_SCHEMAS},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
