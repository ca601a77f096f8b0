"""Product lists, the reviewer queue, duplicate certificates and bulk verdict refresh."""
from __future__ import annotations

from sqlalchemy import func, select

from core import audit as audit_log
from core.extensions import db
from core.services import unit_of_work

from core.timeutil import today_cn

from catalog.models.products import Certificate, Product
from catalog.product_states import LISTED, SUBMITTED
from catalog.services.product_expiry import not_lapsed_clause
from catalog.services.verdicts import pilot_cities, refresh_verdicts


def supplier_products(supplier_id, *, status=None, page=1, per_page=50):
    q = select(Product).where(Product.supplier_id == supplier_id)
    if status:
        q = q.where(Product.status == status)
    return page_of(q.order_by(Product.updated_at.desc(), Product.id.desc()), page, per_page)


def public_products(*, category_id=None, page=1, per_page=50, today=None):
    """Listed products, leaving out those whose certificate lapsed (they count as suspended)."""
    q = select(Product).where(Product.status == LISTED, not_lapsed_clause(today or today_cn()))
    if category_id:
        q = q.where(Product.category_id == category_id)
    return page_of(q.order_by(Product.id.desc()), page, per_page)


def page_of(query, page, per_page):
    """(items, total) of one page of `query` (page from 1, at most 200 per page)."""
    page = max(1, int(page or 1))
    per_page = max(1, min(200, int(per_page or 50)))
    total = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    items = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).unique().scalars().all()
    return items, total


def refresh_all_verdicts(*, category_id=None, batch=500, today=None, progress=None) -> int:
    """Recompute stored verdicts of every product (e.g. when a new standard version takes effect).

    Commits per batch; returns the number of products evaluated. `progress(done, total)` is
    called after each batch (a job's progress bar).
    """
    from sqlalchemy.orm import selectinload

    today = today or today_cn()
    q = select(Product.id).order_by(Product.id)
    if category_id:
        q = q.where(Product.category_id == category_id)
    ids = db.session.execute(q).scalars().all()
    cache: dict = {}
    cities = pilot_cities()
    for start in range(0, len(ids), batch):
        with unit_of_work():
            loaded = db.session.execute(
                select(Product).where(Product.id.in_(ids[start:start + batch]))
                .options(selectinload(Product.indicator_values), selectinload(Product.carbon_declarations),
                         selectinload(Product.verdicts))).unique().scalars().all()
            for product in loaded:
                refresh_verdicts(product, cities=cities, rules_cache=cache, today=today)
            audit_log.record("product.refresh_verdicts", object_type="products",
                             object_id=f"{ids[start]}..{ids[start:start + batch][-1]}",
                             after={"count": len(loaded), "on": today.isoformat()})
        for product in loaded:  # bounded memory; other objects in the session are left alone
            db.session.expunge(product)
        if progress:
            progress(min(start + batch, len(ids)), len(ids))
    return len(ids)


def duplicate_certificate_numbers() -> dict:
    """Certificate numbers held by products of more than one supplier: {number: [products]}."""
    dup_numbers = select(Certificate.number).join(Product).group_by(Certificate.number).having(
        func.count(func.distinct(Product.supplier_id)) > 1)
    rows = db.session.execute(
        select(Certificate.number, Product).join(Product, Certificate.product_id == Product.id)
        .where(Certificate.number.in_(dup_numbers)).order_by(Certificate.number, Product.id)
    ).unique().all()
    out: dict = {}
    for number, product in rows:
        out.setdefault(number, []).append(product)
    return out


def review_queue():
    """Submitted products, oldest first, each with its duplicate-certificate flags."""
    products = db.session.execute(
        select(Product).where(Product.status == SUBMITTED).order_by(Product.submitted_at, Product.id)
    ).unique().scalars().all()
    dups = duplicate_certificate_numbers()
    flags = {}
    for product in products:
        numbers = sorted({c.number for c in product.certificates if c.number in dups})
        if numbers:
            flags[product.id] = {n: [p for p in dups[n] if p.supplier_id != product.supplier_id] for n in numbers}
    return products, flags, dups
