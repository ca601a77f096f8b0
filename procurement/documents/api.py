"""JSON API for a project's documents: list and attach (multipart)."""

from __future__ import annotations

from flask import g, jsonify, request

from core import openapi
from core.api import api_auth
from core.errors import ValidationError
from core.hashchain import canonical_time
from core.i18n import N_
from procurement.blueprints import API_TAG, PROJECT_ID, api_bp, error, ok_responses, ref
from procurement.documents import services as document_svc
from procurement.documents.models import DOCUMENT_KINDS
from procurement.machine.stages import STAGES
from procurement.projects.services import get_project

OPENAPI = openapi.Operations()  # registered by procurement.register(app)


def document_json(link) -> dict:
    return {"id": link.id, "kind": link.kind, "title": link.title, "stage": link.stage,
            "name": link.document.original_name, "sha256": link.document.sha256, "size": link.document.size,
            "content_type": link.document.content_type, "uploaded_by": getattr(link.uploaded_by, "name", None),
            "created_at": canonical_time(link.created_at)}


@api_bp.get("/projects/<int:project_id>/documents")
@api_auth()
def list_documents(project_id):
    p = get_project(g.api_user, project_id)
    return jsonify({"items": [document_json(d) for d in document_svc.project_documents(p)]})


@api_bp.post("/projects/<int:project_id>/documents")
@api_auth()
def attach_document(project_id):
    upload = request.files.get("file")
    if upload is None:
        raise ValidationError(N_("Send the file as multipart/form-data field 'file'."), {"file": N_("Required.")})
    link = document_svc.attach_document(g.api_user, project_id, upload.stream, upload.filename or "",
                                        kind=request.form.get("kind", ""), title=request.form.get("title", ""))
    return jsonify(document_json(link)), 201


OPENAPI.schema("ProjectDocument", {"type": "object", "required": ["id", "kind", "title", "sha256"], "properties": {
    "id": {"type": "integer"}, "kind": {"type": "string", "enum": list(DOCUMENT_KINDS)}, "title": {"type": "string"},
    "stage": {"type": "string", "enum": list(STAGES)}, "name": {"type": "string"}, "sha256": {"type": "string"},
    "size": {"type": "integer", "minimum": 0}, "content_type": {"type": "string"},
    "uploaded_by": {"type": "string", "nullable": True}, "created_at": {"type": "string", "format": "date-time"}}})
OPENAPI.spec("/projects/{project_id}/documents", "get", {
    "summary": "Documents attached to the project (with SHA-256)", "tags": API_TAG, "parameters": PROJECT_ID,
    "responses": ok_responses("Documents", schema={"type": "object", "required": ["items"], "properties": {
        "items": {"type": "array", "items": ref("ProjectDocument")}}})})
OPENAPI.spec("/projects/{project_id}/documents", "post", {
    "summary": "Attach a PDF/JPEG/PNG document (purchaser or city officials); recorded with its SHA-256",
    "tags": API_TAG, "parameters": PROJECT_ID,
    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file", "kind", "title"], "properties": {
            "file": {"type": "string", "format": "binary"},
            "kind": {"type": "string", "enum": list(DOCUMENT_KINDS)},
            "title": {"type": "string", "maxLength": 200}}}}}},
    "responses": {**ok_responses("Attached", "201", "ProjectDocument"),
                  "413": error("The file is larger than the upload limit")}})
