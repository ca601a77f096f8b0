"""Builders for evaluation tests: a published tender built through the services (projects pooled
into its lot), a bid on it, the deadline moved into the past; experts of the city's pool."""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace

from sqlalchemy import update

from core import roles as R
from core.extensions import db
from core.models import Organisation, User
from core.timeutil import utcnow
from procurement.bids import services as bid_services
from procurement.evaluation import experts as expert_svc
from procurement.evaluation.models import Expert
from procurement.tendering.models import Lot, Tender
from tests.factories import make_user
from tests.procurement.helpers import GOOD_VALUES, make_product
from tests.procurement.tendering.tender_builders import tender_in

_seq = itertools.count(1)
CONCRETE = "ready_mixed_concrete"


def past_deadline(tender) -> None:
    """Move the bid deadline into the past, as if time had passed (status left published)."""
    db.session.execute(update(Tender).where(Tender.id == tender.id)
                       .values(bid_deadline_at=utcnow() - dt.timedelta(minutes=1)))
    db.session.commit()
    db.session.expire_all()


def set_ceiling(lot, fen: int) -> None:
    db.session.execute(update(Lot).where(Lot.id == lot.id).values(ceiling_fen=fen))
    db.session.commit()
    db.session.expire_all()


def closed_tender(n_projects: int = 2, *, bid: bool = True):
    """A published tender pooling `n_projects` projects' concrete into one lot, with one bid (by a
    verified supplier firm), its deadline passed."""
    world, projects, tender = tender_in("published", n_projects)
    lot = tender.lots[0]
    bidder_org = None
    if bid:
        product = make_product(world.city, CONCRETE, GOOD_VALUES[CONCRETE])
        bidder_org = db.session.get(Organisation, product.supplier_id)
        supplier = make_user(bidder_org, roles=(R.SUPPLIER,))
        bid_services.submit(supplier, tender.id, lot.id, {"product_id": product.id, "unit_price_fen": 40_000},
                            idempotency_key=f"eval-test-{next(_seq):06d}")
    past_deadline(tender)
    tender = db.session.get(Tender, tender.id)
    return SimpleNamespace(world=world, projects=projects, tender=tender, lot=tender.lots[0], bidder_org=bidder_org)


def make_expert(world, *, specialities=(CONCRETE,), employer_name=None, employer_credit_code=None,
                active_account: bool = True) -> Expert:
    """An expert of the world's city pool, added by its finance office (account activated, as if
    the invitation was accepted)."""
    n = next(_seq)
    expert = expert_svc.add_expert(world.finance, {
        "email": f"expert{n}@example.test", "name": f"Expert {n}", "specialities": list(specialities),
        "employer_name": employer_name or f"Design Institute {n}", "employer_credit_code": employer_credit_code,
        "province": "Jiangsu", "locality": "Nanjing"})
    if active_account:
        db.session.execute(update(User).where(User.id == expert.user_id)
                           .values(active=True, password_hash=_password_hash()))
        db.session.commit()
    return db.session.get(Expert, expert.id)


_HASH: list[str] = []


def _password_hash() -> str:
    """The test password's hash, computed once (argon2 is slow on purpose)."""
    if not _HASH:
        from core.passwords import hash_password
        from tests.factories import PASSWORD

        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


def make_pool(world, n: int, **kw) -> list[Expert]:
    return [make_expert(world, **kw) for _ in range(n)]


def expert_user(expert) -> User:
    return db.session.get(User, expert.user_id)
