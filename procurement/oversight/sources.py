"""The sources of the monthly fact table: each one small function returning the rows
``(metric, city_id, "YYYY-MM", value)`` it computes with one or two GROUP BY queries, and the
metrics it owns (`refresh.py` rewrites exactly those, so a source is added here and nowhere else).

Months are China calendar months (times shifted by +8 h before bucketing)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select

import catalog.interface as catalog
from core.extensions import db
from core.timeutil import today_cn

Row = tuple[str, int, str, int]

# Categories counted as prefabricated construction (GB/T 51231 assembled buildings): precast
# concrete, steel structure members, modern timber structures, integrated wall panels.
PREFAB_CATEGORY_CODES = ("precast_concrete_components", "steel_members", "timber_structure_materials",
                         "integrated_wall_panels")


@dataclass(frozen=True)
class Source:
    """A named source: `func()` yields its rows; `metrics` are the metrics it owns."""

    name: str
    metrics: tuple[str, ...]
    func: Callable[[], Iterable[Row]]


def month_of(column, *, moment: bool = True):
    """SQL text 'YYYY-MM' of a time column (China time) or a date column, on PostgreSQL or SQLite."""
    if db.session.get_bind().dialect.name == "postgresql":
        value = func.timezone("Asia/Shanghai", column) if moment else column
        return func.to_char(value, "YYYY-MM")
    return func.strftime("%Y-%m", column, "+8 hours") if moment else func.strftime("%Y-%m", column)


def prefab_category_ids() -> list[int]:
    """Ids of the prefabricated-construction categories known to the catalog."""
    found = (catalog.find_category(code) for code in PREFAB_CATEGORY_CODES)
    return [c.id for c in found if c is not None] or [-1]


def _rows(metrics: tuple[str, ...], stmt) -> list[Row]:
    """Rows of a statement selecting (city_id, month, value_1 ... value_n): one row per metric."""
    out = []
    for city_id, month, *values in db.session.execute(stmt):
        if city_id is None or not month:
            continue
        out.extend((metric, int(city_id), month, int(value or 0)) for metric, value in zip(metrics, values))
    return out


def awards() -> list[Row]:
    """Notified awards by the month of their notice: the awarded total, the lots' ceilings (the
    savings are the difference) and how many."""
    from procurement.awards.models import Award
    from procurement.awards.states import LIVE_AWARD_STATES
    from procurement.tendering.models import Lot, Tender

    month = month_of(Award.notice_at)
    stmt = (select(Tender.city_id, month, func.sum(Award.total_fen), func.sum(Lot.ceiling_fen), func.count(Award.id))
            .join(Lot, Lot.id == Award.lot_id).join(Tender, Tender.id == Award.tender_id)
            .where(Award.notice_number > 0, Award.notice_at.is_not(None), Award.status.in_(LIVE_AWARD_STATES),
                   Award.total_fen.is_not(None))
            .group_by(Tender.city_id, month))
    return _rows(AWARDS.metrics, stmt)


def projects() -> list[Row]:
    """Projects by the month they were registered: how many, and their bills of materials'
    estimated value, all and green-required lines (the green share of materials)."""
    from procurement.design.models import BomLine
    from procurement.projects.models import Project

    month = month_of(Project.registered_on, moment=False)
    value = BomLine.quantity_milli * BomLine.est_unit_price_fen / 1000
    counted = select(Project.city_id, month, func.count(Project.id)).group_by(Project.city_id, month)
    bom = (select(Project.city_id, month, func.sum(value), func.sum(case((BomLine.green_required, value), else_=0)))
           .join(BomLine, BomLine.project_id == Project.id).group_by(Project.city_id, month))
    return _rows(("projects",), counted) + _rows(("bom_fen", "bom_green_fen"), bom)


def orders() -> list[Row]:
    """Orders not cancelled, by the month placed: the green-material procurement amount, its
    batch-procured part (agreements from pooled tenders) and its prefabricated part; and, by the
    month their project was registered, the projects covered (with at least one order)."""
    from procurement.agreements.models import Agreement
    from procurement.orders.models import Order
    from procurement.orders.states import CANCELLED
    from procurement.projects.models import Project
    from procurement.tendering.models import Tender

    month = month_of(Order.placed_at)
    batch = case((Tender.pooling_round_id.is_not(None), Order.total_fen), else_=0)
    prefab = case((Agreement.category_id.in_(prefab_category_ids()), Order.total_fen), else_=0)
    amounts = (select(Agreement.city_id, month, func.sum(Order.total_fen), func.sum(batch), func.sum(prefab))
               .join(Agreement, Agreement.id == Order.agreement_id).join(Tender, Tender.id == Agreement.tender_id)
               .where(Order.status != CANCELLED).group_by(Agreement.city_id, month))
    registered = month_of(Project.registered_on, moment=False)
    ordered = select(Order.project_id).where(Order.status != CANCELLED, Order.project_id == Project.id).exists()
    covered = (select(Project.city_id, registered, func.count(Project.id)).where(ordered)
               .group_by(Project.city_id, registered))
    return (_rows(("ordered_fen", "batch_ordered_fen", "prefab_ordered_fen"), amounts)
            + _rows(("projects_covered",), covered))


def deliveries() -> list[Row]:
    """Deliveries by the day delivered: how many, accepted, rejected."""
    from procurement.deliveries.models import Delivery
    from procurement.deliveries.states import ACCEPTED, REJECTED
    from procurement.projects.models import Project

    month = month_of(Delivery.delivered_on, moment=False)
    stmt = (select(Project.city_id, month, func.count(Delivery.id),
                   func.sum(case((Delivery.status == ACCEPTED, 1), else_=0)),
                   func.sum(case((Delivery.status == REJECTED, 1), else_=0)))
            .join(Project, Project.id == Delivery.project_id).group_by(Project.city_id, month))
    return _rows(DELIVERIES.metrics, stmt)


def inspections() -> list[Row]:
    """Inspections with a recorded result, by the month recorded: how many and how many not
    compliant; published results by the month published; publications overdue (due date passed,
    unpublished or published late) by the month due; rectifications issued and closed by the
    month issued (the rectification rate)."""
    from procurement.inspections.models import Inspection, Rectification
    from procurement.inspections.states import RECT_CLOSED

    today = today_cn()
    month = month_of(Inspection.recorded_at)
    done = (select(Inspection.city_id, month, func.count(Inspection.id),
                   func.sum(case((Inspection.compliant.is_(False), 1), else_=0)))
            .where(Inspection.recorded_at.is_not(None)).group_by(Inspection.city_id, month))
    due = month_of(Inspection.publish_due_on, moment=False)
    late = and_(Inspection.publish_due_on < today,
                (Inspection.published_at.is_(None)) | (func.date(Inspection.published_at) > Inspection.publish_due_on))
    overdue = (select(Inspection.city_id, due, func.count(Inspection.id))
               .where(Inspection.publish_due_on.is_not(None), late).group_by(Inspection.city_id, due))
    published = month_of(Inspection.published_at)
    shown = (select(Inspection.city_id, published, func.count(Inspection.id))
             .where(Inspection.published_at.is_not(None)).group_by(Inspection.city_id, published))
    issued = month_of(Rectification.issued_at)
    rect = (select(Rectification.city_id, issued, func.count(Rectification.id),
                   func.sum(case((Rectification.status == RECT_CLOSED, 1), else_=0)))
            .group_by(Rectification.city_id, issued))
    return (_rows(("inspections", "inspections_failed"), done) + _rows(("publications_overdue",), overdue)
            + _rows(("inspections_published",), shown)
            + _rows(("rectifications", "rectifications_closed"), rect))


def carbon() -> list[Row]:
    """Embodied carbon (GWP A1-A3, kg CO2e) of accepted deliveries by the day delivered: the
    products' declared figure times the quantity, against the median of the city's listed and
    passing products of the bill line's category declared per the same unit (the loop-closure
    report's figures, both from `catalog.carbon_figures`); deliveries without a comparable
    declaration or median are counted, not guessed."""
    from procurement.deliveries.models import Delivery
    from procurement.deliveries.states import ACCEPTED
    from procurement.design.models import BomLine
    from procurement.orders.models import OrderLine
    from procurement.projects.models import Project

    month = month_of(Delivery.delivered_on, moment=False)
    stmt = (select(Project.city_id, month, BomLine.category_id, Delivery.product_id, Delivery.unit,
                   func.sum(Delivery.quantity_milli), func.count(Delivery.id))
            .join(Project, Project.id == Delivery.project_id).join(OrderLine, OrderLine.id == Delivery.order_line_id)
            .join(BomLine, BomLine.id == OrderLine.bom_line_id).where(Delivery.status == ACCEPTED)
            .group_by(Project.city_id, month, BomLine.category_id, Delivery.product_id, Delivery.unit))
    groups = [g for g in db.session.execute(stmt).all() if g[0] is not None and g[1]]
    figures = catalog.carbon_figures({g[3] for g in groups}, {(g[0], g[2]) for g in groups})
    sums: dict[tuple[int, str], list[float]] = {}
    for city_id, mon, category_id, product_id, unit, milli, count in groups:
        own, median = figures.gwp(product_id, unit), figures.median(city_id, category_id, unit)
        acc = sums.setdefault((city_id, mon), [0.0, 0.0, 0])
        if own is None or median is None:
            acc[2] += count
        else:
            acc[0] += own * int(milli) / 1000
            acc[1] += median * int(milli) / 1000
    return [(metric, int(city_id), mon, value) for (city_id, mon), (kg, median_kg, undeclared) in sums.items()
            for metric, value in zip(CARBON.metrics, (round(kg), round(median_kg), undeclared))]


AWARDS = Source("awards", ("awarded_fen", "awarded_ceiling_fen", "awarded_lots"), awards)
DELIVERIES = Source("deliveries", ("deliveries", "deliveries_accepted", "deliveries_rejected"), deliveries)
CARBON = Source("carbon", ("carbon_kg", "carbon_median_kg", "carbon_undeclared"), carbon)
SOURCES: tuple[Source, ...] = (
    AWARDS,
    Source("projects", ("projects", "bom_fen", "bom_green_fen"), projects),
    Source("orders", ("ordered_fen", "batch_ordered_fen", "prefab_ordered_fen", "projects_covered"), orders),
    DELIVERIES,
    CARBON,
    Source("inspections", ("inspections", "inspections_failed", "publications_overdue", "inspections_published",
                           "rectifications", "rectifications_closed"), inspections),
)
METRICS = tuple(m for s in SOURCES for m in s.metrics)
