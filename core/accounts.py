"""Account use cases: sign-in, supplier registration and verification, users."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from core import audit, notifications, policy, sessions, uscc
from core import roles as R
from core.errors import NotFound, PermissionDenied, ValidationError
from core.documents import store_document
from core.mail import queue_mail
from core.i18n import N_
from core.extensions import db
from core.models import Organisation, User, UserRole
from core.passwords import hash_password, verify_password
from core.services import unit_of_work
from core.statemachine import Move, StateMachine
from core.timeutil import utcnow

MIN_PASSWORD_LENGTH = 10


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def authenticate(email: str, password: str) -> User:
    """Return the user for valid credentials; otherwise raise and record the failure.

    The same message is used for unknown users and wrong passwords so the form does
    not reveal which emails have accounts.
    """
    email = normalise_email(email)
    user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()
    ok = verify_password(user.password_hash if user else None, password or "")
    if not ok or not user.is_active:
        with unit_of_work():
            audit.record("auth.login_failed", object_type="users", object_id=user.id if user else None,
                         after={"email": email[:254], "ip": request.remote_addr if request else None,
                                "reason": "inactive" if (ok and user and not user.is_active) else "bad_credentials"},
                         actor=None)
        raise ValidationError(N_("Email or password is not correct."))
    with unit_of_work():
        user.last_login_at = utcnow()
        sessions.open_session(user)
        audit.record("auth.login", user, actor=user)
    return user


def sign_out(user) -> None:
    """End this browser's server-side session; a copy of its cookie no longer signs anyone in."""
    with unit_of_work():
        sessions.revoke_current()
        audit.record("auth.logout", user, actor=user)


def change_password(user, current_password: str, new_password: str) -> None:
    """Change a password after checking the current one; every session of the user ends
    (signed out everywhere) and this browser gets a fresh one."""
    if not verify_password(user.password_hash, current_password or ""):
        raise ValidationError(N_("Please correct the marked fields."),
                              {"current_password": N_("The current password is not correct.")})
    check_password_strength(new_password)
    with unit_of_work():
        user.password_hash = hash_password(new_password)
        ended = sessions.revoke_all(user.id)
        sessions.open_session(user)
        audit.record("auth.password_change", user, after={"sessions_ended": ended}, actor=user)


def check_password_strength(password: str) -> None:
    """Refuse a password shorter than MIN_PASSWORD_LENGTH (field `password`)."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(N_("The password is too short."), {"password": (N_("Use at least %(n)s characters."), {"n": MIN_PASSWORD_LENGTH})})


def register_supplier(*, credit_code: str, name_en: str, name_zh: str, address: str, contact_name: str,
                      email: str, password: str, licence=None, licence_name: str = "") -> User | None:
    """A supplier firm registers itself and its first user (its administrator); it then waits
    for verification.

    The page says the same whether or not the email or the credit code is already registered,
    so nobody can probe who has an account; the detail goes to the email address given (which
    only its owner reads). `licence` is the business licence file (a binary stream), stored with
    the registration for the reviewers. Returns the new user, or None when nothing was created."""
    fields = {}
    try:
        credit_code = uscc.validate(credit_code)
    except uscc.USCCError as exc:
        fields["credit_code"] = exc.message
    email = normalise_email(email)
    if "@" not in email:
        fields["email"] = N_("Enter a valid email address.")
    if not (name_en or "").strip() and not (name_zh or "").strip():
        fields["name_zh"] = N_("Give the firm's registered name.")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        fields["password"] = (N_("Use at least %(n)s characters."), {"n": MIN_PASSWORD_LENGTH})
    if licence is None:
        fields["licence"] = N_("Upload the firm's business licence.")
    if fields:
        raise ValidationError(N_("Please correct the marked fields."), fields)
    email_taken = db.session.execute(db.select(User.id).filter_by(email=email)).first() is not None
    firm_taken = db.session.execute(db.select(Organisation.id).filter_by(credit_code=credit_code)).first() is not None
    if email_taken or firm_taken:
        with unit_of_work():
            if email_taken:
                queue_mail(email, _("Someone tried to register with your email address"),
                           _("A supplier registration on the platform used this email address, which already has an "
                             "account. If it was you, sign in, or reset your password from the sign-in page. "
                             "If it was not you, you can ignore this message."), "account.registration_duplicate")
            else:
                queue_mail(email, _("Your firm is already registered"),
                           _("A firm with the unified social credit code %(code)s is already registered on the "
                             "platform. Ask its administrator to invite you, or contact the platform.",
                             code=credit_code), "account.registration_duplicate")
            audit.record("supplier.register_duplicate", object_type="organisations", object_id=None,
                         after={"email_taken": email_taken, "firm_taken": firm_taken}, actor=None)
        return None
    with unit_of_work(N_("This firm or email is already registered.")):
        document = store_document(licence, licence_name or "licence", field="licence")
        db.session.flush()
        org = Organisation(kind=R.ORG_SUPPLIER, name_en=(name_en or name_zh).strip(), name_zh=(name_zh or name_en).strip(),
                           credit_code=credit_code, address=(address or "").strip(), status="pending",
                           licence_document_id=document.id)
        db.session.add(org)
        db.session.flush()
        user = User(email=email, name=(contact_name or "").strip() or email, password_hash=hash_password(password),
                    organisation_id=org.id, roles=[UserRole(role=R.SUPPLIER), UserRole(role=R.ORG_ADMIN)])
        db.session.add(user)
        db.session.flush()
        queue_mail(email, _("Your registration was received"),
                   _("Thank you for registering %(firm)s. The platform will verify the firm; you can sign in "
                     "meanwhile and prepare your products.", firm=org.name_zh or org.name_en),
                   "account.registration_received")
        audit.record("supplier.register", org, after=org.snapshot(), actor=user)
    return user


#: A supplier firm's verification: the explicit table every status change goes through.
ORGANISATION = StateMachine("organisation", ("pending", "verified", "rejected"), [
    Move("verify", ("pending",), "verified"),
    Move("reject", ("pending",), "rejected"),
])


def review_supplier(reviewer, org_id: int, approve: bool, note: str = "") -> Organisation:
    """A platform reviewer verifies or rejects a pending supplier; its people are told in-app
    and by email. Two reviewers acting at once: one wins, the other gets a 409 (atomic on
    SQLite and PostgreSQL alike, by a conditional update)."""
    if not policy.can_verify_suppliers(reviewer):
        raise PermissionDenied(N_("Only platform reviewers verify suppliers."))
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError(N_("Say why the registration is rejected."), {"note": N_("Required when rejecting.")})
    with unit_of_work():
        org = db.session.get(Organisation, org_id)
        if org is None or org.kind != R.ORG_SUPPLIER:
            raise NotFound(N_("No such supplier."))
        before = org.snapshot()
        action = "verify" if approve else "reject"
        ORGANISATION.apply(Organisation, org.id, action, review_note=note[:2000],
                           verified_at=utcnow() if approve else None)
        db.session.refresh(org)
        audit.record(f"supplier.{action}", org, before=before, after=org.snapshot(), actor=reviewer)
        if approve:
            notifications.notify_organisation(org.id, "supplier.verified",
                                              N_("The platform verified your firm. Your products can now be submitted for review."))
        else:
            notifications.notify_organisation(org.id, "supplier.rejected",
                                              N_("The platform rejected your firm's registration: %(reason)s"),
                                              {"reason": note})
    return org


def create_user(org: Organisation, *, email: str, name: str, password: str, roles, actor=None) -> User:
    """Add a person to an organisation with roles its kind allows."""
    from core.people import clean_roles

    roles = clean_roles(org, roles)
    check_password_strength(password)
    email = normalise_email(email)
    with unit_of_work(N_("This email already has an account.")):
        user = User(email=email, name=name, password_hash=hash_password(password), organisation_id=org.id,
                    roles=[UserRole(role=r) for r in sorted(roles)])
        db.session.add(user)
        db.session.flush()
        audit.record("user.create", user, after={"email": email, "roles": sorted(roles), "organisation_id": org.id}, actor=actor)
    return user


def set_locale(user, locale: str) -> None:
    with unit_of_work():
        user.locale = locale
        audit.record("user.set_locale", user, after={"locale": locale}, actor=user)
