"""Demo tenders (`flask demo seed`, after the projects): every pilot city has tenders in different
states (Nanjing in all of draft, under finance review, published, tendering closed and cancelled;
every other city in two of them), and Qingdao has
a batch tender for waterproof membranes pooling 13 projects (168,900 m² in all, after Qingdao's
first batch of waterproofing in 2022), announced by competitive negotiation: its lot is
negotiated in rounds (`procurement.negotiation.demo`), not bid on.

Everything goes through the real services, so every record, audit event and notice is genuine:
a pooling round is opened, the purchasers contribute their bill lines, the centre closes the
round, builds the tender, sends it to the finance office, which approves it, and publishes it.
The closed tender was published 50 days ago (its services are given that clock) and the
chronograph closed it at its deadline; Nanjing's cancelled tender went the same way and was then
cancelled (`cancelled_after_close`: its verified bank guarantees show the bonds' automatic
return). Packages add their own demo steps at publication and at the close (`on_demo_step`).
Idempotent: tenders are found by title, projects by name.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import roles as R
from core import scheduler
from core.errors import ServiceError
from core.extensions import db
from core.timeutil import CHINA, today_cn, utcnow

WATERPROOF = "waterproof_membranes"
WATERPROOF_SPEC = "SBS 改性沥青防水卷材 4 mm"
WATERPROOF_PRICE_FEN = 2_270  # CNY 22.70 a m²: 168,900 m² make a ceiling of CNY 3,834,030
QINGDAO_TOTAL_M2 = 168_900
#: Qingdao's government-funded projects pooling their waterproofing (name, type, floor area,
#: m² of membrane); the city's demo housing project is the thirteenth.
QINGDAO_PROJECTS = [
    ("青岛市市北区第二实验小学新建工程", "school", 18_600, 12_400),
    ("青岛市李沧区保障性住房三期", "affordable_housing", 52_000, 21_600),
    ("青岛市城阳区人民医院门诊综合楼", "hospital", 38_500, 16_800),
    ("青岛市黄岛区公共租赁住房五号地块", "affordable_housing", 47_000, 19_500),
    ("青岛市崂山区第三中学教学楼", "school", 16_200, 9_800),
    ("青岛市即墨区政务服务中心", "office", 24_000, 11_200),
    ("青岛市胶州市人才公寓一期", "affordable_housing", 33_000, 14_700),
    ("青岛市平度市中医医院病房楼", "hospital", 29_500, 12_900),
    ("青岛市莱西市全民健身中心", "stadium", 21_000, 8_600),
    ("青岛市市南区老旧小区改造（八大关片区）", "urban_renewal", 15_000, 7_300),
    ("青岛市西海岸新区第六幼儿园", "school", 9_800, 4_900),
    ("青岛市李沧区社区卫生服务中心", "hospital", 12_000, 8_200),
    ("青岛市市北区社区服务中心", "office", 8_000, 5_600),
]
QINGDAO_TITLE = "青岛市政府投资项目防水卷材集中带量采购（第一批）"
#: Qingdao's batch is bought by competitive negotiation (DOMAIN.md 9: an open tender allows no
#: re-bidding): its announcement was published 40 days ago with a 9-day deadline, then the
#: negotiation's rounds ran (`procurement.negotiation.demo`, from 30 days ago). Other packages'
#: demo steps know no such scenario, so the tender gets no sealed bids.
NEGOTIATED = "negotiated"
QINGDAO_PUBLISHED_DAYS_AGO, QINGDAO_ANNOUNCEMENT_DAYS = 40, 9

#: The states each city's tenders are in (one tender each, from the categories of the city's
#: project in procurement, in bill order): every state in Nanjing (the demo logins' city), two
#: in every other city, so that the seed stays quick.
SCENARIOS = {
    "nanjing": ("published", "finance_review", "draft", "closed", "cancelled_after_close"),
    "hangzhou": ("published", "draft"),
    "shaoxing": ("finance_review", "closed"),
    "huzhou": ("published", "cancelled"),
    "qingdao": ("draft", "closed"),  # and the published batch of waterproof membranes
    "foshan": ("published", "finance_review"),
}
TITLE = {"published": "{city}{category}集中采购", "finance_review": "{city}{category}集中采购（待财政审核）",
         "draft": "{city}{category}集中采购（草稿）", "closed": "{city}{category}集中采购（已截标）",
         "cancelled": "{city}{category}集中采购（已终止）", "cancelled_after_close": "{city}{category}集中采购（截标后终止）"}
#: Scenarios whose tender is published 50 days ago and closed by the chronograph at its deadline
#: (50: the award demo reaches the end of a standstill period after it).
PAST = ("closed", "cancelled_after_close")
STEPS_KEY = "demo_tender_steps"


def on_demo_step(app, func) -> None:
    """Call `func(ctx, tender, scenario, moment, now)` when a demo tender is published (`moment`
    "published", `now`: the clock its services use) and when tendering closes at its deadline
    ("closed"), before a cancellation. From a package's `register(app)` (bonds: posted while the
    tender is open, guarantees verified after the deadline)."""
    funcs = app.extensions.setdefault(STEPS_KEY, [])
    if func not in funcs:
        funcs.append(func)


def _steps(ctx, tender, scenario: str, moment: str, now) -> None:
    from flask import current_app

    for func in current_app.extensions.get(STEPS_KEY, []):
        func(ctx, tender, scenario, moment, now)


def _centre_officer(ctx, city: str):
    from procurement.demo_data import _user

    if city == "nanjing" and R.PROCUREMENT_OFFICER in ctx["users"]:
        return ctx["users"][R.PROCUREMENT_OFFICER]
    return _user(f"centre-{city}@demo.gbm.cn", f"Procurement officer ({city.title()})", ctx["orgs"][f"centre:{city}"],
                 R.PROCUREMENT_OFFICER)


def _tender_exists(city_id: int, title: str) -> bool:
    from procurement.tendering.models import Tender

    return db.session.execute(select(Tender.id).where(Tender.city_id == city_id, Tender.title == title)).first() \
        is not None


def _in_china(days: int, hour: int = 9) -> dt.datetime:
    day = today_cn() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 30), tzinfo=CHINA).astimezone(dt.timezone.utc)


def _procurement_projects(city_id: int):
    from procurement.machine.stages import PROCUREMENT
    from procurement.projects.models import Project

    return list(db.session.execute(select(Project).where(Project.city_id == city_id, Project.stage == PROCUREMENT)
                                   .order_by(Project.id)).scalars())


def _free_lines(project) -> list:
    """The project's bill lines in no live pooled line, in bill order."""
    from procurement.design.models import BomLine
    from procurement.pooling.models import LIVE_LINE_STATES, PooledLine

    pooled = select(PooledLine.bom_line_id).where(PooledLine.project_id == project.id,
                                                  PooledLine.status.in_(LIVE_LINE_STATES))
    return list(db.session.execute(select(BomLine).where(BomLine.project_id == project.id, BomLine.id.not_in(pooled))
                                   .order_by(BomLine.line_no)).scalars())


def _project_in_procurement(ctx, city: str, name: str, btype: str, area: int, rows: list | None) -> object | None:
    """A demo project of the city's purchaser, moved to procurement through the real services
    (found by name when it exists). `rows`: its bill lines; None: the projects demo's bill."""
    from procurement.budget import services as budget_svc
    from procurement.demo_data import _actors, _budget, _build
    from procurement.design import services as design_svc
    from procurement.machine.services import request_transition
    from procurement.projects.models import Project
    from procurement.projects.services import create_project

    found = db.session.execute(select(Project).where(Project.name == name)).scalar_one_or_none()
    if found is not None:
        return found if found.stage == "procurement" else None
    purchaser, finance = _actors(ctx, city)
    project = create_project(purchaser, {"name": name, "building_type": btype, "floor_area_m2": area,
                                         "green_star_target": 1, "description": "绿色建材政府采购试点演示项目。",
                                         "people": [{"role": "project_manager", "name": "演示项目经理",
                                                     "phone": "400-000-0000"}]}, registered_on=today_cn())
    if rows is None:
        _build(project, purchaser, finance, "procurement", "ok")
    else:
        budget_svc.submit_budget(purchaser, project.id, _budget(2_000_000))
        budget_svc.approve_budget(finance, project.id, "在年度投资计划内，同意。")
        request_transition(purchaser, project.id, to_stage="design", expected_stage="budget")
        design_svc.add_lines_bulk(purchaser, project.id, [dict(r, _row=i + 2) for i, r in enumerate(rows)],
                                  source="设计院材料清单.xlsx")
        request_transition(purchaser, project.id, to_stage="procurement", expected_stage="design")
    db.session.refresh(project)
    return project if project.stage == "procurement" else None


def _pool(ctx, city: str, centre, category_code: str, title: str, contributions: list) -> object:
    """A round of one category, the given (project, bill line) contributions, closed."""
    from procurement.demo_data import _actors
    from procurement.pooling import services as pooling_svc

    purchaser, _finance = _actors(ctx, city)
    rnd = pooling_svc.open_round(centre, {"title": title, "description": "各项目单位请确认本批次集中采购的材料清单。",
                                          "categories": [category_code], "closes_at": _in_china(7, 17).isoformat()})
    for project, line in contributions:
        pooling_svc.contribute_lines(purchaser, rnd.id, project.id, [line.id])
    pooling_svc.close_round(centre, rnd.id)
    return rnd


def _run(ctx, city: str, centre, finance, rnd, title: str, state: str):
    """Build the tender of `rnd` and take it to `state` through the services."""
    from procurement.tendering import drafts as tender_drafts
    from procurement.tendering import services as tender_svc

    past = state in PAST or state == NEGOTIATED
    if state == NEGOTIATED:  # the announcement's deadline, then the negotiation (`negotiation.demo`)
        now = utcnow() - dt.timedelta(days=QINGDAO_PUBLISHED_DAYS_AGO)
        deadline = now + dt.timedelta(days=QINGDAO_ANNOUNCEMENT_DAYS)
    else:
        now = utcnow() - dt.timedelta(days=50) if past else utcnow()
        deadline = (now + dt.timedelta(days=23)) if past else _in_china(30)
    method = "competitive_negotiation" if state == NEGOTIATED else "public_tender"
    data = {"title": title, "method": method, "track": "gpl", "bid_deadline_at": deadline,
            "description": "本项目为政府投资项目绿色建材集中带量采购，各分包的技术要求不低于本市绿色建材政府采购需求标准。"}
    tender = tender_drafts.create_tender_from_round(centre, rnd.id, data, now=now)
    if state == "draft":
        return tender
    tender_svc.submit(centre, tender.id, now=now)
    if state == "finance_review":
        return tender
    tender_svc.approve(finance, tender.id, "预算、最高限价与保证金均符合规定，同意发布。", now=now)
    tender_svc.publish(centre, tender.id, now=now)
    _steps(ctx, tender, state, "published", now)
    if past:
        scheduler.catch_up(tender_svc.OBJECT_TYPE, tender.id)
        _steps(ctx, tender, state, "closed", utcnow())
    if state in ("cancelled", "cancelled_after_close"):
        tender_svc.cancel(centre, tender.id, "requirements_changed",
                          "设计单位调整了材料规格，本次采购终止，调整后将重新组织集中采购。")
    return tender


def _qingdao_batch(ctx, centre, finance) -> None:
    """The batch tender for waterproof membranes pooling 13 Qingdao projects, announced 40 days
    ago by competitive negotiation and closed at its announcement's deadline."""
    city = ctx["cities"]["qingdao"]
    if _tender_exists(city.id, QINGDAO_TITLE):
        return
    contributions = []
    for project in _procurement_projects(city.id):  # the city's demo housing project
        line = next((ln for ln in _free_lines(project) if ln.category.code == WATERPROOF), None)
        if line is not None:
            contributions.append((project, line))
            break
    planned = QINGDAO_PROJECTS[:13 - len(contributions)]
    total = sum(ln.quantity_milli for _p, ln in contributions) // 1000
    for i, (name, btype, area, m2) in enumerate(planned):
        if i == len(planned) - 1:
            m2 = QINGDAO_TOTAL_M2 - total  # the last one makes the batch 168,900 m²
        row = {"category": WATERPROOF, "specification": WATERPROOF_SPEC, "quantity": str(m2), "unit": "m2",
               "est_unit_price_fen": WATERPROOF_PRICE_FEN, "green_required": True}
        project = _project_in_procurement(ctx, "qingdao", name, btype, area, [row])
        line = next((ln for ln in _free_lines(project) if ln.category.code == WATERPROOF), None) if project else None
        if line is not None:
            contributions.append((project, line))
            total += line.quantity_milli // 1000
    if not contributions:
        return
    rnd = _pool(ctx, "qingdao", centre, WATERPROOF, "青岛市政府投资项目防水卷材需求归集（第一批）", contributions)
    _run(ctx, "qingdao", centre, finance, rnd, QINGDAO_TITLE, NEGOTIATED)


def _city_tenders(ctx, city: str, centre, finance) -> None:
    """One tender per state from the categories of the city's project in procurement (creating a
    demo project for a city that has none)."""
    from catalog.interface import find_category
    from procurement.tendering.models import Tender

    city_row = ctx["cities"][city]
    if db.session.execute(select(Tender.id).where(Tender.city_id == city_row.id, Tender.title != QINGDAO_TITLE)
                          .limit(1)).first() is not None:
        return  # seeded before
    projects = _procurement_projects(city_row.id)
    if not projects:
        project = _project_in_procurement(ctx, city, f"{city_row.name_zh}市绿色建材集中采购示范学校", "school", 15_000,
                                          None)
        projects = [project] if project is not None else []
    if not projects:
        return
    project = projects[0]
    lines = [ln for ln in _free_lines(project) if not (city == "qingdao" and ln.category.code == WATERPROOF)]
    for state, line in zip(SCENARIOS.get(city, ()), lines):
        category = find_category(line.category_id)
        title = TITLE[state].format(city=f"{city_row.name_zh}市", category=category.name_zh or category.name_en)
        try:
            rnd = _pool(ctx, city, centre, category.code, f"{title}需求归集", [(project, line)])
            _run(ctx, city, centre, finance, rnd, title, state)
        except ServiceError:
            db.session.rollback()
            continue


def seed_tenders(ctx) -> None:
    """Create the demo tenders that do not exist yet."""
    from procurement.demo_data import _actors

    for city in ("nanjing", "hangzhou", "shaoxing", "huzhou", "qingdao", "foshan"):
        if city not in ctx["cities"] or f"centre:{city}" not in ctx["orgs"] or f"purchaser:{city}" not in ctx["orgs"]:
            continue
        centre = _centre_officer(ctx, city)
        _purchaser, finance = _actors(ctx, city)
        try:
            if city == "qingdao":
                _qingdao_batch(ctx, centre, finance)
            _city_tenders(ctx, city, centre, finance)
        except ServiceError:
            db.session.rollback()
            continue
