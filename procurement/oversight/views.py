"""Oversight pages: the dashboard (charts as images with their tables next to them, CSV and XLSX
downloads), the red flags, the annual targets and the refresh button."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.errors import NotFound, PermissionDenied, ServiceError, ValidationError
from core.extensions import db
from core.forms import ConfirmForm, apply_form_errors
from core.i18n import translate_error
from core.models import City
from core.policy import roles_required
from core.timeutil import today_cn
from procurement.oversight import (
    charts,
    dashboard,
    figures,
    policy,
    redflags,
    refresh,
    scope,
    targets,
)
from procurement.oversight.blueprints import bp
from procurement.oversight.forms import TargetForm
from procurement.oversight.models import BP_COLUMNS
from procurement.oversight.policy import DASHBOARD_ROLES, OVERSIGHT_ROLES

DOWNLOADS = {"csv": ("text/csv", charts.csv_bytes),
             "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", charts.xlsx_bytes)}


def _scope_or_abort():
    """(city, ids, period, error): a bad period is shown on the page (400), not raised."""
    try:
        return (*scope.resolve(current_user, request.args), None)
    except ValidationError as exc:
        return None, None, None, exc
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)


def _cities():
    return list(db.session.execute(db.select(City).order_by(City.code)).scalars())


@bp.get("/")
@roles_required(*DASHBOARD_ROLES)
def dashboard_page():
    if not policy.can_open_dashboards(current_user):
        abort(403)
    city, ids, period, error = _scope_or_abort()
    if error is not None:
        return render_template("oversight/dashboard.html", error=translate_error(error), fields=error.fields,
                               board=None, cities=_cities(), city=None, args=request.args), 400
    board = dashboard.build(ids, period)
    return render_template("oversight/dashboard.html", board=board, charts=figures.all_charts(board), city=city,
                           cities=_cities() if policy.can_view_dashboard(current_user, None) else [city],
                           args=request.args, query=dict(period.query(), **({"city": city.code} if city else {})),
                           refreshed=refresh.last_refreshed(), refresh_form=ConfirmForm(), error=None,
                           share_label=figures.share_label)


@bp.get("/charts/<key>.<fmt>")
@roles_required(*DASHBOARD_ROLES)
def chart_file(key, fmt):
    if key not in figures.BUILDERS or fmt not in ("svg", *DOWNLOADS):
        abort(404)
    if not policy.can_open_dashboards(current_user):
        abort(403)
    city, ids, period, error = _scope_or_abort()
    if error is not None:
        abort(400, translate_error(error))
    chart = figures.BUILDERS[key](dashboard.build(ids, period))
    name = f"{key}-{city.code if city else 'all'}-{period.query()['from']}-{period.query()['to']}"
    if fmt == "svg":
        response = Response(charts.svg(chart), mimetype="image/svg+xml")
        # An image's own styles (pygal's <style>) and nothing else: no script can run.
        response.headers["Content-Security-Policy"] = charts.SVG_CSP
        return response
    mimetype, render = DOWNLOADS[fmt]
    return Response(render(chart), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


@bp.get("/red-flags")
@roles_required(*DASHBOARD_ROLES)
def red_flags_page():
    if not policy.can_open_dashboards(current_user):
        abort(403)
    city, ids, period, error = _scope_or_abort()
    if error is not None:
        return render_template("oversight/red_flags.html", error=translate_error(error), flags=[], city=None,
                               cities=_cities(), args=request.args, period=None), 400
    tenders = redflags.tenders_in(ids, period)
    flags = redflags.flags_for(tenders)
    return render_template("oversight/red_flags.html", flags=flags, city=city, period=period, error=None,
                           cities=_cities() if policy.can_view_dashboard(current_user, None) else [city],
                           args=request.args, tenders=len(tenders), limit=redflags.MAX_TENDERS,
                           explanations=redflags.EXPLANATIONS)


@bp.route("/targets", methods=["GET", "POST"])
@roles_required(*OVERSIGHT_ROLES)
def targets_page():
    if not policy.can_manage_oversight(current_user):
        abort(403)
    cities = _cities()
    year = today_cn().year
    raw_year = request.args.get("year", "")
    if raw_year.isdigit() and targets.FIRST_YEAR <= int(raw_year) <= targets.LAST_YEAR:
        year = int(raw_year)
    form = TargetForm()
    form.city.choices = [(c.code, f"{c.name_zh} {c.name_en}") for c in cities]
    if request.method == "GET":
        form.year.data = str(year)
    if form.validate_on_submit():
        data = form.service_data()
        if data is not None:
            try:
                saved = targets.set_target(current_user, data)
            except ServiceError as exc:
                apply_form_errors(form, exc)
            else:
                flash(_("The targets of %(city)s for %(year)s are saved.", city=saved.city.name_en, year=saved.year),
                      "success")
                return redirect(url_for("oversight.targets_page", year=saved.year))
    status = 400 if request.method == "POST" else 200
    return render_template("oversight/targets.html", form=form, year=year, cities=cities,
                           rows=targets.targets_for(year), bp_columns=BP_COLUMNS,
                           share_label=_share_column_label), status


def _share_column_label(column: str) -> str:
    return figures.share_label({"coverage_bp": "coverage", "green_share_bp": "green_share",
                                "batch_share_bp": "batch_share", "prefab_share_bp": "prefab_share"}[column])


@bp.post("/refresh")
@roles_required(*OVERSIGHT_ROLES)
def refresh_post():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        written = refresh.refresh_now(current_user)
    except ServiceError as exc:
        flash(translate_error(exc), "danger")
        return redirect(url_for("oversight.dashboard_page")), 303
    flash(_("The figures are refreshed (%(rows)s monthly rows).", rows=sum(written.values())), "success")
    return redirect(url_for("oversight.dashboard_page")), 303
