"""Account use cases: sign-in, supplier registration and verification, users."""
from __future__ import annotations

from flask import request

from core import audit, uscc
from core import roles as R
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.i18n import N_
from core.extensions import db
from core.models import Organisation, User, UserRole
from core.passwords import hash_password, verify_password
from core.services import unit_of_work
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
        audit.record("auth.login", user, actor=user)
    return user


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(N_("The password is too short."), {"password": (N_("Use at least %(n)s characters."), {"n": MIN_PASSWORD_LENGTH})})


def register_supplier(*, credit_code: str, name_en: str, name_zh: str, address: str, contact_name: str,
                      email: str, password: str) -> User:
    """A supplier firm registers itself and its first user; it then waits for verification."""
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
    if fields:
        raise ValidationError(N_("Please correct the marked fields."), fields)
    if db.session.execute(db.select(Organisation.id).filter_by(credit_code=credit_code)).first():
        raise Conflict(N_("A firm with this unified social credit code is already registered."),
                       {"credit_code": N_("Already registered. Ask your colleague for an account, or contact the platform.")})
    if db.session.execute(db.select(User.id).filter_by(email=email)).first():
        raise Conflict(N_("This email already has an account."), {"email": N_("Already in use.")})
    with unit_of_work("This firm or email is already registered."):
        org = Organisation(kind=R.ORG_SUPPLIER, name_en=(name_en or name_zh).strip(), name_zh=(name_zh or name_en).strip(),
                           credit_code=credit_code, address=(address or "").strip(), status="pending")
        db.session.add(org)
        db.session.flush()
        user = User(email=email, name=(contact_name or "").strip() or email, password_hash=hash_password(password),
                    organisation_id=org.id, roles=[UserRole(role=R.SUPPLIER)])
        db.session.add(user)
        db.session.flush()
        audit.record("supplier.register", org, after=org.snapshot(), actor=user)
    return user


def review_supplier(reviewer, org_id: int, approve: bool, note: str = "") -> Organisation:
    """A platform reviewer verifies or rejects a pending supplier."""
    if not reviewer.has_role(R.PLATFORM_REVIEWER, R.PLATFORM_ADMIN):
        raise PermissionDenied(N_("Only platform reviewers verify suppliers."))
    if not approve and not (note or "").strip():
        raise ValidationError(N_("Say why the registration is rejected."), {"note": N_("Required when rejecting.")})
    with unit_of_work():
        org = db.session.execute(db.select(Organisation).filter_by(id=org_id).with_for_update()).scalar_one_or_none()
        if org is None or org.kind != R.ORG_SUPPLIER:
            raise NotFound(N_("No such supplier."))
        if org.status != "pending":
            raise Conflict(N_("This supplier is already %(status)s."), status=org.status)
        before = org.snapshot()
        org.status = "verified" if approve else "rejected"
        org.review_note = (note or "").strip()
        org.verified_at = utcnow() if approve else None
        audit.record("supplier.verify" if approve else "supplier.reject", org, before=before, after=org.snapshot(), actor=reviewer)
    return org


def create_user(org: Organisation, *, email: str, name: str, password: str, roles, actor=None) -> User:
    """Add a person to an organisation with roles its kind allows."""
    roles = set(roles)
    allowed = R.ROLES_BY_ORG_KIND[org.kind]
    if not roles or not roles <= allowed:
        raise ValidationError(N_("These roles do not fit this organisation."), {"roles": ", ".join(sorted(roles - allowed)) or "none given"})
    _check_password(password)
    email = normalise_email(email)
    with unit_of_work("This email already has an account."):
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
