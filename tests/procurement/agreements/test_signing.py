"""Signing an awarded lot: suppliers and prices from the bids, quotas from the pooled lines,
the award gate, the deadlines, the winner's bond refund and the projects' records."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core import scheduler
from core.errors import Conflict, PermissionDenied, ValidationError
from core.extensions import db
from procurement.agreements import services as agreements
from procurement.agreements.states import DEADLINE_PUBLISH, DEADLINE_SIGN
from procurement.bonds.models import Bond
from procurement.opening.models import OpenedBid
from procurement.pooling.models import PooledLine
from procurement.projects.models import Project
from procurement.records.services import verify_project
from tests.procurement.agreements.helpers import DAY, notified_lot, signed_agreement, terms
from tests.procurement.tendering.tender_builders import record_kinds


def test_prepare_takes_the_winners_bid_and_the_pooled_quotas(app):
    ctx, projects, award = notified_lot(3)
    draft = agreements.prepare(ctx.world.centre, ctx.lot.id, terms(ctx), now=ctx.sign_at - DAY)
    assert draft.status == "draft" and draft.kind == "framework"
    opened = db.session.get(OpenedBid, award.winner_opened_bid_id)
    [supplier] = draft.suppliers
    assert (supplier.supplier_org_id, supplier.product_id, supplier.unit_price_fen) == (
        award.winner_org_id, opened.product_id, opened.unit_price_fen)
    pooled = db.session.execute(select(PooledLine).where(PooledLine.lot_id == ctx.lot.id)).scalars().all()
    assert sorted((q.project_id, q.bom_line_id, q.quantity_milli) for q in draft.quotas) == sorted(
        (p.project_id, p.bom_line_id, p.quantity_milli) for p in pooled)
    assert draft.total_quantity_milli >= sum(q.quantity_milli for q in draft.quotas)
    # signing is due 30 days after the notice's China day, tracked by the chronograph
    assert draft.sign_due_at > ctx.notice_at + 30 * DAY - DAY
    assert scheduler.deadline_for(DEADLINE_SIGN, "agreement", draft.id) is not None


def test_a_framework_may_add_next_ranked_firms_at_their_own_prices(app):
    ctx, _projects, award = notified_lot(3)
    second = award.candidates[1]["supplier_org_id"]
    draft = agreements.prepare(ctx.world.centre, ctx.lot.id, terms(ctx, supplier_org_ids=[second]),
                               now=ctx.sign_at - DAY)
    assert [s.supplier_org_id for s in draft.suppliers] == [award.winner_org_id, second]
    assert draft.suppliers[0].unit_price_fen < draft.suppliers[1].unit_price_fen
    with pytest.raises(ValidationError):
        agreements.prepare(ctx.world.centre, ctx.lot.id, terms(ctx, kind="contract", supplier_org_ids=[second]),
                           now=ctx.sign_at - DAY)


def test_bad_terms_and_strangers_are_refused_with_nothing_written(app):
    ctx, _projects, _award = notified_lot(3)
    with pytest.raises(ValidationError) as err:
        agreements.prepare(ctx.world.centre, ctx.lot.id, terms(ctx, valid_until="2020-01-01", retention_bp=5000),
                           now=ctx.sign_at)
    assert {"valid_until", "retention_bp"} <= set(err.value.fields)
    with pytest.raises(PermissionDenied):
        agreements.prepare(ctx.world.purchaser, ctx.lot.id, terms(ctx), now=ctx.sign_at)
    from procurement.agreements.models import Agreement

    assert db.session.execute(select(Agreement)).first() is None


def test_signing_waits_for_the_standstill_and_starts_publication_and_the_bond_refund(app):
    ctx, projects, award = notified_lot(3)
    draft = agreements.prepare(ctx.world.centre, ctx.lot.id, terms(ctx), now=ctx.notice_at + dt.timedelta(hours=1))
    with pytest.raises(Conflict) as err:
        agreements.sign(ctx.world.centre, draft.id, now=ctx.notice_at + dt.timedelta(hours=2))
    assert "standstill" in err.value.message
    signed = agreements.sign(ctx.world.centre, draft.id, now=ctx.sign_at)
    assert signed.status == "signed" and signed.publish_due_at > ctx.sign_at
    assert scheduler.deadline_for(DEADLINE_SIGN, "agreement", signed.id).status == "cancelled"
    assert scheduler.deadline_for(DEADLINE_PUBLISH, "agreement", signed.id).status == "pending"
    bond = db.session.execute(select(Bond).where(Bond.lot_id == ctx.lot.id,
                                                 Bond.supplier_org_id == award.winner_org_id)).scalar_one()
    assert bond.refund_due_on is not None and bond.refund_due_on >= ctx.sign_at.date()
    db.session.expire_all()
    for project in projects:
        assert "agreement_signed" in record_kinds(project)
        assert verify_project(db.session.get(Project, project.id)).ok
    with pytest.raises(Conflict):
        agreements.sign(ctx.world.centre, draft.id, now=ctx.sign_at)  # twice: illegal move
    published = agreements.publish(ctx.world.centre, draft.id, now=ctx.sign_at + dt.timedelta(hours=2))
    assert published.status == "published"
    assert scheduler.deadline_for(DEADLINE_PUBLISH, "agreement", signed.id).status == "cancelled"


def test_unsigned_and_unpublished_agreements_are_flagged_overdue(app):
    ctx, _projects, _award = notified_lot(3)
    draft = agreements.prepare(ctx.world.centre, ctx.lot.id, terms(ctx), now=ctx.sign_at)
    assert not agreements.overdue_flags(draft, ctx.sign_at)["sign"]
    assert agreements.overdue_flags(draft, draft.sign_due_at)["sign"]  # checked again on read
    scheduler.run_due(draft.sign_due_at - dt.timedelta(seconds=1))
    db.session.expire_all()
    assert agreements.get_agreement(draft.id).sign_overdue_at is None
    scheduler.run_due(draft.sign_due_at)
    db.session.expire_all()
    assert agreements.get_agreement(draft.id).sign_overdue_at == draft.sign_due_at
    signed = agreements.sign(ctx.world.centre, draft.id, now=draft.sign_due_at + DAY)  # late, still possible
    scheduler.run_due(signed.publish_due_at)
    db.session.expire_all()
    flagged = agreements.get_agreement(draft.id)
    assert flagged.publish_overdue_at == flagged.publish_due_at
    assert agreements.overdue_flags(flagged, signed.publish_due_at)["publish"]


def test_one_live_agreement_per_lot(app):
    ctx, _p, _a = signed_agreement(3)
    with pytest.raises(Conflict):
        agreements.prepare(ctx.world.centre, ctx.lot.id, terms(ctx), now=ctx.sign_at)
