"""The move buttons' target: request a transition from the project page."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.errors import ServiceError
from core.extensions import db
from core.labels import label
from core.policy import login_required
from procurement import labels
from procurement.blueprints import bp
from procurement.machine.services import GateRefused, request_transition
from procurement.machine.stages import ADVANCE
from procurement.web import flash_error, project_or_404


@bp.post("/projects/<int:project_id>/transition")
@login_required
def project_transition(project_id):
    project = project_or_404(project_id)
    # the form's prefix is not known in advance: read the posted fields by suffix
    data = {k.split("-", 3)[-1]: v for k, v in request.form.items() if k.startswith("t-")}
    try:
        moved = request_transition(current_user, project.id, to_stage=data.get("to", ""),
                                   expected_stage=data.get("expected", ""), kind=data.get("kind") or ADVANCE,
                                   reason=data.get("reason"))
    except GateRefused as exc:
        flash_error(exc, with_fields=False)
        for check in exc.checks:
            if not check["passed"]:
                flash(f"✗ {labels.check_title(check['name'])}: {labels.check_message(check)}", "warning")
    except ServiceError as exc:
        flash_error(exc, with_fields=False)
    else:
        db.session.expire_all()
        flash(_("The project moved to the %(stage)s stage.", stage=label(moved.stage, "stage")), "success")
    return redirect(url_for("procurement.project_detail", project_id=project.id))
