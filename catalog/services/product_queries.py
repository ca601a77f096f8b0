"""Product lists, the reviewer queue, duplicate certificates and bulk verdict refresh.

Every list loads a page's products and the evidence it shows in a fixed number of queries
(`selectinload`), whatever the number of rows: the query count of a page does not grow with the
data (tested by counting statements at two data sizes).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from core import audit as audit_log
from core.extensions import db
from core.services import unit_of_work

from core.timeutil import today_cn

from catalog.models.products import Certificate, Product
from catalog.models.standards import Category
from catalog.product_states import LISTED, PRODUCT_STATUSES, SUBMITTED
from catalog.services.product_expiry import not_lapsed_clause
from catalog.services.verdicts import pilot_cities, refresh_verdicts


#: What a product list row shows besides the product itself (certificate, status): loaded for the
#: whole page at once.
LIST_OPTIONS = (selectinload(Product.certificates),)


def supplier_products(supplier_id, *, status=None, page=1, per_page=50):
    q = select(Product).where(Product.supplier_id == supplier_id).options(*LIST_OPTIONS)
    if status:
        q = q.where(Product.status == status)
    return page_of(q.order_by(Product.updated_at.desc(), Product.id.desc()), page, per_page)


def public_products(*, category_id=None, page=1, per_page=50, today=None):
    """Listed products, leaving out those whose certificate lapsed (they count as suspended)."""
    q = select(Product).where(Product.status == LISTED, not_lapsed_clause(today or today_cn())).options(*LIST_OPTIONS)
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


def duplicate_certificate_numbers(numbers=None) -> dict:
    """Certificate numbers held by products of more than one supplier: {number: [products]}
    (only among `numbers` when given). Two queries whatever the size."""
    dup_numbers = select(Certificate.number).join(Product).group_by(Certificate.number).having(
        func.count(func.distinct(Product.supplier_id)) > 1)
    if numbers is not None:
        numbers = sorted(set(numbers))
        if not numbers:
            return {}
        dup_numbers = dup_numbers.where(Certificate.number.in_(numbers))
    rows = db.session.execute(
        select(Certificate.number, Product).join(Product, Certificate.product_id == Product.id)
        .where(Certificate.number.in_(dup_numbers)).order_by(Certificate.number, Product.id)
    ).unique().all()
    out: dict = {}
    for number, product in rows:
        out.setdefault(number, []).append(product)
    return out


@dataclass
class ReviewQueue:
    """One page of the reviewer queue: products, how many match, and per product the
    certificate numbers other suppliers hold too (`{product id: {number: [other products]}}`)."""

    items: list
    total: int
    page: int
    per_page: int
    flags: dict
    duplicates: dict

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def review_queue(*, status=SUBMITTED, category=None, supplier=None, page=1, per_page=25) -> ReviewQueue:
    """Products in `status` (default: submitted, oldest first), optionally of one category (code)
    and of suppliers whose name or credit code contains `supplier`; one page, each product with
    its evidence and duplicate-certificate flags. Unknown filter values match nothing."""
    q = select(Product).options(selectinload(Product.certificates), selectinload(Product.test_reports),
                                selectinload(Product.document_links))
    q = q.where(Product.status == status) if status in PRODUCT_STATUSES else q.where(False)
    if category:
        q = q.join(Category, Category.id == Product.category_id).where(Category.code == category)
    if supplier:
        from core.models import Organisation

        like = f"%{supplier.strip()}%"
        q = q.join(Organisation, Organisation.id == Product.supplier_id).where(or_(
            Organisation.name_zh.ilike(like), Organisation.name_en.ilike(like), Organisation.credit_code.ilike(like)))
    order = (Product.submitted_at, Product.id) if status == SUBMITTED else (Product.updated_at.desc(), Product.id.desc())
    items, total = page_of(q.order_by(*order), page, per_page)
    dups = duplicate_certificate_numbers(c.number for p in items for c in p.certificates)
    flags = {}
    for product in items:
        numbers = sorted({c.number for c in product.certificates if c.number in dups})
        if numbers:
            flags[product.id] = {n: [p for p in dups[n] if p.supplier_id != product.supplier_id] for n in numbers}
    return ReviewQueue(items, total, page, per_page, flags, dups)


def waiting_for_review() -> int:
    """How many products wait for a reviewer (the reviewers' worklist count)."""
    return db.session.execute(select(func.count(Product.id)).where(Product.status == SUBMITTED)).scalar_one()
