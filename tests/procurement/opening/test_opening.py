"""Opening through the services: k - 1 shares open nothing and k shares open every bid, a wrong
passphrase changes nothing, nothing unlocks before the deadline (to the millisecond, read from
the stored deadline), a tampered envelope is void, too few valid bids fail the lot, shares are
wiped at opening and at expiry, and each contributing project gets its record."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from sqlalchemy import func, select, text

from core.errors import Conflict, PermissionDenied, ValidationError
from core.extensions import db
from core.models import AuditEvent
from procurement.bids import opening_keys, sealing
from procurement.bids import services as bid_services
from procurement.opening import crypto, reading, services
from procurement.opening.models import (
    LotOpening,
    OpenedBid,
    OpeningSession,
    UnlockedShare,
)
from procurement.tendering.models import Lot, Tender
from tests.procurement.bids.helpers import KEY_PASSPHRASE
from tests.procurement.opening.helpers import (
    MS,
    close_tender,
    open_bids,
    opening_tender,
    unlock,
)


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar()


def test_k_minus_one_shares_open_nothing_and_k_shares_open_every_bid(app):
    ctx = opening_tender(3)
    first = unlock(ctx, 0)
    assert (first.shares, first.k, first.opened) == (1, 2, False)
    assert _count(OpenedBid) == 0 and reading.opening_record(ctx.tender) is None
    session = services.session_of(ctx.tender.id)
    assert session.status == "collecting"
    # The one share in the database is sealed to the session key: with it alone the key is not found.
    (row,) = db.session.execute(select(UnlockedShare)).scalars()
    share = crypto.open_share(row.sealed_share, crypto.unwrap_session_key(session.wrapped_private_key,
                                                                          session.key_salt))
    with pytest.raises(sealing.SealingError):
        sealing.reconstruct_private_key([share], opening_keys.opening_key(ctx.tender.id).public_key)

    second = unlock(ctx, 1)
    assert (second.shares, second.opened) == (2, True)
    db.session.expire_all()
    opened = db.session.execute(select(OpenedBid).order_by(OpenedBid.bid_id)).unique().scalars().all()
    assert [o.status for o in opened] == ["valid"] * 3
    assert [(o.product_id, o.unit_price_fen, o.total_fen) for o in opened] == [
        (p.id, 40_000 + 100 * i, (40_000 + 100 * i) * 100) for i, (_u, p) in enumerate(ctx.firms)]
    # Shares and the session key are wiped; the opening key was never stored.
    session = services.session_of(ctx.tender.id)
    assert session.status == "opened" and session.wrapped_private_key is None and session.key_salt is None
    assert all(r.sealed_share is None and r.wiped_at for r in db.session.execute(select(UnlockedShare)).scalars())
    outcome = db.session.execute(select(LotOpening)).scalar_one()
    assert (outcome.status, outcome.valid_bids, outcome.qualified_bids, outcome.min_bidders) == ("qualifying", 3, 3, 3)
    record = reading.opening_record(db.session.get(Tender, ctx.tender.id))
    assert len(record["lots"][0]["bids"]) == 3


def test_a_wrong_passphrase_is_a_clear_error_and_changes_nothing(app):
    ctx = opening_tender(3)
    events = _count(AuditEvent)
    with pytest.raises(ValidationError) as exc:
        unlock(ctx, 0, passphrase="not my passphrase at all")
    assert "Wrong passphrase" in exc.value.message and "nothing changed" in exc.value.message
    assert (_count(OpeningSession), _count(UnlockedShare), _count(AuditEvent)) == (0, 0, events)


def test_nothing_unlocks_before_the_deadline_to_the_millisecond(app):
    ctx = opening_tender(3)
    with pytest.raises(Conflict) as exc:
        unlock(ctx, 0, now=ctx.deadline - MS)
    assert "before the bid deadline" in exc.value.message
    assert _count(OpeningSession) == 0
    assert unlock(ctx, 0, now=ctx.deadline).shares == 1


def test_the_stored_deadline_decides_not_only_the_status(app):
    """A tender marked closed (by mistake or by hand) whose stored deadline is still ahead opens nothing."""
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)
    ctx = opening_tender(3, deadline=future.replace(microsecond=0), close=False)
    db.session.execute(text("UPDATE tenders SET status = 'closed' WHERE id = :t"), {"t": ctx.tender.id})
    db.session.commit()
    with pytest.raises(Conflict):
        services.unlock(ctx.holders[0][0], ctx.tender.id, KEY_PASSPHRASE)
    assert _count(OpeningSession) == 0


def test_only_named_holders_unlock_and_only_once(app):
    ctx = opening_tender(3)
    with pytest.raises(PermissionDenied):
        services.unlock(ctx.world.finance2, ctx.tender.id, KEY_PASSPHRASE, now=ctx.deadline + MS)
    unlock(ctx, 0)
    with pytest.raises(Conflict) as exc:
        unlock(ctx, 0)
    assert "already unlocked" in exc.value.message
    assert _count(UnlockedShare) == 1


def test_a_tampered_envelope_is_caught_and_the_bid_is_void(app):
    ctx = opening_tender(3)
    victim = ctx.bids[1]
    envelope = bytearray(db.session.get(type(victim), victim.id).sealed_envelope)
    envelope[-1] ^= 0x01
    db.session.execute(text("UPDATE bids SET sealed_envelope = :e WHERE id = :b"),
                       {"e": bytes(envelope), "b": victim.id})
    db.session.commit()
    open_bids(ctx)
    rows = {o.bid_id: o for o in db.session.execute(select(OpenedBid)).unique().scalars()}
    void = rows[victim.id]
    assert void.status == "void" and void.product_id is None and void.unit_price_fen is None
    assert void.void_reason["key"].startswith("The stored envelope does not match the bid's commitment")
    assert void.envelope_sha256 == sealing.sha256_hex(bytes(envelope)) != void.committed_sha256
    assert [rows[b.id].status for b in ctx.bids if b.id != victim.id] == ["valid", "valid"]
    # Two valid bids remain, fewer than the profile's three: the lot and the tender fail.
    outcome = db.session.execute(select(LotOpening)).scalar_one()
    assert (outcome.status, outcome.valid_bids) == ("failed", 2)
    assert db.session.get(Lot, ctx.lot.id).status == "failed"
    assert db.session.get(Tender, ctx.tender.id).status == "failed"


def test_a_changed_receipt_is_caught_too(app):
    """Changing the envelope and its receipt's hash together breaks the platform's signature."""
    ctx = opening_tender(3)
    victim = ctx.bids[0]
    fake = sealing.seal({"tender": ctx.tender.reference, "lot": ctx.lot.id, "supplier_org": victim.supplier_org_id,
                         "product_id": ctx.product.id, "unit_price_fen": 1, "total_fen": 100},
                        opening_keys.opening_key(ctx.tender.id).public_key)
    digest = sealing.sha256_hex(fake)
    receipt = bid_services.latest_receipt(victim.id)
    db.session.execute(text("UPDATE bids SET sealed_envelope = :e, envelope_sha256 = :h WHERE id = :b"),
                       {"e": fake, "h": digest, "b": victim.id})
    db.session.execute(text("UPDATE bid_receipts SET statement = :s WHERE id = :r"),
                       {"s": receipt.statement.replace(victim.envelope_sha256, digest), "r": receipt.id})
    db.session.commit()
    open_bids(ctx)
    void = db.session.execute(select(OpenedBid).where(OpenedBid.bid_id == victim.id)).unique().scalar_one()
    assert void.status == "void" and void.unit_price_fen is None


def test_fewer_valid_bids_than_the_minimum_fail_the_lot_with_the_next_step_offered(app):
    from procurement.opening import qualification

    ctx = opening_tender(2)
    open_bids(ctx)
    outcome = db.session.execute(select(LotOpening)).scalar_one()
    assert (outcome.status, outcome.valid_bids, outcome.min_bidders) == ("failed", 2, 3)
    assert "Only 2 valid bids" in outcome.fail_reason["key"] % outcome.fail_reason["params"]
    with pytest.raises(ValidationError):
        qualification.choose_next_step(ctx.world.centre, ctx.tender.id, ctx.lot.id, "competitive_negotiation", "")
    with pytest.raises(ValidationError):
        qualification.choose_next_step(ctx.world.centre, ctx.tender.id, ctx.lot.id, "lottery", "Because we can")
    with pytest.raises(PermissionDenied):
        qualification.choose_next_step(ctx.world.finance, ctx.tender.id, ctx.lot.id, "retender", "Try again please")
    done = qualification.choose_next_step(ctx.world.centre, ctx.tender.id, ctx.lot.id, "competitive_negotiation",
                                          "Approved by the finance bureau, letter 2026-17")
    assert (done.status, done.next_step) == ("negotiation", "competitive_negotiation")
    with pytest.raises(Conflict):  # recorded once
        qualification.choose_next_step(ctx.world.centre, ctx.tender.id, ctx.lot.id, "retender", "Changed our mind")


def test_an_expired_session_wipes_its_shares_and_the_next_unlock_starts_again(app):
    ctx = opening_tender(3)
    at = ctx.deadline + dt.timedelta(minutes=1)
    unlock(ctx, 0, now=at)
    session = services.session_of(ctx.tender.id)
    services.expire_due(ctx.tender.id, session.expires_at)
    db.session.commit()
    db.session.expire_all()
    session = services.session_of(ctx.tender.id)
    assert session.status == "expired" and session.wrapped_private_key is None
    assert all(r.sealed_share is None for r in db.session.execute(select(UnlockedShare)).scalars())
    later = session.expires_at + dt.timedelta(minutes=1)
    again = unlock(ctx, 1, now=later)
    assert (again.shares, again.opened, again.session.attempt) == (1, False, 2)
    assert unlock(ctx, 0, now=later).opened is True


def test_an_expired_session_found_by_an_unlock_restarts(app):
    ctx = opening_tender(3)
    unlock(ctx, 0)
    session = services.session_of(ctx.tender.id)
    late = session.expires_at + MS
    result = unlock(ctx, 1, now=late)
    assert (result.shares, result.opened, result.session.attempt) == (1, False, 2)


def test_the_database_never_holds_an_unlocked_share_in_clear(app):
    ctx = opening_tender(3)
    x, share = opening_keys.holder_share(ctx.tender.id, ctx.holders[0][0], KEY_PASSPHRASE)
    unlock(ctx, 0)
    forms = {base64.b64encode(share).decode(), share.hex(), base64.b64encode(bytes([x]) + share).decode()}
    for table in ("opening_sessions", "opening_unlocked_shares", "audit_events"):
        dump = " ".join(str(v) for row in db.session.execute(text(f"SELECT * FROM {table}")) for v in row)
        assert not any(f in dump for f in forms), table


def test_opening_records_the_step_on_every_contributing_project(app):
    from catalog.models.products import Product
    from core import roles as R
    from core.models import Organisation
    from procurement.projects.models import Project
    from procurement.records.services import verify_project
    from tests.factories import make_user
    from tests.procurement.bids.helpers import bid, rival
    from tests.procurement.opening.helpers import certify
    from tests.procurement.tendering.tender_builders import record_kinds, tender_in

    world, projects, tender = tender_in("published")
    lot = tender.lots[0]
    product = db.session.execute(select(Product).where(Product.category_id == lot.category_id)
                                 .order_by(Product.id)).scalars().first()
    supplier = make_user(db.session.get(Organisation, product.supplier_id), roles=(R.SUPPLIER,))
    ctx = type("Ctx", (), {"world": world, "tender": tender, "lot": lot, "product": product, "supplier": supplier})()
    certify(product)
    before = tender.bid_deadline_at - dt.timedelta(days=1)
    unit = lot.ceiling_fen * 1000 // lot.quantity_milli // 2
    bid(ctx, supplier, product, unit_price_fen=unit, now=before)
    user, other = rival(ctx)
    certify(other)
    bid(ctx, user, other, unit_price_fen=unit, now=before)
    close_tender(ctx)
    for who in (world.centre, world.finance):
        services.unlock(who, tender.id, KEY_PASSPHRASE, now=tender.bid_deadline_at + MS)
    db.session.expire_all()
    for project in projects:
        kinds = record_kinds(project)
        assert kinds[-3:] == ["tender_opened", "tender_lot_failed", "tender_failed"], kinds
        assert verify_project(db.session.get(Project, project.id)).ok


def test_a_session_whose_key_no_longer_unwraps_starts_again(app):
    """The config key changed between two unlocks (a development server restarted with a new
    random SECRET_KEY): the next unlock wipes the old attempt instead of getting stuck."""
    ctx = opening_tender(3)
    unlock(ctx, 0)
    old = app.config.get("OPENING_SESSION_KEY")
    app.config["OPENING_SESSION_KEY"] = base64.b64encode(b"k" * 32).decode()
    try:
        result = unlock(ctx, 1)
        assert (result.shares, result.opened, result.session.attempt) == (1, False, 2)
        assert unlock(ctx, 0).opened is True
    finally:
        app.config["OPENING_SESSION_KEY"] = old
    assert _count(OpenedBid) == 3
