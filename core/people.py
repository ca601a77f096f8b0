"""People of an organisation: invitations, roles, deactivation, and password reset by e-mail.

An organisation administrator (role `org_admin`) invites colleagues by e-mail with the roles
the organisation's kind allows (`core.roles.ROLES_BY_ORG_KIND`), changes their roles and
deactivates them. Invitation and reset links are single-use tokens (only their SHA-256 is
stored) that expire. Every change commits once with its audit event.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from core import audit, policy, sessions
from core.accounts import check_password_strength
from core import roles as R
from core.errors import NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_
from core.mail import queue_mail
from core.models import AccountToken, ApiToken, User, UserRole
from core.passwords import hash_password
from core.services import unit_of_work
from core.timeutil import utcnow

INVITE = "invite"
RESET = "reset"
LIFETIMES = {INVITE: timedelta(days=7), RESET: timedelta(hours=1)}
UNUSABLE_PASSWORD = "!"  # no argon2 hash looks like this: nobody signs in before accepting


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def issue_token(user: User, purpose: str, actor=None) -> str:
    """A new single-use account token (invitation or password reset) for `user`, stored hashed
    (no commit); returns the token for the link."""
    token = secrets.token_urlsafe(32)
    db.session.add(AccountToken(user_id=user.id, purpose=purpose, token_hash=_digest(token),
                                expires_at=utcnow() + LIFETIMES[purpose], created_by_id=getattr(actor, "id", None)))
    return token


def _live_token(token: str, purpose: str) -> AccountToken:
    row = None
    if isinstance(token, str) and 20 <= len(token) <= 100:
        row = db.session.execute(db.select(AccountToken).filter_by(token_hash=_digest(token), purpose=purpose)
                                 .with_for_update()).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise NotFound(N_("This link is not valid any more. Ask for a new one."))
    return row


def clean_roles(organisation, roles) -> list[str]:
    """The roles, sorted, if the organisation's kind allows every one; else a field error."""
    roles = sorted(set(roles or ()))
    allowed = R.ROLES_BY_ORG_KIND[organisation.kind]
    if not roles:
        raise ValidationError(N_("Please correct the marked fields."), {"roles": N_("Give at least one role.")})
    if not set(roles) <= allowed:
        not_allowed = N_("Roles this organisation cannot hold: %(roles)s.")
        raise ValidationError(N_("These roles do not fit this organisation."),
                              {"roles": (not_allowed, {"roles": ", ".join(sorted(set(roles) - allowed))})})
    return roles


def _person_of(actor, user_id: int) -> User:
    person = db.session.get(User, user_id)
    if person is None or not policy.can_manage_people(actor, person.organisation):
        raise NotFound(N_("No such person."))
    return person


def people_of(actor, organisation) -> list[User]:
    """Everyone in `organisation`, for its administrators."""
    if not policy.can_manage_people(actor, organisation):
        raise PermissionDenied(N_("Only your organisation's administrators manage its people."))
    return db.session.execute(db.select(User).filter_by(organisation_id=organisation.id).order_by(User.name)).scalars().all()


def invite(actor, *, email: str, name: str, roles) -> User:
    """Invite a colleague into the actor's organisation; they set their password from the
    e-mailed link (valid 7 days)."""
    organisation = policy.organisation_of(actor)
    if not policy.can_manage_people(actor, organisation):
        raise PermissionDenied(N_("Only your organisation's administrators manage its people."))
    email = (email or "").strip().lower()
    name = (name or "").strip()
    fields = {}
    if "@" not in email or len(email) > 254:
        fields["email"] = N_("Enter a valid email address.")
    if not name or len(name) > 120:
        fields["name"] = N_("Give a name of 1 to 120 characters.")
    if fields:
        raise ValidationError(N_("Please correct the marked fields."), fields)
    roles = clean_roles(organisation, roles)
    if db.session.execute(db.select(User.id).filter_by(email=email)).first():
        raise ValidationError(N_("Please correct the marked fields."),
                              {"email": N_("This email already has an account on the platform.")})
    with unit_of_work(N_("This email already has an account.")):
        person = User(email=email, name=name, password_hash=UNUSABLE_PASSWORD, organisation_id=organisation.id,
                      active=False, roles=[UserRole(role=r) for r in roles])
        db.session.add(person)
        db.session.flush()
        token = issue_token(person, INVITE, actor)
        link = url_for("core.accept_invitation", token=token, _external=True)
        queue_mail(email, _("You are invited to the green building materials procurement platform"),
                   _("%(inviter)s invited you to join %(organisation)s on the platform. Set your password here "
                     "(the link works for 7 days):\n\n%(link)s", inviter=actor.name,
                     organisation=organisation.name_zh or organisation.name_en, link=link),
                   "account.invitation")
        audit.record("people.invite", person, after={"email": email, "roles": roles}, actor=actor)
    return person


def _use_token(token: str, purpose: str, password: str) -> User:
    """Spend a live single-use token of `purpose` to set its person's password (no commit)."""
    row = _live_token(token, purpose)
    person = db.session.get(User, row.user_id)
    person.password_hash = hash_password(password)
    row.used_at = utcnow()
    return person


def accept_invitation(token: str, password: str) -> User:
    """The invited person sets a password; the account becomes active."""
    check_password_strength(password)
    with unit_of_work():
        person = _use_token(token, INVITE, password)
        person.active = True
        audit.record("people.accept_invitation", person, actor=person)
    return person


def set_roles(actor, user_id: int, roles) -> User:
    """Change a colleague's roles (within what the organisation's kind allows). The last
    administrator cannot give up the role."""
    person = _person_of(actor, user_id)
    roles = clean_roles(person.organisation, roles)
    with unit_of_work():
        before = sorted(person.role_names)
        if R.ORG_ADMIN in before and R.ORG_ADMIN not in roles and _admins_left(person, excluding=person) == 0:
            raise ValidationError(N_("An organisation needs at least one administrator."),
                                  {"roles": N_("Keep the administrator role for someone else first.")})
        person.roles = [UserRole(role=r) for r in roles]
        audit.record("people.set_roles", person, before={"roles": before}, after={"roles": roles}, actor=actor)
    return person


def _admins_left(person: User, excluding: User) -> int:
    others = db.session.execute(db.select(User).filter(User.organisation_id == person.organisation_id,
                                                       User.id != excluding.id, User.active.is_(True))).scalars()
    return sum(1 for u in others if u.has_role(R.ORG_ADMIN))


def set_active(actor, user_id: int, active: bool) -> User:
    """Deactivate (or reactivate) a colleague. Deactivation ends their sessions and API tokens."""
    person = _person_of(actor, user_id)
    if person.id == actor.id and not active:
        raise ValidationError(N_("You cannot deactivate yourself."))
    with unit_of_work():
        if not active and person.has_role(R.ORG_ADMIN) and _admins_left(person, excluding=person) == 0:
            raise ValidationError(N_("An organisation needs at least one administrator."))
        person.active = bool(active)
        ended = 0
        if not active:
            ended = sessions.revoke_all(person.id)
            db.session.execute(db.update(ApiToken).where(ApiToken.user_id == person.id, ApiToken.revoked_at.is_(None))
                               .values(revoked_at=utcnow()))
        audit.record("people.activate" if active else "people.deactivate", person,
                     after={"active": bool(active), "sessions_ended": ended}, actor=actor)
    return person


def request_password_reset(email: str) -> None:
    """Send a reset link if an active account has this email. The caller says the same thing
    either way, so the form does not reveal who has an account."""
    email = (email or "").strip().lower()
    person = db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none() if email else None
    if person is None or not person.active:
        return
    with unit_of_work():
        token = issue_token(person, RESET)
        link = url_for("core.reset_password", token=token, _external=True)
        with force_locale(person.locale or "en"):
            queue_mail(person.email, _("Reset your password"),
                       _("Someone asked to reset the password of your account. If it was you, set a new one here "
                         "(the link works for one hour):\n\n%(link)s\n\nIf it was not you, ignore this message.", link=link),
                       "account.password_reset")
        audit.record("auth.password_reset_requested", person, actor=None)


def reset_password(token: str, password: str) -> User:
    """Set a new password from a reset link; every session of the account ends."""
    check_password_strength(password)
    with unit_of_work():
        person = _use_token(token, RESET, password)
        ended = sessions.revoke_all(person.id)
        audit.record("auth.password_reset", person, after={"sessions_ended": ended}, actor=person)
    return person
