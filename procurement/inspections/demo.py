"""Demo inspection campaign (`flask demo seed`, order 85, after the closed loop at 80): one
"double random, one open" campaign in Qingdao in the proportions of Jinzhou's special inspection
of energy-saving materials: 9 targets inspected at random, 11 batches sampled, 8 rectification
notices issued.

Everything goes through the services: the authority (Qingdao's quality supervision station, six
inspectors, one with a recorded tie) opens the campaign, draws the targets and the teams; the
teams record results (ended 10 to 40 days ago); seven results are published, one is left past
its publication deadline (flagged overdue) and one still in time; the notices are answered with
evidence, re-inspected and closed or escalated, or left open.

Targets: every project of the city under construction (a key item, uncapped), completed with
listed products (a key item whose share makes 9 targets in all). Projects reach construction
only through the procurement -> construction gate (signed contracts covering the bill), so the
demo inspects those that got there and makes up the rest with products. Idempotent: the
campaign is found by its title.
"""

from __future__ import annotations

import datetime as dt
import io
import logging

from sqlalchemy import select

from core import roles as R
from core.errors import ServiceError
from core.extensions import db
from core.notifications import recipients_in
from core.timeutil import today_cn, utcnow
from procurement.inspections import campaigns, pools, rectifications, results, rules, teams
from procurement.inspections.models import Campaign

CITY = "qingdao"
TITLE = "青岛市建筑节能材料“双随机、一公开”专项检查"
TARGETS, BATCHES, NOTICES = 9, 11, 8
INSPECTORS = ["王检查", "李检查", "张检查", "刘检查", "陈检查"]
log = logging.getLogger(__name__)
EVIDENCE = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _inspectors(ctx) -> list:
    from procurement.demo_data import _user

    org = ctx["orgs"][f"inspector:{CITY}"]
    chief = _user(f"inspector-{CITY}@demo.gbm.cn", "青岛质监站检查员", org, R.INSPECTOR)
    return [chief] + [_user(f"inspector-{CITY}-{i + 1}@demo.gbm.cn", name, org, R.INSPECTOR)
                      for i, name in enumerate(INSPECTORS)]


def _share_for(m: int, n: int) -> int:
    """The smallest share (bp) whose rounded-up part of `n` is exactly `m` (m <= n <= 10,000)."""
    return (m - 1) * 10_000 // n + 1


def _items(city_id: int) -> list[dict] | None:
    """A key item on the projects under construction (9 of them drawn, or all when fewer), a key
    item on listed products making up 9 targets in all, and a general item on the supplier
    firms (the rule's capped share)."""
    projects = len(pools.targets_of(city_id, "project"))
    products = len(pools.targets_of(city_id, "product"))
    items, left = [], TARGETS
    if projects:
        items.append({"name": "施工现场节能材料进场验收与使用情况", "class": "key", "target": "project",
                      "share_bp": 10_000 if projects <= left else _share_for(left, projects)})
        left -= min(projects, left)
    if left and products >= left:
        items.append({"name": "入库绿色建材产品认证证书与检验报告核查", "class": "key", "target": "product",
                      "share_bp": _share_for(left, products)})
        left = 0
    items.append({"name": "供货企业质量管理体系运行情况", "class": "general", "target": "firm",
                  "share_bp": rules.rule_for(city_id).max_general_share_bp})
    return items if left == 0 else None


def seed_inspections(ctx) -> None:
    """Create the demo campaign unless it exists."""
    if CITY not in ctx["cities"] or f"inspector:{CITY}" not in ctx["orgs"]:
        return
    if db.session.execute(select(Campaign.id).where(Campaign.title == TITLE)).first():
        return
    city = ctx["cities"][CITY]
    staff = _inspectors(ctx)
    chief = staff[0]
    today = today_cn()
    _sites(ctx, city)
    items = _items(city.id)
    if items is None:
        return
    try:
        _tie(chief, staff, city.id)
        campaign = campaigns.open_campaign(chief, {
            "title": TITLE, "team_size": 2, "items": items,
            "description": "依据“双随机、一公开”监管要求，随机抽取检查对象和执法检查人员，抽查节能材料的进场验收、"
                           "产品认证和检验报告，抽样送检，检查结果于检查结束后20个工作日内向社会公开。",
            "starts_on": (today - dt.timedelta(days=50)).isoformat(),
            "ends_on": (today + dt.timedelta(days=40)).isoformat()},
            now=utcnow() - dt.timedelta(days=48))
        campaign = campaigns.draw_targets(chief, campaign.id, now=utcnow() - dt.timedelta(days=47))
        inspections = list(campaign.inspections)
        for inspection in inspections:
            teams.draw_team(chief, inspection.id, now=utcnow() - dt.timedelta(days=46))
        _results(chief, inspections, today)
    except ServiceError:
        db.session.rollback()


SITES = ["市北区第一中学扩建工程", "李沧区人民医院医技楼", "城阳区保障性住房四期", "黄岛区职业教育中心",
         "崂山区全民健身馆", "即墨区公共服务中心", "胶州市第二人民医院", "平度市实验小学", "莱西市老旧小区改造",
         "市南区图书馆改造", "西海岸新区幼儿园（二期）", "李沧区社区养老中心"]
SITE_TENDER = "青岛市节能材料集中采购（在建项目批次）"


def _sites(ctx, city) -> None:
    """Qingdao's projects under construction, through the real loop: twelve one-line projects
    pooled into one tender (closed 27 days ago, bid on by the demo firms), awarded, a framework
    agreement signed, each project ordering its quota, then moved to construction by the
    procurement -> construction gate. Stops quietly where the loop stops (the campaign then
    inspects what is under construction and makes up the rest with products)."""
    from procurement.acceptance.demo import _at, _category, _person
    from procurement.agreements import services as agreements
    from procurement.agreements.demo import order_share, sign_lot
    from procurement.awards.demo import award_demo_tender
    from procurement.budget import services as budget_svc
    from procurement.demo_data import _budget
    from procurement.design import services as design_svc
    from procurement.machine.services import request_transition
    from procurement.opening.demo import supplier_person
    from procurement.orders import services as orders
    from procurement.projects.models import Project
    from procurement.projects.services import create_project
    from procurement.tendering.demo import _centre_officer, _pool, _run
    from procurement.tendering.models import Tender

    if db.session.execute(select(Tender.id).where(Tender.title == SITE_TENDER)).first() or \
            db.session.execute(select(Project.id).where(Project.name == f"青岛市{SITES[0]}")).first():
        return
    try:
        purchaser, finance = _person(ctx, CITY, "purchaser", R.PURCHASER), _person(ctx, CITY, "finance",
                                                                                  R.FINANCE_REVIEWER)
        projects, picked = [], None
        for name in SITES:
            project = create_project(purchaser, {"name": f"青岛市{name}", "building_type": "school",
                                                 "floor_area_m2": 12_000, "green_star_target": 1,
                                                 "description": "在建项目：节能材料专项检查演示。",
                                                 "people": [{"role": "site_manager", "name": "现场负责人",
                                                             "phone": "400-000-0000"}]}, registered_on=today_cn())
            budget_svc.submit_budget(purchaser, project.id, _budget(1_000_000))
            budget_svc.approve_budget(finance, project.id, "在年度投资计划内，同意。")
            request_transition(purchaser, project.id, to_stage="design", expected_stage="budget")
            picked = picked or _category(project)
            if picked is None:
                return
            info, price, unit = picked
            design_svc.add_line(purchaser, project.id, {"category": info.code, "specification": f"{info.name_zh} 节能型",
                                                        "quantity": "80", "unit": unit,
                                                        "est_unit_price_fen": price * 12 // 10, "green_required": True})
            request_transition(purchaser, project.id, to_stage="procurement", expected_stage="design")
            projects.append(db.session.get(Project, project.id))
        centre = _centre_officer(ctx, CITY)
        rnd = _pool(ctx, CITY, centre, picked[0].code, f"{SITE_TENDER}需求归集",
                    [(p, p.bom_lines[0]) for p in projects])
        tender = _run(ctx, CITY, centre, finance, rnd, SITE_TENDER, "closed")
        awards = award_demo_tender(ctx, tender)
        if not awards:
            return
        award = awards[0]
        signed_at = _at(max(award.standstill_until, award.notice_at) + dt.timedelta(hours=1))
        agreement = sign_lot(centre, award.lot, now=signed_at)
        for project in projects:
            order = order_share(purchaser, agreements.get_agreement(agreement.id), project.id, percent=100,
                                now=_at(signed_at + dt.timedelta(hours=2)), request_id=f"inspection-site-{project.id}")
            orders.confirm_order(supplier_person(order.supplier_org_id), order.id,
                                 now=_at(signed_at + dt.timedelta(hours=5)))
            request_transition(purchaser, project.id, to_stage="construction", expected_stage="procurement")
    except (ServiceError, ImportError) as exc:  # ImportError: a piece of the loop not wired
        db.session.rollback()
        log.warning("inspection demo: the sites stopped short of construction (%s)", exc)


def _tie(chief, staff, city_id: int) -> None:
    """One recorded tie: the second inspector used to work for a supplier of the city's list."""
    firms = pools.targets_of(city_id, "firm")
    if firms:
        teams.record_tie(chief, {"inspector_id": staff[1].id, "org_id": firms[0].org_id, "reason": "former_employer",
                                 "note": "2019—2022 年曾在该企业任质检员"})


def _member(inspection):
    db.session.refresh(inspection)
    seat = next(s for s in inspection.seats if s.status == "active")
    return seat.inspector


def _results(chief, inspections, today: dt.date) -> None:
    """Results, publications and notices in the campaign's proportions: over the 9 main targets
    11 batches sampled and 8 notices; 7 published, one left past its publication deadline, one
    still in time. The firms drawn by the general item pass and are published."""
    main = [i for i in inspections if i.target_kind != "firm"]
    batches = [2 if n < BATCHES - len(main) else 1 for n in range(len(main))]
    for inspection in inspections:
        n = main.index(inspection) if inspection in main else None
        failing = n is not None and n < NOTICES
        ended = today - dt.timedelta(days=40 if n == len(main) - 2 else 10 + (n or 0))
        samples = [{"batch": f"QD-2026-{inspection.id:03d}-{b + 1}", "product": inspection.target_name[:60],
                    "lab": "青岛市建筑工程质量检测中心", "outcome": "fail" if failing and b == 0 else "pass"}
                   for b in range(batches[n] if n is not None else 0)]
        member = _member(inspection)
        results.record_results(member, inspection.id, {
            "items_checked": [{"code": c, "outcome": "fail" if failing else "pass",
                               "note": "抽检批次导热系数不符合设计要求" if failing else ""}
                              for c in inspection.item_codes],
            "samples": samples, "ended_on": ended.isoformat(),
            "findings": "部分进场节能材料批次抽检不合格，进场验收记录不完整。" if failing else "未发现问题。"})
        if n is None or n < len(main) - 2:
            results.publish(chief, inspection.id)
        if failing:
            _notice(chief, member, inspection, n, today)


def _notice(chief, member, inspection, n: int, today: dt.date) -> None:
    rect = rectifications.issue(member, inspection.id, {
        "required_actions": "清退不合格批次，重新送检合格后方可使用；补齐进场验收记录，并提交整改报告。",
        "deadline": (today + dt.timedelta(days=15 + n)).isoformat()})
    target = next(iter(recipients_in(inspection.org_id)), None)
    if target is None or n >= 6:
        return  # two notices left open
    rectifications.respond(target, rect.id, "已清退不合格批次并重新送检合格，补齐验收记录，附整改报告。",
                           [(io.BytesIO(EVIDENCE), "整改报告.pdf")])
    if n < 3:
        rectifications.reinspect(chief, rect.id, {"outcome": "close", "note": "复查合格，整改到位。"})
    elif n == 3:
        rectifications.reinspect(chief, rect.id, {"outcome": "escalate", "note": "复查发现仍有不合格材料在用，移交执法处理。"})
