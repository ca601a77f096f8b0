"""Demo bid bonds (`flask demo seed`), through the real services, on Nanjing's tenders (the demo
logins' city; lot 1 of each):

| tender (scenario)        | supplier@demo.gbm.cn     | supplier7@demo.gbm.cn         | supplier2@demo.gbm.cn |
|--------------------------|--------------------------|-------------------------------|-----------------------|
| published                | card payment, held       | bank guarantee, waiting       |                       |
| tendering closed         | card payment, held       | bank guarantee, verified      | bank guarantee, waiting for the centre |
| cancelled after closing  | card payment, refunded   | bank guarantee, verified, released (refunded) |        |

Card payments go through the payment service (localstripe) only when it answers during the seed
(the test suite; `flask demo seed` while `make run` is running). `make run` seeds before its web
server starts, so there supplier@demo.gbm.cn gives bank guarantees instead, verified by the
centre like supplier7's. The bonds are posted right after each tender's publication with the
clock its services use (`tendering.demo.on_demo_step`), so they were held before the deadline;
the centre verifies guarantees when tendering closes; the cancelled tender's bonds come back
through the automatic returns (`refunds`), run here instead of at the web process's next
chronograph tick. Idempotent: bonds are posted only on tenders being created, and the later step
only runs returns still due.
"""

from __future__ import annotations

import io

from sqlalchemy import select

from core import roles as R
from core import scheduler
from core.errors import ServiceError
from core.extensions import db
from core.models import User

DEMO_CITY = "nanjing"
CARD, GUARANTEE = "card", "guarantee"
#: the demo tender's scenario -> [(login of the firm, form of its bond, verified at the close)]
PLAN = {
    "published": [("supplier@demo.gbm.cn", CARD, False), ("supplier7@demo.gbm.cn", GUARANTEE, False)],
    "closed": [("supplier@demo.gbm.cn", CARD, True), ("supplier7@demo.gbm.cn", GUARANTEE, True),
               ("supplier2@demo.gbm.cn", GUARANTEE, False)],
    "cancelled_after_close": [("supplier@demo.gbm.cn", CARD, True), ("supplier7@demo.gbm.cn", GUARANTEE, True)],
}


def _guarantee_pdf(firm: str, tender) -> bytes:
    text = f"Bid bond bank guarantee (demo) - {firm} - {tender.reference}"
    return (b"%PDF-1.4\n1 0 obj<< /Title (" + text.encode("ascii", "replace") + b") >>endobj\n"
            b"trailer<< /Root 1 0 R >>\n%%EOF\n")


def _user(email: str):
    return db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()


def _payments_answer() -> bool:
    from procurement.payments import gateway

    return gateway.payment_gateway.health().get("status") == "ok" and gateway.is_test_mode()


def demo_step(ctx, tender, scenario: str, moment: str, now) -> None:
    """`tendering.demo.on_demo_step`: at publication the bonds of `PLAN` on lot 1 of a Nanjing
    tender (`now`: the tender's clock); at the close the centre verifies the guarantees marked."""
    city = ctx["cities"].get(DEMO_CITY)
    if scenario not in PLAN or city is None or tender.city_id != city.id or not tender.lots:
        return
    if moment == "published":
        _post(tender, tender.lots[0], PLAN[scenario], now)
    elif moment == "closed":
        _verify(ctx, tender.lots[0], [email for email, _form, verify in PLAN[scenario] if verify])


def _post(tender, lot, plan, now) -> None:
    from procurement.bonds import services

    if not services.bond_required(lot):
        return
    card_ok = _payments_answer()
    for email, form, _verify in plan:
        user = _user(email)
        if user is None or services.current_bond(lot.id, user.organisation_id) is not None:
            continue
        try:
            if form == CARD and card_ok:
                bond, _secret = services.start_card_payment(user, lot.id, now=now)
                services.pay_with_test_method(user, bond.id, "pm_card_visa", now=now)
            else:
                pdf = _guarantee_pdf(user.organisation.name_en, tender)
                services.upload_guarantee(user, lot.id, io.BytesIO(pdf), "投标保函.pdf", now=now)
        except ServiceError:
            db.session.rollback()  # e.g. the payment service went away: the demo goes on without it


def _verify(ctx, lot, emails) -> None:
    """The Nanjing centre officer (a demo login) accepts the waiting guarantees of `emails`."""
    from procurement.bonds import services
    from procurement.bonds.states import BANK_GUARANTEE, PENDING

    centre = ctx["users"].get(R.PROCUREMENT_OFFICER)
    for email in emails:
        user = _user(email)
        bond = services.current_bond(lot.id, user.organisation_id) if user is not None and centre else None
        if bond is None or bond.method != BANK_GUARANTEE or bond.status != PENDING:
            continue
        try:
            services.verify_guarantee(centre, bond.id)
        except ServiceError:
            db.session.rollback()


def seed_bonds(ctx) -> None:
    """After the tenders: the automatic returns still due (the cancelled tender's) are made now
    rather than at the web process's next chronograph tick."""
    from procurement.bonds.models import Bond
    from procurement.bonds.states import LIVE_STATES, REFUND_OBJECT_TYPE

    due = db.session.execute(select(Bond.id).where(Bond.refund_requested_at.is_not(None),
                                                   Bond.status.in_(LIVE_STATES))).scalars().all()
    db.session.commit()
    for bond_id in due:
        scheduler.catch_up(REFUND_OBJECT_TYPE, bond_id)  # a provider failure is retried by the chronograph
