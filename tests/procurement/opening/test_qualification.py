"""Automatic qualification after opening: every check with its reason, the edge dates
(certificate expiring on the deadline's China day, bond held at the deadline itself), override
only with a reason and only by the centre (audited), the centre's confirmation, and what the
next steps read (`reading.qualified_bids`)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from core.errors import Conflict, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import render_payload_english
from core.models import AuditEvent, Organisation
from procurement.opening import qualification, reading
from procurement.opening.models import LotOpening, OpenedBid, QualificationResult
from procurement.tendering.models import Lot
from tests.procurement.opening.helpers import (
    EDGE_DEADLINE,
    MS,
    certify,
    hold_bond,
    open_bids,
    opening_tender,
)


def _results(ctx) -> dict:
    """{firm index: {check: (passed, English reason)}}."""
    by_org = {user.organisation_id: i for i, (user, _p) in enumerate(ctx.firms)}
    out = {}
    for row in db.session.execute(select(QualificationResult).join(OpenedBid)).scalars():
        out.setdefault(by_org[row.opened_bid.supplier_org_id], {})[row.check_name] = (
            row.passed, render_payload_english(row.reason))
    return out


def test_certificates_on_the_deadlines_china_day_and_bonds_at_the_deadline(app):
    """The deadline 2026-06-01 16:30 UTC is 2026-06-02 00:30 in China: the deadline day is June 2."""
    ctx = opening_tender(4, deadline=EDGE_DEADLINE, certify_products=False, bonds=False, close=False)
    day = dt.date(2026, 6, 2)
    products = [p for _u, p in ctx.firms]
    certify(products[0], expires_on=day)                                  # expires on the deadline day: valid
    certify(products[1], expires_on=day - dt.timedelta(days=1))           # the UTC day of the deadline: lapsed
    certify(products[2], status="revoked", changed_on=day + dt.timedelta(days=1))  # revoked after: valid then
    certify(products[3], status="suspended", changed_on=day)              # suspended that day: not valid
    orgs = [u.organisation_id for u, _p in ctx.firms]
    hold_bond(ctx.tender, ctx.lot, orgs[0], EDGE_DEADLINE)                # held at the deadline itself
    hold_bond(ctx.tender, ctx.lot, orgs[1], EDGE_DEADLINE + MS)           # one millisecond late
    hold_bond(ctx.tender, ctx.lot, orgs[2], EDGE_DEADLINE - MS)
    from tests.procurement.opening.helpers import close_tender

    close_tender(ctx)
    open_bids(ctx, now=EDGE_DEADLINE + dt.timedelta(minutes=1))
    results = _results(ctx)
    assert [results[i]["product"][0] for i in range(4)] == [True, False, True, False]
    assert "valid on the deadline day, 2026-06-02" in results[0]["product"][1]
    assert "no certificate valid on the deadline day, 2026-06-02" in results[1]["product"][1]
    assert [results[i]["bond"][0] for i in range(4)] == [True, False, True, False]
    assert all(results[i]["supplier"][0] and results[i]["compliance"][0] and results[i]["price"][0] for i in range(4))
    outcome = db.session.execute(select(LotOpening)).scalar_one()
    assert (outcome.valid_bids, outcome.qualified_bids) == (4, 2)


def test_a_test_report_stands_in_for_a_missing_certificate(app):
    from catalog.models.products import TestReport

    ctx = opening_tender(3, certify_products=False, close=False)
    for _u, product in ctx.firms[:2]:
        certify(product)
    db.session.add(TestReport(product_id=ctx.firms[2][1].id, number="TR-1", lab="CTC",
                              issued_on=dt.date(2026, 1, 5), covers=["radionuclide_ira"]))
    db.session.commit()
    from tests.procurement.opening.helpers import close_tender

    close_tender(ctx)
    open_bids(ctx)
    passed, reason = _results(ctx)[2]["product"]
    assert passed and "test report (TR-1" in reason


def test_the_firm_the_product_the_city_and_the_ceiling_are_each_checked(app):
    ctx = opening_tender(4, prices={3: 60_000})  # firm 3: 60,000 x 100 m3 = CNY 60,000 > the CNY 50,000 ceiling
    users = [u for u, _p in ctx.firms]
    db.session.execute(text("UPDATE organisations SET status = 'rejected' WHERE id = :o"),
                       {"o": users[0].organisation_id})
    db.session.execute(text("UPDATE products SET status = 'suspended' WHERE id = :p"), {"p": ctx.firms[1][1].id})
    db.session.execute(text("UPDATE product_verdicts SET verdict = 'fail' WHERE product_id = :p"),
                       {"p": ctx.firms[2][1].id})
    db.session.commit()
    open_bids(ctx)
    results = _results(ctx)
    assert results[0]["supplier"] == (False, "The bidding firm is not a verified supplier firm (status “rejected”).")
    assert results[1]["product"][0] is False and "not listed (status “suspended”)" in results[1]["product"][1]
    assert results[2]["compliance"][0] is False and "does not pass the demand standard" in results[2]["compliance"][1]
    assert results[3]["price"] == (False, "The total ¥60,000.00 is above the lot's ceiling, ¥50,000.00.")
    failing = {i: [c for c, (ok, _r) in checks.items() if not ok] for i, checks in results.items()}
    assert failing == {0: ["supplier"], 1: ["product"], 2: ["compliance"], 3: ["price"]}
    assert db.session.execute(select(LotOpening)).scalar_one().qualified_bids == 0


def test_an_override_needs_a_reason_and_the_centre_and_is_audited(app):
    ctx = opening_tender(3, bonds=False)  # no bond held: every bid fails the bond check
    open_bids(ctx)
    result = db.session.execute(select(QualificationResult).where(QualificationResult.check_name == "bond")
                                .order_by(QualificationResult.id)).scalars().first()
    assert result.passed is False
    for reason in (None, "", "   ", "no"):
        with pytest.raises(ValidationError) as exc:
            qualification.override(ctx.world.centre, result.id, True, reason)
        assert "reason" in exc.value.fields
    with pytest.raises(ValidationError):
        qualification.override(ctx.world.centre, result.id, "yes", "Guarantee verified by phone")
    with pytest.raises(PermissionDenied):
        qualification.override(ctx.world.finance, result.id, True, "Guarantee verified by phone")
    db.session.expire_all()
    assert db.session.get(QualificationResult, result.id).passed is False
    assert db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "opening.qualification_overridden")).first() is None

    done = qualification.override(ctx.world.centre, result.id, True, "Bank guarantee verified by phone at 09:10")
    db.session.expire_all()
    row = db.session.get(QualificationResult, result.id)
    assert (row.passed, row.auto_passed, row.override_reason, row.overridden_by_id) == (
        True, False, "Bank guarantee verified by phone at 09:10", ctx.world.centre.id)
    assert row.reason == done.reason  # the automatic reason stays beside the override
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "opening.qualification_overridden")
                               ).scalar_one()
    assert event.before["passed"] is False and event.after["passed"] is True


def test_confirmation_qualifies_a_lot_or_fails_it_and_closes_overrides(app):
    ctx = opening_tender(3)
    open_bids(ctx)
    assert reading.qualified_bids(ctx.lot.id) == []  # not confirmed yet
    with pytest.raises(PermissionDenied):
        qualification.confirm(ctx.world.finance, ctx.tender.id, ctx.lot.id)
    outcome = qualification.confirm(ctx.world.centre, ctx.tender.id, ctx.lot.id)
    assert (outcome.status, outcome.qualified_bids) == ("qualified", 3)
    bids = reading.qualified_bids(ctx.lot.id)
    assert [b.total_fen for b in bids] == [4_000_000, 4_010_000, 4_020_000]
    assert {b.supplier_org_id for b in bids} == {u.organisation_id for u, _p in ctx.firms}
    result = db.session.execute(select(QualificationResult)).scalars().first()
    with pytest.raises(Conflict):
        qualification.override(ctx.world.centre, result.id, False, "Too late for this, qualification is closed")
    with pytest.raises(Conflict):
        qualification.confirm(ctx.world.centre, ctx.tender.id, ctx.lot.id)


def test_an_override_to_fail_leaves_too_few_and_confirmation_fails_the_lot(app):
    ctx = opening_tender(3)
    open_bids(ctx)
    result = db.session.execute(select(QualificationResult).where(QualificationResult.check_name == "product")
                                .order_by(QualificationResult.id)).scalars().first()
    qualification.override(ctx.world.centre, result.id, False, "The certificate copy is forged (CTC letter)")
    outcome = qualification.confirm(ctx.world.centre, ctx.tender.id, ctx.lot.id)
    assert (outcome.status, outcome.qualified_bids) == ("failed", 2)
    assert "Only 2 bids passed qualification" in render_payload_english(outcome.fail_reason)
    assert db.session.get(Lot, ctx.lot.id).status == "failed"
    assert reading.qualified_bids(ctx.lot.id) == []
    assert db.session.get(Organisation, ctx.firms[0][0].organisation_id) is not None
