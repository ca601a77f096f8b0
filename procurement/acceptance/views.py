"""The loop-closure report pages: the printable HTML page and the PDF (the same figures as the
API's ``closure-report``)."""

from __future__ import annotations

from flask import Response, render_template

from core.policy import login_required
from procurement.acceptance.blueprints import bp
from procurement.acceptance.report import closure_report
from procurement.acceptance.report_pdf import render_pdf
from procurement.records.integrity import coverage
from procurement.web import project_or_404


@bp.get("/projects/<int:project_id>/closure-report")
@login_required
def closure_report_page(project_id):
    project = project_or_404(project_id)
    return render_template("acceptance/report.html", project=project, report=closure_report(project),
                           cover=coverage(project))


@bp.get("/projects/<int:project_id>/closure-report.pdf")
@login_required
def closure_report_pdf(project_id):
    project = project_or_404(project_id)
    return Response(render_pdf(project, closure_report(project)), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{project.code}-closure-report.pdf"'})
