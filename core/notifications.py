"""The notification centre: in-app notifications with unread counts, and the same message by
e-mail, each in the recipient's own language.

A package tells people about an event with `notify(...)` inside its use case's transaction:
one `Notification` row per recipient (text kept as template key + parameters) and, unless the
recipient's organisation is told in-app only, one queued `MailMessage` rendered in the
recipient's language. Nothing is sent if the use case rolls back.
"""
from __future__ import annotations

from flask import url_for
from flask_babel import force_locale

from core.extensions import db
from core.i18n import message_payload, render_payload
from core.mail import queue_mail
from core.models import Notification, User
from core.timeutil import utcnow


def recipients_in(organisation_id: int, *roles: str) -> list[User]:
    """Active people of an organisation (holding one of `roles`, if given)."""
    users = db.session.execute(db.select(User).filter_by(organisation_id=organisation_id, active=True)
                               .order_by(User.id)).scalars().all()
    return [u for u in users if not roles or u.has_role(*roles)]


def notify(users, kind: str, template: str, params: dict | None = None, *, link: str | None = None,
           email: bool = True) -> list[Notification]:
    """Notify each of `users` (no commit). `template` is an English message with %(name)s
    placeholders, marked for extraction with N_(); `params` may hold `core.i18n.Term`s."""
    payload = message_payload(template, params)
    rows = []
    for user in users:
        row = Notification(user_id=user.id, kind=kind[:60], message=payload, link=link)
        db.session.add(row)
        rows.append(row)
        if email:
            with force_locale(user.locale or "en"):
                text = render_payload(payload)
                body = text if not link else f"{text}\n\n{absolute_link(link)}"
            queue_mail(user.email, text[:300], body, kind)
    return rows


def notify_organisation(organisation_id: int, kind: str, template: str, params: dict | None = None, *,
                        link: str | None = None, roles: tuple = (), email: bool = True) -> list[Notification]:
    """Notify every active person of an organisation (optionally only those with `roles`)."""
    return notify(recipients_in(organisation_id, *roles), kind, template, params, link=link, email=email)


def absolute_link(link: str) -> str:
    """`link` as an absolute URL (PUBLIC_BASE_URL, else the request's host): the one base-URL rule of
    mailed links."""
    from flask import current_app, has_request_context, request

    if link.startswith(("http://", "https://")):
        return link
    base = current_app.config.get("PUBLIC_BASE_URL") or (request.host_url if has_request_context() else "")
    return base.rstrip("/") + link


def unread_count(user) -> int:
    """Unread notifications of `user` (0 for anonymous visitors)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return db.session.execute(db.select(db.func.count(Notification.id))
                              .filter_by(user_id=user.id, read_at=None)).scalar()


def latest(user, limit: int = 50) -> list[Notification]:
    """The newest notifications of `user`."""
    return db.session.execute(db.select(Notification).filter_by(user_id=user.id)
                              .order_by(Notification.id.desc()).limit(limit)).scalars().all()


def mark_read(user, notification_id: int | None = None) -> int:
    """Mark one (or every) unread notification of `user` read; returns how many changed."""
    from sqlalchemy import update

    from core.services import unit_of_work

    with unit_of_work():
        stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        if notification_id is not None:
            stmt = stmt.where(Notification.id == notification_id)
        result = db.session.execute(stmt.values(read_at=utcnow()))
    return result.rowcount or 0


def link_for(endpoint: str, **values) -> str:
    """A site-relative link to store with a notification."""
    return url_for(endpoint, **values)
