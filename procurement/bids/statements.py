"""The SQL of the bid submission's hot path, built once.

In the last seconds before a deadline hundreds of bids arrive together (bench/bench_bids.py), and
the server's CPU per submission decides whether they all get in on time. Loading ORM entities
(identity map, unit-of-work flush, per-query statement construction and cache-key generation)
cost more than the rest of a submission together, so the hot path reads only the columns it
decides on and writes its two rows with Core inserts, through statements built once here with
bound parameters (SQLAlchemy memoises a statement's cache key, so a prebuilt statement skips
that work on every execution), run on the session's connection. Same SQL, same locks, same
transaction as the ORM version.
"""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import and_, bindparam, insert, or_, select
from sqlalchemy.orm import make_transient_to_detached

from core.extensions import db
from procurement.bids.models import Bid, BidReceipt, OpeningKey
from procurement.tendering.models import Lot, Tender

_TENDERS, _LOTS, _BIDS = Tender.__table__, Lot.__table__, Bid.__table__

#: The tender (shared lock: bids go in side by side, an amendment or the close, which lock it for
#: update, waits for them and they for it), the lot named in the URL and the opening public key.
TENDER_LOT_KEY = (
    select(_TENDERS.c.id, _TENDERS.c.status, _TENDERS.c.reference, _TENDERS.c.city_id, _TENDERS.c.bid_deadline_at,
           _LOTS.c.id.label("lot_id"), _LOTS.c.status.label("lot_status"), _LOTS.c.category_id,
           _LOTS.c.quantity_milli, _LOTS.c.ceiling_fen, _LOTS.c.requirements,
           OpeningKey.__table__.c.public_key)
    .select_from(_TENDERS)
    .outerjoin(_LOTS, and_(_LOTS.c.tender_id == _TENDERS.c.id, _LOTS.c.id == bindparam("lot_id")))
    .outerjoin(OpeningKey.__table__, OpeningKey.__table__.c.tender_id == _TENDERS.c.id)
    .where(_TENDERS.c.id == bindparam("tender_id"))
    .with_for_update(read=True, of=_TENDERS))

#: What decides replay, the current bid and the next sequence: the firm's bids on the lot plus the
#: one carrying this request id, locked (the firm's own rows: its requests go one at a time).
FIRM_BIDS = (
    select(_BIDS.c.id, _BIDS.c.tender_id, _BIDS.c.lot_id, _BIDS.c.status, _BIDS.c.sequence, _BIDS.c.idempotency_key)
    .where(_BIDS.c.supplier_org_id == bindparam("org_id"),
           or_(_BIDS.c.idempotency_key == bindparam("key"), _BIDS.c.lot_id == bindparam("lot_id")))
    .with_for_update(of=_BIDS))

INSERT_BID = insert(_BIDS).returning(_BIDS.c.id)
INSERT_RECEIPT = insert(BidReceipt.__table__).returning(BidReceipt.__table__.c.id)


def _connection():
    """The session's connection, in its transaction: Core statements run on it directly, without
    the ORM session's per-statement machinery (no ORM entity is involved)."""
    return db.session.connection()


def tender_lot_key(tender_id: int, lot_id: int):
    """(tender, lot or None, opening public key or None) as plain attribute objects, or None when
    there is no such tender. The lot has the attributes the contents check reads."""
    row = _connection().execute(TENDER_LOT_KEY, {"tender_id": tender_id, "lot_id": lot_id}).first()
    if row is None:
        return None
    tender = SimpleNamespace(id=row.id, status=row.status, reference=row.reference, city_id=row.city_id,
                             bid_deadline_at=row.bid_deadline_at)
    lot = None if row.lot_id is None else SimpleNamespace(
        id=row.lot_id, tender_id=row.id, status=row.lot_status, category_id=row.category_id,
        quantity_milli=row.quantity_milli, ceiling_fen=row.ceiling_fen, requirements=row.requirements)
    return tender, lot, row.public_key


def firm_bids(org_id: int, key: str, lot_id: int) -> list:
    """Rows (id, tender_id, lot_id, status, sequence, idempotency_key), see `FIRM_BIDS`."""
    return _connection().execute(FIRM_BIDS, {"org_id": org_id, "key": key, "lot_id": lot_id}).all()


def insert_row(model, statement, values: dict):
    """Insert one row with a prebuilt Core statement and return it as a persistent ORM object of
    the session (without reading it back), as a flush of ``model(**values)`` would have."""
    new_id = _connection().execute(statement, values).scalar_one()
    row = model(id=new_id, **values)
    make_transient_to_detached(row)
    db.session.add(row)
    return row


def insert_bid(values: dict) -> Bid:
    return insert_row(Bid, INSERT_BID, values)


def insert_receipt(values: dict) -> BidReceipt:
    return insert_row(BidReceipt, INSERT_RECEIPT, values)
