"""The clarification, amendment and follow pages in Chinese: no English sentence of the app's own
(labels, statuses, the diff, the deadline move, refusals)."""

from __future__ import annotations

import datetime as dt

import pytest

import procurement.models  # noqa: F401  (every table mapped before the app configures the mappers)
from core.extensions import db
from core.timeutil import utcnow
from procurement.tendering import amendments, clarifications, follows
from tests.core.test_chinese_pages import demo, english_sentences  # noqa: F401  (demo: the fixture)
from tests.factories import login_as
from tests.procurement.helpers import World, make_standard
from tests.procurement.tendering.test_clarifications import supplier
from tests.procurement.tendering_helpers import make_tender


@pytest.fixture
def scene(app):
    make_standard()
    w = World()
    now = utcnow()
    tender = make_tender(w, lots=2)
    late = make_tender(w, bid_deadline_at=now + dt.timedelta(days=5))  # after the cut-off
    for t, title in ((tender, "预拌混凝土集中采购"), (late, "墙面涂料集中采购")):
        t.title = title
        for lot in t.lots:
            lot.title = f"第{lot.number}包"
    db.session.commit()
    asker = supplier("绿建材料有限公司")
    q1 = clarifications.ask(asker, tender.id, "C35 混凝土是否符合第一包的要求？", lot_id=tender.lots[0].id)
    clarifications.ask(asker, tender.id, "交货地点在哪里？")
    clarifications.answer(w.centre, q1.id, "符合要求。")
    clarifications.ask(asker, late.id, "检测报告需要哪一年的？", now=late.clarification_cutoff_at - dt.timedelta(hours=1))
    clarifications.flag_unanswered(late.id, late.clarification_cutoff_at)
    db.session.commit()
    amendments.amend(w.centre, tender.id, {"description": "分两批交货。", "lots": [
        {"number": 1, "quantity_milli": 120_000, "ceiling_fen": 4_000_000, "bond_fen": 80_000}],
        "bid_deadline_at": (tender.bid_deadline_at + dt.timedelta(days=2)).isoformat()}, "现场复核后数量有所变化。")
    amendments.amend(w.centre, late.id, {"description": "更正说明。"}, "补充交货要求与时间的说明。")
    follows.follow(asker, tender.id)
    follows.follow(w.centre, late.id)
    return w, tender, late, asker


def test_the_pages_read_in_chinese(scene, client):
    w, tender, late, asker = scene
    client.post("/language", data={"lang": "zh_Hans"})
    pages = {None: [f"/tenders/{tender.id}/questions", f"/tenders/{tender.id}/amendments",
                    f"/tenders/{late.id}/questions"],
             asker: [f"/tenders/{tender.id}/questions", f"/tenders/{late.id}/questions", "/tenders/following",
                     f"/tenders/{late.id}/amendments"],
             w.centre: [f"/tenders/{tender.id}/questions", f"/tenders/{late.id}/questions", f"/tenders/{tender.id}/amend",
                        f"/tenders/{late.id}/amend", "/tenders/questions/unanswered", "/tenders/following"],
             w.finance: [f"/tenders/{tender.id}/questions", "/tenders/following"]}
    problems = []
    for person, urls in pages.items():
        if person is not None:
            login_as(client, person)
        for url in urls:
            res = client.get(url)
            assert res.status_code == 200, (url, res.status_code)
            problems += [f"{url}: {s}" for s in english_sentences(res.get_data(as_text=True))]
    assert not problems, "\n".join(sorted(set(problems)))
    login_as(client, w.centre)
    page = client.get(f"/tenders/{tender.id}/amendments").get_data(as_text=True)
    assert "更正 1" in page and "¥40,000.00" in page and "120 立方米" in page or "120 m³" in page


def test_refusals_and_the_preview_read_in_chinese(scene, client):
    w, _tender, late, asker = scene
    client.post("/language", data={"lang": "zh_Hans"})
    login_as(client, asker)
    res = client.post(f"/tenders/{late.id}/questions", data={"text": "还能提问吗？还能提问吗？"})
    assert res.status_code == 409
    text = res.get_data(as_text=True)
    assert "停止接受提问" in text and not english_sentences(text)
    login_as(client, w.centre)
    local = late.bid_deadline_at + dt.timedelta(hours=8)
    form = {"title": late.title, "description": "更正说明。", "deadline_date": local.strftime("%Y-%m-%d"),
            "deadline_time": local.strftime("%H:%M"), "lots-0-number": "1", "lots-0-quantity": "90",
            "lots-0-ceiling": "50000.00", "lots-0-bond": "1000.00", "rationale": "数量调整，理由充分说明。"}
    preview = client.post(f"/tenders/{late.id}/amend", data={**form, "preview": "1"})
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "更正预览" in text and "顺延" in text
    assert not english_sentences(text)
    bad = client.post(f"/tenders/{late.id}/amend", data={**form, "lots-0-bond": "5000", "confirm": "1"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "投标保证金最多为" in text and not english_sentences(text)


def test_the_demo_questions_and_amendment_read_in_chinese(demo, client):  # noqa: F811
    from sqlalchemy import select

    from procurement.tendering.models import Question, Tender
    from tests.core.test_chinese_pages import _user

    tender_id = db.session.execute(select(Question.tender_id).limit(1)).scalar_one()
    tender = db.session.get(Tender, tender_id)
    assert tender.amendment_count == 1
    client.post("/language", data={"lang": "zh_Hans"})
    problems = []
    for email in (None, "supplier@demo.gbm.cn", "centre@demo.gbm.cn", "finance@demo.gbm.cn"):
        if email:
            login_as(client, _user(email))
        for url in (f"/tenders/{tender_id}", f"/tenders/{tender_id}/questions", f"/tenders/{tender_id}/amendments",
                    "/tenders/following", "/tenders/questions/unanswered", "/notifications"):
            res = client.get(url, follow_redirects=True)
            if res.status_code == 403:
                continue
            assert res.status_code == 200, (email, url, res.status_code)
            problems += [f"{url} ({email}): {s}" for s in english_sentences(res.get_data(as_text=True))]
    assert not problems, "\n".join(sorted(set(problems)))
