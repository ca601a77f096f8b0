"""Accounts, home pages, language switch, supplier verification, API tokens, health."""
from urllib.parse import urlparse

from sqlalchemy.orm import selectinload

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from core import accounts, api as api_core, nav, notifications, worklists
from core import roles as R
from core.errors import ServiceError
from core.i18n import N_, translate_error
from core.extensions import db, limiter
from core.account_forms import PasswordChangeForm
from core.forms import ConfirmForm, LoginForm, ReviewForm, SupplierRegistrationForm, TokenForm, apply_form_errors
from core.models import ApiToken, Job, Organisation
from core.policy import login_required, roles_required

bp = Blueprint("core", __name__)

HOME_TITLES = {
    R.SUPPLIER: N_("Supplier home"),
    R.PURCHASER: N_("Purchaser home"),
    R.PROCUREMENT_OFFICER: N_("Procurement centre home"),
    R.FINANCE_REVIEWER: N_("Finance office home"),
    R.INSPECTOR: N_("Inspector home"),
    R.EXPERT: N_("Evaluation expert home"),
    R.PLATFORM_ADMIN: N_("Platform administration"),
    R.PLATFORM_REVIEWER: N_("Platform review desk"),
}



def register_nav(app):
    """Core's navigation entries."""
    nav.add(app, "core.home", _l("Home"), order=0)
    nav.add(app, "core.supplier_queue", _l("Supplier verification"), roles=(R.PLATFORM_REVIEWER, R.PLATFORM_ADMIN), order=80)
    nav.add(app, "core.account", _l("Account"), order=95)


def _safe_next(target):
    """Only same-site relative redirects after login."""
    if not target:
        return None
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    return render_template("core/index.html")


@bp.get("/home")
@login_required
def home():
    primary = next((r for r in R.ALL_ROLES if current_user.has_role(r)), None)
    notices = notifications.latest(current_user, limit=10)
    links = [e for e in nav.entries_for(current_user) if e.endpoint not in ("core.home", "core.account")]
    return render_template("core/home.html", role=primary, title=_(HOME_TITLES.get(primary, "Home")), notices=notices,
                           links=links, work=worklists.items_for(current_user))


def _login_limit():
    return current_app.config.get("LOGIN_RATE_LIMIT", "10 per minute")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], error_message=N_("Too many sign-in attempts. Wait a minute and try again."))
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data)
        except ServiceError as exc:
            flash(translate_error(exc), "danger")
            return render_template("core/login.html", form=form), 200
        login_user(user)
        session.permanent = True
        if user.locale:
            session["locale"] = user.locale
        return redirect(_safe_next(form.next.data) or url_for("core.home"))
    return render_template("core/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    accounts.sign_out(current_user)
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("core.index"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def register():
    form = SupplierRegistrationForm()
    if form.validate_on_submit():
        try:
            accounts.register_supplier(credit_code=form.credit_code.data, name_en=form.name_en.data, name_zh=form.name_zh.data,
                                       address=form.address.data, contact_name=form.contact_name.data,
                                       email=form.email.data, password=form.password.data,
                                       licence=form.licence.data.stream, licence_name=form.licence.data.filename or "")
        except ServiceError as exc:
            apply_form_errors(form, exc)
            return render_template("core/register.html", form=form), 400
        # The same words whether the firm was new or already known: the details went by email.
        flash(_("Registration received. We sent you an email about the next steps."), "success")
        return redirect(url_for("core.login"))
    return render_template("core/register.html", form=form), (400 if form.is_submitted() else 200)


@bp.post("/language")
def set_language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["locale"] = lang
        if current_user.is_authenticated:
            accounts.set_locale(current_user, lang)
    return redirect(_safe_next(request.form.get("next")) or url_for("core.index"))


@bp.get("/platform/suppliers")
@roles_required(R.PLATFORM_REVIEWER, R.PLATFORM_ADMIN)
def supplier_queue():
    pending = db.session.execute(db.select(Organisation).filter_by(kind=R.ORG_SUPPLIER, status="pending")
                                 .options(selectinload(Organisation.users)).order_by(Organisation.created_at)).scalars().all()
    recent = db.session.execute(db.select(Organisation).filter(Organisation.kind == R.ORG_SUPPLIER, Organisation.status != "pending")
                                .order_by(Organisation.id.desc()).limit(20)).scalars().all()
    return render_template("core/supplier_queue.html", pending=pending, recent=recent, form=ReviewForm())


@bp.get("/organisations/<int:org_id>/licence")
@login_required
def organisation_licence(org_id):
    """The business licence a firm uploaded when registering (reviewers and the firm's people)."""
    from flask import abort, send_file

    from core import policy
    from core.documents import document_path

    org = db.session.get(Organisation, org_id)
    if org is None or org.licence_document is None or not policy.can_view_licence(current_user, org):
        abort(404)
    doc = org.licence_document
    extension = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}.get(doc.content_type, "")
    return send_file(document_path(doc), mimetype=doc.content_type, as_attachment=True,
                     download_name=f"licence-{org.credit_code or org.id}{extension}")  # credit codes are [0-9A-Z]


@bp.post("/platform/suppliers/<int:org_id>/review")
@roles_required(R.PLATFORM_REVIEWER, R.PLATFORM_ADMIN)
def review_supplier(org_id):
    form = ReviewForm()
    if not form.validate_on_submit():
        flash(_("The form could not be read. Try again."), "danger")
        return redirect(url_for("core.supplier_queue"))
    try:
        org = accounts.review_supplier(current_user, org_id, approve=bool(form.approve.data), note=form.note.data or "")
    except ServiceError as exc:
        flash(translate_error(exc), "danger")
        return redirect(url_for("core.supplier_queue"))
    flash(_("%(name)s is now %(status)s.", name=org.name_zh, status=_(org.status)), "success")
    return redirect(url_for("core.supplier_queue"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        try:
            _row, new_token = api_core.create_token(current_user, form.name.data)
        except ServiceError as exc:
            apply_form_errors(form, exc)
    return _account_page(form=form, new_token=new_token)


def _account_page(status=200, **forms):
    tokens = db.session.execute(db.select(ApiToken).filter_by(user_id=current_user.id).order_by(ApiToken.created_at.desc())).scalars().all()
    context = {"form": TokenForm(formdata=None), "password_form": PasswordChangeForm(formdata=None),
               "new_token": None, **forms}
    return render_template("core/account.html", tokens=tokens, revoke_form=ConfirmForm(), **context), status


@bp.post("/account/password")
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.new_password.data)
        except ServiceError as exc:
            apply_form_errors(form, exc)
            return _account_page(400, password_form=form)
        flash(_("Password changed. You were signed out everywhere else."), "success")
        return redirect(url_for("core.account"))
    return _account_page(400, password_form=form)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id):
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            api_core.revoke_token(current_user, token_id)
            flash(_("Token revoked."), "success")
        except ServiceError as exc:
            flash(translate_error(exc), "danger")
    return redirect(url_for("core.account"))


@bp.get("/jobs/<job_id>")
@login_required
def job_status(job_id):
    job = db.session.get(Job, job_id)
    if job is None or (job.owner_id not in (None, current_user.id)):
        return render_template("errors/404.html"), 404
    return render_template("core/job.html", job=job)


@bp.get("/healthz")
def healthz():
    from core import health

    try:
        db.session.execute(db.text("SELECT 1"))
        database = {"status": "ok", "backend": db.engine.dialect.name}
    except Exception as exc:  # health must report, not crash
        db.session.rollback()
        database = {"status": "down", "error": exc.__class__.__name__}
    body = {"database": database, **health.report()}
    body["status"] = "ok" if database["status"] == "ok" and "degraded" not in {c.get("status") for c in body.values()} else "degraded"
    return jsonify(body), 200
