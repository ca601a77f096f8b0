"""Pages for people: password reset, invitations, an organisation's people, notifications,
and (for the demo and operators) the mail the platform sent."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import notifications, people, policy
from core import roles as R
from core.account_forms import ForgotPasswordForm, InviteForm, NewPasswordForm, RolesForm
from core.errors import ServiceError
from core.extensions import db, limiter
from core.forms import ConfirmForm, apply_form_errors
from core.i18n import N_, translate_error
from core.models import MailMessage
from core.policy import login_required, roles_required
from core.views import bp
from core.web import page_number


def _reset_limit():
    from flask import current_app

    return current_app.config.get("LOGIN_RATE_LIMIT", "10 per minute")


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"], error_message=N_("Too many requests. Wait a minute and try again."))
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        people.request_password_reset(form.email.data)
        # The same words whether or not the address has an account.
        flash(_("If an account uses this address, we sent it a link to set a new password."), "info")
        return redirect(url_for("core.login"))
    return render_template("core/password_forgot.html", form=form), (400 if form.is_submitted() else 200)


def _set_password_page(token, use_token, *, title, lead, done):
    """A page where the holder of an e-mailed link sets a password (`use_token(token, password)`)."""
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            use_token(token, form.password.data)
        except ServiceError as exc:
            apply_form_errors(form, exc)
            return render_template("core/set_password.html", form=form, title=title, lead=lead), exc.status
        flash(done, "success")
        return redirect(url_for("core.login"))
    return render_template("core/set_password.html", form=form, title=title, lead=lead), \
        (400 if form.is_submitted() else 200)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    return _set_password_page(
        token, people.reset_password, title=_("Set a new password"),
        lead=_("Setting a new password signs you out on every device."),
        done=_("Your password is set. Sign in with it; you were signed out everywhere."))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token):
    return _set_password_page(
        token, people.accept_invitation, title=_("Accept your invitation"),
        lead=_("Choose the password of your new account. You sign in with the email address the invitation was sent to."),
        done=_("Welcome. Your account is ready: sign in with your email and new password."))


def _role_choices(organisation):
    return [(r, _(r)) for r in R.ALL_ROLES if r in R.ROLES_BY_ORG_KIND[organisation.kind]]


def _people_page(status=200, invite_form=None):
    organisation = policy.organisation_of(current_user)
    try:
        members = people.people_of(current_user, organisation)
    except ServiceError:
        abort(403)
    invite_form = invite_form or InviteForm(formdata=None)
    invite_form.roles.choices = _role_choices(organisation)
    role_forms = {}
    for person in members:
        form = RolesForm(formdata=None, prefix=f"p{person.id}", roles=sorted(person.role_names))
        form.roles.choices = _role_choices(organisation)
        role_forms[person.id] = form
    return render_template("core/people.html", organisation=organisation, members=members, invite_form=invite_form,
                           role_forms=role_forms, confirm_form=ConfirmForm()), status


@bp.get("/organisation/people")
@roles_required(R.ORG_ADMIN)
def people_page():
    return _people_page()


@bp.post("/organisation/people/invite")
@roles_required(R.ORG_ADMIN)
def invite_person():
    form = InviteForm()
    form.roles.choices = _role_choices(policy.organisation_of(current_user))
    if form.validate_on_submit():
        try:
            person = people.invite(current_user, email=form.email.data, name=form.name.data, roles=form.roles.data)
        except ServiceError as exc:
            apply_form_errors(form, exc)
            return _people_page(exc.status, invite_form=form)
        flash(_("Invitation sent to %(email)s.", email=person.email), "success")
        return redirect(url_for("core.people_page"))
    return _people_page(400, invite_form=form)


@bp.post("/organisation/people/<int:user_id>/roles")
@roles_required(R.ORG_ADMIN)
def set_person_roles(user_id):
    form = RolesForm(prefix=f"p{user_id}")
    form.roles.choices = _role_choices(policy.organisation_of(current_user))
    if form.validate_on_submit():
        try:
            people.set_roles(current_user, user_id, form.roles.data)
            flash(_("Roles saved."), "success")
        except ServiceError as exc:
            flash(translate_error(exc), "danger")
    else:
        flash(_("Choose roles from the list."), "danger")
    return redirect(url_for("core.people_page"))


@bp.post("/organisation/people/<int:user_id>/active")
@roles_required(R.ORG_ADMIN)
def set_person_active(user_id):
    """Deactivate (active=0) or reactivate (active=1) a colleague."""
    if ConfirmForm().validate_on_submit() and request.form.get("active") in ("0", "1"):
        activate = request.form["active"] == "1"
        try:
            people.set_active(current_user, user_id, activate)
            flash(_("Account reactivated.") if activate else _("Account deactivated; its sessions ended."), "success")
        except ServiceError as exc:
            flash(translate_error(exc), "danger")
    return redirect(url_for("core.people_page"))


@bp.get("/notifications")
@login_required
def notification_centre():
    return render_template("core/notifications.html", items=notifications.latest(current_user),
                           confirm_form=ConfirmForm())


@bp.post("/notifications/read")
@login_required
def notifications_read():
    if ConfirmForm().validate_on_submit():
        raw = request.form.get("id", "")
        notifications.mark_read(current_user, int(raw) if raw.isdigit() and len(raw) < 12 else None)
    return redirect(url_for("core.notification_centre"))


@bp.get("/platform/mail")
@roles_required(R.PLATFORM_ADMIN)
def mail_outbox():
    """What the platform sent (and failed to send): in the embedded default, the demo's inbox."""
    per_page = 50
    page = page_number(request.args)
    query = db.select(MailMessage).order_by(MailMessage.id.desc())
    total = db.session.execute(db.select(db.func.count(MailMessage.id))).scalar()
    items = db.session.execute(query.offset((page - 1) * per_page).limit(per_page)).scalars().all()
    return render_template("core/mail.html", items=items, page=page, pages=max(1, -(-total // per_page)), total=total)
