"""What other packages may ask the catalog: the one module they import instead of its models and
services.

Everything returned is plain data or read-only: frozen dataclasses (`CategoryInfo`,
`VersionInfo`, `ProductOffer`, `catalog.rules.Rule`, `catalog.rules.Value`) and dicts. Nothing here
writes. Dates are China calendar dates (`core.timeutil.today_cn()` when omitted).

* categories: `find_category`, `categories`
* demand standards: `version_in_force`, `current_version_of_edition`, `requirement_levels`,
  `rules_for`, and the compliance engine's checks for a stricter (tightened) limit:
  `check_tightening`, `typed_limit`, `tightened`, `describe_limit`, and names of code words (`label`)
* products: `listed_passing_products`, `compliant_products`, `price_range`, `declared_values`,
  `carbon_figures` (GWP per declared unit and category medians, plain values),
  `meets`, and stored `verdicts`; `certificate_standing` (certified on a given day?);
  `product_facts`, and its lean form for bids, `bid_facts`
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, lazyload

from core.extensions import db
from core.timeutil import today_cn

from catalog import compliance, strictness
from catalog.rules import PASS, Reason, Rule, Value  # noqa: F401  (the value types this interface returns)

MANDATORY = "mandatory"
OPTIONAL = "optional"


# --------------------------------------------------------------------------- value objects


@dataclass(frozen=True)
class CategoryInfo:
    """A product category (`code` is stable; names for display)."""

    id: int
    code: str
    name_en: str
    name_zh: str
    default_unit: str
    group_id: int
    position: int

    @property
    def name(self) -> str:
        return self.name_en or self.name_zh


@dataclass(frozen=True)
class VersionInfo:
    """A published version of a demand-standard edition."""

    id: int
    number: int
    effective_from: dt.date
    edition_id: int
    edition_code: str
    edition_title: str
    optional_green_share_min: float | None


@dataclass(frozen=True)
class SupplierInfo:
    id: int
    name_en: str
    name_zh: str


@dataclass(frozen=True)
class ProductOffer:
    """A listed product as other packages see it, with its declared values (for `meets`)."""

    id: int
    sku: str
    name_en: str
    name_zh: str
    unit: str
    list_price_fen: int
    category_id: int
    supplier: SupplierInfo
    values: Mapping[str, Value] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.name_en or self.name_zh


def _category_info(c) -> CategoryInfo:
    return CategoryInfo(id=c.id, code=c.code, name_en=c.name_en, name_zh=c.name_zh, default_unit=c.default_unit or "",
                        group_id=c.group_id, position=c.position)


def _version_info(v) -> VersionInfo | None:
    if v is None:
        return None
    return VersionInfo(id=v.id, number=v.number, effective_from=v.effective_from, edition_id=v.edition_id,
                       edition_code=v.edition.code, edition_title=v.edition.title,
                       optional_green_share_min=v.edition.optional_green_share_min)


def _id(ref) -> int:
    """An id from an int or any object with `.id` (ORM row or one of the value objects above)."""
    return ref if isinstance(ref, int) and not isinstance(ref, bool) else ref.id


# --------------------------------------------------------------------------- categories


def find_category(ref) -> CategoryInfo | None:
    """A category by code, numeric id (int or digits) or None when there is no such category."""
    from catalog.models.standards import Category

    if ref is None or isinstance(ref, bool):
        return None
    if isinstance(ref, int):
        found = db.session.get(Category, ref)
    else:
        text = str(ref).strip()
        found = db.session.execute(select(Category).where(Category.code == text)).unique().scalar_one_or_none()
        if found is None and text.isdigit():
            found = db.session.get(Category, int(text))
    return None if found is None else _category_info(found)


def categories(ids: Iterable[int]) -> list[CategoryInfo]:
    """The categories with these ids, in catalogue order (group, then position)."""
    from catalog.models.standards import Category, CategoryGroup

    ids = list(ids)
    if not ids:
        return []
    rows = db.session.execute(select(Category).join(CategoryGroup).where(Category.id.in_(ids))
                              .order_by(CategoryGroup.position, Category.position)).unique().scalars()
    return [_category_info(c) for c in rows]


# --------------------------------------------------------------------------- demand standards


def version_in_force(on: dt.date | None = None) -> VersionInfo | None:
    """The standard version in force on `on` (newest edition in force, its latest published
    version), or None when no standard applies yet."""
    from catalog.services.standards import applicable_version

    return _version_info(applicable_version(at=on or today_cn()))


def current_version_of_edition(edition, on: dt.date | None = None) -> VersionInfo | None:
    """The published version of `edition` (id or object with `.id`) in force on `on`: later
    corrections of an edition apply to everything fixed to it."""
    from catalog.models.standards import StandardEdition
    from catalog.services.standards import current_version

    ed = db.session.get(StandardEdition, _id(edition))
    return None if ed is None else _version_info(current_version(ed, on or today_cn()))


def requirement_levels(version) -> dict[int, str]:
    """`{category id: "mandatory" | "optional"}` under a standard version (id or object)."""
    from catalog.models.standards import CategoryRequirement

    rows = db.session.execute(select(CategoryRequirement.category_id, CategoryRequirement.requirement)
                              .where(CategoryRequirement.version_id == _id(version))).all()
    return {cid: req for cid, req in rows}


def rules_for(category, city, *, edition=None, on: dt.date | None = None) -> list[Rule]:
    """The rules for `category` in `city` (ids or objects with `.id`), resolved for the city
    (city override > climate-zone override > base), under the version of `edition` in force on
    `on` (default: the newest edition in force). One rule per indicator key; [] without a standard."""
    from catalog.models.standards import StandardEdition
    from catalog.services.standards import rules_for as _rules_for

    ed = db.session.get(StandardEdition, _id(edition)) if edition is not None else None
    _version, rules = _rules_for(_id(category), _id(city), at=on or today_cn(), edition=ed)
    return list(rules)


def check_tightening(rule: Rule, candidate_limit: Any, candidate_unit: str | None = None) -> tuple[bool, Reason]:
    """Is `candidate_limit` (a designer's tightened limit) no looser than `rule`'s? `(ok, reason)`;
    the reason is a translatable `Reason` (`str()` is English, `.localised()` the current locale).
    Never raises on bad input: a bad candidate is simply not accepted."""
    return strictness.is_at_least_as_strict(rule, candidate_limit, candidate_unit)


def typed_limit(rule: Rule, value: Any) -> Any:
    """`value` (text from a form or file) as the limit type of `rule`'s comparison (float for
    `<=`/`>=`, list for `in`, bool for `bool`, text otherwise). ValueError/TypeError when it is not one."""
    return strictness.typed_limit(rule, value)


def tightened(rules: Iterable[Rule], limits: Mapping[str, Any]) -> list[Rule]:
    """`rules` with the limits of `limits` (`{indicator key: limit}`) put in (read-only copies)."""
    return [dataclasses.replace(r, limit=limits[r.key]) if r.key in limits else r for r in rules]


def describe_limit(rule: Rule) -> str:
    """The requirement in the current locale, e.g. `<= 3 W/(m2.K)`, `不低于 B1`."""
    return rule.limit_reason().localised()


def label(value, group: str) -> str:
    """The translated name of a catalog code word: `group` is ``kind`` (rule kinds: green,
    quality), ``requirement`` (mandatory, optional), ``climate_zone``, ``scope`` or ``evidence``
    (the one label registry, `core.labels`, which `catalog.register` fills)."""
    from core.labels import label as _label

    return _label(value, group)


# --------------------------------------------------------------------------- products


def declared_values(product) -> dict[str, Value]:
    """A product's declared values by indicator key (a `ProductOffer` carries them already, and
    a mapping of them, e.g. `bid_facts(..., with_values=True)["values"]`, is taken as it is)."""
    if isinstance(product, ProductOffer):
        return dict(product.values)
    if isinstance(product, Mapping):
        return dict(product)
    from catalog.services.verdicts import declared_values as _declared

    return _declared(product)


def listed_passing_products(city, category) -> list[ProductOffer]:
    """Listed products of `category` whose stored verdict for `city` is pass, cheapest first."""
    from sqlalchemy.orm import selectinload

    from catalog.models.products import Product, ProductVerdict
    from catalog.services.verdicts import declared_values as _declared

    rows = db.session.execute(
        select(Product).join(ProductVerdict, ProductVerdict.product_id == Product.id)
        .where(Product.category_id == _id(category), Product.status == "listed",
               ProductVerdict.city_id == _id(city), ProductVerdict.verdict == PASS)
        .options(selectinload(Product.indicator_values), selectinload(Product.carbon_declarations))
        .order_by(Product.list_price_fen, Product.id)).unique().scalars()
    return [ProductOffer(id=p.id, sku=p.sku, name_en=p.name_en, name_zh=p.name_zh, unit=p.unit,
                         list_price_fen=p.list_price_fen, category_id=p.category_id,
                         supplier=SupplierInfo(p.supplier.id, p.supplier.name_en, p.supplier.name_zh),
                         values=_declared(p)) for p in rows]


def meets(rules: Iterable[Rule], product) -> bool:
    """Do the product's declared values pass every rule? (No rules: nothing proves compliance, False.)"""
    rules = list(rules)
    if not rules:
        return False
    return compliance.evaluate(rules, declared_values(product)).verdict == PASS


def compliant_products(city, category, rules: Iterable[Rule], *, limit: int | None = None,
                       candidates: list[ProductOffer] | None = None) -> list[ProductOffer]:
    """Listed products with a passing verdict in `city` that also meet `rules` (e.g. a bill line's
    tightened rules), cheapest first. Pass `candidates` (from `listed_passing_products`) to reuse
    one query for several lines of the same category."""
    rules = list(rules)
    if not rules:
        return []
    pool = candidates if candidates is not None else listed_passing_products(city, category)
    out = []
    for product in pool:
        if meets(rules, product):
            out.append(product)
            if limit is not None and len(out) >= limit:
                break
    return out


def price_range(products: Iterable[ProductOffer]) -> tuple[int | None, int | None]:
    """(lowest, highest) list price in fen, (None, None) for no products."""
    prices = [p.list_price_fen for p in products]
    return (min(prices), max(prices)) if prices else (None, None)


def verdicts(product_id: int) -> dict[int, str]:
    """`{city id: "pass" | "fail" | "incomplete"}`: a product's stored per-city verdicts."""
    from catalog.models.products import ProductVerdict

    rows = db.session.execute(select(ProductVerdict.city_id, ProductVerdict.verdict)
                              .where(ProductVerdict.product_id == product_id)).all()
    return {cid: v for cid, v in rows}


# --------------------------------------------------------------------------- batch lookups
# For pages that show many bill lines at once: one query per kind of data, whatever the number
# of lines, categories or products.


def all_categories() -> list[CategoryInfo]:
    """Every category, in catalogue order (one query)."""
    from catalog.services.standards import list_categories

    return [_category_info(c) for c in list_categories()]


def rules_by_category(categories: Iterable, city, *, edition=None, on: dt.date | None = None) -> dict[int, list[Rule]]:
    """`rules_for` of several categories (ids or objects with `.id`) at once: `{category id:
    rules}`, resolved for `city` under the version of `edition` in force on `on` (one query for
    the rules)."""
    from catalog.models.standards import IndicatorRule, StandardEdition
    from catalog.services.standards import applicable_version, get_city

    ids = sorted({_id(c) for c in categories})
    ed = db.session.get(StandardEdition, _id(edition)) if edition is not None else None
    version = applicable_version(on or today_cn(), ed) if ids else None
    if version is None:
        return {cid: [] for cid in ids}
    place = get_city(_id(city))
    grouped: dict[int, list[Rule]] = {cid: [] for cid in ids}
    for row in db.session.execute(select(IndicatorRule).where(IndicatorRule.version_id == version.id,
                                                             IndicatorRule.category_id.in_(ids))
                                  .order_by(IndicatorRule.position, IndicatorRule.id)).scalars():
        grouped[row.category_id].append(row.to_rule())
    return {cid: compliance.resolve_rules(rules, place.code, place.climate_zone) for cid, rules in grouped.items()}


def listed_passing_products_by_category(city, categories: Iterable) -> dict[int, list[ProductOffer]]:
    """`listed_passing_products` of several categories at once: `{category id: offers, cheapest
    first}` (one query for the products, one each for their values and carbon declarations)."""
    from sqlalchemy.orm import selectinload

    from catalog.models.products import Product, ProductVerdict
    from catalog.services.verdicts import declared_values as _declared

    ids = sorted({_id(c) for c in categories})
    out: dict[int, list[ProductOffer]] = {cid: [] for cid in ids}
    if not ids:
        return out
    rows = db.session.execute(
        select(Product).join(ProductVerdict, ProductVerdict.product_id == Product.id)
        .where(Product.category_id.in_(ids), Product.status == "listed",
               ProductVerdict.city_id == _id(city), ProductVerdict.verdict == PASS)
        .options(selectinload(Product.indicator_values), selectinload(Product.carbon_declarations))
        .order_by(Product.list_price_fen, Product.id)).unique().scalars()
    for p in rows:
        out[p.category_id].append(ProductOffer(
            id=p.id, sku=p.sku, name_en=p.name_en, name_zh=p.name_zh, unit=p.unit, list_price_fen=p.list_price_fen,
            category_id=p.category_id, supplier=SupplierInfo(p.supplier.id, p.supplier.name_en, p.supplier.name_zh),
            values=_declared(p)))
    return out


def product_facts(product_id: int, city_id: int | None = None) -> dict | None:
    """``{"id", "supplier_id", "category_id", "status", "sku", "name_en", "name_zh", "unit", "offer",
    "verdict"}`` of one product (``offer``: its `ProductOffer`, declared values included;
    ``verdict``: its stored verdict in `city_id`, None when not given or not computed), or None
    when there is none (bids: whose product, which category, listed, passing in the city?)."""
    from catalog.models.products import Product, ProductVerdict

    if isinstance(product_id, bool) or not isinstance(product_id, int):
        return None
    from catalog.services.verdicts import declared_values as _declared

    # The verdict rides on the product's own query: a bid checks both, in a storm of bids.
    rows = db.session.execute(select(Product, ProductVerdict.verdict)
                             .outerjoin(ProductVerdict, (ProductVerdict.product_id == Product.id)
                                        & (ProductVerdict.city_id == (city_id or 0)))
                             .options(joinedload(Product.indicator_values), joinedload(Product.carbon_declarations),
                                      lazyload(Product.category))
                             .where(Product.id == product_id)).unique().all()
    if not rows:   # (all(), not first(): the joined collections need every row)
        return None
    p, verdict = rows[0]
    offer = ProductOffer(id=p.id, sku=p.sku, name_en=p.name_en, name_zh=p.name_zh, unit=p.unit,
                         list_price_fen=p.list_price_fen, category_id=p.category_id,
                         supplier=SupplierInfo(p.supplier.id, p.supplier.name_en, p.supplier.name_zh),
                         values=_declared(p))
    return {"id": p.id, "supplier_id": p.supplier_id, "category_id": p.category_id, "status": p.status, "verdict": verdict,
            "sku": p.sku, "name_en": p.name_en, "name_zh": p.name_zh, "unit": p.unit, "offer": offer}


def bid_facts(product_id: int, city_id: int | None = None, *, with_values: bool = False) -> dict | None:
    """What a bid checks of one product, as plain values: ``{"supplier_id", "category_id",
    "status", "verdict", "values"}`` (``verdict``: the stored verdict in `city_id`, None when not
    computed; ``values``: its declared values by indicator key, as `declared_values` gives them,
    only `with_values`, else None), or None when there is no such product.

    The lean form of `product_facts` for the bid storm: one query of columns, no entities (with
    the values: one row per declared value, the current carbon declaration on each)."""
    if isinstance(product_id, bool) or not isinstance(product_id, int):
        return None
    rows = db.session.execute(_bid_facts_query(with_values),
                              {"product_id": product_id, "city_id": city_id or 0}).all()
    if not rows:
        return None
    first = rows[0]
    values = None
    if with_values:
        from catalog.rules import carbon_value

        values = {r.key: Value.from_parts(r.key, r.value_num, r.value_text, r.unit) for r in rows if r.key is not None}
        if first.gwp_a1a3 is not None and "gwp_a1a3" not in values:   # as `Product.current_carbon`
            values["gwp_a1a3"] = carbon_value(first.gwp_a1a3, first.declared_unit)
    return {"supplier_id": first.supplier_id, "category_id": first.category_id, "status": first.status,
            "verdict": first.verdict, "values": values}


@functools.cache
def _bid_facts_query(with_values: bool):
    # Built once with bound parameters: a bid storm runs it for every submission.
    from sqlalchemy import bindparam

    from catalog.models.products import CarbonDeclaration, Product, ProductIndicatorValue, ProductVerdict

    columns = [Product.supplier_id, Product.category_id, Product.status, ProductVerdict.verdict]
    if with_values:
        # The newest declaration, as `Product.carbon_declarations` is ordered (id descending).
        from sqlalchemy.orm import aliased

        newest = aliased(CarbonDeclaration)
        carbon = (select(newest.id).where(newest.product_id == Product.id).correlate(Product)
                  .order_by(newest.id.desc()).limit(1).scalar_subquery())
        columns += [ProductIndicatorValue.key, ProductIndicatorValue.value_num, ProductIndicatorValue.value_text,
                    ProductIndicatorValue.unit, CarbonDeclaration.gwp_a1a3, CarbonDeclaration.declared_unit]
    stmt = (select(*columns)
            .outerjoin(ProductVerdict, (ProductVerdict.product_id == Product.id)
                       & (ProductVerdict.city_id == bindparam("city_id"))))
    if with_values:
        stmt = (stmt.outerjoin(ProductIndicatorValue, ProductIndicatorValue.product_id == Product.id)
                .outerjoin(CarbonDeclaration, CarbonDeclaration.id == carbon))
    return stmt.where(Product.id == bindparam("product_id"))


def certificate_standing(product_id: int, on: dt.date) -> dict:
    """Was the product certified on `on` (a China calendar date, e.g. a bid deadline's day)?

    ``{"valid": bool, "certificates": [{"number", "status", "issued_on", "expires_on", "valid_on_day"}],
    "test_reports": [{"number", "issued_on"}]}``, dates as ISO text. A certificate counts on `on`
    when it was issued on or before it and expires on or after it (the expiry day itself is still
    a valid day, as `Certificate.is_valid_on`), and it is still valid or was suspended, revoked or
    marked expired only after `on` (its `changed_on`). Unknown product: not valid, no evidence."""
    from catalog.models.products import Certificate, TestReport

    if isinstance(product_id, bool) or not isinstance(product_id, int):
        return {"valid": False, "certificates": [], "test_reports": []}
    certificates = list(db.session.execute(select(Certificate).where(Certificate.product_id == product_id)
                                           .order_by(Certificate.expires_on.desc(), Certificate.id)).scalars())
    reports = list(db.session.execute(select(TestReport).where(TestReport.product_id == product_id)
                                      .order_by(TestReport.issued_on.desc(), TestReport.id)).scalars())

    def counts(c) -> bool:
        in_period = c.issued_on <= on <= c.expires_on
        return in_period and (c.status == "valid" or (c.changed_on is not None and c.changed_on > on))

    return {"valid": any(counts(c) for c in certificates),
            "certificates": [{"number": c.number, "status": c.status, "issued_on": c.issued_on.isoformat(),
                              "expires_on": c.expires_on.isoformat(), "valid_on_day": counts(c)} for c in certificates],
            "test_reports": [{"number": r.number, "issued_on": r.issued_on.isoformat()} for r in reports]}


# --------------------------------------------------------------------------- embodied carbon


@dataclass(frozen=True)
class CarbonFigures:
    """GWP A1-A3 in kg CO2e per declared unit: `products` `{product id: (kg, unit)}` (the
    product's declared value, an indicator value ``gwp_a1a3`` before its newest carbon
    declaration, only when declared in ``kg CO2e/<unit>``) and `medians` `{(city id, category id,
    unit): kg}`, the median over the category's products listed and passing in the city that
    declare per that unit; `skus` of the products asked about."""

    products: Mapping[int, tuple[float, str]]
    medians: Mapping[tuple[int, int, str], float]
    skus: Mapping[int, str] = dataclasses.field(default_factory=dict)   # of the products asked about

    def gwp(self, product_id: int, unit: str) -> float | None:
        """The product's kg CO2e per `unit` (None: no declaration per that unit)."""
        found = self.products.get(product_id)
        return found[0] if found is not None and found[1] == unit else None

    def median(self, city_id: int, category_id: int, unit: str) -> float | None:
        return self.medians.get((city_id, category_id, unit))


def carbon_figures(product_ids: Iterable[int] = (), places: Iterable[tuple[int, int]] = ()) -> CarbonFigures:
    """The GWP of `product_ids` and the category medians of `places` (``(city id, category id)``
    pairs), two queries whatever their number (the products' in batches of 5,000 ids; see
    `CarbonFigures`)."""
    import statistics

    from sqlalchemy.orm import aliased

    from catalog.models.products import CarbonDeclaration, Product, ProductIndicatorValue, ProductVerdict
    from catalog.rules import carbon_value

    newest = aliased(CarbonDeclaration)
    latest = select(func.max(newest.id)).where(newest.product_id == Product.id).scalar_subquery()
    columns = (Product.id, Product.sku, ProductIndicatorValue.id, ProductIndicatorValue.value_num,
               ProductIndicatorValue.unit, CarbonDeclaration.gwp_a1a3, CarbonDeclaration.declared_unit)

    def rows(stmt):
        stmt = (stmt.outerjoin(ProductIndicatorValue, (ProductIndicatorValue.product_id == Product.id)
                               & (ProductIndicatorValue.key == "gwp_a1a3"))
                .outerjoin(CarbonDeclaration, CarbonDeclaration.id == latest))
        for pid, sku, iv_id, num, iv_unit, gwp, declared, *rest in db.session.execute(stmt):
            # The precedence of `declared_values`: a declared indicator value, else the newest declaration.
            value = (Value.from_parts("gwp_a1a3", num, None, iv_unit) if iv_id is not None
                     else carbon_value(gwp, declared) if gwp is not None else None)
            ok = value is not None and isinstance(value.value, (int, float)) and value.unit.startswith("kg CO2e/")
            yield pid, sku, rest, ((float(value.value), value.unit[len("kg CO2e/"):]) if ok else None)

    ids = sorted({_id(p) for p in product_ids})
    products, skus = {}, {}
    for start in range(0, len(ids), 5000):   # (bound parameters: SQLite allows 32,766 a statement)
        for pid, sku, _rest, figure in rows(select(*columns).where(Product.id.in_(ids[start:start + 5000]))):
            skus[pid] = sku
            if figure is not None:
                products[pid] = figure
    pairs = {(_id(city), _id(category)) for city, category in places}
    peers: dict[tuple[int, int, str], list[float]] = {}
    if pairs:
        stmt = (select(*columns, ProductVerdict.city_id, Product.category_id)
                .join(ProductVerdict, ProductVerdict.product_id == Product.id)
                .where(Product.status == "listed", ProductVerdict.verdict == PASS,
                       ProductVerdict.city_id.in_({c for c, _ in pairs}),
                       Product.category_id.in_({c for _, c in pairs})))
        for _pid, _sku, (city_id, category_id), figure in rows(stmt):
            if figure is not None and (city_id, category_id) in pairs:
                peers.setdefault((city_id, category_id, figure[1]), []).append(figure[0])
    return CarbonFigures(products, {key: statistics.median(values) for key, values in peers.items()}, skus)
