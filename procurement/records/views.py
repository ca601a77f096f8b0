"""The closed-loop record pages: timeline, printable page and JSON download."""

from __future__ import annotations

import json

from flask import Response, render_template

from core.policy import login_required
from procurement.blueprints import bp
from procurement.records.api import records_body
from procurement.records.integrity import coverage
from procurement.records.services import timeline, verify_project
from procurement.web import project_or_404


def _timeline_page(project_id, template: str):
    project = project_or_404(project_id)
    return render_template(template, project=project, records=timeline(project), verify=verify_project(project),
                           cover=coverage(project))


@bp.get("/projects/<int:project_id>/records")
@login_required
def records(project_id):
    return _timeline_page(project_id, "procurement/records.html")


@bp.get("/projects/<int:project_id>/records/print")
@login_required
def records_print(project_id):
    return _timeline_page(project_id, "procurement/records_print.html")


@bp.get("/projects/<int:project_id>/records.json")
@login_required
def records_json(project_id):
    project = project_or_404(project_id)
    return Response(json.dumps(records_body(project, detail=True), ensure_ascii=False, indent=2),
                    mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{project.code}-records.json"'})
