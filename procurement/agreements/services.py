"""Agreement use cases: prepare from an awarded lot, sign, publish, terminate, cancel a draft; the
chronograph handlers of the signing, publication and validity deadlines.

Each use case is one unit of work with its audit event; signing also writes an
`agreement_signed` record on every project that holds a quota, and starts the winner's bond
refund (`procurement.bonds.services.schedule_winner_refund`). Deadlines:

- signing: the profile's `contract_sign_days` calendar days after the award notice (flagged
  overdue by the chronograph, shown overdue on read);
- publication: the profile's `contract_publish_working_days` working days after signing;
- validity: the agreement expires after the China day `valid_until`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from core import audit, scheduler
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_, Message
from core.notifications import notify_organisation
from core.services import unit_of_work
from core.timeutil import utcnow
from core.validation import Errors, choice, date, integer, plain_text
from procurement.agreements import policy
from procurement.agreements.models import Agreement, AgreementQuota, AgreementSupplier
from procurement.agreements.states import (AGREEMENT, CONTRACT, DEADLINE_EXPIRY, DEADLINE_PUBLISH, DEADLINE_SIGN,
                                           DEFAULT_RETENTION_BP, DRAFT, FRAMEWORK, IN_FORCE_STATES, KINDS,
                                           MAX_RETENTION_BP, OBJECT_TYPE, SIGNED)
from procurement.awards.deadlines import china_day, end_of_day, window_end
from procurement.awards.gate import can_sign_contract
from procurement.awards.services import award_for_lot
from procurement.awards.states import NOTIFIED
from procurement.pooling.models import LINE_ASSIGNED, PooledLine
from procurement.records.services import append_record, lock_project
from procurement.tendering.models import Lot

MAX_VALIDITY_DAYS = 3 * 366


def _stored(payload) -> Message:
    """A gate's stored reason (key and parameters) as a message parameter."""
    from core.i18n import _load

    return _load(payload)


def get_agreement(agreement_id) -> Agreement:
    try:
        aid = int(agreement_id)
    except (TypeError, ValueError):
        raise NotFound(N_("No such agreement.")) from None
    agreement = db.session.get(Agreement, aid)
    if agreement is None:
        raise NotFound(N_("No such agreement."))
    return agreement


def visible_agreement(actor, agreement_id) -> Agreement:
    agreement = get_agreement(agreement_id)
    if not policy.can_view_agreement(actor, agreement):
        raise NotFound(N_("No such agreement."))
    return agreement


def lock_agreement(agreement_id) -> Agreement:
    """The agreement row locked for this transaction (``SELECT ... FOR UPDATE``; on SQLite a
    no-op UPDATE takes the database write lock)."""
    aid = get_agreement(agreement_id).id
    if db.engine.dialect.name == "sqlite":
        db.session.execute(update(Agreement).where(Agreement.id == aid).values(status=Agreement.status))
    return db.session.execute(select(Agreement).where(Agreement.id == aid).with_for_update(of=Agreement)
                              .execution_options(populate_existing=True)).unique().scalar_one()


def _profile(award):
    if award.profile is not None:
        return award.profile
    from procurement.profiles.services import profile_for

    tender = award.tender
    return profile_for(tender.method, tender.track, tender.city_id, china_day(award.notice_at or utcnow()))


def sign_due_at(award) -> dt.datetime | None:
    """The end of the signing period: `contract_sign_days` calendar days after the notice's China day."""
    if award is None or award.notice_at is None:
        return None
    return end_of_day(china_day(award.notice_at) + dt.timedelta(days=_profile(award).contract_sign_days))


# ------------------------------------------------------------------ input

def clean_terms(data: dict, *, today: dt.date) -> dict:
    """Kind, validity and retention share of an agreement to prepare; ValidationError naming the fields."""
    data = data if isinstance(data, dict) else {}
    errors = Errors()
    kind = choice(data, "kind", errors, KINDS, required=False, default=FRAMEWORK)
    valid_from = date(data, "valid_from", errors, required=False) or today
    valid_until = date(data, "valid_until", errors)
    retention = integer(data, "retention_bp", errors, minimum=0, maximum=MAX_RETENTION_BP, required=False,
                        default=DEFAULT_RETENTION_BP)
    raw_suppliers = data.get("supplier_org_ids") or []
    if isinstance(raw_suppliers, (str, int)):
        raw_suppliers = [raw_suppliers]
    suppliers = []
    if not isinstance(raw_suppliers, list) or len(raw_suppliers) > 20:
        errors["supplier_org_ids"] = N_("Must be a list of at most 20 organisation ids.")
    else:
        for raw in raw_suppliers:
            try:
                suppliers.append(int(raw))
            except (TypeError, ValueError):
                errors["supplier_org_ids"] = N_("Must be a list of at most 20 organisation ids.")
    if valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = N_("The validity must end on or after its first day.")
    elif valid_until is not None and valid_until < today:
        errors["valid_until"] = N_("The validity must not end in the past.")
    elif valid_until is not None and (valid_until - valid_from).days > MAX_VALIDITY_DAYS:
        errors["valid_until"] = N_("An agreement is valid for at most three years.")
    if kind == CONTRACT and suppliers:
        errors["supplier_org_ids"] = N_("A contract has one supplier, the winner; choose a framework agreement "
                                        "to add more.")
    errors.raise_if_any(N_("The agreement's terms were not accepted."))
    return {"kind": kind, "valid_from": valid_from, "valid_until": valid_until, "retention_bp": retention,
            "extra_suppliers": list(dict.fromkeys(suppliers))}


def _supplier_rows(award, extra: list[int]) -> list[dict]:
    """The winner at its bid's price, then the chosen next-ranked firms at their own bids' prices."""
    from procurement.opening.models import OpenedBid

    wanted = [award.winner_org_id, *[o for o in extra if o != award.winner_org_id]]
    by_org = {c.get("supplier_org_id"): c for c in (award.candidates or [])}
    rows = []
    for rank, org_id in enumerate(wanted, start=1):
        cand = by_org.get(org_id)
        opened_id = award.winner_opened_bid_id if org_id == award.winner_org_id else (cand or {}).get("opened_bid_id")
        if org_id != award.winner_org_id and (cand is None or cand.get("excluded")):
            raise ValidationError(N_("Only firms ranked in this lot's evaluation may join the agreement."),
                                  {"supplier_org_ids": N_("Not a ranked bidder of this lot.")})
        opened = db.session.get(OpenedBid, opened_id) if opened_id else None
        if opened is None or not opened.product_id or not opened.unit_price_fen:
            raise Conflict(N_("The opened bid of a supplier of this lot names no product or price."))
        rows.append({"supplier_org_id": org_id, "product_id": opened.product_id, "unit_price_fen": opened.unit_price_fen,
                     "rank": rank, "bid_id": opened.bid_id, "opened_bid_id": opened.id})
    return rows


# ------------------------------------------------------------------ use cases

def prepare(actor, lot_id, data: dict | None = None, *, now: dt.datetime | None = None) -> Agreement:
    """The lot's centre prepares the contract or framework agreement of a notified award: its
    suppliers and unit prices from the bids, the quotas from the lot's pooled lines. Draft until
    signed; the signing deadline is scheduled."""
    now = now or utcnow()
    terms = clean_terms(data or {}, today=policy.china_day(now))
    with unit_of_work(N_("This lot already has an agreement.")):
        lot = db.session.get(Lot, _int(lot_id))
        if lot is None:
            raise NotFound(N_("No such lot."))
        tender = lot.tender
        probe = Agreement(centre_org_id=tender.centre_org_id, city_id=tender.city_id, status=DRAFT)
        if not policy.can_manage_agreement(actor, probe):
            raise PermissionDenied(N_("Only the lot's procurement centre prepares its agreement."))
        award = award_for_lot(lot.id)
        if award is None or award.status != NOTIFIED or award.winner_org_id is None:
            raise Conflict(N_("Only a lot whose award notice is published gets an agreement."))
        existing = db.session.execute(select(func.count()).select_from(Agreement)
                                      .where(Agreement.lot_id == lot.id)).scalar_one()
        lines = list(db.session.execute(select(PooledLine).where(PooledLine.lot_id == lot.id,
                                                                 PooledLine.status == LINE_ASSIGNED)
                                        .order_by(PooledLine.id)).unique().scalars())
        total = max(lot.quantity_milli, sum(pl.quantity_milli for pl in lines))
        agreement = Agreement(
            reference=f"{tender.reference}-L{lot.number}-A{existing + 1}", lot_id=lot.id, award_id=award.id,
            tender_id=tender.id, kind=terms["kind"], city_id=tender.city_id, centre_org_id=tender.centre_org_id,
            category_id=lot.category_id, title=lot.title[:200], status=DRAFT, valid_from=terms["valid_from"],
            valid_until=terms["valid_until"], total_quantity_milli=total, ordered_quantity_milli=0, unit=lot.unit,
            retention_bp=terms["retention_bp"], sign_due_at=sign_due_at(award), created_by_id=getattr(actor, "id", None),
            created_at=now, end_reason="")
        db.session.add(agreement)
        for row in _supplier_rows(award, terms["extra_suppliers"]):
            db.session.add(AgreementSupplier(agreement=agreement, **row))
        for pl in lines:
            db.session.add(AgreementQuota(agreement=agreement, project_id=pl.project_id, bom_line_id=pl.bom_line_id,
                                          pooled_line_id=pl.id, quantity_milli=pl.quantity_milli, ordered_milli=0))
        db.session.flush()
        if agreement.sign_due_at is not None:
            scheduler.schedule(DEADLINE_SIGN, OBJECT_TYPE, agreement.id, agreement.sign_due_at)
        audit.record("agreements.prepare", agreement, after=agreement.snapshot(), actor=actor)
    return agreement


def sign(actor, agreement_id, *, now: dt.datetime | None = None) -> Agreement:
    """Sign the agreement: only when the award gate is open (standstill over, no live challenge or
    complaint). Starts the publication deadline, the validity's end and the winner's bond refund;
    every quota holder's project records it."""
    now = now or utcnow()
    with unit_of_work():
        agreement = get_agreement(agreement_id)
        project_ids = sorted({q.project_id for q in agreement.quotas})
        projects = [lock_project(pid) for pid in project_ids]  # projects first: the orders' lock order
        agreement = lock_agreement(agreement.id)
        if not policy.can_manage_agreement(actor, agreement):
            raise PermissionDenied(N_("Only the agreement's procurement centre signs it."))
        AGREEMENT.check(agreement.status, "sign")
        ok, reasons = can_sign_contract(agreement.lot, now)
        if not ok:
            raise Conflict(N_("The agreement cannot be signed now: %(reason)s"), reason=_stored(reasons[0]))
        award = agreement.award
        publish_days = _profile(award).contract_publish_working_days
        before = agreement.snapshot()
        AGREEMENT.apply(Agreement, agreement.id, "sign", signed_at=now, signed_by_id=getattr(actor, "id", None),
                        publish_due_at=window_end(now, publish_days))
        db.session.refresh(agreement)
        scheduler.cancel(DEADLINE_SIGN, OBJECT_TYPE, agreement.id)
        scheduler.schedule(DEADLINE_PUBLISH, OBJECT_TYPE, agreement.id, agreement.publish_due_at)
        scheduler.schedule(DEADLINE_EXPIRY, OBJECT_TYPE, agreement.id, end_of_day(agreement.valid_until))
        from procurement.bonds.services import schedule_winner_refund

        schedule_winner_refund(agreement.lot_id, award.winner_org_id, china_day(now), actor=actor)
        audit.record("agreements.sign", agreement, before=before, after=agreement.snapshot(), actor=actor)
        for project in projects:
            quota = sum(q.quantity_milli for q in agreement.quotas if q.project_id == project.id)
            append_record(project, "agreement_signed",
                          {"agreement": agreement.reference, "kind": agreement.kind, "quota_milli": quota,
                           "unit": agreement.unit, "valid_until": agreement.valid_until.isoformat()},
                          actor=actor, action="agreements.record")
        for supplier in agreement.suppliers:
            notify_organisation(supplier.supplier_org_id, "agreement_signed",
                                N_("Agreement %(reference)s was signed."), {"reference": agreement.reference},
                                roles=policy.SUPPLIER_RECIPIENTS, email=False)
    return agreement


def publish(actor, agreement_id, *, now: dt.datetime | None = None) -> Agreement:
    """Publish the signed agreement (due within the profile's working days of signing)."""
    now = now or utcnow()
    with unit_of_work():
        agreement = lock_agreement(agreement_id)
        if not policy.can_manage_agreement(actor, agreement):
            raise PermissionDenied(N_("Only the agreement's procurement centre publishes it."))
        AGREEMENT.apply(Agreement, agreement.id, "publish", published_at=now, published_by_id=getattr(actor, "id", None))
        db.session.refresh(agreement)
        scheduler.cancel(DEADLINE_PUBLISH, OBJECT_TYPE, agreement.id)
        audit.record("agreements.publish", agreement, after={"published_at": now.isoformat(),
                                                             "late": now >= agreement.publish_due_at}, actor=actor)
    return agreement


def _end(actor, agreement_id, action: str, reason, now) -> Agreement:
    reason = plain_text(reason, "reason", minimum=5, maximum=2000, refused=N_("Please give the reason."),
                        too_short=N_("Please give the reason (at least %(n)s characters)."))
    now = now or utcnow()
    with unit_of_work():
        agreement = lock_agreement(agreement_id)
        if not policy.can_manage_agreement(actor, agreement):
            raise PermissionDenied(N_("Only the agreement's procurement centre ends it."))
        AGREEMENT.apply(Agreement, agreement.id, action, ended_at=now, end_reason=reason)
        for kind in (DEADLINE_SIGN, DEADLINE_PUBLISH, DEADLINE_EXPIRY):
            scheduler.cancel(kind, OBJECT_TYPE, agreement.id)
        db.session.refresh(agreement)
        audit.record(f"agreements.{action}", agreement, after={"status": agreement.status, "reason": reason},
                     actor=actor)
    return agreement


def terminate(actor, agreement_id, reason, *, now: dt.datetime | None = None) -> Agreement:
    """End a signed agreement early, with a reason: no further orders."""
    return _end(actor, agreement_id, "terminate", reason, now)


def cancel_draft(actor, agreement_id, reason, *, now: dt.datetime | None = None) -> Agreement:
    """Abandon a draft (never signed), with a reason; the lot may get a new one."""
    return _end(actor, agreement_id, "cancel", reason, now)


# ------------------------------------------------------------------ chronograph handlers (no commit)

def _flag(agreement_id, due_at, column, due_column, status, message) -> None:
    # The chronograph runs a handler only once its time has come (`due_at`); a stored due time
    # later than that means the deadline moved, and the run is a stale one.
    agreement = db.session.get(Agreement, int(agreement_id))
    if agreement is None or agreement.status != status or getattr(agreement, column) is not None:
        return
    due = getattr(agreement, due_column)
    if due is None or due > due_at:
        return
    result = db.session.execute(update(Agreement).where(Agreement.id == agreement.id, Agreement.status == status,
                                                        getattr(Agreement, column).is_(None))
                                .values({column: due}).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return
    audit.record(f"agreements.{column}", agreement, after={"due_at": due.isoformat()})
    notify_organisation(agreement.centre_org_id, "agreement_overdue", message, {"reference": agreement.reference},
                        roles=policy.CENTRE_RECIPIENTS, email=False)


def flag_sign_overdue(agreement_id, due_at) -> None:
    """`agreements.sign_due`: a draft still unsigned at the end of the signing period is flagged."""
    _flag(agreement_id, due_at, "sign_overdue_at", "sign_due_at", DRAFT,
          N_("Agreement %(reference)s was not signed within the signing period."))


def flag_publish_overdue(agreement_id, due_at) -> None:
    """`agreements.publish_due`: a signed agreement still unpublished at its due time is flagged."""
    _flag(agreement_id, due_at, "publish_overdue_at", "publish_due_at", SIGNED,
          N_("Agreement %(reference)s was not published within the publication period."))


def expire_due(agreement_id, due_at) -> None:
    """`agreements.expiry`: an agreement in force whose last valid day has passed expires."""
    agreement = db.session.get(Agreement, int(agreement_id))
    if agreement is None or agreement.status not in IN_FORCE_STATES or due_at < end_of_day(agreement.valid_until):
        return
    AGREEMENT.apply(Agreement, agreement.id, "expire", ended_at=due_at)
    audit.record("agreements.expire", agreement, after={"valid_until": agreement.valid_until.isoformat()})


def overdue_flags(agreement, now: dt.datetime | None = None) -> dict:
    """Checked again on read (the chronograph may not have run yet): signing and publication late."""
    now = now or utcnow()
    return {"sign": agreement.status == DRAFT and agreement.sign_due_at is not None
            and (agreement.sign_overdue_at is not None or now >= agreement.sign_due_at),
            "publish": agreement.status == SIGNED and agreement.publish_due_at is not None
            and (agreement.publish_overdue_at is not None or now >= agreement.publish_due_at)}


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(N_("No such lot.")) from None


__all__ = ["prepare", "sign", "publish", "terminate", "cancel_draft", "get_agreement", "visible_agreement",
           "lock_agreement", "sign_due_at"]
