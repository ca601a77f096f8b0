"""Lot outcomes after opening: the automatic qualification of each valid bid, lots with too few
valid bids failed, the override of a result (with a reason), the centre's confirmation of a lot's
qualification, and its choice of the next step for a failed lot.

Every step is one transaction that locks the tender row first (so opening, overrides and
confirmations of one tender never interleave), moves the lot outcome through
`states.LOT_OPENING` (a conditional UPDATE), writes its audit event and, for steps that change
what happens to the projects' demand (a lot qualified or failed, the next step chosen), one
record on the chain of every project contributing to the lot.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import audit
from core.errors import NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_, message_payload
from core.services import unit_of_work
from core.statemachine import IllegalMove
from core.timeutil import utcnow
from procurement.opening import checks, policy
from procurement.opening.models import LotOpening, OpenedBid, QualificationResult
from procurement.opening.states import (
    LOT_OPENING,
    NEXT_STEPS,
    QUALIFYING,
    STEP_MOVES,
    VALID,
)
from procurement.pooling.models import LIVE_LINE_STATES, PooledLine
from procurement.profiles.services import profile_for
from procurement.tendering.clarifications import lock_tender
from procurement.tendering.models import Lot, Tender
from procurement.tendering.records import record_on_projects, record_tender_step
from procurement.tendering.states import (
    CLOSED,
    LOT,
    LOT_ACTIVE,
    LOT_CANCELLED,
    LOT_FAILED,
    TENDER,
)

REASON_MIN, REASON_MAX = 5, 2000


# ------------------------------------------------------------------ helpers

def min_bidders(tender) -> int:
    """The profile's minimum of valid bids per lot (the profile the tender was published under)."""
    profile = tender.profile or profile_for(tender.method, tender.track, tender.city_id)
    return int(profile.min_valid_bidders)


def lot_projects(lot) -> list[int]:
    """Ids of the projects with a live line in the lot (sorted)."""
    return sorted(set(db.session.execute(select(PooledLine.project_id).where(
        PooledLine.lot_id == lot.id, PooledLine.status.in_(LIVE_LINE_STATES))).scalars()))


def _lot_payload(tender, lot, outcome: LotOpening, **extra) -> dict:
    return {"tender_id": tender.id, "reference": tender.reference, "lot": lot.number, "lot_id": lot.id,
            "valid_bids": outcome.valid_bids, "qualified_bids": outcome.qualified_bids,
            "min_bidders": outcome.min_bidders, **extra}


def qualified_firms(lot_id: int) -> int:
    """Firms whose valid opened bid on the lot passes every check (overrides included)."""
    bids = db.session.execute(select(OpenedBid).where(OpenedBid.lot_id == lot_id, OpenedBid.status == VALID)
                              .execution_options(populate_existing=True)).unique().scalars()
    return len({b.supplier_org_id for b in bids if b.results and all(r.passed for r in b.results)})


def clean_reason(reason, field: str = "reason") -> str:
    """A person's reason (5 to 2000 characters): required for overrides and next steps."""
    from core.validation import plain_text

    if reason is None or (isinstance(reason, str) and not reason.strip()):
        raise ValidationError(N_("A reason is required."), {field: N_("Give the reason (at least 5 characters).")})
    return plain_text(reason, field, minimum=REASON_MIN, maximum=REASON_MAX)


def _fail_lot(tender, lot, outcome: LotOpening, reason: dict, *, actor, now: dt.datetime) -> None:
    """Move the lot outcome and the lot to failed, with the audit event and the projects' record."""
    LOT_OPENING.apply(LotOpening, outcome.id, "fail", fail_reason=reason, updated_at=now)
    LOT.apply(Lot, lot.id, "fail")
    audit.record("opening.lot_failed", object_type="lots", object_id=lot.id, after=outcome.snapshot(), actor=actor)
    record_on_projects(lot_projects(lot), "tender_lot_failed",
                       _lot_payload(tender, lot, outcome, reason=reason,
                                    next_steps=list(NEXT_STEPS.get(tender.method, ()))), actor=actor)


def fail_tender_if_no_lot_left(tender, *, actor) -> bool:
    """When every lot of a closed tender has failed (or was cancelled), the tender fails."""
    db.session.expire(tender, ["status", "lots"])
    if tender.status != CLOSED or any(lot.status not in (LOT_FAILED, LOT_CANCELLED) for lot in tender.lots):
        return False
    before = tender.snapshot()
    TENDER.apply(Tender, tender.id, "fail")
    db.session.expire(tender, ["status"])
    record_tender_step(tender, "tender_failed", {"reason": message_payload(
        N_("Every lot failed at opening or qualification: too few valid bids."))}, actor=actor, before=before)
    return True


# ------------------------------------------------------------------ at opening

def store_results(tender, lot, opened: OpenedBid, now: dt.datetime, *, cities) -> None:
    for check, passed, template, params in checks.run_checks(tender, lot, opened, cities=cities):
        opened.results.append(QualificationResult(lot_id=lot.id, check_name=check, auto_passed=passed, passed=passed,
                                                  reason=message_payload(template, params), checked_at=now))


def settle_lots(tender, opened: list[OpenedBid], now: dt.datetime, *, actor) -> list[LotOpening]:
    """After the envelopes are opened (same transaction): qualify every valid bid of each active
    lot, and fail the lots with fewer valid bids (firms) than the profile's minimum."""
    minimum = min_bidders(tender)
    outcomes = []
    for lot in tender.lots:
        if lot.status != LOT_ACTIVE:
            continue
        valid = [b for b in opened if b.lot_id == lot.id and b.status == VALID]
        cities = checks.lot_cities(tender, lot)
        for bid in valid:
            store_results(tender, lot, bid, now, cities=cities)
        db.session.flush()
        outcome = LotOpening(lot_id=lot.id, tender_id=tender.id, status=QUALIFYING,
                             valid_bids=len({b.supplier_org_id for b in valid}), min_bidders=minimum,
                             qualified_bids=qualified_firms(lot.id), opened_at=now, updated_at=now)
        db.session.add(outcome)
        db.session.flush()
        outcomes.append(outcome)
    return outcomes


def fail_short_lots(tender, outcomes: list[LotOpening], now: dt.datetime, *, actor) -> None:
    """Lots with fewer valid bids than the minimum fail at opening (after the opening record)."""
    for outcome in outcomes:
        if outcome.valid_bids < outcome.min_bidders:
            reason = message_payload(N_("Only %(n)s valid bids were opened for this lot; the procedure rules ask for at "
                                        "least %(min)s."), {"n": outcome.valid_bids, "min": outcome.min_bidders})
            _fail_lot(tender, outcome.lot, outcome, reason, actor=actor, now=now)
    fail_tender_if_no_lot_left(tender, actor=actor)


# ------------------------------------------------------------------ the centre's steps

def _outcome(actor, tender_id, lot_id, *, lock: bool = True) -> tuple[Tender, Lot, LotOpening]:
    try:
        tender = lock_tender(int(tender_id)) if lock else db.session.get(Tender, int(tender_id))
    except (TypeError, ValueError):
        raise NotFound(N_("No such tender.")) from None
    if tender is None or not policy.can_view_qualification(actor, tender):
        raise NotFound(N_("No such tender."))
    lot = next((x for x in tender.lots if str(x.id) == str(lot_id)), None)
    if lot is None:
        raise NotFound(N_("No such lot in this tender."))
    outcome = db.session.execute(select(LotOpening).where(LotOpening.lot_id == lot.id)
                                 .execution_options(populate_existing=True)).unique().scalar_one_or_none()
    if outcome is None:
        raise IllegalMove(N_("The bids of this lot have not been opened yet."))
    return tender, lot, outcome


def override(actor, result_id, passed, reason, *, now: dt.datetime | None = None) -> QualificationResult:
    """Override one automatic result of a lot still being qualified: `passed` (true or false)
    and a reason are required; the automatic result and reason stay beside it. Audited."""
    if not isinstance(passed, bool):
        raise ValidationError(N_("Please correct the marked fields."), {"passed": N_("Must be true or false.")})
    reason = clean_reason(reason)
    now = now or utcnow()
    try:
        result = db.session.get(QualificationResult, int(result_id))
    except (TypeError, ValueError):
        result = None
    if result is None:
        raise NotFound(N_("No such qualification result."))
    with unit_of_work():
        tender, lot, outcome = _outcome(actor, result.opened_bid.tender_id, result.lot_id)
        if not policy.can_override_qualification(actor, lot):
            raise PermissionDenied(N_("Only the tender's procurement centre overrides qualification results."))
        result = db.session.execute(select(QualificationResult).where(QualificationResult.id == result.id)
                                    .execution_options(populate_existing=True)).scalar_one()
        before = result.snapshot()
        LOT_OPENING.apply(LotOpening, outcome.id, "override", updated_at=now)
        result.passed, result.override_reason = passed, reason
        result.overridden_by_id, result.overridden_at = actor.id, now
        db.session.flush()
        outcome.qualified_bids = qualified_firms(lot.id)
        audit.record("opening.qualification_overridden", object_type="qualification_results", object_id=result.id,
                     before=before, after={**result.snapshot(), "lot_id": lot.id, "tender_id": tender.id},
                     actor=actor)
    return result


def confirm(actor, tender_id, lot_id, *, now: dt.datetime | None = None) -> LotOpening:
    """The centre closes a lot's qualification: enough qualified firms -> qualified (ready for
    scoring); fewer than the minimum -> the lot fails and the next step is offered."""
    now = now or utcnow()
    with unit_of_work():
        tender, lot, outcome = _outcome(actor, tender_id, lot_id)
        if not policy.can_decide_lot(actor, lot):
            raise PermissionDenied(N_("Only the tender's procurement centre confirms qualification."))
        LOT_OPENING.check(outcome.status, "confirm")
        count = qualified_firms(lot.id)
        outcome.qualified_bids = count
        if count >= outcome.min_bidders:
            LOT_OPENING.apply(LotOpening, outcome.id, "confirm", qualified_bids=count, decided_by_id=actor.id,
                              decided_at=now, updated_at=now)
            audit.record("opening.lot_qualified", object_type="lots", object_id=lot.id, after=outcome.snapshot(),
                         actor=actor)
            record_on_projects(lot_projects(lot), "tender_lot_qualified", _lot_payload(tender, lot, outcome),
                               actor=actor)
        else:
            reason = message_payload(N_("Only %(n)s bids passed qualification; the procedure rules ask for at least "
                                        "%(min)s."), {"n": count, "min": outcome.min_bidders})
            _fail_lot(tender, lot, outcome, reason, actor=actor, now=now)
            fail_tender_if_no_lot_left(tender, actor=actor)
    db.session.refresh(outcome)
    return outcome


def choose_next_step(actor, tender_id, lot_id, choice, reason, *, now: dt.datetime | None = None) -> LotOpening:
    """The centre records its choice for a failed lot: one of the profile's next steps
    (`states.NEXT_STEPS` by method: re-tender, or switch to competitive negotiation, which needs
    approval: say whose in the reason). The new procedure itself is another piece of work."""
    now = now or utcnow()
    reason = clean_reason(reason)
    with unit_of_work():
        tender, lot, outcome = _outcome(actor, tender_id, lot_id)
        if not policy.can_decide_lot(actor, lot):
            raise PermissionDenied(N_("Only the tender's procurement centre chooses the next step."))
        allowed = NEXT_STEPS.get(tender.method, ())
        if choice not in allowed:
            raise ValidationError(N_("Please correct the marked fields."), {"choice": (
                N_("Choose one of: %(choices)s."), {"choices": ", ".join(allowed)})})
        LOT_OPENING.apply(LotOpening, outcome.id, STEP_MOVES[choice], next_step=choice, next_step_reason=reason,
                          decided_by_id=actor.id, decided_at=now, updated_at=now)
        db.session.refresh(outcome)
        audit.record("opening.next_step", object_type="lots", object_id=lot.id, after=outcome.snapshot(),
                     actor=actor)
        record_on_projects(lot_projects(lot), "tender_lot_next_step",
                           _lot_payload(tender, lot, outcome, next_step={"term": choice}, reason=reason),
                           actor=actor)
    return outcome

