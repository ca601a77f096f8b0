"""The package's two blueprints: pages (`procurement.*` endpoints) and the JSON API under
/api/v1 (`projects_api.*`). Each capability's views.py / api.py adds its routes to them;
`procurement.register(app)` imports those modules and registers the blueprints.

Ids in the package's URLs (projects, bill line numbers, document links) are INTEGER columns:
a path id above 2^31 - 1 is no row, so it is answered 404 here, before it reaches a query
(PostgreSQL would refuse to compare an INTEGER column with it and the request would fail).
"""

from flask import Blueprint, abort, current_app

bp = Blueprint("procurement", __name__, cli_group=None)
api_bp = Blueprint("projects_api", __name__, url_prefix="/api/v1")

MAX_ROW_ID = 2**31 - 1  # the largest INTEGER: projects.id, bom_lines.line_no, project_documents.id


@bp.url_value_preprocessor
@api_bp.url_value_preprocessor
def _ids_in_range(_endpoint, values) -> None:
    """404 for a path id no INTEGER column can hold."""
    if values and any(isinstance(v, int) and v > MAX_ROW_ID for v in values.values()):
        abort(404)


def page_path(endpoint: str, **values) -> str:
    """A site-relative link to a page, also outside a request (notifications written by services)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


# OpenAPI pieces every capability's api.py shares.
API_TAG = ["projects"]
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID}
PROJECT_ID = [{"name": "project_id", "in": "path", "required": True, "schema": ID_SCHEMA}]
ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def ref(schema: str) -> dict:
    return {"$ref": f"#/components/schemas/{schema}"}


def error(description: str) -> dict:
    """An error response (the JSON error body)."""
    return {"description": description, "content": ERROR}


def json_response(description: str, schema: dict | str | None = None) -> dict:
    """A success response, with its body's schema (a component name or an inline schema)."""
    out: dict = {"description": description}
    if schema is not None:
        out["content"] = {"application/json": {"schema": ref(schema) if isinstance(schema, str) else schema}}
    return out


def ok_responses(description: str, status: str = "200", schema: dict | str | None = None, *,
                 conflict: str | None = None, not_found: dict | str | None = "No such project (or not visible to you)",
                 forbidden: bool = True, bad: str | None = None, extra: dict | None = None) -> dict:
    """An operation's documented answers: the success response (`schema` its body), 403 unless
    `forbidden` is false, 404 with `not_found` (a description or a prebuilt `error`; an object you
    may not see is not found), 409 with `conflict` (what makes the operation conflict with the
    object's state), 400 with `bad`, and any `extra` answers. Every API module describes its
    operations with this one function."""
    out = {status: json_response(description, schema) if status != "204" else {"description": description}}
    if forbidden:
        out["403"] = error("Not allowed")
    if not_found:
        out["404"] = error(not_found) if isinstance(not_found, str) else not_found
    if conflict:
        out["409"] = error(conflict)
    if bad:
        out["400"] = error(bad)
    out.update(extra or {})
    return out


def body_ref(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": ref(schema)}}}
