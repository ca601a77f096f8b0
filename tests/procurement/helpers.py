"""Builders for procurement tests: a small demand standard, products, projects at any stage."""

from __future__ import annotations

import datetime as dt
import itertools

from catalog.models.standards import (Category, CategoryGroup, CategoryRequirement, IndicatorRule, StandardEdition,
                                      StandardVersion)
from core import roles as R
from core.extensions import db
from tests.factories import make_city, make_org, make_user

_seq = itertools.count(1)

# category code -> (level, rules)
SMALL_STANDARD = {
    "ready_mixed_concrete": ("mandatory", [
        dict(key="radionuclide_ira", comparison="<=", limit=1.0, unit="", kind="green", name_en="Internal exposure index"),
    ]),
    "wall_coatings": ("mandatory", [
        dict(key="voc", comparison="<=", limit=80, unit="g/L", kind="green", name_en="VOC content"),
        dict(key="fire_class", comparison="at_least", limit="B1", kind="quality", scale=["A", "B1", "B2", "B3"],
             name_en="Reaction to fire"),
    ]),
    "windows_doors": ("mandatory", [
        dict(key="u_value", comparison="<=", limit=3.5, unit="W/(m2.K)", kind="green", name_en="Thermal transmittance"),
        dict(key="u_value", comparison="<=", limit=3.0, unit="W/(m2.K)", kind="green", name_en="Thermal transmittance",
             climate_zone="cold_a"),
    ]),
    "led_lighting": ("optional", [dict(key="efficacy", comparison=">=", limit=100, unit="lm/W", kind="green")]),
    "valves": ("optional", [dict(key="leakage_class", comparison="at_least", limit="B", kind="quality",
                                 scale=["A", "B", "C"])]),
    "shading_products": ("optional", [dict(key="solar_factor", comparison="<=", limit=0.5, unit="", kind="green")]),
    "resin_flooring": ("optional", [dict(key="voc", comparison="<=", limit=100, unit="g/L", kind="green")]),
    "ceiling_systems": ("optional", [dict(key="formaldehyde", comparison="<=", limit=0.1, unit="mg/m3", kind="green")]),
    "ready_mixed_mortar": ("optional", [dict(key="shrinkage", comparison="<=", limit=0.5, unit="%", kind="quality")]),
}


#: the unit each category is priced in (as in the real catalogue; bill lines must convert to it)
PRICE_UNITS = {"ready_mixed_concrete": "m3", "wall_coatings": "kg", "windows_doors": "m2", "led_lighting": "piece",
               "valves": "piece", "shading_products": "m2", "resin_flooring": "m2", "ceiling_systems": "m2",
               "ready_mixed_mortar": "t", "mystery_material": "t"}
CHINESE_NAMES = {"ready_mixed_concrete": "预拌混凝土", "wall_coatings": "墙面涂料", "windows_doors": "门窗",
                 "led_lighting": "LED 照明产品", "valves": "阀门", "shading_products": "建筑遮阳产品",
                 "resin_flooring": "树脂地坪材料", "ceiling_systems": "吊顶系统", "ready_mixed_mortar": "预拌砂浆",
                 "mystery_material": "未列入标准的材料"}


def make_standard(share=0.4, effective_from=dt.date(2025, 1, 1), code="2025", extra_category: bool = True):
    """A published edition+version with the categories above; returns the version.

    ``extra_category`` also creates a category ``mystery_material`` that no edition covers.
    """
    group = db.session.execute(db.select(CategoryGroup).filter_by(code="g1")).scalar_one_or_none()
    if group is None:
        group = CategoryGroup(code="g1", name_en="Group", name_zh="组", position=1)
        db.session.add(group)
        db.session.flush()
    cats = {}
    for i, code_ in enumerate(list(SMALL_STANDARD) + (["mystery_material"] if extra_category else [])):
        cat = db.session.execute(db.select(Category).filter_by(code=code_)).scalar_one_or_none()
        if cat is None:
            cat = Category(code=code_, group_id=group.id, name_en=code_.replace("_", " ").title(),
                           name_zh=CHINESE_NAMES[code_],
                           default_unit=PRICE_UNITS[code_], position=i)
            db.session.add(cat)
        cats[code_] = cat
    db.session.flush()
    edition = StandardEdition(code=code, title=f"Edition {code}", effective_from=effective_from,
                              optional_green_share_min=share)
    version = StandardVersion(edition=edition, number=1, effective_from=effective_from, status="in_force")
    db.session.add_all([edition, version])
    pos = 0
    for code_, (level, rules) in SMALL_STANDARD.items():
        db.session.add(CategoryRequirement(version=version, category_id=cats[code_].id, requirement=level))
        for r in rules:
            pos += 1
            db.session.add(IndicatorRule(version=version, category_id=cats[code_].id, position=pos, **r))
    db.session.commit()
    return version


def category(code):
    return db.session.execute(db.select(Category).filter_by(code=code)).scalar_one()


def make_product(city, category_code, values: dict, *, price_fen=10000, status="listed", verdict="pass",
                 supplier=None, unit="m3"):
    """A product with declared values and a stored verdict for ``city``."""
    from catalog.models.products import Product, ProductIndicatorValue, ProductVerdict

    supplier = supplier or make_org(R.ORG_SUPPLIER)
    n = next(_seq)
    p = Product(supplier_id=supplier.id, sku=f"SKU-{n}", name_en=f"Product {n}", name_zh=f"产品{n}",
                category_id=category(category_code).id, unit=unit, list_price_fen=price_fen, status=status)
    for key, (value, vunit) in values.items():
        if isinstance(value, (int, float)):
            p.indicator_values.append(ProductIndicatorValue(key=key, value_num=float(value), unit=vunit))
        else:
            p.indicator_values.append(ProductIndicatorValue(key=key, value_text=str(value), unit=vunit))
    db.session.add(p)
    db.session.flush()
    db.session.add(ProductVerdict(product_id=p.id, city_id=city.id, verdict=verdict, details={}))
    db.session.commit()
    return p


GOOD_VALUES = {
    "ready_mixed_concrete": {"radionuclide_ira": (0.6, "")},
    "wall_coatings": {"voc": (50, "g/L"), "fire_class": ("A", "")},
    "windows_doors": {"u_value": (2.0, "W/(m2.K)")},
    "led_lighting": {"efficacy": (130, "lm/W")},
    "valves": {"leakage_class": ("A", "")},
    "shading_products": {"solar_factor": (0.3, "")},
    "resin_flooring": {"voc": (60, "g/L")},
    "ceiling_systems": {"formaldehyde": (0.05, "mg/m3")},
}


def stock_products(city, codes=None, price_fen=10000):
    """One compliant listed product per category (default: all of SMALL_STANDARD)."""
    return [make_product(city, c, GOOD_VALUES[c], price_fen=price_fen) for c in (codes or GOOD_VALUES)]


class World:
    """A city with its offices, a purchaser and users of every role."""

    def __init__(self, city_code="nanjing"):
        self.city = make_city(city_code)
        self.purchaser_org = make_org(R.ORG_PURCHASER, city=self.city)
        self.purchaser = make_user(self.purchaser_org, roles=(R.PURCHASER,))
        self.finance_org = make_org(R.ORG_FINANCE, city=self.city)
        self.finance = make_user(self.finance_org, roles=(R.FINANCE_REVIEWER,))
        self.finance2 = make_user(self.finance_org, roles=(R.FINANCE_REVIEWER,))
        self.centre = make_user(make_org(R.ORG_CENTRE, city=self.city), roles=(R.PROCUREMENT_OFFICER,))
        self.inspector = make_user(make_org(R.ORG_INSPECTION, city=self.city), roles=(R.INSPECTOR,))


PROJECT_DATA = {"name": "No. 3 Primary School", "building_type": "school", "floor_area_m2": 12000,
                "green_star_target": 2,
                "people": [{"role": "project_manager", "name": "Wang Li", "phone": "025-1234"}]}


def new_project(world, **overrides):
    from procurement.projects.services import create_project

    data = dict(PROJECT_DATA, **overrides)
    return create_project(world.purchaser, data, registered_on=dt.date(2026, 3, 1))


BUDGET = {"total_fen": 500_000_000, "green_share_bp": 4000,
          "funding_sources": [{"kind": "general_budget", "description": "City budget", "amount_fen": 300_000_000},
                              {"kind": "special_bond", "description": "Bond", "amount_fen": 200_000_000}]}


def project_in_design(world, **overrides):
    """A project whose budget is approved and which has moved to design."""
    from procurement.budget.services import approve_budget, submit_budget
    from procurement.machine.services import request_transition

    p = new_project(world, **overrides)
    submit_budget(world.purchaser, p.id, BUDGET)
    approve_budget(world.finance, p.id, "ok")
    request_transition(world.purchaser, p.id, to_stage="design", expected_stage="budget")
    return p


def designing(*lines, **project_fields):
    """A small standard, a city with one compliant product per category, and a project of its
    purchaser in the design stage holding `lines` (line dicts, see :func:`line`): (world, project)."""
    from procurement.design.services import add_line

    make_standard()
    world = World()
    stock_products(world.city)
    project = project_in_design(world, **project_fields)
    for data in lines:
        add_line(world.purchaser, project.id, data)
    return world, project


def line(category_code="ready_mixed_concrete", **kw):
    data = {"category": category_code, "specification": "C30", "quantity": "100",
            "unit": PRICE_UNITS.get(category_code, "m3"), "est_unit_price_fen": 50000}
    data.update(kw)
    return data


def field_text(exc, field: str) -> str:
    """A service error's field message in English (messages are templates with parameters)."""
    from core.errors import render_message

    return render_message(exc.fields[field])
