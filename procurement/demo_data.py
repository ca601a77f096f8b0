"""Demo projects, built through the real services so every record and audit event is genuine.

Demo data is what Chinese purchasers would type (names, specifications and comments in Chinese).
Every pilot city gets a project; stages differ, up to procurement: later stage exits have no
checks yet, so the machine refuses them (it fails closed) and no demo project pretends otherwise.
Nanjing also has a hospital annex whose move to procurement was refused by the optional-materials
share rule, and Hangzhou's hospital budget was returned by the city's finance bureau. Running the seed again changes nothing (projects are found
by name; a project's steps run only once, when it is created).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import roles as R
from core.demo import DEMO_PASSWORD
from core.errors import ServiceError
from core.extensions import db
from core.models import User, UserRole
from core.passwords import hash_password
from core.timeutil import today_cn
from procurement import standards as std
from procurement.budget import services as budget_svc
from procurement.design import services as design_svc
from procurement.design.requirements import compliant_products
from procurement.machine.services import GateRefused, request_transition
from procurement.machine.stages import DESIGN, PROCUREMENT, STAGES
from procurement.projects.models import Project
from procurement.projects.services import create_project

#: city -> list of demo projects: (name, building type, floor area, stars, target stage, scenario)
PROJECTS = {
    "nanjing": [("南京市江北新区第十二小学", "school", 18_500, 2, "procurement", "ok"),
                ("南京市鼓楼医院门诊楼扩建", "hospital", 32_000, 2, "design", "share_refused")],
    "hangzhou": [("杭州市第一人民医院3号病房楼", "hospital", 46_000, 3, "budget", "returned")],
    "shaoxing": [("绍兴古城第七街区城市更新", "urban_renewal", 21_000, 1, "procurement", "ok")],
    "huzhou": [("湖州市政务服务中心", "office", 27_500, 2, "design", "ok")],
    "qingdao": [("青岛市李沧区保障性住房二期", "affordable_housing", 64_000, 1, "procurement", "ok")],
    "foshan": [("佛山市南海体育中心体育场", "stadium", 58_000, 2, "budget", "submitted")],
}

# (category, specification, quantity, unit, unit price in fen, green_required)
MANDATORY_LINES = [
    ("ready_mixed_concrete", "C30 预拌混凝土", "4200", "m3", 46_000, True),
    ("waterproof_membranes", "SBS 改性沥青防水卷材 4 mm", "9800", "m2", 3_600, True),
    ("paper_faced_gypsum_board", "纸面石膏板 12 mm", "15000", "m2", 1_800, True),
    ("wall_coatings", "低 VOC 内墙涂料", "6200", "kg", 3_900, True),
    ("masonry", "蒸压加气混凝土砌块 A5.0 B07", "2600", "m3", 30_000, True),
]
OPTIONAL_OK = [
    ("led_lighting", "LED 平板灯 36 W", "1800", "piece", 22_000, True),
    ("gypsum_decorative_materials", "石膏装饰线板", "2400", "m2", 4_500, True),
    ("valves", "DN50 闸阀", "320", "piece", 38_000, False),
]
OPTIONAL_SHORT = [  # only 1 of 4 optional kinds green: 25 % < 40 %
    ("led_lighting", "LED 平板灯 36 W", "2600", "piece", 22_000, True),
    ("gypsum_decorative_materials", "石膏装饰线板", "3100", "m2", 4_500, False),
    ("valves", "DN80 闸阀", "450", "piece", 52_000, False),
    ("ceiling_systems", "矿棉吸声板吊顶 600x600", "8800", "m2", 9_500, False),
]


def _user(email, name, org, role):
    user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    if user is None:
        user = User(email=email, name=name, password_hash=hash_password(DEMO_PASSWORD), organisation_id=org.id,
                    roles=[UserRole(role=role)])
        db.session.add(user)
        db.session.commit()
    return user


def _actors(ctx, city):
    """The city's purchaser and finance reviewer (the Nanjing ones are the README demo logins)."""
    orgs = ctx["orgs"]
    if city == "nanjing" and R.PURCHASER in ctx["users"]:
        purchaser = ctx["users"][R.PURCHASER]
    else:
        purchaser = _user(f"purchaser-{city}@demo.gbm.cn", f"Purchaser ({city.title()})", orgs[f"purchaser:{city}"],
                          R.PURCHASER)
    if city == "nanjing" and R.FINANCE_REVIEWER in ctx["users"]:
        finance = ctx["users"][R.FINANCE_REVIEWER]
    else:
        finance = _user(f"finance-{city}@demo.gbm.cn", f"Finance reviewer ({city.title()})", orgs[f"finance:{city}"],
                        R.FINANCE_REVIEWER)
    return purchaser, finance


def _budget(total_yuan):
    total = total_yuan * 100
    return {"total_fen": total, "green_share_bp": 4500, "funding_sources": [
        {"kind": "general_budget", "description": "市级一般公共预算", "amount_fen": total * 6 // 10},
        {"kind": "special_bond", "description": "地方政府专项债券", "amount_fen": total - total * 6 // 10}]}


def _lines_for(project, rows):
    """Keep rows whose category the edition knows; green rows only where a compliant product exists."""
    out = []
    for code, spec, qty, unit, price, green in rows:
        cat = std.find_category(code)
        level = std.requirement_level(project, cat) if cat is not None else None
        if level is None:
            continue
        green = green or level == std.MANDATORY
        if green:
            probe = type("Probe", (), {"category": cat, "category_id": cat.id, "tightenings": {}})()
            if not compliant_products(project, probe, limit=1):
                if level == std.MANDATORY:
                    continue  # the demo catalogue has nothing for it in this city: leave it out
                green = False
        out.append({"category": code, "specification": spec, "quantity": qty, "unit": unit,
                    "est_unit_price_fen": price, "green_required": green})
    return out


def _advance(project, actor, to_stage):
    try:
        request_transition(actor, project.id, to_stage=to_stage, expected_stage=project.stage)
    except GateRefused:
        return False
    db.session.refresh(project)
    return True


def _build(project, purchaser, finance, target, scenario):
    order = STAGES
    budget_total = 9_000_000 if project.building_type != "stadium" else 26_000_000
    if scenario == "returned":
        budget_svc.submit_budget(purchaser, project.id, _budget(budget_total))
        budget_svc.return_budget(finance, project.id,
                                 "专项债券额度尚未经省财政厅确认；请附上债券额度分配文件后重新提交。")
        return
    budget_svc.submit_budget(purchaser, project.id, _budget(budget_total))
    if scenario == "submitted":
        return
    budget_svc.approve_budget(finance, project.id, "在年度投资计划内，同意。")
    if not _advance(project, purchaser, DESIGN):
        return
    rows = MANDATORY_LINES + (OPTIONAL_SHORT if scenario == "share_refused" else OPTIONAL_OK)
    lines = _lines_for(project, rows)
    if lines:
        design_svc.add_lines_bulk(purchaser, project.id, [dict(ln, _row=i + 2) for i, ln in enumerate(lines)],
                                  source="设计院材料清单.xlsx")
    if scenario == "share_refused":
        _advance(project, purchaser, PROCUREMENT)  # refused: the refusal is on the record
        return
    while order.index(project.stage) < order.index(target):
        if not _advance(project, purchaser, order[order.index(project.stage) + 1]):
            return


def seed(ctx) -> None:
    """Create the demo projects that do not exist yet."""
    today = today_cn()
    for city, projects in PROJECTS.items():
        if f"purchaser:{city}" not in ctx["orgs"]:
            continue
        purchaser, finance = _actors(ctx, city)
        for name, btype, area, stars, target, scenario in projects:
            if db.session.execute(select(Project.id).where(Project.name == name)).first() is not None:
                continue
            registered = today if city != "huzhou" else dt.date(2024, 5, 6)  # Huzhou: under the 2022 edition
            try:
                project = create_project(purchaser, {"name": name, "building_type": btype, "floor_area_m2": area,
                                                     "green_star_target": stars,
                                                     "description": "绿色建材政府采购试点演示项目。",
                                                     "people": [{"role": "project_manager", "name": "演示项目经理",
                                                                 "phone": "400-000-0000"}]},
                                         registered_on=registered)
            except ServiceError:
                continue  # no standard seeded: nothing to attach the project to
            _build(project, purchaser, finance, target, scenario)
