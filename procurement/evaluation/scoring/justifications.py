"""Abnormally low prices: the bidder's justification, the panel's decision and the deadline.

- The flagged firm (its supplier people) justifies its price in writing until the deadline
  (server clock; at the deadline itself it is too late), once.
- A panel member records the panel's decision on a justification received, accept or reject,
  with a reason; a rejected bid is excluded from the ranking.
- At the deadline (`states.DEADLINE_JUSTIFICATION`, the chronograph; and checked again by every
  step that reads the flags) a flag still waiting lapses: the bid is excluded.

Each step locks the lot's evaluation row first and moves the flag through `states.FLAG`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import audit
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_
from core.notifications import notify, notify_organisation
from core.services import unit_of_work
from core.timeutil import china_time, utcnow
from core.validation import plain_text
from procurement.blueprints import page_path
from procurement.evaluation.scoring import policy
from procurement.evaluation.scoring.models import LotEvaluation, PriceFlag
from procurement.evaluation.scoring.states import (
    AWAITING,
    FLAG,
    JUSTIFICATION_MAX,
    JUSTIFICATION_MIN,
    REASON_MAX,
    REASON_MIN,
    SCORING,
)
from procurement.opening.qualification import lot_projects
from procurement.tendering.records import record_on_projects


def find_flag(actor, flag_id) -> PriceFlag:
    """The flag if `actor` may see it: the flagged firm, the lot's overseers and panel members."""
    try:
        flag = db.session.get(PriceFlag, int(flag_id))
    except (TypeError, ValueError, OverflowError):
        flag = None
    if flag is None or not policy.can_view_flag(actor, flag):
        raise NotFound(N_("No such price flag."))
    return flag


def _locked(actor, flag_id) -> tuple[LotEvaluation, PriceFlag]:
    """The flag's evaluation row locked (visibility checked on the flag: the bidder may not see
    the evaluation itself), then the flag read fresh."""
    from procurement.evaluation.scoring.services import evaluation_of

    flag = find_flag(actor, flag_id)
    flag_id, lot_id = flag.id, flag.evaluation.lot_id
    _lock_row(lot_id)
    evaluation = evaluation_of(lot_id)
    flag = db.session.execute(select(PriceFlag).where(PriceFlag.id == flag_id)
                              .execution_options(populate_existing=True)).unique().scalar_one()
    return evaluation, flag


def _lock_row(lot_id: int) -> None:
    from sqlalchemy import update

    if db.engine.dialect.name == "sqlite":
        db.session.execute(update(LotEvaluation).where(LotEvaluation.lot_id == lot_id)
                           .values(updated_at=LotEvaluation.updated_at).execution_options(synchronize_session=False))
    db.session.execute(select(LotEvaluation.id).where(LotEvaluation.lot_id == lot_id).with_for_update())


def _record(flag: PriceFlag, kind: str, action: str, *, actor, before: dict, **extra) -> None:
    db.session.flush()
    db.session.refresh(flag)
    lot = flag.evaluation.lot
    audit.record(f"scoring.{action}", flag, before=before, after=flag.snapshot(), actor=actor)
    if kind:
        record_on_projects(lot_projects(lot), kind, {
            "tender_id": lot.tender_id, "reference": lot.tender.reference, "lot": lot.number, "lot_id": lot.id,
            "opened_bid_id": flag.opened_bid_id, "supplier_org_id": flag.supplier_org_id,
            "outcome": {"term": flag.status}, **extra}, actor=actor)


def justify(actor, flag_id, text, *, now: dt.datetime | None = None) -> PriceFlag:
    """The flagged firm explains its price (20 to 5000 characters) before the deadline."""
    text = plain_text(text, "justification", minimum=JUSTIFICATION_MIN, maximum=JUSTIFICATION_MAX)
    now = now or utcnow()
    with unit_of_work():
        evaluation, flag = _locked(actor, flag_id)
        if not policy.is_bidder_of(actor, flag):
            raise PermissionDenied(N_("Only the bidding firm justifies its price."))
        if flag.status == AWAITING and now >= flag.due_at:
            raise Conflict(N_("The deadline for the justification passed at %(due)s."), due=china_time(flag.due_at))
        before = flag.snapshot()
        FLAG.apply(PriceFlag, flag.id, "justify", justification=text, justified_at=now, justified_by_id=actor.id)
        _record(flag, "", "justified", actor=actor, before=before)
        lot = evaluation.lot
        from procurement.evaluation.scoring.services import members_of

        notify(members_of(lot), "scoring.justification_received",
               N_("A bidder justified its abnormally low price on lot %(lot)s of %(reference)s: the panel decides."),
               {"lot": lot.number, "reference": lot.tender.reference}, link=page_path("scoring.lot_page", lot_id=lot.id))
    return flag


def decide(actor, flag_id, accept, reason, *, now: dt.datetime | None = None) -> PriceFlag:
    """A panel member records the panel's decision on a justification: `accept` (true: the bid
    stays in; false: it is excluded) and a reason (5 to 2000 characters)."""
    if not isinstance(accept, bool):
        raise ValidationError(N_("Please correct the marked fields."), {"accept": N_("Must be true or false.")})
    reason = plain_text(reason, "reason", minimum=REASON_MIN, maximum=REASON_MAX)
    now = now or utcnow()
    with unit_of_work():
        evaluation, flag = _locked(actor, flag_id)
        if not policy.is_member(actor, evaluation.lot):
            raise PermissionDenied(N_("Only the lot's panel members decide on a justification."))
        if evaluation.status != SCORING:
            raise Conflict(N_("The evaluation report is already issued: decisions are closed."))
        before = flag.snapshot()
        FLAG.apply(PriceFlag, flag.id, "accept" if accept else "reject", decision_reason=reason, decided_at=now,
                   decided_by_id=actor.id)
        _record(flag, "tender_lot_justification_decided", "justification_decided", actor=actor, before=before,
                reason=reason)
        lot = evaluation.lot
        notify_organisation(flag.supplier_org_id, "scoring.justification_decided",
                            N_("The evaluation panel accepted your justification for lot %(lot)s of %(reference)s.")
                            if accept else
                            N_("The evaluation panel rejected your justification for lot %(lot)s of %(reference)s: "
                               "the bid is excluded from the ranking. Reason: %(reason)s"),
                            {"lot": lot.number, "reference": lot.tender.reference, "reason": reason},
                            roles=policy.BIDDER_ROLES, link=page_path("scoring.justification_page", flag_id=flag.id))
    return flag


def lapse(evaluation, now: dt.datetime) -> int:
    """Every flag of `evaluation` still waiting at its deadline lapses (in the caller's
    transaction, recorded as the clock's step); returns how many did. Idempotent."""
    from procurement.tendering.services import CHRONOGRAPH

    count = 0
    for flag in list(evaluation.flags):
        if flag.status == AWAITING and now >= flag.due_at:
            before = flag.snapshot()
            FLAG.apply(PriceFlag, flag.id, "lapse")
            _record(flag, "tender_lot_justification_lapsed", "justification_lapsed", actor=CHRONOGRAPH, before=before)
            lot = evaluation.lot
            notify_organisation(flag.supplier_org_id, "scoring.justification_lapsed",
                                N_("No justification of your price for lot %(lot)s of %(reference)s was received by "
                                   "the deadline: the bid is excluded from the ranking."),
                                {"lot": lot.number, "reference": lot.tender.reference}, roles=policy.BIDDER_ROLES)
            count += 1
    return count


def lapse_due(evaluation_id: int, due_at: dt.datetime) -> None:
    """The chronograph's handler (`states.DEADLINE_JUSTIFICATION`): lapse the flags still
    waiting. Idempotent: flags already justified or lapsed are left alone."""
    evaluation = db.session.get(LotEvaluation, int(evaluation_id))
    if evaluation is None:
        return
    lapse(evaluation, max(due_at, utcnow()))


def flags_of_firm(actor) -> list[PriceFlag]:
    """The flags of the actor's firm, newest first (supplier people only)."""
    from core import roles as R
    from core.policy import has_role, organisation_of

    org = organisation_of(actor)
    if org is None or not has_role(actor, R.SUPPLIER):
        return []
    return list(db.session.execute(select(PriceFlag).where(PriceFlag.supplier_org_id == org.id)
                                   .order_by(PriceFlag.id.desc()).limit(200)).unique().scalars())
