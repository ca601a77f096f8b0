"""Writing and verifying a project's closed-loop record (verification: `integrity`).

Every use case that changes a project locks the project row (:func:`lock_project`), makes its
change and calls :func:`append_record` once; the record, the global audit event and the project's
chain head are written in the caller's transaction.
"""

from __future__ import annotations

from sqlalchemy import select, update

from core import audit
from core.errors import NotFound
from core.extensions import db
from core.timeutil import utcnow
from procurement.projects.models import Project
from procurement.projects.policy import can_view_project
from procurement.records.chain import normalise_payload, record_hash
from procurement.records.integrity import VerifyResult, verify_all, verify_projects
from procurement.records.models import ProjectRecord


def _project_id(project_id) -> int:
    try:
        return int(project_id)
    except (TypeError, ValueError):
        raise NotFound("No such project.") from None


def lock_project(project_id) -> Project:
    """Load the project row locked for this transaction (``SELECT ... FOR UPDATE``).

    ``populate_existing`` makes an object already in the session reflect the committed row, so
    the caller's checks see what a concurrent transaction committed before we got the lock. On
    SQLite (no row locks) a no-op UPDATE takes the database write lock instead.
    """
    pid = _project_id(project_id)
    if db.engine.dialect.name == "sqlite":
        db.session.execute(update(Project).where(Project.id == pid)
                           .values(record_count=Project.record_count, updated_at=Project.updated_at))
    project = db.session.execute(
        select(Project).where(Project.id == pid).with_for_update(of=Project).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if project is None:
        raise NotFound("No such project.")
    return project


def lock_visible_project(actor, project_id) -> Project:
    """:func:`lock_project` for a use case of ``actor``: NotFound also when the actor may not see
    the project (no hint that it exists)."""
    project = lock_project(project_id)
    if not can_view_project(actor, project):
        raise NotFound("No such project.")
    return project


def append_record(project: Project, kind: str, payload: dict | None = None, *, actor=None, action: str | None = None,
                  before: dict | None = None, after: dict | None = None) -> ProjectRecord:
    """Append one record to ``project``'s chain and its audit event (no commit).

    The caller must hold the project lock (:func:`lock_project`). The audit event carries the
    record's sequence number and hash; the record stores the event id. Messages inside
    ``payload`` are stored as template key and parameters (``core.i18n.message_payload``).
    """
    seq = (project.record_count or 0) + 1
    created_at = utcnow()
    body = normalise_payload(payload or {})
    actor_id = getattr(actor, "id", None)
    digest = record_hash(project_id=project.id, seq=seq, kind=kind, created_at=created_at, actor_id=actor_id,
                         stage=project.stage, payload=body, prev_hash=project.record_head_hash)
    event_after = dict(after or {})
    event_after["project_record"] = {"project_id": project.id, "seq": seq, "hash": digest, "kind": kind}
    ev = audit.record(action or f"project.{kind}", project, before=before, after=event_after, actor=actor)
    db.session.flush()
    rec = ProjectRecord(project_id=project.id, seq=seq, kind=kind, stage=project.stage, actor_id=actor_id,
                        created_at=created_at, payload=body, prev_hash=project.record_head_hash, hash=digest,
                        audit_event_id=ev.id)
    db.session.add(rec)
    project.record_count = seq
    project.record_head_hash = digest
    return rec


def timeline(project: Project) -> list[ProjectRecord]:
    """The project's records, oldest first."""
    return list(db.session.execute(
        select(ProjectRecord).where(ProjectRecord.project_id == project.id).order_by(ProjectRecord.seq)
    ).scalars())


def verify_project(project: Project) -> VerifyResult:
    """Check a project's chain, its head, its links to the audit trail both ways, and that its
    records replay to its live rows (`procurement.records.integrity`)."""
    results = verify_projects([project.id])
    if not results:
        raise NotFound("No such project.")
    return results[0]


def find_project(ref) -> Project | None:
    """A project by id or code (for the CLI)."""
    ref = str(ref).strip()
    project = db.session.execute(select(Project).where(Project.code == ref)).scalar_one_or_none()
    if project is None and ref.isdigit():
        project = db.session.get(Project, int(ref))
    return project


__all__ = ["VerifyResult", "append_record", "find_project", "lock_project", "lock_visible_project", "timeline",
           "verify_all", "verify_project"]
