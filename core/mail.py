"""E-mail through SMTP, by a transactional outbox.

`queue_mail` adds a `MailMessage` row in the caller's transaction, so a mail goes out only if
the change it reports was committed, and never twice. After commit the rows are sent to
`MAIL_URL` (`smtp://user:password@host:port`, `smtps://...` for TLS from the start,
`smtp://...?starttls=1` to upgrade): by a short-lived thread in the web process (the embedded
default), or by `flask mail send` / the RQ worker. A failed send is retried with the row's
attempt count; after `MAX_ATTEMPTS` it is marked failed with its error, visible on the mail page.

Messages are rendered in the recipient's language from templates with parameters.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlparse

from flask import current_app
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from core.extensions import db
from core.models import MailMessage
from core.timeutil import utcnow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
_send_lock = threading.Lock()


class MailUnavailable(RuntimeError):
    """No SMTP server is configured or it could not be reached."""


def queue_mail(to_address: str, subject: str, body: str, kind: str) -> MailMessage:
    """Add a mail to the outbox (no commit: the caller's transaction decides)."""
    message = MailMessage(to_address=to_address[:254], subject=subject[:300], body=body, kind=kind[:60])
    db.session.add(message)
    db.session.info["mail_queued"] = True
    return message


def _smtp_settings(url: str) -> dict:
    parsed = urlparse(url)
    if parsed.scheme not in ("smtp", "smtps"):
        raise MailUnavailable(f"MAIL_URL must start with smtp:// or smtps://, not {parsed.scheme!r}")
    query = parse_qs(parsed.query)
    return {"host": parsed.hostname or "127.0.0.1", "port": parsed.port or (465 if parsed.scheme == "smtps" else 25),
            "tls": parsed.scheme == "smtps", "starttls": query.get("starttls", ["0"])[0] in ("1", "true"),
            "username": unquote(parsed.username) if parsed.username else None,
            "password": unquote(parsed.password) if parsed.password else None}


def _connect(settings: dict, timeout: float):
    if settings["tls"]:
        smtp = smtplib.SMTP_SSL(settings["host"], settings["port"], timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(settings["host"], settings["port"], timeout=timeout)
        if settings["starttls"]:
            smtp.starttls(context=ssl.create_default_context())
    if settings["username"]:
        smtp.login(settings["username"], settings["password"] or "")
    return smtp


def send_pending(app=None, limit: int = 200) -> dict:
    """Send pending mail; returns {"sent": n, "failed": n, "pending": n}. Safe to run from
    several processes: each row is claimed by a conditional update before it is sent."""
    app = app or current_app._get_current_object()
    url = app.config.get("MAIL_URL")
    counts = {"sent": 0, "failed": 0, "pending": 0}
    if not url:
        counts["pending"] = db.session.execute(db.select(db.func.count(MailMessage.id))
                                               .filter_by(status="pending")).scalar()
        return counts
    settings = _smtp_settings(url)
    sender = app.config.get("MAIL_FROM", "no-reply@gbm.example.cn")
    with _send_lock:
        rows = db.session.execute(db.select(MailMessage).filter_by(status="pending")
                                  .order_by(MailMessage.id).limit(limit)).scalars().all()
        if not rows:
            return counts
        try:
            smtp = _connect(settings, timeout=float(app.config.get("MAIL_TIMEOUT", 10)))
        except (OSError, smtplib.SMTPException) as exc:
            for row in rows:
                _record_failure(row.id, row.attempts, exc)
            db.session.commit()
            counts["pending"] = len(rows)
            return counts
        try:
            for row in rows:
                claimed = db.session.execute(update(MailMessage).where(MailMessage.id == row.id,
                                                                       MailMessage.status == "pending")
                                             .values(status="sending"))
                db.session.commit()
                if claimed.rowcount != 1:
                    continue  # another process took it
                message = EmailMessage()
                message["From"], message["To"], message["Subject"] = sender, row.to_address, row.subject
                message.set_content(row.body)
                try:
                    smtp.send_message(message)
                except (OSError, smtplib.SMTPException) as exc:
                    status = _record_failure(row.id, row.attempts, exc)
                    counts["failed" if status == "failed" else "pending"] += 1
                else:
                    db.session.execute(update(MailMessage).where(MailMessage.id == row.id)
                                       .values(status="sent", sent_at=utcnow(), attempts=row.attempts + 1))
                    counts["sent"] += 1
                db.session.commit()
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
    return counts


def _record_failure(row_id: int, attempts: int, exc: Exception) -> str:
    status = "failed" if attempts + 1 >= MAX_ATTEMPTS else "pending"
    db.session.execute(update(MailMessage).where(MailMessage.id == row_id)
                       .values(status=status, attempts=attempts + 1, last_error=f"{exc.__class__.__name__}: {exc}"[:300]))
    log.warning("mail %s not sent (%s): %s", row_id, status, exc)
    return status


def _after_commit(session) -> None:
    if not session.info.pop("mail_queued", False):
        return
    from flask import has_app_context

    if not has_app_context():
        return
    app = current_app._get_current_object()
    mode = app.config.get("MAIL_DELIVERY", "thread")
    if mode == "inline":
        _deliver_in(app)
    elif mode == "thread":
        threading.Thread(target=_deliver_in, args=(app,), name="mail-send", daemon=True).start()
    # "rq" and "off": a worker or `flask mail send` delivers


def _deliver_in(app) -> None:
    with app.app_context():
        try:
            send_pending(app)
        except Exception:  # mail must never break the request that queued it
            log.exception("sending mail failed")
        finally:
            db.session.remove()


def _after_rollback(session) -> None:
    session.info.pop("mail_queued", None)


def install() -> None:
    """Send queued mail after each commit (idempotent; called by `core.register`)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", lambda session, previous: _after_rollback(session))


def health() -> dict:
    """For /healthz: configured or not, and the outbox backlog (never raises)."""
    app = current_app
    try:
        pending = db.session.execute(db.select(db.func.count(MailMessage.id)).filter_by(status="pending")).scalar()
        failed = db.session.execute(db.select(db.func.count(MailMessage.id)).filter_by(status="failed")).scalar()
    except Exception as exc:  # health reports, never fails
        db.session.rollback()
        return {"status": "down", "error": exc.__class__.__name__}
    status = "ok" if app.config.get("MAIL_URL") else "unconfigured"
    if failed:
        status = "degraded"
    return {"status": status, "pending": pending, "failed": failed}
