"""The package's two blueprints: pages (`procurement.*` endpoints) and the JSON API under
/api/v1 (`projects_api.*`). Each capability's views.py / api.py adds its routes to them;
`procurement.register(app)` imports those modules and registers the blueprints."""

from flask import Blueprint

bp = Blueprint("procurement", __name__, cli_group=None)
api_bp = Blueprint("projects_api", __name__, url_prefix="/api/v1")

# OpenAPI pieces every capability's api.py shares.
API_TAG = ["projects"]
PROJECT_ID = [{"name": "project_id", "in": "path", "required": True, "schema": {"type": "integer"}}]


def ok_responses(description: str, status: str = "200") -> dict:
    """The success response plus 403 and 404 (a project you may not see is not found)."""
    return {status: {"description": description}, "403": {"description": "Not allowed"},
            "404": {"description": "No such project (or not visible to you)"}}


def body_ref(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}
