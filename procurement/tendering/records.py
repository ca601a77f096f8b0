"""Writing a tender's steps to the record chain of every project that contributed to it, and to
the audit chain, in the caller's transaction.

Projects are locked in id order (the same order everywhere, so two use cases touching the same
projects cannot deadlock); each gets one record of `kind` with the same payload. The tender
itself gets one audit event with its before/after snapshot.
"""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import select

from core import audit
from core.extensions import db
from procurement.pooling.models import LIVE_LINE_STATES, PooledLine
from procurement.records.replay import PROCUREMENT_KINDS
from procurement.records.services import append_record, lock_project


def contributing_projects(tender) -> list[int]:
    """Ids of the projects with a live line in one of the tender's lots (sorted)."""
    from procurement.tendering.models import Lot

    rows = db.session.execute(
        select(PooledLine.project_id).join(Lot, Lot.id == PooledLine.lot_id)
        .where(Lot.tender_id == tender.id, PooledLine.status.in_(LIVE_LINE_STATES)).distinct())
    return sorted(r[0] for r in rows)


def record_on_projects(project_ids: Iterable[int], kind: str, payload: dict, *, actor) -> None:
    """Append one record of `kind` to each project's chain (locks the projects, id order)."""
    if kind not in PROCUREMENT_KINDS:
        raise ValueError(f"record kind {kind!r} must be listed in procurement.records.replay.PROCUREMENT_KINDS")
    for project_id in sorted(set(project_ids)):
        project = lock_project(project_id)
        append_record(project, kind, payload, actor=actor, action=f"project.{kind}")


def record_tender_step(tender, kind: str, payload: dict | None = None, *, actor, before: dict | None = None,
                       project_ids: Iterable[int] | None = None) -> None:
    """The tender's audit event (`tender.<kind without the tender_ prefix>`) plus one record on
    each contributing project's chain (or on `project_ids`, when lines just left the tender)."""
    body = {"tender_id": tender.id, "reference": tender.reference, **(payload or {})}
    db.session.flush()
    audit.record(f"tender.{kind.removeprefix('tender_')}", tender, before=before, after=tender.snapshot(),
                 actor=actor)
    ids = contributing_projects(tender) if project_ids is None else list(project_ids)
    record_on_projects(ids, kind, body, actor=actor)
