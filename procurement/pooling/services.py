"""Pooling demand: use cases of the procurement centre (open, close, cancel a round) and of
purchasers (contribute and withdraw their projects' bill lines), and the chronograph's closing of
a round at its closing time. Their input is checked by `inputs`; rounds are read through
`queries`; what happens to pooled lines when a project leaves procurement is `leaving_procurement`.

Locks, always in this order so no two use cases deadlock: the round row (shared by contributions,
exclusive when the round changes state), then the projects in id order (`lock_project`), then
pooled lines by their conditional UPDATEs. A bill line is in at most one live pooled line: the
service checks it under the project lock, and the partial unique index
``uq_pooled_lines_live_bom_line`` backs it up (an `IntegrityError` becomes a 409 naming the line).

Time counts as much as status: a round whose closing time has passed takes no more lines even
before the chronograph (`pooling.round_close`) has marked it closed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from core import audit, scheduler
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_, Term
from core.notifications import notify_organisation
from core.services import unit_of_work
from core.statemachine import IllegalMove
from core.timeutil import china_time, today_cn, utcnow
from procurement.blueprints import page_path
from procurement.design.models import BomLine
from procurement.machine.stages import PROCUREMENT
from procurement.pooling.inputs import clean_line_ids, clean_reason, clean_round_data
from procurement.pooling.models import (LINE_ASSIGNED, LINE_CONTRIBUTED, LIVE_LINE_STATES, ROUND, ROUND_CLOSED,
                                        ROUND_OPEN, PooledLine, PoolingRound)
from procurement.pooling.queries import round_id_of, round_lines
from procurement.projects.models import Project
from procurement.projects.policy import can_view_project, is_own_purchaser
from procurement.records.services import append_record, lock_visible_project
from procurement.tendering import lots, policy

CLOSE_KIND = "pooling.round_close"      # chronograph kind: the round closes at `closes_at`
OBJECT_TYPE = "pooling_rounds"

#: Why pooled lines were withdrawn (the `reason` of a ``pooled_line_withdrawn`` record).
WITHDRAWN_BY_PURCHASER = "by_purchaser"
WITHDRAWN_ROUND_CANCELLED = "round_cancelled"
WITHDRAWN_PROJECT_LEFT = "project_left_procurement"


# --------------------------------------------------------------------------- locks

def _lock_round(actor, round_id, *, share: bool = False) -> PoolingRound:
    """The round row locked for this transaction (FOR SHARE for contributions, which may run
    side by side, FOR UPDATE otherwise); NotFound if `actor` may not see it. On SQLite a no-op
    UPDATE takes the database write lock instead."""
    rid = round_id_of(round_id)
    if db.engine.dialect.name == "sqlite":
        db.session.execute(update(PoolingRound).where(PoolingRound.id == rid)
                           .values(status=PoolingRound.status))
    found = db.session.execute(
        select(PoolingRound).where(PoolingRound.id == rid).with_for_update(read=share, of=PoolingRound)
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if found is None or (actor is not None and not policy.can_view_round(actor, found)):
        raise NotFound(N_("No such pooling round."))
    return found


def _line_label(ln: PooledLine) -> str:
    return f"{ln.project.code} #{ln.bom_line.line_no}"


def _round_ref(pooling_round) -> dict:
    return {"round_id": pooling_round.id, "reference": pooling_round.reference}


def withdraw_lines(lines, actor, reason: str, pooling_round=None, **extra) -> list[PooledLine]:
    """Withdraw contributed lines (one ``pooled_line_withdrawn`` record per project, the projects
    locked in id order): used by the purchaser's withdrawal, a cancelled round and a project
    leaving procurement."""
    chosen = [ln for ln in lines if ln.status == LINE_CONTRIBUTED]
    if not chosen:
        return []
    by_round: dict[int, list[PooledLine]] = defaultdict(list)
    for ln in chosen:
        by_round[ln.round_id].append(ln)
    for rid, members in sorted(by_round.items()):
        the_round = pooling_round if pooling_round is not None and pooling_round.id == rid else members[0].round
        lots.move_lines(members, "withdraw", "pooled_line_withdrawn",
                        {**_round_ref(the_round), "reason": reason, **extra}, actor, ended_at=utcnow())
    return chosen


# --------------------------------------------------------------------------- centre

def _next_reference(city, year: int) -> str:
    prefix = f"PR-{city.code.upper()[:16]}-{year}-"
    n = db.session.execute(select(func.count(PoolingRound.id))
                           .where(PoolingRound.reference.like(f"{prefix}%"))).scalar_one()
    return f"{prefix}{n + 1:03d}"


def _tell_purchasers(pooling_round, template: str, kind: str, org_ids=None) -> None:
    """Purchasing organisations concerned hear of the round (in-app and e-mail, their language):
    `org_ids`, or those of the city with a project in procurement."""
    if org_ids is None:
        org_ids = db.session.execute(select(Project.purchaser_org_id).where(
            Project.city_id == pooling_round.city_id, Project.stage == PROCUREMENT).distinct()).scalars().all()
    params = {"reference": pooling_round.reference, "title": pooling_round.title,
              "closes": china_time(pooling_round.closes_at)}
    link = page_path("tendering.pooling_round", round_id=pooling_round.id)
    for org_id in sorted(set(org_ids)):
        notify_organisation(org_id, kind, template, params, link=link)


def open_round(actor, data: dict) -> PoolingRound:
    """A centre officer opens a round of their city for categories until `closes_at`; the
    chronograph closes it then. Purchasers of the city with projects in procurement are told."""
    if not policy.can_open_round(actor):
        raise PermissionDenied(N_("Only procurement officers of a city's procurement centre open pooling rounds."))
    now = utcnow()
    clean = clean_round_data(data, now)
    centre = policy.centre_of(actor)
    with unit_of_work(N_("Another pooling round was opened at the same moment; try again.")):
        from core.models import City

        city = db.session.get(City, centre.city_id)
        pooling_round = PoolingRound(reference=_next_reference(city, today_cn().year), title=clean["title"],
                                     description=clean["description"], city_id=city.id, centre_org_id=centre.id,
                                     status=ROUND_OPEN, opens_at=now, closes_at=clean["closes_at"],
                                     created_by_id=actor.id, created_at=now)
        db.session.add(pooling_round)
        db.session.flush()
        _set_categories(pooling_round, clean["category_ids"])
        db.session.flush()
        audit.record("pooling_round.open", pooling_round, after=pooling_round.snapshot(), actor=actor)
        scheduler.schedule(CLOSE_KIND, OBJECT_TYPE, pooling_round.id, pooling_round.closes_at)
        _tell_purchasers(pooling_round, N_("The procurement centre opened pooling round %(reference)s "
                                           "(%(title)s); contribute your projects' bill lines until %(closes)s."),
                         "pooling.round_opened")
    return pooling_round


def _set_categories(pooling_round, category_ids) -> None:
    from procurement.pooling.models import pooling_round_categories

    db.session.execute(pooling_round_categories.insert(),
                       [{"round_id": pooling_round.id, "category_id": cid} for cid in category_ids])
    db.session.expire(pooling_round, ["categories"])


def close_round(actor, round_id) -> PoolingRound:
    """The centre closes its round before its closing time (contributed lines stay, ready to be
    tendered)."""
    with unit_of_work():
        pooling_round = _lock_round(actor, round_id)
        if not policy.can_manage_round(actor, pooling_round):
            raise PermissionDenied(N_("Only the round's procurement centre closes it."))
        _close(pooling_round, actor=actor, at=utcnow())
    return pooling_round


def _close(pooling_round, *, actor, at: dt.datetime, by: str = "centre") -> None:
    before = pooling_round.snapshot()
    ROUND.check(pooling_round.status, "close")
    ROUND.apply(PoolingRound, pooling_round.id, "close", closed_at=at)
    scheduler.cancel(CLOSE_KIND, OBJECT_TYPE, pooling_round.id)
    db.session.refresh(pooling_round)
    after = dict(pooling_round.snapshot(), closed_by=by, lines=len(round_lines(pooling_round)))
    audit.record("pooling_round.close", pooling_round, before=before, after=after, actor=actor)


def close_when_due(round_id: int, due_at: dt.datetime) -> None:
    """Chronograph handler of ``pooling.round_close``: close the round at its closing time.
    Idempotent: a round no longer open (closed by its centre, cancelled) or not yet due is left."""
    pooling_round = db.session.get(PoolingRound, round_id, populate_existing=True)
    if pooling_round is None or pooling_round.status != ROUND_OPEN:
        return
    if pooling_round.closes_at > due_at:  # not due yet (the deadline was armed early): arm it again
        scheduler.schedule(CLOSE_KIND, OBJECT_TYPE, pooling_round.id, pooling_round.closes_at)
        return
    try:
        _close(pooling_round, actor=None, at=pooling_round.closes_at, by="chronograph")
    except IllegalMove:  # closed or cancelled by the centre at this very moment
        return


def cancel_round(actor, round_id, reason) -> PoolingRound:
    """The centre cancels an open or closed round; its contributed lines are withdrawn (a record
    on each project) and their purchasers are told. A tendered round cannot be cancelled here
    (its tender is cancelled instead)."""
    reason = clean_reason(reason)
    with unit_of_work():
        pooling_round = _lock_round(actor, round_id)
        if not policy.can_manage_round(actor, pooling_round):
            raise PermissionDenied(N_("Only the round's procurement centre cancels it."))
        ROUND.check(pooling_round.status, "cancel")
        before = pooling_round.snapshot()
        lines = round_lines(pooling_round)
        assigned = [ln for ln in lines if ln.status == LINE_ASSIGNED]
        if assigned:
            raise Conflict(N_("Line %(line)s of the round is in a tender's lot; cancel or change the tender first."),
                           line=_line_label(assigned[0]))
        withdrawn = withdraw_lines(lines, actor, WITHDRAWN_ROUND_CANCELLED, pooling_round, note=reason)
        ROUND.apply(PoolingRound, pooling_round.id, "cancel", closed_at=pooling_round.closed_at or utcnow())
        scheduler.cancel(CLOSE_KIND, OBJECT_TYPE, pooling_round.id)
        db.session.refresh(pooling_round)
        audit.record("pooling_round.cancel", pooling_round, before=before,
                     after=dict(pooling_round.snapshot(), reason=reason, withdrawn=len(withdrawn)), actor=actor)
        if withdrawn:
            _tell_purchasers(pooling_round, N_("Pooling round %(reference)s (%(title)s) was cancelled; your "
                                               "contributed lines were withdrawn and can be pooled again."),
                             "pooling.round_cancelled", org_ids=[ln.project.purchaser_org_id for ln in withdrawn])
    return pooling_round


# --------------------------------------------------------------------------- purchasers

def contribute_lines(actor, round_id, project_id, bom_line_ids) -> list[PooledLine]:
    """The project's own purchaser contributes bill lines to a round: this is the purchaser's
    confirmation. The project must be in procurement and of the round's city, the round taking
    lines (open and before its closing time), each line of one of the round's categories and in
    no other live pooled line. Quantity, unit, estimated price and amount are copied; one
    ``pooled_line_contributed`` record goes on the project's chain."""
    ids = clean_line_ids(bom_line_ids)
    with unit_of_work():
        pooling_round = _lock_round(actor, round_id, share=True)
        project = lock_visible_project(actor, project_id)
        if not is_own_purchaser(actor, project):
            raise PermissionDenied(N_("Only the project's own purchaser contributes its bill lines."))
        if not policy.can_contribute(actor, project):
            raise Conflict(N_("Project %(code)s is in the %(stage)s stage; only projects in procurement contribute "
                              "bill lines."), code=project.code, stage=Term(project.stage))
        if project.city_id != pooling_round.city_id:
            raise PermissionDenied(N_("Project %(code)s is not of the round's city."), code=project.code)
        now = utcnow()
        if not policy.is_collecting(pooling_round, now):
            raise Conflict(N_("Pooling round %(reference)s takes no more lines (%(status)s since %(when)s)."),
                           reference=pooling_round.reference,
                           status=Term(ROUND_CLOSED if pooling_round.status == ROUND_OPEN else pooling_round.status),
                           when=china_time(pooling_round.closed_at or pooling_round.closes_at))
        bill = {ln.id: ln for ln in db.session.execute(
            select(BomLine).where(BomLine.id.in_(ids), BomLine.project_id == project.id)).scalars()}
        unknown = [i for i in ids if i not in bill]
        if unknown:
            raise ValidationError(N_("Bill line %(id)s is not a line of project %(code)s."),
                                  {"bom_line_ids": N_("Unknown bill line.")}, id=unknown[0], code=project.code)
        categories = {c.id for c in pooling_round.categories}
        wrong = [bill[i] for i in ids if bill[i].category_id not in categories]
        if wrong:
            raise ValidationError(N_("Line %(line)s is of a category the round does not pool (%(category)s)."),
                                  {"bom_line_ids": N_("A line of another category.")},
                                  line=wrong[0].line_no, category=wrong[0].category.code)
        live = db.session.execute(select(PooledLine).where(PooledLine.bom_line_id.in_(ids),
                                                           PooledLine.status.in_(LIVE_LINE_STATES))).scalars().first()
        if live is not None:
            raise _already_pooled(bill[live.bom_line_id], live.round)
        created = []
        for i in ids:
            created.append(_pool(pooling_round, project, bill[i], actor, now))
        append_record(project, "pooled_line_contributed",
                      {**_round_ref(pooling_round), "lines": [_contributed_entry(p) for p in created]},
                      actor=actor, action="project.pooled_line_contributed")
    return created


def _already_pooled(bom_line, other_round) -> Conflict:
    return Conflict(N_("Line %(line)s of project %(code)s is already pooled in round %(reference)s; withdraw it "
                       "there first."), line=bom_line.line_no, code=bom_line.project.code,
                    reference=other_round.reference if other_round is not None else "?")


def _pool(pooling_round, project, bom_line, actor, now) -> PooledLine:
    pooled = PooledLine(round_id=pooling_round.id, project_id=project.id, bom_line_id=bom_line.id,
                        category_id=bom_line.category_id, specification=bom_line.specification,
                        quantity_milli=bom_line.quantity_milli, unit=bom_line.unit,
                        est_unit_price_fen=bom_line.est_unit_price_fen, est_amount_fen=bom_line.total_fen,
                        status=LINE_CONTRIBUTED, contributed_by_id=actor.id, contributed_at=now)
    db.session.add(pooled)
    try:
        db.session.flush()
    except IntegrityError:  # pooled by another transaction after our check: the unique index says so
        raise Conflict(N_("Line %(line)s of project %(code)s was pooled elsewhere at the same moment; reload and "
                          "try again."), line=bom_line.line_no, code=project.code) from None
    return pooled


def _contributed_entry(pooled: PooledLine) -> dict:
    return {"pooled_line_id": pooled.id, "line_no": pooled.bom_line.line_no,
            "category": pooled.category.code if pooled.category is not None else pooled.category_id,
            "specification": pooled.specification, "quantity_milli": pooled.quantity_milli, "unit": pooled.unit,
            "est_unit_price_fen": pooled.est_unit_price_fen, "est_amount_fen": pooled.est_amount_fen}


def get_line(actor, pooled_line_id) -> PooledLine:
    try:
        lid = int(pooled_line_id)
    except (TypeError, ValueError):
        raise NotFound(N_("No such pooled line.")) from None
    found = db.session.get(PooledLine, lid, populate_existing=True) if 0 < lid <= 2**31 - 1 else None
    if found is None or not can_view_project(actor, found.project):
        raise NotFound(N_("No such pooled line."))
    return found


def withdraw_line(actor, pooled_line_id) -> PooledLine:
    """The project's own purchaser withdraws a contributed line (not once it is in a lot)."""
    pooled = get_line(actor, pooled_line_id)
    with unit_of_work():
        project = lock_visible_project(actor, pooled.project_id)
        pooled = get_line(actor, pooled.id)  # as committed, now that the project is locked
        if not is_own_purchaser(actor, project):
            raise PermissionDenied(N_("Only the project's own purchaser withdraws its pooled lines."))
        if pooled.status == LINE_ASSIGNED:
            raise Conflict(N_("Line %(line)s is already in a lot of tender %(tender)s; it can no longer be "
                              "withdrawn."), line=pooled.bom_line.line_no,
                           tender=pooled.lot.tender.reference if pooled.lot is not None else "?")
        if pooled.status != LINE_CONTRIBUTED:
            raise Conflict(N_("Line %(line)s was already %(status)s."), line=pooled.bom_line.line_no,
                           status=Term(pooled.status))
        withdraw_lines([pooled], actor, WITHDRAWN_BY_PURCHASER)
    db.session.refresh(pooled)
    return pooled
