"""Pooling pages: the centre opens, reads, closes and cancels rounds; purchasers tick their
projects' uncovered lines and contribute them, then withdraw one; navigation, worklists, roles
and cities; the pages in Chinese."""

import datetime as dt
import re

import pytest

from core.extensions import db
from core.timeutil import CHINA
from procurement.pooling.models import PooledLine, PoolingRound
from tests.core.test_chinese_pages import english_sentences
from tests.factories import login_as
from tests.procurement.helpers import World, line
from tests.procurement.pooling.helpers import bill_line, contribute, open_round, past_closing
from tests.procurement.tendering_helpers import procurement_world


@pytest.fixture
def world(app):
    w, projects = procurement_world(2, line(), line("wall_coatings", specification="Interior paint",
                                                    tightenings={"voc": 60}))
    w.projects = projects
    return w


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def test_centre_opens_a_round_through_the_form(client, world):
    login_as(client, world.centre)
    home = page(client, "/home")
    assert 'href="/pooling"' in home and ">Pooling<" in home
    assert "Open a pooling round" in page(client, "/pooling")
    form = page(client, "/pooling/new")
    concrete = re.search(r'value="(\d+)"[^>]*>\s*<label[^>]*>Ready Mixed Concrete', form)
    assert concrete, "the categories are checkboxes"
    closes = (dt.datetime.now(CHINA) + dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/pooling/new", data={"title": "Concrete batch", "description": "",
                                                  "categories": [concrete.group(1)], "closes_at": closes})
    assert response.status_code == 302
    r = db.session.execute(db.select(PoolingRound)).scalar_one()
    assert response.headers["Location"].endswith(f"/pooling/{r.id}")
    assert [c.code for c in r.categories] == ["ready_mixed_concrete"]
    assert r.closes_at.astimezone(CHINA).strftime("%Y-%m-%dT%H:%M") == closes
    text = page(client, f"/pooling/{r.id}")
    assert r.reference in text and "Collecting lines" in text and "Close the round" in text


def test_the_form_shows_what_is_wrong(client, world):
    login_as(client, world.centre)
    past = (dt.datetime.now(CHINA) - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/pooling/new", data={"title": "Concrete batch", "closes_at": past})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Choose at least one category." in text and "at least 10 minutes from now" in text
    assert db.session.execute(db.select(db.func.count(PoolingRound.id))).scalar() == 0


def test_purchaser_contributes_ticked_lines_and_withdraws_one(client, world):
    r = open_round(world, "ready_mixed_concrete", "wall_coatings")
    p = world.projects[0]
    login_as(client, world.purchaser)
    home = page(client, "/home")
    assert "Open pooling rounds for your projects" in home
    text = page(client, f"/pooling/{r.id}")
    assert "Contribute your lines" in text and p.code in text
    concrete, coatings = bill_line(p, 1), bill_line(p, 2)
    assert f'value="{concrete.id}"' in text and f'value="{coatings.id}"' in text
    response = client.post(f"/pooling/{r.id}/contribute", data={
        f"p{p.id}-project_id": str(p.id), f"p{p.id}-lines": [str(concrete.id), str(coatings.id)]})
    assert response.status_code == 302
    lines = db.session.execute(db.select(PooledLine).order_by(PooledLine.id)).scalars().all()
    assert [(ln.bom_line_id, ln.status) for ln in lines] == [(concrete.id, "contributed"), (coatings.id, "contributed")]
    text = page(client, f"/pooling/{r.id}")
    assert "Your pooled lines" in text and "Withdraw line 1" in text
    assert "Contributed lines by project" not in text  # other projects' lines are the centre's view
    response = client.post(f"/pooling/{r.id}/lines/{lines[0].id}/withdraw", follow_redirects=True)
    assert "The line was withdrawn from the round." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PooledLine, lines[0].id).status == "withdrawn"


def test_a_refused_contribution_is_flashed(client, world):
    r = open_round(world)
    p = world.projects[0]
    login_as(client, world.purchaser)
    past_closing(r)
    response = client.post(f"/pooling/{r.id}/contribute", follow_redirects=True, data={
        f"p{p.id}-project_id": str(p.id), f"p{p.id}-lines": [str(bill_line(p).id)]})
    text = response.get_data(as_text=True)
    assert "takes no more lines" in text and "Contribute your lines" not in text
    assert db.session.execute(db.select(db.func.count(PooledLine.id))).scalar() == 0


def test_centre_sees_lines_by_project_proposed_lots_and_closes_then_cancels(client, world):
    r = open_round(world, "ready_mixed_concrete", "wall_coatings")
    for p in world.projects:
        contribute(world, r, p, 1, 2)
    login_as(client, world.centre)
    text = page(client, f"/pooling/{r.id}")
    assert "Contributed lines by project" in text and "Proposed lots" in text
    for p in world.projects:
        assert p.code in text
    assert "VOC content ≤ 60 g/L" in text  # the tightened line sets the lot's requirement
    assert "¥100,000.00" in text  # the concrete lot's ceiling: two lines of ¥50,000
    response = client.post(f"/pooling/{r.id}/close", follow_redirects=True)
    assert "The round is closed" in response.get_data(as_text=True)
    assert "Pooling rounds ready to tender" in page(client, "/home")
    response = client.post(f"/pooling/{r.id}/cancel", data={"reason": "Demand changed."}, follow_redirects=True)
    assert "The round is cancelled" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PoolingRound, r.id).status == "cancelled"


def test_roles_and_cities(client, world):
    r = open_round(world)
    login_as(client, world.purchaser)
    page(client, "/pooling/new", 403)
    assert client.post(f"/pooling/{r.id}/close").status_code == 403
    login_as(client, world.centre)
    assert client.post(f"/pooling/{r.id}/contribute", data={}).status_code == 403
    other = World("qingdao")
    login_as(client, other.centre)
    page(client, f"/pooling/{r.id}", 404)
    assert r.reference not in page(client, "/pooling")
    assert client.post(f"/pooling/{r.id}/close").status_code == 404
    login_as(client, other.purchaser)
    page(client, f"/pooling/{r.id}", 404)
    from core import roles as R
    from tests.factories import make_role_user

    login_as(client, make_role_user(R.PLATFORM_ADMIN))  # platform staff read every round, change nothing
    assert r.reference in page(client, f"/pooling/{r.id}") and "Close the round" not in page(client, f"/pooling/{r.id}")
    anonymous = client.application.test_client().get("/pooling")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_a_round_past_its_time_shows_closed_on_read(client, world):
    r = open_round(world)
    past_closing(r)
    login_as(client, world.centre)
    text = page(client, f"/pooling/{r.id}")
    assert "Collecting lines" not in text and "Close the round now" not in text
    db.session.expire_all()
    assert "Closed" in page(client, "/pooling?status=closed") and r.reference in page(client, "/pooling?status=closed")
    assert r.reference not in page(client, "/pooling?status=open")


def test_pooling_pages_in_chinese(client, world):
    r = open_round(world, "ready_mixed_concrete", "wall_coatings")
    contribute(world, r, world.projects[0], 1, 2)
    client.post("/language", data={"lang": "zh_Hans"})
    problems = []
    for user, urls in ((world.centre, ["/home", "/pooling", "/pooling/new", f"/pooling/{r.id}"]),
                       (world.purchaser, ["/home", "/pooling", f"/pooling/{r.id}",
                                          f"/projects/{world.projects[0].id}/records"])):
        login_as(client, user)
        for url in urls:
            problems += [f"{url}: {s}" for s in english_sentences(page(client, url))]
    assert not problems, "\n".join(problems)
    login_as(client, world.centre)
    text = page(client, f"/pooling/{r.id}")
    assert "建议的标段划分" in text and "征集中" in text
    login_as(client, world.purchaser)
    records = page(client, f"/projects/{world.projects[0].id}/records")
    assert "清单行已提交需求归集" in records and "需求归集轮次 " + r.reference in records
