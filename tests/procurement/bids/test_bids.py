"""Sealed bids through the services: the opening key at publication, submission, replacement,
withdrawal, receipts, the deadline to the millisecond, bad input, amendments, and the Merkle root
at the deadline."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.services import unit_of_work
from core.timeutil import utcnow
from procurement.bids import commitments, keyholders, opening_keys, sealed_round, sealing, services
from procurement.bids.models import Bid, BidReceipt, BidRoot, KeyShare, OpeningKey
from procurement.bids.states import (
    NEEDS_RECONFIRMATION,
    NOT_OPENED,
    REPLACED,
    SUBMITTED,
    WITHDRAWN,
)
from procurement.tendering import services as tender_svc
from tests.factories import make_org, make_user
from tests.procurement.bids.helpers import (
    KEY_PASSPHRASE,
    bid,
    request_id,
    rival,
    sealed_tender,
)
from tests.procurement.helpers import field_text, make_product

MS = dt.timedelta(milliseconds=1)


def reload(row):
    db.session.expire_all()
    return db.session.get(type(row), row.id)


def close(ctx):
    with unit_of_work():
        tender_svc.close_tendering(ctx.tender.id, ctx.tender.bid_deadline_at)
    db.session.expire_all()


# ------------------------------------------------------------------ publication and key holders

def test_publication_makes_the_opening_key_split_among_the_holders(app):
    ctx = sealed_tender()
    key = db.session.get(OpeningKey, ctx.tender.id)
    assert (key.k, key.n) == (2, 2) and len(key.shares) == 2
    assert {s.holder_user_id for s in key.shares} == {ctx.world.centre.id, ctx.world.finance.id}
    assert len(sealing.unb64(key.public_key)) == 32


def test_publication_is_refused_without_two_key_holders(app):
    from tests.procurement.tendering.tender_builders import closed_round, draft

    world, _projects, rnd = closed_round(1)
    from procurement.bids.models import KeyHolder

    db.session.delete(db.session.get(KeyHolder, world.finance.id))
    db.session.commit()
    tender = draft(world, rnd)
    tender_svc.submit(world.centre, tender.id)
    tender_svc.approve(world.finance, tender.id, "ok")
    with pytest.raises(Conflict) as exc:
        tender_svc.publish(world.centre, tender.id)
    assert "at least two enrolled opening key holders" in exc.value.message
    assert reload(tender).status == "approved" and db.session.get(OpeningKey, tender.id) is None


def test_publication_with_three_holders_is_two_of_three(app):
    from tests.procurement.tendering.tender_builders import closed_round, draft

    world, _projects, rnd = closed_round(1)
    keyholders.enrol(world.finance2, "another long passphrase")
    tender = draft(world, rnd)
    tender_svc.submit(world.centre, tender.id)
    tender_svc.approve(world.finance, tender.id, "ok")
    tender_svc.publish(world.centre, tender.id)
    key = db.session.get(OpeningKey, tender.id)
    assert (key.k, key.n) == (2, 3)


def test_enrolment_rules(app):
    ctx = sealed_tender()
    with pytest.raises(ValidationError) as exc:
        keyholders.enrol(ctx.world.finance2, "too short")
    assert "12" in field_text(exc.value, "passphrase")
    with pytest.raises(ValidationError):
        keyholders.enrol(ctx.world.finance2, "long enough passphrase", "a different one!!")
    with pytest.raises(PermissionDenied):
        keyholders.enrol(ctx.supplier, "long enough passphrase")
    with pytest.raises(PermissionDenied):
        keyholders.enrol(ctx.world.purchaser, "long enough passphrase")
    with pytest.raises(Conflict):
        keyholders.enrol(ctx.world.centre, "long enough passphrase")
    assert keyholders.check_passphrase(ctx.world.centre, KEY_PASSPHRASE)
    assert not keyholders.check_passphrase(ctx.world.centre, KEY_PASSPHRASE + "x")


def test_a_wrong_passphrase_is_a_clear_error_and_changes_nothing(app):
    ctx = sealed_tender()
    before = db.session.execute(select(KeyShare.sealed_share).order_by(KeyShare.id)).scalars().all()
    with pytest.raises(ValidationError) as exc:
        opening_keys.holder_share(ctx.tender.id, ctx.world.centre, "not the passphrase")
    assert "Wrong passphrase" in exc.value.message
    assert db.session.execute(select(KeyShare.sealed_share).order_by(KeyShare.id)).scalars().all() == before
    with pytest.raises(PermissionDenied):
        opening_keys.holder_share(ctx.tender.id, ctx.supplier, KEY_PASSPHRASE)


# ------------------------------------------------------------------ the sealing guarantee

def _every_stored_value():
    """Every text or binary value in every table of the database."""
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()).all():
            for value in row:
                if isinstance(value, (str, bytes, bytearray, memoryview)):
                    yield table.name, bytes(value) if not isinstance(value, str) else value.encode("utf-8", "replace")


def test_no_bid_can_be_read_with_the_database_config_and_code_until_k_holders_act(app, monkeypatch, caplog):
    caplog.set_level("DEBUG")
    made = []
    original = sealing.make_opening_key

    def spy():
        pair = original()
        made.append(bytes(pair.private_key))
        return pair

    monkeypatch.setattr(sealing, "make_opening_key", spy)
    ctx = sealed_tender()
    result = bid(ctx, unit_price_fen=43_210)
    private = made[0]
    import base64

    forms = [private, base64.b64encode(private), private.hex().encode(), base64.urlsafe_b64encode(private)]
    envelope = bytes(result.bid.sealed_envelope)
    assert b"43210" not in envelope and b"43,210" not in envelope

    # 1. The private key is stored nowhere: not in any column of any table, nor in the logs.
    candidates = []
    for table, value in _every_stored_value():
        assert not any(f in value for f in forms), f"opening private key found in {table}"
        assert b"43210" not in value, f"price in clear in {table}"
        candidates.append(value)
    log_text = caplog.text.encode()
    assert not any(f in log_text for f in forms)

    # 2. Everything an attacker holding the database and the config could try as a key fails:
    #    every 32-byte value (raw, base64 or hex) found in the database or the config.
    def as_keys(value: bytes):
        for piece in (value, *value.split(b'"'), *value.split(b",")):
            for decode in (lambda v: v, lambda v: base64.b64decode(v, validate=True), bytes.fromhex):
                try:
                    raw = decode(piece.strip() if isinstance(piece, bytes) else piece)
                except Exception:  # noqa: BLE001, S112  (not a key in that form: try the next)
                    continue
                if len(raw) == 32:
                    yield raw

    config_values = [str(v).encode() for v in app.config.values() if isinstance(v, (str, bytes))]
    tried = 0
    for value in candidates + config_values:
        for key in as_keys(value):
            tried += 1
            with pytest.raises(sealing.SealingError):
                sealing.open_envelope(envelope, key)
    assert tried > 0
    # The holders' wrapped keys do not open with anything in the config either.
    for holder_user, _phrase in ctx.holders:
        holder = keyholders.holder_of(holder_user)
        for secret in (app.config["SECRET_KEY"], app.config["AUDIT_SIGNING_KEY"], ""):
            with pytest.raises(sealing.SealingError):
                sealing.unwrap_holder_key(holder, secret)

    # 3. One holder (k - 1) cannot open it; two (k) can.
    key_row = db.session.get(OpeningKey, ctx.tender.id)
    first = opening_keys.holder_share(ctx.tender.id, ctx.world.centre, KEY_PASSPHRASE)
    with pytest.raises(sealing.SealingError):
        sealing.reconstruct_private_key([first], key_row.public_key)
    with pytest.raises(sealing.SealingError):
        sealing.open_envelope(envelope, sealing.combine_shares([first]))
    second = opening_keys.holder_share(ctx.tender.id, ctx.world.finance, KEY_PASSPHRASE)
    opened = sealing.open_envelope(envelope, sealing.reconstruct_private_key([first, second], key_row.public_key))
    assert opened["unit_price_fen"] == 43_210 and opened["product_id"] == ctx.product.id
    assert opened["total_fen"] == 43_210 * 100 and opened["supplier_org"] == ctx.supplier.organisation_id


# ------------------------------------------------------------------ submission and receipts

def test_a_bid_gets_a_signed_receipt_with_the_hash_and_time(app):
    ctx = sealed_tender()
    now = utcnow().replace(microsecond=123456)
    result = bid(ctx, now=now)
    assert result.created and result.bid.status == SUBMITTED and result.notes == []
    doc = sealed_round.receipt_json(result.receipt)
    statement = doc["statement"]
    assert statement["sha256"] == sealing.sha256_hex(result.bid.sealed_envelope)
    assert statement["received_at"].endswith(".123Z") and statement["action"] == "submitted"
    assert statement["bid"] == result.bid.id and statement["lot"] == ctx.lot.id
    assert "unit_price_fen" not in doc["statement_text"] and "product" not in doc["statement_text"]
    assert sealed_round.verify_receipt(doc) == {"signature": True, "included": None}
    forged = dict(doc, statement_text=doc["statement_text"].replace(statement["sha256"], "0" * 64))
    assert sealed_round.verify_receipt(forged)["signature"] is False


def test_replace_and_withdraw_each_give_a_receipt(app):
    ctx = sealed_tender()
    first = bid(ctx)
    with pytest.raises(Conflict) as exc:
        bid(ctx, unit_price_fen=39_000)  # a second bid must name the one it replaces
    assert f"bid {first.bid.id}" in exc.value.message
    second = bid(ctx, unit_price_fen=39_000, replaces=first.bid.id)
    assert reload(first.bid).status == REPLACED and second.bid.sequence == 2
    assert json.loads(second.receipt.statement)["replaces"] == first.bid.id
    # A replayed old receipt cannot overwrite the newer bid.
    with pytest.raises(Conflict) as exc:
        bid(ctx, unit_price_fen=10_000, replaces=first.bid.id)
    assert "old receipt" in exc.value.message
    receipt = services.withdraw(ctx.supplier, second.bid.id)
    assert json.loads(receipt.statement)["action"] == "withdrawn" and reload(second.bid).status == WITHDRAWN
    with pytest.raises(Conflict):
        services.withdraw(ctx.supplier, second.bid.id)
    with pytest.raises(Conflict):
        bid(ctx, replaces=second.bid.id)  # withdrawn: no longer current
    third = bid(ctx)
    assert third.bid.sequence == 3


def test_the_same_request_id_twice_makes_one_bid(app):
    ctx = sealed_tender(lots=2)
    key = request_id()
    one = bid(ctx, idempotency_key=key)
    again = bid(ctx, idempotency_key=key, unit_price_fen=1)
    assert not again.created and again.bid.id == one.bid.id and again.receipt.id == one.receipt.id
    assert db.session.execute(select(func.count(Bid.id))).scalar() == 1
    with pytest.raises(Conflict):
        bid(ctx, idempotency_key=key, lot=ctx.tender.lots[1])
    with pytest.raises(ValidationError):
        bid(ctx, idempotency_key="short")


def test_the_deadline_to_the_millisecond(app):
    deadline = (utcnow() + dt.timedelta(days=3)).replace(microsecond=500_000)
    ctx = sealed_tender(deadline=deadline)
    ok = bid(ctx, now=deadline - MS)
    assert ok.bid.received_at == deadline - MS
    with pytest.raises(Conflict) as exc:
        bid(ctx, replaces=ok.bid.id, now=deadline)
    assert "no grace" in exc.value.message
    # Times count in whole milliseconds: half a millisecond after the deadline is the deadline's own
    # millisecond (refused).
    with pytest.raises(Conflict):
        bid(ctx, replaces=ok.bid.id, now=deadline + dt.timedelta(microseconds=500))
    with pytest.raises(Conflict):
        services.withdraw(ctx.supplier, ok.bid.id, now=deadline)
    services.withdraw(ctx.supplier, ok.bid.id, now=deadline - MS)
    assert db.session.execute(select(func.count(Bid.id))).scalar() == 1


def test_bad_products_and_prices_are_clear_errors_and_nothing_is_written(app):
    ctx = sealed_tender()
    org = db.session.get(type(ctx.supplier.organisation), ctx.supplier.organisation_id)
    coating = next(p for p in ctx.products if p.supplier_id != ctx.product.supplier_id)
    wrong_category = make_product(ctx.world.city, "wall_coatings", {"voc": (50, "g/L"), "fire_class": ("A", "")},
                                  supplier=org)
    unlisted = make_product(ctx.world.city, "ready_mixed_concrete", {"radionuclide_ira": (0.6, "")}, supplier=org,
                            status="draft")
    failing = make_product(ctx.world.city, "ready_mixed_concrete", {"radionuclide_ira": (1.6, "")}, supplier=org,
                           verdict="fail")
    cases = [(wrong_category, "not of the lot's category"), (unlisted, "not listed"),
             (failing, "does not meet the lot's requirements"), (coating, "No such product in your firm")]
    for product, words in cases:
        with pytest.raises(ValidationError) as exc:
            bid(ctx, product=product)
        assert words in field_text(exc.value, "product_id"), words
    for data, field in (({"unit_price_fen": 0}, "unit_price_fen"), ({"unit_price_fen": "abc"}, "unit_price_fen"),
                        ({"total_fen": 5}, "total_fen"), ({"documents": "x"}, "documents"),
                        ({"documents": [{"name": "a.pdf", "content": "!!"}]}, "documents")):
        with pytest.raises(ValidationError) as exc:
            bid(ctx, data=data)
        assert field in exc.value.fields
    with pytest.raises(ValidationError):
        bid(ctx, data={"envelope": "c2hvcnQ="})  # base64 of "short": not a sealed box
    with pytest.raises(NotFound):
        services.submit(ctx.supplier, ctx.tender.id, 999_999, {}, idempotency_key=request_id())
    outsider = make_user(make_org("supplier", status="pending"), roles=("supplier",))
    with pytest.raises(PermissionDenied):
        bid(ctx, user=outsider)
    assert db.session.execute(select(func.count(Bid.id))).scalar() == 0
    assert db.session.execute(select(func.count(BidReceipt.id))).scalar() == 0


def test_a_price_above_the_ceiling_is_accepted_sealed_and_flagged_for_opening(app):
    ctx = sealed_tender()
    result = bid(ctx, unit_price_fen=ctx.lot.ceiling_fen)  # x 100 m3: far above the ceiling
    assert result.created and any("screened at opening" in t for t, _ in result.notes)


def test_documents_are_sealed_with_the_bid(app):
    ctx = sealed_tender()
    import base64

    content = b"%PDF-1.4 technical sheet"
    result = bid(ctx, data={"documents": [{"name": "sheet.pdf", "content": base64.b64encode(content).decode()}]})
    assert content not in bytes(result.bid.sealed_envelope)
    key_row = db.session.get(OpeningKey, ctx.tender.id)
    shares = [opening_keys.holder_share(ctx.tender.id, u, p) for u, p in ctx.holders]
    opened = sealing.open_envelope(result.bid.sealed_envelope,
                                   sealing.reconstruct_private_key(shares, key_row.public_key))
    assert opened["documents"][0]["sha256"] == sealing.sha256_hex(content)


def test_a_client_sealed_envelope_is_stored_as_sent(app):
    ctx = sealed_tender()
    key_row = db.session.get(OpeningKey, ctx.tender.id)
    envelope = sealing.seal({"product_id": ctx.product.id, "unit_price_fen": 1}, key_row.public_key)
    import base64

    result = services.submit(ctx.supplier, ctx.tender.id, ctx.lot.id,
                             {"envelope": base64.b64encode(envelope).decode()}, idempotency_key=request_id())
    assert bytes(result.bid.sealed_envelope) == envelope and result.bid.client_sealed
    assert any("checked at opening" in t for t, _ in result.notes)


# ------------------------------------------------------------------ hidden bidders, amendments, the deadline

def test_nobody_learns_of_bids_before_the_deadline(app):
    ctx = sealed_tender()
    bid(ctx)
    for person in (ctx.world.centre, ctx.world.finance, None):
        with pytest.raises(Conflict):
            sealed_round.bid_summary(person, ctx.tender)
    other, _product = rival(ctx)
    assert services.my_bids(other, ctx.tender) == [] and len(services.my_bids(ctx.supplier, ctx.tender)) == 1
    with pytest.raises(NotFound):
        services.get_bid(ctx.world.centre, services.my_bids(ctx.supplier, ctx.tender)[0].id)


def test_an_amendment_asks_for_reconfirmation_and_unconfirmed_bids_are_not_opened(app):
    from procurement.tendering import amendments

    ctx = sealed_tender()
    other, product = rival(ctx)
    mine, theirs = bid(ctx), bid(ctx, user=other, product=product)
    amendments.amend(ctx.world.centre, ctx.tender.id, {"title": "Concrete, amended"}, "Clearer title for bidders")
    assert reload(mine.bid).status == NEEDS_RECONFIRMATION and reload(theirs.bid).status == NEEDS_RECONFIRMATION
    receipt = services.reconfirm(ctx.supplier, mine.bid.id)
    assert json.loads(receipt.statement)["action"] == "reconfirmed" and reload(mine.bid).status == SUBMITTED
    with pytest.raises(Conflict):
        services.reconfirm(ctx.supplier, mine.bid.id)
    close(ctx)
    assert reload(theirs.bid).status == NOT_OPENED
    root = db.session.get(BidRoot, ctx.tender.id)
    assert root.leaf_count == 1 and json.loads(root.leaves) == [receipt.id]
    proof = sealed_round.receipt_proof(ctx.supplier, mine.bid.id)
    assert commitments.verify_inclusion(proof["receipt"]["statement_text"], proof["proof"], root.root)
    with pytest.raises(Conflict) as exc:
        sealed_round.receipt_proof(other, theirs.bid.id)
    assert "not_opened" in exc.value.message or "not opened" in exc.value.message.lower()


def test_at_the_deadline_the_root_covers_the_latest_live_commitments(app):
    ctx = sealed_tender(lots=2)
    bidders = [(ctx.supplier, ctx.product)] + [rival(ctx) for _ in range(3)]
    results = []
    for user, product in bidders:
        results.append(bid(ctx, user=user, product=product))
        results.append(bid(ctx, user=user, product=product, lot=ctx.tender.lots[1]))
    replaced = bid(ctx, replaces=results[0].bid.id, unit_price_fen=38_000)
    services.withdraw(bidders[1][0], results[2].bid.id)
    close(ctx)
    root = db.session.get(BidRoot, ctx.tender.id)
    assert root.leaf_count == 7
    summary = sealed_round.bid_summary(None, reload(ctx.tender), now=ctx.tender.bid_deadline_at)
    assert summary["bids"] == 7 and summary["bidders"] == 4 and summary["merkle_root"] == root.root
    assert commitments.verify_signature(summary["statement"], summary["signature"], summary["public_key"])
    for result in [replaced] + results[1:2] + results[3:]:
        proof = sealed_round.receipt_proof(result.bid.supplier_org_id and _owner(result, bidders), result.bid.id)
        assert sealed_round.verify_receipt(proof["receipt"], root.root, proof["proof"]) == {"signature": True,
                                                                                     "included": True}
    with pytest.raises(Conflict):
        sealed_round.receipt_proof(ctx.supplier, results[0].bid.id)  # replaced: not in the root
    # Idempotent: closing again changes nothing.
    with unit_of_work():
        sealed_round.seal_round(reload(ctx.tender))
    assert db.session.get(BidRoot, ctx.tender.id).root == root.root
    with pytest.raises(Conflict):
        bid(ctx, replaces=replaced.bid.id)


def _owner(result, bidders):
    return next(u for u, _p in bidders if u.organisation_id == result.bid.supplier_org_id)


def test_a_lot_with_requirements_checks_the_declared_values(app):
    ctx = sealed_tender()
    org = db.session.get(type(ctx.supplier.organisation), ctx.supplier.organisation_id)
    product = make_product(ctx.world.city, "ready_mixed_concrete", {"radionuclide_ira": (0.5, "")}, supplier=org)
    lot = ctx.lot
    lot.requirements = [{"key": "radionuclide_ira", "comparison": "<=", "limit": 0.4, "unit": "", "kind": "quality"}]
    db.session.commit()
    with pytest.raises(ValidationError) as exc:
        bid(ctx, product=product)
    assert "does not meet the lot's requirements" in field_text(exc.value, "product_id")
    lot.requirements = [{"key": "radionuclide_ira", "comparison": "<=", "limit": 0.6, "unit": "", "kind": "quality"}]
    db.session.commit()
    assert bid(ctx, product=product).created
