"""Cities, organisations, people, API tokens, audit events, jobs and notices."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Optional

from flask_login import UserMixin
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.roles import ORG_KINDS
from core.timeutil import UTCDateTime, utcnow

CLIMATE_ZONES = (
    "severe_cold_a", "severe_cold_b", "severe_cold_c", "cold_a", "cold_b",
    "hscw_a", "hscw_b", "hsww_a", "hsww_b", "mild_a", "mild_b",
)


class City(db.Model):
    __tablename__ = "cities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(80))
    name_zh: Mapped[str] = mapped_column(String(80))
    province_en: Mapped[str] = mapped_column(String(80), default="")
    climate_zone: Mapped[str] = mapped_column(String(20))

    def __repr__(self):
        return f"<City {self.code}>"


class Organisation(db.Model):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint("kind IN ('" + "','".join(ORG_KINDS) + "')", name="kind"),
        CheckConstraint("status IN ('pending','verified','rejected')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    city_id: Mapped[Optional[int]] = mapped_column(ForeignKey("cities.id"), index=True)
    credit_code: Mapped[Optional[str]] = mapped_column(String(18), unique=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    review_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    verified_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # The business licence a supplier uploads when registering; reviewers read it before verifying.
    # use_alter: documents -> users -> organisations -> documents is a cycle of foreign keys.
    licence_document_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("documents.id", use_alter=True, ondelete="SET NULL"))

    city: Mapped[Optional[City]] = relationship()
    users: Mapped[list["User"]] = relationship(back_populates="organisation")
    licence_document = relationship("Document", foreign_keys=[licence_document_id])

    @property
    def is_verified(self) -> bool:
        return self.status == "verified"

    def snapshot(self) -> dict:
        return {"kind": self.kind, "name_en": self.name_en, "name_zh": self.name_zh,
                "city_id": self.city_id, "credit_code": self.credit_code, "status": self.status}


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(40))


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[Optional[str]] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(back_populates="users")
    roles: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot log in
        return bool(self.active)

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}

    def has_role(self, *names: str) -> bool:
        return bool(self.role_names.intersection(names))

    def __repr__(self):
        return f"<User {self.email}>"


class UserSession(db.Model):
    """A signed-in browser session, kept on the server so that signing out, a password change
    or an administrator ends it for good: the session cookie only names it (by a random token
    whose SHA-256 is stored here), and a copied cookie stops working once the row is revoked
    or has expired."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")


class ApiToken(db.Model):
    """A per-user API token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list] = mapped_column(db.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def is_usable(self, now: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > now


class AuditChainHead(db.Model):
    """Single row holding the tail of the audit chain.

    Writers lock this row before appending, which serialises appends so the chain never
    forks, and lets `audit verify` detect a deleted tail.
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    actor_org_id: Mapped[Optional[int]] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[Optional[str]] = mapped_column(String(60))
    object_id: Mapped[Optional[str]] = mapped_column(String(64))
    before: Mapped[Optional[dict]] = mapped_column(db.JSON)
    after: Mapped[Optional[dict]] = mapped_column(db.JSON)
    request_id: Mapped[Optional[str]] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Job(db.Model):
    """A background job whose progress pages show as a progress bar."""

    __tablename__ = "jobs"
    __table_args__ = (CheckConstraint("status IN ('queued','running','done','failed')", name="status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    kind: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[Optional[dict]] = mapped_column(db.JSON)
    owner_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        if not self.total:
            return 0
        return min(100, int(self.progress * 100 / self.total))


class Notification(db.Model):
    """An in-app message to one person. The text is stored as a template key with parameters
    (`core.i18n.message_payload`), so each reader sees it in their own language."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    message: Mapped[dict] = mapped_column(db.JSON)
    link: Mapped[Optional[str]] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class MailMessage(db.Model):
    """An e-mail in the outbox: written in the transaction of the change it reports, sent
    after commit (`core.mail`). Status: pending -> sent | failed (after retries)."""

    __tablename__ = "mail_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[Optional[str]] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class AccountToken(db.Model):
    """A single-use link sent by e-mail: an invitation to join an organisation or a password
    reset. Only the token's SHA-256 is stored."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class CalendarDay(db.Model):
    """An override of the State Council working-day calendar for one China date (`core.workdays`).

    A row wins over the `chinese_calendar` package and covers years the package does not know
    yet: `working=False` for a holiday, `working=True` for a make-up working weekend day.
    """

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(db.Date, primary_key=True)
    working: Mapped[bool] = mapped_column(db.Boolean)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


DEADLINE_STATUSES = ("pending", "done", "cancelled")


class Deadline(db.Model):
    """The next time-driven transition of one kind for one object (`core.scheduler`).

    One row per (kind, object_type, object_id): scheduling again moves the pending deadline.
    Status: pending -> done | cancelled (and back to pending when scheduled again).
    """

    __tablename__ = "deadlines"
    __table_args__ = (
        UniqueConstraint("kind", "object_type", "object_id"),
        CheckConstraint("status IN ('pending','done','cancelled')", name="status"),
        db.Index("ix_deadlines_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    done_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self):
        return f"<Deadline {self.kind} {self.object_type}:{self.object_id} {self.status} {self.due_at}>"
