"""The demo catalogue: size, spread over suppliers and cities, expiring and failing cases, idempotence."""
from __future__ import annotations

import datetime as dt

from core.timeutil import today_cn
from sqlalchemy import func, select


def _seed():
    from catalog.demo_products import seed_products
    from catalog.standards_seed import seed_standards
    from core.demo import seed_core
    from core.extensions import db

    ctx = seed_core()
    seed_standards()
    db.session.commit()
    created = seed_products(ctx)
    db.session.commit()
    return ctx, created


def test_demo_catalogue(app, db):
    from catalog.models.products import Certificate, Product, ProductVerdict
    from core.demo import SEEDERS_KEY
    from core.models import City

    assert app.extensions[SEEDERS_KEY]["products"][0] == 20  # after standards (10), before projects (30)
    ctx, created = _seed()
    assert created >= 300
    products = db.session.execute(select(Product)).unique().scalars().all()
    assert len(products) == created
    suppliers = {p.supplier_id for p in products}
    assert len(suppliers) == 12
    # The suppliers are based in all six pilot cities (core.demo gives each a home city).
    from core.demo import SUPPLIERS

    assert {code for code, *_ in SUPPLIERS} == {c.code for c in db.session.execute(select(City)).scalars()}
    assert len({p.category_id for p in products}) >= 15
    statuses = {s: n for s, n in db.session.execute(select(Product.status, func.count()).group_by(Product.status))}
    assert statuses["listed"] >= 200 and statuses.get("submitted", 0) >= 5 and statuses.get("suspended", 0) >= 1
    today = today_cn()
    soon = db.session.execute(select(func.count(Certificate.id)).where(
        Certificate.expires_on >= today, Certificate.expires_on <= today + dt.timedelta(days=90))).scalar_one()
    assert soon >= 5
    # Windows with U between 3.0 and 3.5: pass Nanjing, fail Qingdao.
    split = db.session.execute(
        select(func.count(ProductVerdict.id)).join(City).where(City.code == "qingdao", ProductVerdict.verdict == "fail")
    ).scalar_one()
    assert split >= 5
    nanjing_pass = db.session.execute(
        select(func.count(ProductVerdict.id)).join(City).where(City.code == "nanjing", ProductVerdict.verdict == "pass")
    ).scalar_one()
    assert nanjing_pass > created / 2
    from catalog.services.product_queries import duplicate_certificate_numbers

    assert len(duplicate_certificate_numbers()) == 2
    # Idempotent: a second run creates nothing.
    from catalog.demo_products import seed_products

    assert seed_products(ctx) == 0
    db.session.commit()
    assert db.session.execute(select(func.count(Product.id))).scalar_one() == created
