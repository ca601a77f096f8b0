"""JSON API for a project's closed-loop record (and the shape of the records download)."""

from __future__ import annotations

from flask import g, jsonify

from core import openapi
from core.api import api_auth
from core.hashchain import canonical_time
from procurement.blueprints import API_TAG, PROJECT_ID, api_bp, ok_responses
from procurement.projects.api import project_json
from procurement.projects.services import get_project
from procurement.records.integrity import coverage
from procurement.records.services import timeline, verify_project

OPENAPI = openapi.Operations()  # registered by procurement.register(app)


def record_json(r) -> dict:
    return {
        "seq": r.seq, "kind": r.kind, "stage": r.stage,
        "actor": ({"id": r.actor_id, "name": r.actor.name} if r.actor is not None else None),
        "created_at": canonical_time(r.created_at), "payload": r.payload,
        "prev_hash": r.prev_hash, "hash": r.hash, "audit_event_id": r.audit_event_id,
    }


def records_body(project, *, detail: bool = False) -> dict:
    """The project, whether its chain is intact, every record (oldest first) and the newest
    signed checkpoint of the audit trail with the newest record of this project it covers."""
    result = verify_project(project)
    cover = coverage(project)
    return {"project": project_json(project, detail=detail), "chain_intact": result.ok,
            "problem": str(result.problem) if result.problem else None,
            "records": [record_json(r) for r in timeline(project)],
            "checkpoint": cover.to_dict() if cover is not None else None}


@api_bp.get("/projects/<int:project_id>/records")
@api_auth()
def records(project_id):
    return jsonify(records_body(get_project(g.api_user, project_id)))


OPENAPI.spec("/projects/{project_id}/records", "get", {
    "summary": "The project's closed-loop record (hash-chained timeline) and whether the chain is intact",
    "tags": API_TAG, "parameters": PROJECT_ID, "responses": ok_responses("Records, oldest first")})
