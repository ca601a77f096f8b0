"""The OpenAPI 3 document at /api/v1/openapi.json.

Each API module describes its operations in an `Operations` collection next to its routes;
the package's `register(app)` adds that collection to the app with `register(app, ops)`.
"""
import copy

from flask import current_app

EXTENSION_KEY = "openapi"

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message", "fields"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}},
}


class Operations:
    """The operations and schemas one API module documents (plain data until registered)."""

    def __init__(self):
        self.paths: dict[str, dict] = {}
        self.schemas: dict[str, dict] = {}

    def spec(self, path: str, method: str, operation: dict) -> None:
        """Describe an operation; `path` is relative to /api/v1 (e.g. "/products/{id}")."""
        op = copy.deepcopy(operation)
        responses = op.setdefault("responses", {})
        responses.setdefault("400", {"description": "Invalid input", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
        responses.setdefault("401", {"description": "Missing, expired or revoked token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
        self.paths.setdefault(path, {})[method.lower()] = op

    def schema(self, name: str, body: dict) -> None:
        """Describe a reusable component schema."""
        self.schemas[name] = body


def register(app, operations: Operations) -> None:
    """Add an API module's operations to the app's OpenAPI document."""
    merged = app.extensions.setdefault(EXTENSION_KEY, {"paths": {}, "schemas": {}})
    for path, methods in operations.paths.items():
        merged["paths"].setdefault(path, {}).update(methods)
    merged["schemas"].update(operations.schemas)


def document(version: str = "1.0.0", app=None) -> dict:
    """The OpenAPI document of everything registered on `app` (default: the current app)."""
    merged = (app or current_app).extensions.get(EXTENSION_KEY, {"paths": {}, "schemas": {}})
    _PATHS, _SCHEMAS = merged["paths"], merged["schemas"]
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
