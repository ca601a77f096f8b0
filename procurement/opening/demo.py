"""Demo bids and their opening (`flask demo seed`), through the real services.

- `demo_bids` (a `tendering.demo.on_demo_step` at publication, with the tender's past clock):
  on every lot of the demo's "tendering closed" tenders, every demo supplier firm with a listed
  product of the lot's category that passes in the lot's cities and meets its requirements bids
  (at most `MAX_BIDDERS`), from 86 % of the lot's unit ceiling upwards; a firm without a bid bond
  posts a bank guarantee, which the centre verifies when tendering closes. (Nanjing's bonds come from the bonds
  demo: supplier2's guarantee stays unverified, so its bid fails the bond check at opening.)
- `open_demo_tender`: the city's two demo key holders (the centre officer and the finance
  reviewer, `bids.wiring.seed_key_holders`) unlock their shares half an hour after the deadline,
  and the centre confirms each qualifying lot an hour after it.

Idempotent: bids are made only while the tender is being created; opening and confirmation only
when not done yet.
"""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import select

import catalog.interface as catalog
from core import roles as R
from core.errors import ServiceError
from core.extensions import db
from core.models import Organisation, User, UserRole
from core.timeutil import utcnow

SCENARIOS = ("closed",)
MAX_BIDDERS = 4
#: each bidder's unit price as a share of the lot's unit ceiling, in basis points (first firm first)
PRICE_BP = (8600, 8900, 9200, 9500)
UNLOCK_AFTER = dt.timedelta(minutes=30)
CONFIRM_AFTER = dt.timedelta(hours=1)


def _at(moment: dt.datetime) -> dt.datetime:
    """A demo step's clock, never in the future."""
    return min(moment, utcnow())


def supplier_person(org_id: int) -> User | None:
    """A supplier person of the firm (its demo login)."""
    return db.session.execute(select(User).join(UserRole, UserRole.user_id == User.id).where(User.organisation_id == org_id,
                                                                UserRole.role == R.SUPPLIER)
                              .order_by(User.id)).scalars().first()


def eligible_offers(tender, lot) -> list:
    """[(org id, product offer)]: per firm its cheapest listed product of the lot's category that
    passes in every city of the lot, meets the lot's requirements and is certified on the deadline
    day (firms by id)."""
    from procurement.opening.checks import deadline_day, lot_cities
    from procurement.tendering.lots import rule_from_dict

    cities = lot_cities(tender, lot)
    rules = [rule_from_dict(r) for r in (lot.requirements or [])]
    day = deadline_day(tender)
    passing = None
    for city in cities:
        ids = {p.id for p in catalog.listed_passing_products(city, lot.category_id)}
        passing = ids if passing is None else passing & ids
    best: dict[int, object] = {}
    for offer in catalog.listed_passing_products(cities[0], lot.category_id):
        if offer.id not in (passing or set()) or offer.supplier.id in best:
            continue
        if rules and not catalog.meets(rules, offer):
            continue
        standing = catalog.certificate_standing(offer.id, day)
        if not any(c["valid_on_day"] for c in standing["certificates"]):
            continue
        best[offer.supplier.id] = offer
    return sorted(best.items())


def _guarantee(firm: str, tender) -> bytes:
    text = f"Bid bond bank guarantee (demo) - {firm} - {tender.reference}"
    return (b"%PDF-1.4\n1 0 obj<< /Title (" + text.encode("ascii", "replace") + b") >>endobj\n"
            b"trailer<< /Root 1 0 R >>\n%%EOF\n")


def _bond(tender, lot, user, now) -> None:
    """A bank guarantee for the firm when the lot asks for a bond and it has none (verified by the
    centre after the deadline: `_verify`)."""
    from procurement.bonds import services as bonds

    if not bonds.bond_required(lot) or bonds.current_bond(lot.id, user.organisation_id) is not None:
        return
    bonds.upload_guarantee(user, lot.id, io.BytesIO(_guarantee(user.organisation.name_en, tender)), "投标保函.pdf",
                           now=now)


def _left_to_bonds_demo(ctx, tender, scenario: str) -> set[int]:
    """Firms whose bonds the bonds demo settles itself (Nanjing's: supplier2's stays waiting)."""
    from procurement.bonds import demo as bonds_demo

    city = ctx["cities"].get(bonds_demo.DEMO_CITY)
    if city is None or tender.city_id != city.id:
        return set()
    emails = [email for email, _form, _verify in bonds_demo.PLAN.get(scenario, [])]
    return set(db.session.execute(select(User.organisation_id).where(User.email.in_(emails))).scalars())


def _verify(ctx, centre, tender, scenario: str) -> None:
    """After the deadline the centre accepts the demo bidders' waiting guarantees."""
    from procurement.bonds import services as bonds
    from procurement.bonds.models import Bond
    from procurement.bonds.states import BANK_GUARANTEE, PENDING

    skip = _left_to_bonds_demo(ctx, tender, scenario)
    waiting = db.session.execute(select(Bond.id, Bond.supplier_org_id).where(
        Bond.tender_id == tender.id, Bond.method == BANK_GUARANTEE, Bond.status == PENDING)).all()
    for bond_id, org_id in waiting:
        if org_id in skip:
            continue
        try:
            bonds.verify_guarantee(centre, bond_id)
        except ServiceError:
            db.session.rollback()


def demo_bids(ctx, tender, scenario: str, moment: str, now) -> None:
    """`tendering.demo.on_demo_step`: the bids of a "closed" demo tender, made at its publication;
    at the close the centre verifies their guarantees."""
    from procurement.bids import services as bids
    from procurement.tendering.demo import _centre_officer

    if scenario not in SCENARIOS:
        return
    city = next((code for code, c in ctx["cities"].items() if c.id == tender.city_id), None)
    if city is None:
        return
    if moment == "closed":
        _verify(ctx, _centre_officer(ctx, city), tender, scenario)
        return
    for lot in tender.lots:
        unit_ceiling = lot.ceiling_fen * 1000 // max(lot.quantity_milli, 1)
        for i, (org_id, offer) in enumerate(eligible_offers(tender, lot)[:MAX_BIDDERS]):
            user = supplier_person(org_id)
            if user is None or db.session.get(Organisation, org_id).status != "verified":
                continue
            try:
                _bond(tender, lot, user, now + dt.timedelta(minutes=10 + i))
                bids.submit(user, tender.id, lot.id, {"product_id": offer.id,
                                                      "unit_price_fen": unit_ceiling * PRICE_BP[i] // 10000},
                            idempotency_key=f"demo-bid-{tender.id}-{lot.id}-{org_id}",
                            now=now + dt.timedelta(hours=2, minutes=i))
            except ServiceError:
                db.session.rollback()


def open_demo_tender(ctx, tender, city: str, *, now: dt.datetime | None = None) -> None:
    """Open a closed demo tender with the city's two demo key holders and confirm the
    qualification of its qualifying lots (`now`: the deadline by default)."""
    from procurement.bids.wiring import DEMO_PASSPHRASE
    from procurement.demo_data import _actors
    from procurement.opening import qualification
    from procurement.opening import services as opening
    from procurement.opening.reading import lot_outcome
    from procurement.opening.states import OPENED, QUALIFYING
    from procurement.tendering.demo import _centre_officer

    base = now or tender.bid_deadline_at
    centre = _centre_officer(ctx, city)
    session = opening.session_of(tender.id)
    if session is None or session.status != OPENED:
        for holder in (centre, _actors(ctx, city)[1]):
            session = opening.session_of(tender.id)
            if session is not None and session.status == OPENED:
                break
            opening.unlock(holder, tender.id, DEMO_PASSPHRASE, now=_at(base + UNLOCK_AFTER))
    db.session.expire_all()
    for lot in tender.lots:
        outcome = lot_outcome(lot.id)
        if outcome is not None and outcome.status == QUALIFYING:
            qualification.confirm(centre, tender.id, lot.id, now=_at(base + CONFIRM_AFTER))
    db.session.expire_all()
