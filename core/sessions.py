"""Server-side sign-in sessions.

The Flask session cookie carries the user id (Flask-Login) and `sid`, a random token naming a
`UserSession` row. A request is signed in only while that row exists, belongs to the user, is
not revoked, has been used within the idle timeout and is younger than the absolute lifetime.
Signing out revokes the row, so a copied cookie is useless afterwards; a password change
revokes every session of the user.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, request, session
from sqlalchemy import update

from core.extensions import db
from core.models import UserSession
from core.timeutil import utcnow

SESSION_KEY = "sid"
TOUCH_EVERY = timedelta(minutes=1)  # write last_seen_at at most this often per session


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _idle() -> timedelta:
    return timedelta(minutes=int(current_app.config.get("SESSION_IDLE_MINUTES", 120)))


def _lifetime() -> timedelta:
    return timedelta(hours=int(current_app.config.get("SESSION_MAX_HOURS", 12)))


def open_session(user) -> UserSession:
    """Start a server-side session for `user` in this browser (in the caller's transaction)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = UserSession(user_id=user.id, token_hash=_digest(token), created_at=now, last_seen_at=now,
                      expires_at=now + _lifetime(),
                      user_agent=(request.user_agent.string or "")[:200] if request else "",
                      ip=(request.remote_addr or "")[:45] if request else "")
    db.session.add(row)
    session[SESSION_KEY] = token
    return row


def current_session(user_id) -> UserSession | None:
    """The live session row this request's cookie names for `user_id`, or None."""
    token = session.get(SESSION_KEY)
    if not token or not isinstance(token, str):
        return None
    row = db.session.execute(db.select(UserSession).filter_by(token_hash=_digest(token))).scalar_one_or_none()
    now = utcnow()
    if row is None or row.user_id != user_id or row.revoked_at is not None:
        return None
    if row.expires_at <= now or row.last_seen_at + _idle() <= now:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        # A short statement of its own: reading pages must not hold the caller's transaction.
        db.session.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
        db.session.commit()
    return row


def revoke_current() -> None:
    """End this browser's session on the server (in the caller's transaction)."""
    token = session.pop(SESSION_KEY, None)
    if isinstance(token, str):
        db.session.execute(update(UserSession).where(UserSession.token_hash == _digest(token),
                                                     UserSession.revoked_at.is_(None)).values(revoked_at=utcnow()))


def revoke_all(user_id: int) -> int:
    """End every session of a user (password change, deactivation); returns how many."""
    result = db.session.execute(update(UserSession).where(UserSession.user_id == user_id,
                                                          UserSession.revoked_at.is_(None)).values(revoked_at=utcnow()))
    return result.rowcount or 0
