"""The carbon comparison on product pages: a product's embodied carbon (GWP A1-A3) against the
other products of its category, and the geometry of its bar chart.

Declared units are normalised before comparing (`catalog.rules.declared_unit`): "1 m2", "m2"
and "10 m2" are all per area, "1 t" and "1000 kg" per mass. Each declaration is turned into kg
CO2e per base unit of its dimension and shown per the product's own declared unit; products
declaring per a unit of another kind (per m3 where this one is per m2) cannot be compared and
are counted as left out, so the page can say what was compared.
"""
from __future__ import annotations

import statistics

from sqlalchemy import func, select

from core.extensions import db

from catalog.models.products import CarbonDeclaration, Product
from catalog.product_states import LISTED, SUSPENDED, VERIFIED
from catalog.rules import declared_unit

#: Products whose declarations are compared with (a reviewer has checked them).
COMPARED_STATUSES = (LISTED, SUSPENDED, VERIFIED)


def carbon_comparison(product: Product) -> dict | None:
    """The product's GWP against its category: median, lowest and highest, all per the
    product's declared unit, with how many products were compared and how many were left out
    (declared per a unit of another kind, e.g. per m3 against per m2). None without a declaration."""
    carbon = product.current_carbon()
    if carbon is None:
        return None
    own = declared_unit(carbon.declared_unit)
    latest = (select(func.max(CarbonDeclaration.id)).join(Product)
              .where(Product.category_id == product.category_id, Product.status.in_(COMPARED_STATUSES),
                     Product.id != product.id)
              .group_by(CarbonDeclaration.product_id)).scalar_subquery()
    peers = db.session.execute(select(CarbonDeclaration.declared_unit, CarbonDeclaration.gwp_a1a3)
                               .where(CarbonDeclaration.id.in_(latest))).all()
    series = [carbon.gwp_a1a3]
    left_out: set[str] = set()
    excluded = 0
    for unit_text, gwp in peers:
        du = declared_unit(unit_text)
        if not du.comparable_with(own) or gwp is None:
            excluded += 1
            left_out.add(du.label())
            continue
        # kg CO2e per base unit, then per this product's declared amount.
        series.append(gwp / du.base_amount * own.base_amount)
    series.sort()
    median = statistics.median(series)
    return {
        "value": carbon.gwp_a1a3,
        "declared_unit": carbon.declared_unit,
        "basis": own.label(),
        "median": median,
        "min": series[0],
        "max": series[-1],
        "count": len(series),
        "others": len(series) - 1,
        "excluded": excluded,
        "excluded_units": sorted(left_out),
        "ratio": (carbon.gwp_a1a3 / median) if median else None,
        "valid_until": carbon.valid_until,
        "program_operator": carbon.program_operator,
    }


def carbon_chart(cmp: dict, width=420, bar_height=26) -> dict:
    """Geometry for the server-rendered SVG bar chart (product, median, lowest, highest)."""
    rows = [("product", cmp["value"]), ("median", cmp["median"]), ("lowest", cmp["min"]), ("highest", cmp["max"])]
    top = max(v for _, v in rows) or 1.0
    label_w = 110
    usable = width - label_w - 90
    bars = []
    for i, (label, value) in enumerate(rows):
        bars.append({"label": label, "value": value, "x": label_w, "y": 8 + i * (bar_height + 10),
                     "w": max(1.0, usable * value / top), "h": bar_height})
    return {"width": width, "height": 16 + len(rows) * (bar_height + 10), "bars": bars, "label_w": label_w}
