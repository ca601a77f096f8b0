"""The tender lifecycle: a draft built from a closed pooling round, the finance office's review,
publication, the close of tendering at the bid deadline (the chronograph) and cancellation.

    draft --submit--> finance_review --approve--> approved --publish--> published --close--> closed
      ^                    |  return                 | withdraw_approval
      +--------------------+-------------------------+
    cancel: from any live state (with a reason type); fail: later issues (too few bids)

Every use case is one transaction: it locks the tender row, asks the rule in `policy`, moves the
status through `states.TENDER` (an atomic conditional UPDATE: of two officers publishing at the
same moment exactly one wins, the other gets a 409), writes the tender's audit event and one
record on the chain of every contributing project (`records.record_tender_step`), and tells
the people concerned. The named checks of `checks.run_checks` run at submission, at review and
again at publication (with the publication time = now); a failing check refuses the move.

Times are stored in UTC; a deadline typed without a zone is China time.
"""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from core import audit, scheduler
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_, Message, Term
from core.notifications import notify, notify_organisation
from core.policy import is_platform
from core.services import unit_of_work
from core.statemachine import IllegalMove
from core.timeutil import CHINA, china_time, utcnow
from procurement.pooling.models import (LINE_CONTRIBUTED, LIVE_LINE_STATES, ROUND, ROUND_CLOSED, PooledLine,
                                        PoolingRound)
from procurement.profiles.models import GPL, METHODS, PUBLIC_TENDER, TRACKS
from procurement.tendering import checks as tender_checks
from procurement.tendering import follows, opportunities, policy
from procurement.tendering import lots as lot_rules
from procurement.tendering.clarifications import lock_tender, tender_link
from procurement.tendering.models import Lot, Tender
from procurement.tendering.records import contributing_projects, record_tender_step
from procurement.tendering.states import (APPROVED, CANCEL_REASONS, CLOSED, DEADLINE_BIDS, DEADLINE_CUTOFF, DRAFT,
                                          FINANCE_REVIEW, LOT_ACTIVE, PUBLIC_STATES, PUBLISHED, TENDER)
from procurement.validation import CONTROL_CHARACTERS, Errors, choice, has_control_characters, integer, text

#: The object type of tenders in `core.scheduler` deadlines.
OBJECT_TYPE = Tender.__tablename__
TITLE_MAX = 200
DESCRIPTION_MAX = 5000
COMMENT_MIN, COMMENT_MAX = 5, 2000
REASON_MIN, REASON_MAX = 5, 2000
MAX_BOND_FEN = 10**13
EARLIEST, LATEST = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(2100, 12, 31, tzinfo=dt.timezone.utc)


class _Chronograph:
    """The actor of steps the clock takes (tendering closed at the deadline): nobody signed in."""

    id = None
    organisation_id = None


CHRONOGRAPH = _Chronograph()
PUBLISHED_LISTENERS_KEY = "tender_published_listeners"
CLOSED_LISTENERS_KEY = "tender_closed_listeners"
CANCELLED_LISTENERS_KEY = "tender_cancelled_listeners"


def on_published(app, func) -> None:
    """Call `func(tender)` inside every publication's transaction, after the move (bids: the
    opening key). An exception in `func` refuses the publication."""
    funcs = app.extensions.setdefault(PUBLISHED_LISTENERS_KEY, [])
    if func not in funcs:
        funcs.append(func)


def on_closed(app, func) -> None:
    """Call `func(tender)` inside the close at the bid deadline (bids: the Merkle root)."""
    funcs = app.extensions.setdefault(CLOSED_LISTENERS_KEY, [])
    if func not in funcs:
        funcs.append(func)


def on_cancelled(app, func) -> None:
    """Call `func(tender)` inside every cancellation's transaction, after the move (bonds: the
    held bonds are returned). An exception in `func` refuses the cancellation, so listeners only
    write rows and arm the chronograph; calls to outside services belong in its jobs."""
    funcs = app.extensions.setdefault(CANCELLED_LISTENERS_KEY, [])
    if func not in funcs:
        funcs.append(func)


def _listeners(key: str) -> list:
    from flask import current_app

    return list(current_app.extensions.get(key, []))


# ------------------------------------------------------------------ input

def parse_deadline(raw) -> dt.datetime:
    """A bid deadline from an aware datetime, an ISO 8601 text with a zone ("2027-01-20T09:00+08:00",
    "...Z") or a local date-time without one ("2027-01-20T09:00", "2027-01-20 09:00": China time).
    Returns an aware UTC datetime; ValueError for anything else or outside 2000-2100."""
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, str) and 10 < len(raw.strip()) <= 40:
        value = dt.datetime.fromisoformat(raw.strip().replace(" ", "T", 1))
    else:
        raise ValueError("not a date and time")
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA)
    value = value.astimezone(dt.timezone.utc)
    if not EARLIEST <= value <= LATEST:
        raise ValueError("out of range")
    return value.replace(microsecond=0)


def _deadline(data: dict, errors: Errors, *, required: bool) -> dt.datetime | None:
    raw = data.get("bid_deadline_at")
    if raw in (None, ""):
        if required:
            errors.add("bid_deadline_at", N_("This field is required."))
        return None
    try:
        return parse_deadline(raw)
    except (TypeError, ValueError):
        errors.add("bid_deadline_at", N_("Give a date and time such as 2027-01-20T09:00 (China time) or with "
                                         "a zone such as 2027-01-20T09:00+08:00."))
        return None


def _clean_header(data: dict, errors: Errors, *, partial: bool) -> dict:
    out = {}
    if not partial or "title" in data:
        out["title"] = text(data, "title", errors, max_len=TITLE_MAX)
    if not partial or "description" in data:
        out["description"] = text(data, "description", errors, required=False, max_len=DESCRIPTION_MAX)
    if not partial or "method" in data:
        out["method"] = choice(data, "method", errors, METHODS, required=partial, default=PUBLIC_TENDER)
    if not partial or "track" in data:
        out["track"] = choice(data, "track", errors, TRACKS, required=partial, default=GPL)
    if not partial or "bid_deadline_at" in data:
        out["bid_deadline_at"] = _deadline(data, errors, required=True)
    return {k: v for k, v in out.items() if v is not None or k == "description"}


def _clean_lot_item(item: dict, errors: Errors) -> dict:
    out = {"number": integer(item, "number", errors, minimum=1, maximum=10_000)}
    if "title" in item:
        out["title"] = text(item, "title", errors, max_len=lot_rules.LOT_TITLE_MAX)
    if "bond_fen" in item:
        out["bond_fen"] = integer(item, "bond_fen", errors, minimum=0, maximum=MAX_BOND_FEN)
    return out


def _clean_lots(raw, tender, errors: Errors) -> list[dict]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors.add("lots", N_("Must be a list of {number, title, bond_fen}."))
        return []
    if len(raw) > len(tender.lots):
        errors.add("lots", N_("At most %(n)s lots."), n=len(tender.lots))
        return []
    numbers = {lot.number for lot in tender.lots}
    out, seen = [], set()
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            errors.add(f"lots.{i}", N_("Must be an object with number, title and bond_fen."))
            continue
        sub = Errors()
        clean = _clean_lot_item(item, sub)
        for field, message in sub.fields.items():
            errors.add(f"lots.{i}.{field}", message)
        if sub:
            continue
        if clean["number"] not in numbers or clean["number"] in seen:
            errors.add(f"lots.{i}.number", N_("No such lot in this tender (or given twice)."))
            continue
        seen.add(clean["number"])
        out.append(clean)
    return out


def _clean_comment(comment, *, required: bool, minimum: int = COMMENT_MIN, maximum: int = COMMENT_MAX,
                   field: str = "comment") -> str:
    if comment is not None and not isinstance(comment, str):
        raise ValidationError(N_("The comment was not accepted."), {field: N_("Must be text.")})
    comment = (comment or "").strip()
    if has_control_characters(comment):
        raise ValidationError(N_("The comment was not accepted."), {field: CONTROL_CHARACTERS})
    if len(comment) > maximum:
        raise ValidationError(N_("The comment was not accepted."), {field: (N_("At most %(n)s characters."),
                                                                            {"n": maximum})})
    if required and len(comment) < minimum:
        raise ValidationError(N_("Say why (at least %(n)s characters)."), {field: (N_("At least %(n)s characters."),
                                                                                  {"n": minimum})}, n=minimum)
    return comment


def _profile_field_errors(tender, now: dt.datetime, errors: Errors) -> None:
    """A draft's method, deadline and bonds against the profile in force today (field errors)."""
    profile = tender_checks.find_profile(tender, now)
    if profile is None:
        errors.add("method", N_("No procedure rules are in force for this method and legal track in the city."))
        return
    if tender.bid_deadline_at is not None:
        problems = tender_checks.period_problems(profile, tender.bid_deadline_at, now)
        if problems:
            template, params = problems[0]
            errors.add("bid_deadline_at", template, **params)
    for lot in tender.lots:
        if lot.status != LOT_ACTIVE:
            continue
        problem = tender_checks.bond_problem(profile, lot.number, lot.ceiling_fen, lot.bond_fen or 0)
        if problem:
            errors.add(f"lots.{lot.number}.bond_fen", problem[0], **problem[1])


# ------------------------------------------------------------------ reading

def get_tender(actor, tender_id: int) -> Tender:
    """The tender if `actor` may see it (NotFound otherwise: no hint that it exists)."""
    tender = db.session.get(Tender, int(tender_id))
    if tender is None or not policy.can_view_tender(actor, tender):
        raise NotFound(N_("No such tender."))
    return tender


def find_tender(actor, ref) -> Tender:
    """A tender by id (digits) or reference, if `actor` may see it."""
    ref = str(ref or "").strip()
    if ref.isdigit() and len(ref) <= 9:
        tender = db.session.get(Tender, int(ref))
    else:
        tender = db.session.execute(select(Tender).where(Tender.reference == ref[:40])).scalar_one_or_none()
    if tender is None or not policy.can_view_tender(actor, tender):
        raise NotFound(N_("No such tender."))
    return tender


def _locked(actor, tender_id: int) -> Tender:
    tender = lock_tender(tender_id)
    if not policy.can_view_tender(actor, tender):
        raise NotFound(N_("No such tender."))
    return tender


def public_tenders_query(*, status: str | None = None, city_id: int | None = None, category_id: int | None = None,
                         now: dt.datetime | None = None):
    """Published (or later) tenders, optionally filtered. The status filter reads the clock: a
    published tender past its deadline counts as closed (the chronograph may not have run yet)."""
    now = now or utcnow()
    stmt = select(Tender).where(Tender.status.in_(PUBLIC_STATES))
    if status == PUBLISHED:
        stmt = stmt.where(Tender.status == PUBLISHED, Tender.bid_deadline_at > now)
    elif status == CLOSED:
        stmt = stmt.where(or_(Tender.status == CLOSED, and_(Tender.status == PUBLISHED, Tender.bid_deadline_at <= now)))
    elif status in PUBLIC_STATES:
        stmt = stmt.where(Tender.status == status)
    if city_id is not None:
        stmt = stmt.where(Tender.city_id == city_id)
    if category_id is not None:
        stmt = stmt.where(Tender.id.in_(select(Lot.tender_id).where(Lot.category_id == category_id)))
    return stmt


def _page(stmt, order, page: int, per_page: int) -> tuple[list[Tender], int]:
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar()
    rows = list(db.session.execute(stmt.options(selectinload(Tender.lots)).order_by(*order)
                                   .limit(per_page).offset((page - 1) * per_page)).scalars())
    return rows, total


def list_public(*, status=None, city_id=None, category_id=None, page: int = 1, per_page: int = 20, now=None):
    """(tenders, total) of the public list, newest publication first."""
    stmt = public_tenders_query(status=status, city_id=city_id, category_id=category_id, now=now)
    return _page(stmt, (Tender.published_at.desc().nulls_last(), Tender.id.desc()), page, per_page)


def managed_query(actor):
    """The tenders `actor` works on: its centre's (procurement officers), its city's once
    submitted (finance office), every one (platform staff); None for anyone else."""
    centre = policy.centre_of(actor)
    if centre is not None:
        return select(Tender).where(Tender.centre_org_id == centre.id)
    if is_platform(actor):
        return select(Tender)
    org = getattr(actor, "organisation", None)
    city_id = getattr(org, "city_id", None)
    if city_id is not None and policy.is_tender_reviewer(actor, SimpleNamespace(city_id=city_id)):
        return select(Tender).where(Tender.city_id == city_id, Tender.status != DRAFT)
    return None


def list_managed(actor, *, status: str | None = None, page: int = 1, per_page: int = 20):
    """(tenders, total) of `actor`'s worklist of tenders; ([], 0) when it has none."""
    stmt = managed_query(actor)
    if stmt is None:
        return [], 0
    if status:
        stmt = stmt.where(Tender.status == status)
    return _page(stmt, (Tender.updated_at.desc(), Tender.id.desc()), page, per_page)


def count_awaiting_review(city_id: int) -> int:
    """Tenders of the city waiting for the finance office (one query)."""
    return db.session.execute(select(func.count(Tender.id)).where(Tender.city_id == city_id,
                                                                  Tender.status == FINANCE_REVIEW)).scalar()


def count_to_publish(centre_org_id: int) -> int:
    """Approved tenders of a centre waiting to be published (one query)."""
    return db.session.execute(select(func.count(Tender.id)).where(Tender.centre_org_id == centre_org_id,
                                                                  Tender.status == APPROVED)).scalar()


def closed_rounds(actor) -> list[PoolingRound]:
    """The closed pooling rounds `actor`'s centre can build a tender from (newest first)."""
    centre = policy.centre_of(actor)
    if centre is None:
        return []
    return list(db.session.execute(select(PoolingRound).where(PoolingRound.centre_org_id == centre.id,
                                                              PoolingRound.status == ROUND_CLOSED)
                                   .order_by(PoolingRound.id.desc())).scalars())


# ------------------------------------------------------------------ checks

def _unpayload(value):
    if isinstance(value, dict) and set(value) == {"term"}:
        return Term(value["term"])
    if isinstance(value, dict) and set(value) == {"key", "params"}:
        return Message(value["key"], **{k: _unpayload(v) for k, v in (value["params"] or {}).items()})
    return value


def check_fields(results: list[dict]) -> dict:
    """Failing checks as error fields ``{check name: (template, params)}``."""
    return {c["check"]: (c["message"]["key"], {k: _unpayload(v) for k, v in c["message"]["params"].items()})
            for c in tender_checks.failing(results)}


def _refuse_failing(results: list[dict], message: str) -> None:
    failed = tender_checks.failing(results)
    if failed:
        raise Conflict(message, check_fields(results), n=len(failed))


def current_checks(tender, *, now: dt.datetime | None = None) -> list[dict]:
    """The checks as they stand now (for pages: what submit, approve and publish will find)."""
    return tender_checks.run_checks(tender, at=now or utcnow())


# ------------------------------------------------------------------ notices

def _reviewers(tender) -> list:
    """The active people of the city's offices who review its tenders (`policy.is_tender_reviewer`)."""
    from core.models import Organisation, User

    users = db.session.execute(select(User).join(Organisation, Organisation.id == User.organisation_id)
                               .where(Organisation.city_id == tender.city_id, User.active.is_(True))
                               .order_by(User.id)).scalars()
    return [u for u in users if policy.is_tender_reviewer(u, tender)]


def _tell_centre(tender, kind: str, template: str, params: dict | None = None, *, link: str | None = None) -> None:
    notify_organisation(tender.centre_org_id, kind, template,
                        {"reference": tender.reference, "title": tender.title, **(params or {})},
                        link=link or f"/tenders/{tender.id}/manage")


# ------------------------------------------------------------------ creating and editing drafts

def _new_reference(tender) -> str:
    city = tender.city.code.upper() if tender.city is not None else "CITY"
    year = (tender.created_at or utcnow()).astimezone(CHINA).year
    return f"{city}-T{year}-{tender.id:05d}"[:40]


def _default_bond(profile, ceiling_fen: int) -> int:
    return tender_checks.bond_cap_fen(profile, ceiling_fen) if profile is not None else 0


def create_tender_from_round(actor, round_id: int, data: dict, *, now: dt.datetime | None = None) -> Tender:
    """A draft tender from a closed pooling round of `actor`'s centre: one lot per category,
    specification and unit (`lots.group_lines`), every contributed line assigned to its lot
    (a record on each project), the round moved to "tendered". `data`: title, description,
    method (default public tender), track (default gpl), bid_deadline_at. Bonds start at the
    profile's cap. A deadline too early for the profile is a field error."""
    if not isinstance(data, dict):
        raise ValidationError(N_("The tender must be an object."))
    now = now or utcnow()
    errors = Errors()
    clean = _clean_header(data, errors, partial=False)
    errors.raise_if_any(N_("The tender was not accepted."))
    with unit_of_work(N_("The pooling round or its lines changed at the same time; try again.")):
        rnd = db.session.execute(select(PoolingRound).where(PoolingRound.id == int(round_id))
                                 .with_for_update(of=PoolingRound).execution_options(populate_existing=True)
                                 ).unique().scalar_one_or_none()
        if rnd is None:
            raise NotFound(N_("No such pooling round."))
        if not policy.can_manage_round(actor, rnd):
            raise PermissionDenied(N_("Only the round's procurement centre builds tenders from it."))
        ROUND.check(rnd.status, "tender")
        lines = list(db.session.execute(select(PooledLine).where(PooledLine.round_id == rnd.id,
                                                                 PooledLine.status == LINE_CONTRIBUTED)
                                        .order_by(PooledLine.id)).scalars())
        if not lines:
            raise Conflict(N_("The round has no contributed lines to put in lots."))
        plans = lot_rules.group_lines(lines)
        tender = Tender(reference=f"new-{uuid.uuid4().hex}"[:40], title=clean["title"],
                        description=clean.get("description") or "", city_id=rnd.city_id,
                        centre_org_id=rnd.centre_org_id, pooling_round_id=rnd.id, method=clean["method"],
                        track=clean["track"], bid_deadline_at=clean["bid_deadline_at"], status=DRAFT,
                        created_by_id=actor.id, created_at=now)
        db.session.add(tender)
        profile = tender_checks.find_profile(tender, now)
        for number, plan in enumerate(plans, 1):
            lot_rules.validate_lot(plan.lines, pooling_round=rnd)
            tender.lots.append(Lot(number=number, title=plan.title or plan.specification[:200],
                                   category_id=plan.category_id, specification=plan.specification[:300],
                                   unit=plan.unit, quantity_milli=plan.quantity_milli, ceiling_fen=plan.ceiling_fen,
                                   bond_fen=_default_bond(profile, plan.ceiling_fen),
                                   requirements=plan.requirements))
        db.session.flush()
        tender.reference = _new_reference(tender)
        errors = Errors()
        _profile_field_errors(tender, now, errors)
        errors.raise_if_any(N_("The tender was not accepted."))
        ROUND.apply(PoolingRound, rnd.id, "tender")
        for lot, plan in zip(tender.lots, plans):
            lot_rules.assign_lines(lot, plan.lines, actor)
        db.session.flush()
        # Each project's chain already names the tender and lot (`tender_lot_assigned`).
        audit.record("tender.create", tender, after=tender.snapshot(), actor=actor)
    return tender


def update_draft(actor, tender_id: int, data: dict, *, now: dt.datetime | None = None) -> Tender:
    """Change a draft: any of title, description, method, track, bid_deadline_at and
    ``lots: [{number, title?, bond_fen?}]``. A deadline too early for the profile in force today
    (field ``bid_deadline_at``) or a bond above its cap (field ``lots.<number>.bond_fen``) is
    refused and nothing changes."""
    if not isinstance(data, dict):
        raise ValidationError(N_("The tender must be an object."))
    now = now or utcnow()
    with unit_of_work():
        tender = _locked(actor, tender_id)
        if not policy.can_manage_tender(actor, tender):
            raise PermissionDenied(N_("Only the tender's procurement centre changes it."))
        if tender.status != DRAFT:
            raise Conflict(N_("Only a draft tender can be changed; this one is %(status)s."),
                           status=Term(tender.status))
        errors = Errors()
        header = _clean_header(data, errors, partial=True)
        lot_changes = _clean_lots(data.get("lots"), tender, errors)
        errors.raise_if_any(N_("The tender was not accepted."))
        before = tender.snapshot()
        for key, value in header.items():
            setattr(tender, key, value if value is not None else "")
        by_number = {lot.number: lot for lot in tender.lots}
        for change in lot_changes:
            lot = by_number[change["number"]]
            for key in ("title", "bond_fen"):
                if key in change:
                    setattr(lot, key, change[key])
        _profile_field_errors(tender, now, errors)
        errors.raise_if_any(N_("The tender was not accepted."))
        tender.updated_at = now
        db.session.flush()
        audit.record("tender.update", tender, before=before, after=tender.snapshot(), actor=actor)
    return tender


# ------------------------------------------------------------------ review

def submit(actor, tender_id: int, *, now: dt.datetime | None = None) -> Tender:
    """The centre sends a draft whose checks pass to the city's finance office."""
    now = now or utcnow()
    with unit_of_work():
        tender = _locked(actor, tender_id)
        if not policy.can_manage_tender(actor, tender):
            raise PermissionDenied(N_("Only the tender's procurement centre submits it for review."))
        TENDER.check(tender.status, "submit")
        results = tender_checks.run_checks(tender, at=now)
        _refuse_failing(results, N_("Failing checks: %(n)s. The tender cannot go to the finance office until they "
                                    "pass."))
        before = tender.snapshot()
        profile = tender_checks.find_profile(tender, now)
        TENDER.apply(Tender, tender.id, "submit", submitted_at=now, submitted_by_id=actor.id,
                     profile_id=profile.id, review_checks=results, review_comment="", updated_at=now)
        record_tender_step(tender, "tender_submitted", {"profile_id": profile.id}, actor=actor, before=before)
        notify(_reviewers(tender), "tender.submitted",
               N_("Tender %(reference)s “%(title)s” is waiting for your review."),
               {"reference": tender.reference, "title": tender.title}, link=f"/tenders/{tender.id}/manage")
    return tender


def approve(actor, tender_id: int, comment: str | None = "", *, now: dt.datetime | None = None) -> Tender:
    """The city's finance office approves a tender under review; refused while a check fails."""
    comment = _clean_comment(comment, required=False)
    now = now or utcnow()
    with unit_of_work():
        tender = _locked(actor, tender_id)
        if not policy.is_tender_reviewer(actor, tender):
            raise PermissionDenied(N_("Only the city's finance office reviews tenders."))
        TENDER.check(tender.status, "approve")
        results = tender_checks.run_checks(tender, at=now)
        _refuse_failing(results, N_("Failing checks: %(n)s. The tender cannot be approved; return it to the "
                                    "centre."))
        before = tender.snapshot()
        profile = tender_checks.find_profile(tender, now)
        TENDER.apply(Tender, tender.id, "approve", reviewed_at=now, reviewed_by_id=actor.id, review_comment=comment,
                     review_checks=results, profile_id=profile.id, updated_at=now)
        record_tender_step(tender, "tender_approved", {"comment": comment}, actor=actor, before=before)
        _tell_centre(tender, "tender.approved", N_("The finance office approved tender %(reference)s “%(title)s”; "
                                                   "it can be published."))
    return tender


def return_(actor, tender_id: int, comment: str | None, *, now: dt.datetime | None = None) -> Tender:
    """The city's finance office returns a tender under review to the centre, saying why."""
    comment = _clean_comment(comment, required=True)
    now = now or utcnow()
    with unit_of_work():
        tender = _locked(actor, tender_id)
        if not policy.is_tender_reviewer(actor, tender):
            raise PermissionDenied(N_("Only the city's finance office reviews tenders."))
        TENDER.check(tender.status, "return")
        results = tender_checks.run_checks(tender, at=now)
        before = tender.snapshot()
        TENDER.apply(Tender, tender.id, "return", reviewed_at=now, reviewed_by_id=actor.id, review_comment=comment,
                     review_checks=results, updated_at=now)
        record_tender_step(tender, "tender_returned", {"comment": comment}, actor=actor, before=before)
        _tell_centre(tender, "tender.returned", N_("The finance office returned tender %(reference)s “%(title)s”: "
                                                   "%(comment)s"), {"comment": comment})
    return tender


def withdraw_approval(actor, tender_id: int) -> Tender:
    """The centre takes an approved tender back to draft to change it (it is reviewed again)."""
    with unit_of_work():
        tender = _locked(actor, tender_id)
        if not policy.can_manage_tender(actor, tender):
            raise PermissionDenied(N_("Only the tender's procurement centre changes it."))
        TENDER.check(tender.status, "withdraw_approval")
        before = tender.snapshot()
        TENDER.apply(Tender, tender.id, "withdraw_approval", updated_at=utcnow())
        record_tender_step(tender, "tender_approval_withdrawn", {}, actor=actor, before=before)
    return tender


# ------------------------------------------------------------------ publication and deadlines

def reschedule_deadlines(tender) -> None:
    """Arm the chronograph for the tender's bid deadline (tendering closes) and clarification
    cut-off, in the caller's transaction. Publication calls it; so does an amendment that moves
    the deadline."""
    if tender.bid_deadline_at is not None:
        scheduler.schedule(DEADLINE_BIDS, OBJECT_TYPE, tender.id, tender.bid_deadline_at)
    if tender.clarification_cutoff_at is not None and DEADLINE_CUTOFF in scheduler.handlers():
        scheduler.schedule(DEADLINE_CUTOFF, OBJECT_TYPE, tender.id, tender.clarification_cutoff_at)


def publish(actor, tender_id: int, *, now: dt.datetime | None = None) -> Tender:
    """The centre publishes an approved tender: the checks run again with the publication time
    = now and the profile in force today (stored on the tender); the documents are available
    until the end of the profile's working days, questions until the cut-off; the chronograph is
    armed for the deadline; suppliers whose products fit a lot are told."""
    now = now or utcnow()
    with unit_of_work():
        tender = _locked(actor, tender_id)
        if not policy.can_manage_tender(actor, tender):
            raise PermissionDenied(N_("Only the tender's procurement centre publishes it."))
        TENDER.check(tender.status, "publish")
        results = tender_checks.run_checks(tender, at=now)
        _refuse_failing(results, N_("Failing checks: %(n)s. The tender cannot be published until they pass."))
        profile = tender_checks.find_profile(tender, now)
        before = tender.snapshot()
        TENDER.apply(Tender, tender.id, "publish", published_at=now, published_by_id=actor.id, profile_id=profile.id,
                     documents_until=tender_checks.documents_until(profile, now),
                     clarification_cutoff_at=tender_checks.clarification_cutoff(profile, tender.bid_deadline_at),
                     updated_at=now)
        reschedule_deadlines(tender)
        for listener in _listeners(PUBLISHED_LISTENERS_KEY):
            listener(tender)
        record_tender_step(tender, "tender_published", {
            "published_at": now.isoformat(), "bid_deadline_at": tender.bid_deadline_at.isoformat(),
            "profile_id": profile.id}, actor=actor, before=before)
        opportunities.announce(tender)
    return tender


def close_tendering(tender_id: int, due_at: dt.datetime) -> None:
    """Chronograph handler of `DEADLINE_BIDS`: tendering closes at the bid deadline. Idempotent:
    a tender no longer published, or whose deadline was moved past `due_at`, is left alone.
    Runs in the scheduler's transaction (no commit)."""
    try:
        tender = lock_tender(tender_id)
    except NotFound:
        return
    if tender.status != PUBLISHED:
        return
    if tender.bid_deadline_at is None or tender.bid_deadline_at > due_at:
        return  # the deadline moved later; its own deadline row closes it then
    before = tender.snapshot()
    try:
        TENDER.apply(Tender, tender.id, "close", closed_at=tender.bid_deadline_at)
    except IllegalMove:
        return
    record_tender_step(tender, "tender_closed", {"closed_at": tender.bid_deadline_at.isoformat()},
                       actor=CHRONOGRAPH, before=before)
    for listener in _listeners(CLOSED_LISTENERS_KEY):
        listener(tender)
    notify(follows.followers(tender), "tender.closed",
           N_("Tendering closed for %(reference)s “%(title)s” at its deadline, %(deadline)s."),
           {"reference": tender.reference, "title": tender.title, "deadline": china_time(tender.bid_deadline_at)},
           link=tender_link(tender.id))


def catch_up(tender_id: int) -> None:
    """Run the tender's due deadlines before a page or an answer shows it."""
    scheduler.catch_up(OBJECT_TYPE, tender_id)


# ------------------------------------------------------------------ cancellation

def cancel(actor, tender_id: int, reason_type: str, reason: str | None) -> Tender:
    """The centre cancels a live tender, with a reason type (`CANCEL_REASONS`) and its reason.

    Before publication the pooled lines go back to their round (unassigned; the round can be
    tendered again); once published, the lines are released for good (the projects pool them
    again in a new round). Pending deadlines are disarmed; everyone who showed interest is told.
    """
    errors = Errors()
    reason_type = choice({"reason_type": reason_type}, "reason_type", errors, CANCEL_REASONS)
    errors.raise_if_any(N_("The cancellation was not accepted."))
    reason = _clean_comment(reason, required=True, minimum=REASON_MIN, maximum=REASON_MAX, field="reason")
    now = utcnow()
    with unit_of_work():
        tender = _locked(actor, tender_id)
        if not policy.can_manage_tender(actor, tender):
            raise PermissionDenied(N_("Only the tender's procurement centre cancels it."))
        TENDER.check(tender.status, "cancel")
        was_public = tender.status in PUBLIC_STATES
        project_ids = contributing_projects(tender)
        before = tender.snapshot()
        TENDER.apply(Tender, tender.id, "cancel", cancelled_at=now, cancel_reason_type=reason_type,
                     cancel_reason=reason, updated_at=now)
        record_tender_step(tender, "tender_cancelled", {"reason_type": reason_type, "reason": reason},
                           actor=actor, before=before, project_ids=project_ids)
        lines = list(db.session.execute(select(PooledLine).join(Lot, Lot.id == PooledLine.lot_id)
                                        .where(Lot.tender_id == tender.id,
                                               PooledLine.status.in_(LIVE_LINE_STATES))
                                        .order_by(PooledLine.id)).scalars())
        if was_public or tender.pooling_round_id is None:
            lot_rules.release_lines(lines, actor, reason="tender_cancelled", tender=tender)
        else:
            for lot in tender.lots:
                lot_rules.unassign_lines(lot, actor)
            ROUND.apply(PoolingRound, tender.pooling_round_id, "reopen")
        for kind in (DEADLINE_BIDS, DEADLINE_CUTOFF):
            scheduler.cancel(kind, OBJECT_TYPE, tender.id)
        for listener in _listeners(CANCELLED_LISTENERS_KEY):
            listener(tender)
        follows.notify_cancelled(tender)
    return tender
