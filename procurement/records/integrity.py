"""Verifying projects against their record chains and the global audit trail.

For each project, in this order, the first problem found is reported:

1. its chain: every record's hash, the links between them and the head on the project row
   (`chain.verify_chain`);
2. record -> audit trail: each record's audit event exists and carries the record's project,
   sequence number and hash;
3. audit trail -> records: every record the audit trail holds for the project is in the chain, so
   a head rewound together with its newest records (which the chain alone cannot notice) is found;
4. replay: the records folded into the state they describe (`replay.replay`) equal the live rows:
   stage, registered fields and people, budget and funding sources, bill lines, documents
   (`replay.compare`).

Across projects (:func:`verify_all`): a project the audit trail knows, or whose records remain,
but whose row is gone is reported too. The audit trail itself is checked by `flask audit verify`
(links, head, signed checkpoints); together they leave a database writer no undetected edit short
of rewriting the audit trail, and that is caught against any checkpoint saved before.

Rows are read in batches of projects with a fixed number of queries per batch (no ORM objects),
so verifying every project costs a few queries per :data:`BATCH` projects.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import distinct, select

from core import checkpoints
from core.documents import Document
from core.extensions import db
from core.i18n import N_
from core.models import AuditEvent
from procurement.budget.models import Budget, FundingSource
from procurement.design.models import BomLine
from procurement.documents.models import ProjectDocument
from procurement.projects.models import Project, ProjectPerson
from procurement.records.chain import ChainBreak, normalise_payload, verify_chain
from procurement.records.models import ProjectRecord
from procurement.records.replay import PROJECT_FIELDS, ProjectState, compare, replay

BATCH = 500
PROJECT_TYPE = Project.__tablename__  # audit events of a project have this object type
PROJECT_ROW = N_("project row")


@dataclass(frozen=True)
class VerifyResult:
    project_id: int
    project_code: str
    count: int
    problem: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _grouped(rows, key: str) -> dict:
    out = defaultdict(list)
    for row in rows:
        out[getattr(row, key)].append(row)
    return out


# Only the columns compared are read: no timestamps (converting them costs more than the checks).
_PROJECT_COLUMNS = [Project.id, Project.stage, Project.record_count, Project.record_head_hash,
                    *(getattr(Project, k) for k in PROJECT_FIELDS)]
_BUDGET_COLUMNS = (Budget.id, Budget.project_id, Budget.total_fen, Budget.green_share_bp, Budget.status,
                   Budget.revision, Budget.review_comment)
_LINE_COLUMNS = (BomLine.project_id, BomLine.line_no, BomLine.category_id, BomLine.specification,
                 BomLine.quantity_milli, BomLine.unit, BomLine.est_unit_price_fen, BomLine.green_required,
                 BomLine.tightenings)


def _project_rows(ids) -> list:
    return db.session.execute(select(*_PROJECT_COLUMNS).where(Project.id.in_(ids)).order_by(Project.id)).all()


def _records(ids) -> dict:
    return _grouped(db.session.execute(select(ProjectRecord.__table__).where(ProjectRecord.project_id.in_(ids))
                                       .order_by(ProjectRecord.project_id, ProjectRecord.id)).all(), "project_id")


def _audit_events(ids) -> dict:
    """The audit events of these projects, by id (id, seq, object_id, after)."""
    rows = db.session.execute(select(AuditEvent.id, AuditEvent.seq, AuditEvent.object_id, AuditEvent.after)
                              .where(AuditEvent.object_type == PROJECT_TYPE,
                                     AuditEvent.object_id.in_([str(i) for i in ids]))).all()
    return {ev.id: ev for ev in rows}


def _link(ev) -> dict:
    after = ev.after if isinstance(ev.after, dict) else {}
    link = after.get("project_record")
    return link if isinstance(link, dict) else {}


def _live_states(projects) -> dict[int, ProjectState]:
    ids = [p.id for p in projects]
    people = _grouped(db.session.execute(select(ProjectPerson.__table__).where(ProjectPerson.project_id.in_(ids))
                                         .order_by(ProjectPerson.id)).all(), "project_id")
    budgets = {b.project_id: b for b in db.session.execute(select(*_BUDGET_COLUMNS)
                                                           .where(Budget.project_id.in_(ids))).all()}
    funding = _grouped(db.session.execute(
        select(FundingSource.__table__).where(FundingSource.budget_id.in_([b.id for b in budgets.values()]))
        .order_by(FundingSource.id)).all(), "budget_id") if budgets else {}
    categories = db.metadata.tables["categories"]
    lines = _grouped(db.session.execute(
        select(*_LINE_COLUMNS, categories.c.code.label("category_code"))
        .join(categories, categories.c.id == BomLine.category_id, isouter=True)
        .where(BomLine.project_id.in_(ids))).all(), "project_id")
    documents = _grouped(db.session.execute(
        select(ProjectDocument.id, ProjectDocument.project_id, ProjectDocument.kind, ProjectDocument.title,
               Document.sha256).join(Document, Document.id == ProjectDocument.document_id, isouter=True)
        .where(ProjectDocument.project_id.in_(ids))).all(), "project_id")
    states = {}
    for p in projects:
        b = budgets.get(p.id)
        states[p.id] = ProjectState(
            stage=p.stage,
            project=normalise_payload({k: getattr(p, k) for k in PROJECT_FIELDS}),
            people=[{"role": x.role, "name": x.name, "phone": x.phone, "user_id": x.user_id} for x in people[p.id]],
            budget=None if b is None else {
                "total_fen": b.total_fen, "green_share_bp": b.green_share_bp, "status": b.status,
                "revision": b.revision, "review_comment": b.review_comment,
                "funding_sources": [{"kind": f.kind, "description": f.description, "amount_fen": f.amount_fen}
                                    for f in funding.get(b.id, [])]},
            lines={ln.line_no: {"category_id": ln.category_id, "category_code": ln.category_code,
                                "specification": ln.specification, "quantity_milli": ln.quantity_milli,
                                "unit": ln.unit, "est_unit_price_fen": ln.est_unit_price_fen,
                                "green_required": ln.green_required, "tightenings": ln.tightenings or {}}
                   for ln in lines[p.id]},
            documents={d.id: {"kind": d.kind, "title": d.title, "sha256": d.sha256} for d in documents[p.id]})
    return states


def _record_to_audit(project, rows, events: dict) -> ChainBreak | None:
    """The first record whose audit event is missing or does not carry it."""
    absent = [r.audit_event_id for r in rows if r.audit_event_id not in events]
    elsewhere = set(db.session.execute(select(AuditEvent.id).where(AuditEvent.id.in_(absent))).scalars()) \
        if absent else set()
    for r in rows:
        ev = events.get(r.audit_event_id)
        if ev is None:
            if r.audit_event_id in elsewhere:
                return ChainBreak(r.seq, r.id, N_("does not match its audit event %(event)s"), {"event": r.audit_event_id})
            return ChainBreak(r.seq, r.id, N_("its audit event is missing"))
        link = _link(ev)
        if link.get("hash") != r.hash or link.get("seq") != r.seq or str(link.get("project_id")) != str(project.id):
            return ChainBreak(r.seq, r.id, N_("does not match its audit event %(event)s"), {"event": ev.id})
    return None


def _audit_to_records(rows, own_events: list) -> ChainBreak | None:
    """The first record the audit trail holds for the project (``own_events``) that the chain does not."""
    by_seq = {r.seq: r for r in rows}
    for ev in sorted((ev for ev in own_events if _link(ev)), key=lambda ev: ev.seq):
        seq = _link(ev).get("seq")
        rec = by_seq.get(seq)
        if rec is None or rec.audit_event_id != ev.id:
            return ChainBreak(seq, None, N_("the audit trail holds this record (event seq %(event)s), but the "
                                            "project's chain does not: its head was rewound or the record removed"),
                              {"event": ev.seq})
    return None


def _problem(project, rows, events: dict, own_events: list, live: ProjectState) -> ChainBreak | None:
    problem = (verify_chain(rows, head_count=project.record_count, head_hash=project.record_head_hash)
               or _record_to_audit(project, rows, events)
               or _audit_to_records(rows, own_events))
    if problem is not None:
        return problem
    expected, problem = replay(rows)
    return problem or compare(expected, live)


def verify_projects(ids) -> list[VerifyResult]:
    """Verify the projects with these ids (existing rows only), a fixed number of queries."""
    projects = _project_rows(list(ids))
    if not projects:
        return []
    ids = [p.id for p in projects]
    records, events, live = _records(ids), _audit_events(ids), _live_states(projects)
    by_project = _grouped(events.values(), "object_id")
    return [VerifyResult(p.id, p.code, len(records[p.id]),
                         _problem(p, records[p.id], events, by_project[str(p.id)], live[p.id]))
            for p in projects]


def missing_projects() -> list[VerifyResult]:
    """Projects the audit trail knows or whose records remain, but whose row is gone."""
    live = select(Project.id)
    known = {int(i) for i in db.session.execute(
        select(distinct(AuditEvent.object_id)).where(AuditEvent.object_type == PROJECT_TYPE)).scalars()
        if i is not None and str(i).isdigit()}
    orphans = set(db.session.execute(select(distinct(ProjectRecord.project_id))
                                     .where(ProjectRecord.project_id.not_in(live))).scalars())
    candidates = sorted(known | orphans)
    if not candidates:
        return []
    present = set()
    for i in range(0, len(candidates), BATCH):
        present |= set(db.session.execute(select(Project.id).where(Project.id.in_(candidates[i:i + BATCH]))).scalars())
    results = []
    for pid in (c for c in candidates if c not in present):
        events = [ev for ev in _audit_events([pid]).values()]
        code = next((ev.after.get("code") for ev in sorted(events, key=lambda e: e.seq)
                     if isinstance(ev.after, dict) and ev.after.get("code")), None) or f"#{pid}"
        n_audit = sum(1 for ev in events if _link(ev))
        n_rows = db.session.execute(select(db.func.count()).select_from(ProjectRecord)
                                    .where(ProjectRecord.project_id == pid)).scalar_one()
        results.append(VerifyResult(pid, code, n_rows, ChainBreak(
            None, None, N_("project id %(id)s is gone, but the audit trail holds %(audit)s of its records and "
                           "%(rows)s remain"), {"id": pid, "audit": n_audit, "rows": n_rows}, place=PROJECT_ROW)))
    return results


def verify_all(batch: int = BATCH) -> list[VerifyResult]:
    """Every project, in id order, then the projects whose row is gone."""
    results = []
    last = 0
    while True:
        ids = list(db.session.execute(select(Project.id).where(Project.id > last).order_by(Project.id)
                                      .limit(batch)).scalars())
        if not ids:
            break
        results.extend(verify_projects(ids))
        last = ids[-1]
        db.session.expire_all()
    return results + missing_projects()


@dataclass(frozen=True)
class Coverage:
    """The newest signed checkpoint and this project's newest record it covers (if any)."""

    checkpoint: object  # core.checkpoints.AuditCheckpoint
    record_seq: int | None = None
    record_hash: str | None = None
    event_seq: int | None = None

    def to_dict(self) -> dict:
        return {"document": self.checkpoint.document(),
                "covers": None if self.record_seq is None else {
                    "record_seq": self.record_seq, "record_hash": self.record_hash, "audit_event_seq": self.event_seq}}


def coverage(project) -> Coverage | None:
    """What the newest signed checkpoint vouches for of this project: its newest record whose
    audit event the checkpointed head covers (that record's hash pins every one before it)."""
    checkpoint = checkpoints.latest()
    if checkpoint is None:
        return None
    row = db.session.execute(
        select(ProjectRecord.seq, ProjectRecord.hash, AuditEvent.seq.label("event_seq"))
        .join(AuditEvent, AuditEvent.id == ProjectRecord.audit_event_id)
        .where(ProjectRecord.project_id == project.id, AuditEvent.seq <= checkpoint.seq)
        .order_by(ProjectRecord.seq.desc()).limit(1)).first()
    if row is None:
        return Coverage(checkpoint)
    return Coverage(checkpoint, row.seq, row.hash, row.event_seq)
