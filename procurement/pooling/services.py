"""Pooling demand: use cases of the procurement centre (open, close, cancel a round) and of
purchasers (contribute and withdraw their projects' bill lines), the chronograph's closing of a
round at its closing time, and what happens to pooled lines when a project leaves procurement.

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

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

import catalog.interface as catalog
from core import audit, scheduler
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_, Term
from core.notifications import notify_organisation
from core.services import unit_of_work
from core.statemachine import IllegalMove
from core.timeutil import CHINA, china_time, today_cn, utcnow
from procurement.blueprints import page_path
from procurement.design.models import BomLine
from procurement.machine.stages import PROCUREMENT
from procurement.pooling.models import (LINE_ASSIGNED, LINE_CONTRIBUTED, LIVE_LINE_STATES, ROUND, ROUND_CLOSED,
                                        ROUND_OPEN, ROUND_STATES, PooledLine, PoolingRound)
from procurement.projects.models import Project
from procurement.projects.policy import can_view_project, is_own_purchaser
from procurement.records.services import append_record, lock_visible_project
from procurement.tendering import lots, policy
from procurement.validation import CONTROL_CHARACTERS, Errors, has_control_characters, text

CLOSE_KIND = "pooling.round_close"      # chronograph kind: the round closes at `closes_at`
OBJECT_TYPE = "pooling_rounds"
MAX_WINDOW_DAYS = 90                    # a round collects for at most this long
MIN_WINDOW = dt.timedelta(minutes=10)   # ... and at least this long from now
MAX_CATEGORIES = 50
MAX_LINES_PER_CONTRIBUTION = 500
DESCRIPTION_MAX = 2000
REASON_MIN, REASON_MAX = 5, 2000

#: Why pooled lines were withdrawn (the `reason` of a ``pooled_line_withdrawn`` record).
WITHDRAWN_BY_PURCHASER = "by_purchaser"
WITHDRAWN_ROUND_CANCELLED = "round_cancelled"
WITHDRAWN_PROJECT_LEFT = "project_left_procurement"


# --------------------------------------------------------------------------- reading

def _round_id(round_id) -> int:
    try:
        rid = int(round_id)
    except (TypeError, ValueError):
        raise NotFound(N_("No such pooling round.")) from None
    if rid < 1 or rid > 2**31 - 1:
        raise NotFound(N_("No such pooling round."))
    return rid


def get_round(actor, round_id) -> PoolingRound:
    """The round if `actor` may see it; NotFound otherwise (no hint that it exists)."""
    found = db.session.get(PoolingRound, _round_id(round_id), populate_existing=True)
    if found is None or not policy.can_view_round(actor, found):
        raise NotFound(N_("No such pooling round."))
    return found


def list_rounds(actor, *, status: str | None = None, page: int = 1, per_page: int = 25):
    """(rounds, total) visible to `actor`, newest first; optionally of one status."""
    query = select(PoolingRound).where(policy.visible_rounds_filter(actor))
    if status:
        if status not in ROUND_STATES:
            raise ValidationError(N_("Unknown status “%(status)s”."), {"status": N_("Unknown status.")},
                                  status=str(status)[:20])
        now = utcnow()
        if status == ROUND_OPEN:  # by the clock: a round past its closing time is closed
            query = query.where(PoolingRound.status == ROUND_OPEN, PoolingRound.closes_at > now)
        elif status == ROUND_CLOSED:
            query = query.where(or_(PoolingRound.status == ROUND_CLOSED,
                                    and_(PoolingRound.status == ROUND_OPEN, PoolingRound.closes_at <= now)))
        else:
            query = query.where(PoolingRound.status == status)
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    page = max(1, int(page or 1))
    per_page = min(max(1, int(per_page or 25)), 100)
    rows = db.session.execute(query.order_by(PoolingRound.id.desc()).offset((page - 1) * per_page).limit(per_page)
                              .options(selectinload(PoolingRound.categories))).scalars().all()
    return rows, total


def shown_status(pooling_round, now: dt.datetime | None = None) -> str:
    """The round's status by the clock: an open round past its closing time shows as closed."""
    if pooling_round.status == ROUND_OPEN and not policy.is_collecting(pooling_round, now):
        return ROUND_CLOSED
    return pooling_round.status


def line_counts(round_ids) -> dict[int, tuple[int, int]]:
    """{round id: (live lines, their estimated amount)} for several rounds (one query)."""
    ids = list(round_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(PooledLine.round_id, func.count(PooledLine.id), func.sum(PooledLine.est_amount_fen))
                              .where(PooledLine.round_id.in_(ids), PooledLine.status.in_(LIVE_LINE_STATES))
                              .group_by(PooledLine.round_id)).all()
    return {rid: (n, int(total or 0)) for rid, n, total in rows}


def round_lines(pooling_round, *, statuses=LIVE_LINE_STATES) -> list[PooledLine]:
    """The round's pooled lines in these states, by project and bill line (one query, projects,
    bill lines and categories loaded with them)."""
    return list(db.session.execute(
        select(PooledLine).where(PooledLine.round_id == pooling_round.id, PooledLine.status.in_(statuses))
        .options(selectinload(PooledLine.bom_line))
        .order_by(PooledLine.project_id, PooledLine.bom_line_id)).scalars())


def eligible_lines(project, pooling_round) -> list[BomLine]:
    """The project's bill lines of the round's categories that are in no live pooled line
    ("uncovered"), by line number."""
    category_ids = [c.id for c in pooling_round.categories]
    if not category_ids:
        return []
    live = exists().where(PooledLine.bom_line_id == BomLine.id, PooledLine.status.in_(LIVE_LINE_STATES))
    return list(db.session.execute(
        select(BomLine).where(BomLine.project_id == project.id, BomLine.category_id.in_(category_ids), ~live)
        .order_by(BomLine.line_no)).scalars())


def contributing_projects(actor, pooling_round) -> list[Project]:
    """The projects of `actor`'s organisation that may contribute to the round now: in the
    procurement stage, of the round's city (empty for anyone else)."""
    if policy.pooling_purchaser_city(actor) != pooling_round.city_id:
        return []
    return list(db.session.execute(
        select(Project).where(Project.purchaser_org_id == actor.organisation_id, Project.stage == PROCUREMENT,
                              Project.city_id == pooling_round.city_id).order_by(Project.code)).scalars())


def own_lines(actor, pooling_round) -> list[PooledLine]:
    """The round's pooled lines (any state) of `actor`'s organisation's projects."""
    org_id = getattr(actor, "organisation_id", None)
    if org_id is None:
        return []
    return list(db.session.execute(
        select(PooledLine).join(Project, Project.id == PooledLine.project_id)
        .where(PooledLine.round_id == pooling_round.id, Project.purchaser_org_id == org_id)
        .options(selectinload(PooledLine.bom_line))
        .order_by(PooledLine.project_id, PooledLine.bom_line_id, PooledLine.id)).scalars())


def round_summary(pooling_round, *, plans: bool = True) -> dict:
    """What the round page shows: live lines per project (with amounts), totals per category,
    and (`plans`) the proposed lots of the contributed lines."""
    lines = round_lines(pooling_round)
    per_project: dict[int, dict] = {}
    per_category: dict[int, dict] = {}
    for ln in lines:
        entry = per_project.setdefault(ln.project_id, {"project": ln.project, "lines": [], "amount_fen": 0})
        entry["lines"].append(ln)
        entry["amount_fen"] += ln.est_amount_fen
        cat = per_category.setdefault(ln.category_id, {"category_id": ln.category_id, "lines": 0, "amount_fen": 0,
                                                       "projects": set()})
        cat["lines"] += 1
        cat["amount_fen"] += ln.est_amount_fen
        cat["projects"].add(ln.project_id)
    order = {c.id: i for i, c in enumerate(pooling_round.categories)}
    contributed = [ln for ln in lines if ln.status == LINE_CONTRIBUTED]
    return {"lines": lines, "projects": list(per_project.values()),
            "categories": sorted(per_category.values(), key=lambda c: order.get(c["category_id"], len(order))),
            "total_fen": sum(ln.est_amount_fen for ln in lines),
            "plans": lots.group_lines(contributed) if plans else []}


def count_open_rounds_for(user, now: dt.datetime | None = None) -> int:
    """Purchasers: rounds of their city taking lines now while their organisation has a project
    in procurement there (one query)."""
    city = policy.pooling_purchaser_city(user)
    if city is None:
        return 0
    has_project = exists().where(Project.purchaser_org_id == user.organisation_id, Project.stage == PROCUREMENT,
                                 Project.city_id == PoolingRound.city_id)
    return db.session.execute(select(func.count(PoolingRound.id)).where(
        PoolingRound.city_id == city, PoolingRound.status == ROUND_OPEN,
        PoolingRound.closes_at > (now or utcnow()), has_project)).scalar_one()


def count_ready_to_tender(user) -> int:
    """Centres: their rounds closed and not yet tendered (one query)."""
    centre = policy.centre_of(user)
    if centre is None:
        return 0
    return db.session.execute(select(func.count(PoolingRound.id)).where(
        PoolingRound.centre_org_id == centre.id, PoolingRound.status == ROUND_CLOSED)).scalar_one()


# --------------------------------------------------------------------------- input

def _parse_closes_at(raw, errors: Errors, now: dt.datetime) -> dt.datetime | None:
    """An ISO 8601 time (a time without a zone is China time), in the future and at most
    `MAX_WINDOW_DAYS` days ahead."""
    if raw is None or raw == "":
        errors.add("closes_at", N_("This field is required."))
        return None
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, str) and len(raw) <= 40 and not has_control_characters(raw):
        try:
            value = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError:
            value = None
    else:
        value = None
    if value is None:
        errors.add("closes_at", N_("Give a date and time such as 2026-05-31T17:00 (China time unless a zone is "
                                   "given)."))
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA)
    value = value.astimezone(dt.timezone.utc)
    if value < now + MIN_WINDOW:
        errors.add("closes_at", N_("The closing time must be at least %(minutes)s minutes from now."),
                   minutes=int(MIN_WINDOW.total_seconds() // 60))
    elif value > now + dt.timedelta(days=MAX_WINDOW_DAYS):
        errors.add("closes_at", N_("A round collects for at most %(days)s days."), days=MAX_WINDOW_DAYS)
    return value


def _clean_categories(data: dict, errors: Errors) -> list[int]:
    raw = data.get("categories", data.get("category_ids"))
    if isinstance(raw, (str, int)) and not isinstance(raw, bool):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        errors.add("categories", N_("Choose at least one category."))
        return []
    if len(raw) > MAX_CATEGORIES:
        errors.add("categories", N_("At most %(n)s categories."), n=MAX_CATEGORIES)
        return []
    ids: list[int] = []
    for ref in raw:
        found = None
        if isinstance(ref, int) and not isinstance(ref, bool) and 0 < ref <= 2**31 - 1:
            found = catalog.find_category(ref)
        elif isinstance(ref, str) and 0 < len(ref.strip()) <= 60 and not has_control_characters(ref):
            found = catalog.find_category(ref.strip()) if not ref.strip().isdigit() or len(ref.strip()) < 10 else None
        if found is None:
            errors.add("categories", N_("Unknown category “%(ref)s”."), ref=str(ref)[:40])
            return []
        if found.id not in ids:
            ids.append(found.id)
    return ids


def clean_round_data(data, now: dt.datetime | None = None) -> dict:
    """Validate ``{title, description?, categories: [id or code, ...], closes_at}``."""
    if not isinstance(data, dict):
        raise ValidationError(N_("The pooling round must be an object."))
    now = now or utcnow()
    errors = Errors()
    clean = {"title": text(data, "title", errors, max_len=200),
             "description": text(data, "description", errors, required=False, max_len=DESCRIPTION_MAX),
             "category_ids": _clean_categories(data, errors),
             "closes_at": _parse_closes_at(data.get("closes_at"), errors, now)}
    errors.raise_if_any(N_("The pooling round was not opened."))
    return clean


def _clean_reason(reason) -> str:
    if reason is not None and not isinstance(reason, str):
        raise ValidationError(N_("The reason must be text."), {"reason": N_("Must be text.")})
    reason = (reason or "").strip()
    if has_control_characters(reason):
        raise ValidationError(N_("The reason is not plain text."), {"reason": CONTROL_CHARACTERS})
    if len(reason) < REASON_MIN:
        raise ValidationError(N_("Say why the round is cancelled."),
                              {"reason": (N_("At least %(n)s characters."), {"n": REASON_MIN})})
    if len(reason) > REASON_MAX:
        raise ValidationError(N_("The reason is too long."),
                              {"reason": (N_("At most %(n)s characters."), {"n": REASON_MAX})})
    return reason


def _clean_line_ids(raw) -> list[int]:
    if not isinstance(raw, list) or not raw:
        raise ValidationError(N_("Choose at least one bill line."),
                              {"bom_line_ids": N_("Give a list of bill line ids.")})
    if len(raw) > MAX_LINES_PER_CONTRIBUTION:
        raise ValidationError(N_("At most %(n)s lines at once."), {"bom_line_ids": N_("Too many lines.")},
                              n=MAX_LINES_PER_CONTRIBUTION)
    ids: list[int] = []
    for item in raw:
        if isinstance(item, bool) or not isinstance(item, int) or not 0 < item <= 2**31 - 1:
            raise ValidationError(N_("Bill line ids are positive whole numbers."),
                                  {"bom_line_ids": N_("Must be a list of bill line ids.")})
        if item not in ids:
            ids.append(item)
    return ids


# --------------------------------------------------------------------------- locks

def _lock_round(actor, round_id, *, share: bool = False) -> PoolingRound:
    """The round row locked for this transaction (FOR SHARE for contributions, which may run
    side by side, FOR UPDATE otherwise); NotFound if `actor` may not see it. On SQLite a no-op
    UPDATE takes the database write lock instead."""
    rid = _round_id(round_id)
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
    reason = _clean_reason(reason)
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
    ids = _clean_line_ids(bom_line_ids)
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


# --------------------------------------------------------------------------- a project leaving procurement

def _live_tender_lines(project_id: int) -> tuple[list[PooledLine], list[PooledLine]]:
    """The project's assigned lines: (in a live tender, in a tender that has ended)."""
    from procurement.tendering.states import CANCELLED, FAILED, LOT_ACTIVE

    assigned = db.session.execute(select(PooledLine).where(PooledLine.project_id == project_id,
                                                           PooledLine.status == LINE_ASSIGNED)).scalars().all()
    live, ended = [], []
    for ln in assigned:
        lot = ln.lot
        dead = lot is None or lot.status != LOT_ACTIVE or lot.tender.status in (CANCELLED, FAILED)
        (ended if dead else live).append(ln)
    return live, ended


class _InStage:
    """Write records in the stage the project is leaving: the machine has already set the new
    stage when its effects run, and its own `stage_returned` record comes after them."""

    def __init__(self, project, stage: str):
        self.project, self.stage = project, stage

    def __enter__(self):
        self.new_stage = self.project.stage
        self.project.stage = self.stage

    def __exit__(self, *exc):
        self.project.stage = self.new_stage
        return False


def on_return_to_design(project, decision, actor) -> None:
    """Effect of returning a project from procurement to design (installed by `wiring.register`).

    Refused (409, nothing changes) while one of its lines is in a lot of a live tender: the
    centre must first take the line out of the draft or cancel the tender. Contributed lines
    are withdrawn, and lines left assigned in a tender that has ended are released, each with a
    record on the project's chain written before the stage change.
    """
    live, ended = _live_tender_lines(project.id)
    if live:
        ln = live[0]
        raise Conflict(N_("Line %(line)s is in lot %(lot)s of tender %(tender)s; the project cannot return to "
                          "design while its lines are being tendered."), line=ln.bom_line.line_no,
                       lot=ln.lot.number, tender=ln.lot.tender.reference)
    contributed = db.session.execute(select(PooledLine).where(PooledLine.project_id == project.id,
                                                              PooledLine.status == LINE_CONTRIBUTED)).scalars().all()
    if not contributed and not ended:
        return
    with _InStage(project, decision.transition.from_stage):
        withdraw_lines(contributed, actor, WITHDRAWN_PROJECT_LEFT, note=decision.reason or "")
        if ended:
            lots.release_lines(ended, actor, reason=WITHDRAWN_PROJECT_LEFT)
        db.session.flush()

