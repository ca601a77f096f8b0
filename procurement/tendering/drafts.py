"""Draft tenders: built from a closed pooling round of the centre (one lot per category,
specification and unit, every contributed line assigned to its lot) and changed while still a
draft. The input is checked here (`clean_header`, `parse_deadline`), and a draft's method,
deadline and bonds against the procedure profile in force (`profile_field_errors`).

Times are stored in UTC; a deadline typed without a zone is China time.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from core import audit
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_, Term
from core.services import unit_of_work
from core.timeutil import CHINA, utcnow
from core.validation import Errors, choice, integer, parse_moment, text
from procurement.pooling.models import LINE_CONTRIBUTED, ROUND, PooledLine, PoolingRound
from procurement.profiles.models import GPL, METHODS, PUBLIC_TENDER, TRACKS
from procurement.tendering import checks as tender_checks
from procurement.tendering import lots as lot_rules
from procurement.tendering import policy
from procurement.tendering.models import Lot, Tender
from procurement.tendering.services import locked_tender
from procurement.tendering.states import DRAFT, LOT_ACTIVE

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
MAX_BOND_FEN = 10**13


def parse_deadline(raw) -> dt.datetime:
    """A bid deadline from an aware datetime, an ISO 8601 text with a zone ("2027-01-20T09:00+08:00",
    "...Z") or a local date-time without one ("2027-01-20T09:00", "2027-01-20 09:00": China time).
    Returns an aware UTC datetime to the second; ValueError for anything else or outside 2000-2100."""
    return parse_moment(raw).replace(microsecond=0)


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


def clean_header(data: dict, errors: Errors, *, partial: bool) -> dict:
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


def profile_field_errors(tender, now: dt.datetime, errors: Errors) -> None:
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
    clean = clean_header(data, errors, partial=False)
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
        profile_field_errors(tender, now, errors)
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
        tender = locked_tender(actor, tender_id)
        if not policy.can_manage_tender(actor, tender):
            raise PermissionDenied(N_("Only the tender's procurement centre changes it."))
        if tender.status != DRAFT:
            raise Conflict(N_("Only a draft tender can be changed; this one is %(status)s."),
                           status=Term(tender.status))
        errors = Errors()
        header = clean_header(data, errors, partial=True)
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
        profile_field_errors(tender, now, errors)
        errors.raise_if_any(N_("The tender was not accepted."))
        tender.updated_at = now
        db.session.flush()
        audit.record("tender.update", tender, before=before, after=tender.snapshot(), actor=actor)
    return tender
