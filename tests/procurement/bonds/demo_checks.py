"""What the demo seed must leave of bid bonds (called from the one test that seeds the demo
tenders, tests/procurement/tendering/test_tender_demo.py, so the suite seeds once for both)."""

from __future__ import annotations

from sqlalchemy import or_, select

from core.extensions import db
from core.models import City, User
from procurement.bonds.demo import PLAN
from procurement.bonds.models import Bond
from procurement.tendering.demo import PAST, TITLE
from procurement.tendering.models import Tender

#: the firms whose bonds the bonds demo plans (the award demo's bidders post their own); held bonds
#: are counted on the tendering demo's own past tenders (other demos close tenders of their own)
PLAN_LOGINS = sorted({email for plan in PLAN.values() for email, _form, _verify in plan})


def demo_bonds() -> dict:
    """{(tender status, login, method): (bond status, refund pending, refund cause)} of Nanjing's demo bonds."""
    rows = db.session.execute(
        select(Tender.status, User.email, Bond)
        .join(Tender, Tender.id == Bond.tender_id).join(City, City.id == Tender.city_id)
        .join(User, User.organisation_id == Bond.supplier_org_id)
        .where(City.code == "nanjing", User.email.in_(PLAN_LOGINS))).all()
    return {(status, email, bond.method): (bond.status, bond.refund_pending, bond.refund_cause)
            for status, email, bond in rows}


def check_demo_bonds(*, card_expected: bool) -> None:
    """Card bonds held through localstripe (when it answered during the seed; bank guarantees
    otherwise), guarantees waiting and verified, and the bonds of the tender cancelled after
    closing returned by the automatic refunds (a card refunded at the provider, a guarantee
    released)."""
    bonds = demo_bonds()
    card = "card" if card_expected else "bank_guarantee"
    assert bonds[("published", "supplier@demo.gbm.cn", card)] == ("held" if card_expected else "pending", False, None)
    assert bonds[("published", "supplier7@demo.gbm.cn", "bank_guarantee")] == ("pending", False, None)
    assert bonds[("closed", "supplier@demo.gbm.cn", card)] == ("held", False, None)
    assert bonds[("closed", "supplier7@demo.gbm.cn", "bank_guarantee")] == ("held", False, None)
    assert bonds[("closed", "supplier2@demo.gbm.cn", "bank_guarantee")] == ("pending", False, None)
    assert bonds[("cancelled", "supplier@demo.gbm.cn", card)] == ("refunded", False, "tender_cancelled")
    assert bonds[("cancelled", "supplier7@demo.gbm.cn", "bank_guarantee")] == ("refunded", False, "tender_cancelled")
    assert len(bonds) == 7
    held = db.session.execute(select(Bond).join(Tender, Tender.id == Bond.tender_id)
                              .join(City, City.id == Tender.city_id)
                              .join(User, User.organisation_id == Bond.supplier_org_id)
                              .where(Tender.status.in_(("closed", "cancelled")), Bond.held_at.is_not(None),
                                     City.code == "nanjing", User.email.in_(PLAN_LOGINS),
                                     or_(*(Tender.title.like(f"%{TITLE[s][-6:]}") for s in PAST)))
                              ).unique().scalars().all()
    assert len(held) == 4 and all(b.held_at < b.tender.bid_deadline_at for b in held)
    if card_expected:
        refunded = next(b for b in held if b.method == "card" and b.status == "refunded")
        assert refunded.refund_id and refunded.refund_id.startswith("re_")
