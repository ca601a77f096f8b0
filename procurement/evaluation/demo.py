"""Demo expert pools and one panel (`flask demo seed`, after the tenders).

Each pilot city's finance office keeps a pool of 21 experts (accounts active, demo password):
eighteen cover the categories of the city's demo tenders, three other categories only (they show
as "speciality does not match" in a draw's pool). Eighteen, because one city's purchaser gets up to
three demo panels (its closed tender, its closed-loop project, the inspection demo's sites) and
who served for a purchaser recently stays out of its next draws; one works for the city's purchaser (excluded
from its panels) and one for a demo supplier firm. Nanjing's first expert signs in as
`expert@demo.gbm.cn`, the others as `expert-<city>-<nn>@demo.gbm.cn`.

Nanjing's closed demo tender gets a panel for its first lot through the real services: requested
and drawn by the centre; the first drawn expert accepts and the second declines, so a
replacement draw is committed and waits to be drawn. Idempotent: experts are found by e-mail,
the panel by its lot.
"""

from __future__ import annotations

import random

from sqlalchemy import select

import catalog.interface as catalog
from core import audit, uscc
from core import roles as R
from core.demo import DEMO_PASSWORD, PILOT_CITIES
from core.errors import ServiceError
from core.extensions import db
from core.models import User, UserRole
from core.passwords import hash_password

POOL_SIZE = 21
MATCHING = 18  # experts 1-18 cover the city's tender categories; 19-21 other categories only
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ("建国", "海涛", "丽华", "志强", "秀英", "伟", "静", "磊", "敏", "洋", "婷", "晓东", "红梅", "宏伟", "文博")
EMPLOYERS = ("{city}建筑设计研究院有限公司", "{city}市建设工程质量检测中心", "{city}大学土木工程学院",
             "{city}市建筑科学研究院", "{city}城建集团有限公司", "{city}市工程造价咨询中心")


def _email(city: str, n: int) -> str:
    return "expert@demo.gbm.cn" if (city, n) == ("nanjing", 1) else f"expert-{city}-{n:02d}@demo.gbm.cn"


def _city_categories(city_id: int) -> list[str]:
    from procurement.tendering.models import Lot, Tender

    ids = db.session.execute(select(Lot.category_id).join(Tender, Tender.id == Lot.tender_id)
                             .where(Tender.city_id == city_id).distinct()).scalars()
    return sorted({info.code for info in (catalog.find_category(i) for i in ids) if info is not None})


def _pool(ctx, city: str, password_hash) -> None:
    """The city's 15 demo experts (those missing); `password_hash()` gives the demo password's hash."""
    from procurement.evaluation.experts import pool_org
    from procurement.evaluation.models import Expert

    city_row = ctx["cities"][city]
    rng = random.Random(f"experts-{city}")
    org = pool_org(city_row)
    mine = _city_categories(city_row.id)
    others = [c.code for c in catalog.all_categories() if c.code not in mine]
    region = {c[0]: c[5] for c in PILOT_CITIES}[city]
    purchaser = ctx["orgs"].get(f"purchaser:{city}")
    supplier = ctx["orgs"].get("supplier:0")
    for n in range(1, POOL_SIZE + 1):
        email = _email(city, n)
        if db.session.execute(select(User.id).where(User.email == email)).first():
            continue
        name = SURNAMES[(n * 7 + len(city)) % len(SURNAMES)] + GIVEN[(n - 1) % len(GIVEN)]
        user = User(email=email, name=name, password_hash=password_hash(), organisation_id=org.id,
                    roles=[UserRole(role=R.EXPERT)])
        db.session.add(user)
        db.session.flush()
        if n <= MATCHING:
            specialities = mine + rng.sample(others, min(2, len(others)))
        else:
            specialities = rng.sample(others, min(3, len(others)))
        employer = EMPLOYERS[n % len(EMPLOYERS)].format(city=city_row.name_zh)
        code = uscc.generate(random.Random(f"expert-employer-{city}-{n % len(EMPLOYERS)}"), region=region)
        if n == 11 and purchaser is not None:      # works for the purchaser: excluded from its panels
            employer, code = purchaser.name_zh, purchaser.credit_code
        elif n == 12 and supplier is not None:     # works for a supplier firm: excluded if it bids
            employer, code = supplier.name_zh, supplier.credit_code
        expert = Expert(user_id=user.id, pool_org_id=org.id, city_id=city_row.id, specialities=specialities or mine,
                        employer_name=employer, employer_credit_code=code, province=city_row.province_en,
                        locality=city_row.name_zh, active=True)
        db.session.add(expert)
        db.session.flush()
        audit.record("demo.expert_create", expert, after={**expert.snapshot(), "email": email})


def _nanjing_panel(ctx) -> None:
    from procurement.evaluation import policy, services
    from procurement.evaluation.models import Panel
    from procurement.tendering.demo import _centre_officer
    from procurement.tendering.models import Tender

    city = ctx["cities"].get("nanjing")
    if city is None:
        return
    tender = next((t for t in db.session.execute(select(Tender).where(Tender.city_id == city.id)
                                                 .order_by(Tender.id)).scalars() if policy.bids_closed(t)), None)
    if tender is None or not tender.lots:
        return
    lot = tender.lots[0]
    if db.session.execute(select(Panel.id).where(Panel.lot_id == lot.id)).first():
        return
    centre = _centre_officer(ctx, "nanjing")
    try:
        panel = services.request_panel(centre, tender.id, {"lot_id": lot.id, "venue": "南京市政府采购中心评标室 3"})
        panel = services.draw_panel(centre, panel.id)
        seats = services.seated(panel)
        first, second = seats[1].expert.user, seats[2].expert.user
        services.accept(first, panel.id)
        services.decline(second, panel.id, "unavailable", "评审当天另有省级评审任务，无法参加。")
    except ServiceError:
        db.session.rollback()


def seed_experts(ctx) -> None:
    """Create the expert pools that do not exist yet and Nanjing's demo panel."""
    cache: list[str] = []

    def password_hash() -> str:  # hashed once (argon2 is slow on purpose)
        if not cache:
            cache.append(hash_password(DEMO_PASSWORD))
        return cache[0]

    for city, *_rest in PILOT_CITIES:
        if city in ctx["cities"] and f"finance:{city}" in ctx["orgs"]:
            _pool(ctx, city, password_hash)
    db.session.commit()
    _nanjing_panel(ctx)
