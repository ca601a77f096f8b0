"""What waits for city officials on their home page (issue 9, #21): a finance office sees its
city's budgets waiting for review, a procurement centre its city's projects in procurement, each
with a count (one query) and a link to the filtered project list."""

import re

import pytest
from sqlalchemy import event

from core import worklists
from core.extensions import db
from procurement.budget.services import approve_budget, submit_budget
from procurement.machine.services import request_transition
from procurement.design import services as design_svc
from procurement.worklists import budgets_to_review, projects_in_procurement
from tests.factories import login_as
from tests.procurement.helpers import BUDGET, World, line, make_standard, new_project, project_in_design, stock_products


def _count(html, label):
    match = re.search(re.escape(label) + r'</a>\s*<span class="badge[^"]*">(\d+)</span>', html)
    return int(match.group(1)) if match else 0


@pytest.fixture
def cities(app):
    make_standard()
    nanjing, qingdao = World("nanjing"), World("qingdao")
    for _ in range(2):  # two budgets waiting in Nanjing
        submit_budget(nanjing.purchaser, new_project(nanjing).id, BUDGET)
    approved = new_project(nanjing)  # reviewed already: not waiting
    submit_budget(nanjing.purchaser, approved.id, BUDGET)
    approve_budget(nanjing.finance, approved.id, "ok")
    new_project(nanjing)  # no budget yet
    submit_budget(qingdao.purchaser, new_project(qingdao).id, BUDGET)  # another city's
    stock_products(nanjing.city, ["ready_mixed_concrete"])
    for _ in range(3):  # three Nanjing projects in procurement
        p = project_in_design(nanjing)
        design_svc.add_line(nanjing.purchaser, p.id, line())
        request_transition(nanjing.purchaser, p.id, to_stage="procurement", expected_stage="design")
    return nanjing, qingdao


BUDGETS, IN_PROCUREMENT = "Budgets waiting for your review", "Projects of your city in procurement"


@pytest.mark.parametrize("role,label,other,filtered,counts", [
    ("finance", BUDGETS, IN_PROCUREMENT, "/projects?stage=budget&budget=submitted", (2, 1)),
    ("centre", IN_PROCUREMENT, BUDGETS, "/projects?stage=procurement", (3, 0)),
])
def test_city_officials_see_what_waits_in_their_city(client, cities, role, label, other, filtered, counts):
    """Finance offices: budgets to review; procurement centres: projects in procurement. Each
    counts its own city only; an entry with nothing in it is not shown."""
    nanjing, qingdao = cities
    login_as(client, getattr(nanjing, role))
    html = client.get("/home").get_data(as_text=True)
    assert _count(html, label) == counts[0] and other not in html
    assert f'href="{filtered.replace("&", "&amp;")}"' in html
    assert f"Public construction projects you may see ({counts[0]})." in client.get(filtered).get_data(as_text=True)
    login_as(client, getattr(qingdao, role))
    assert _count(client.get("/home").get_data(as_text=True), label) == counts[1]


def test_home_page_in_chinese(client, cities):
    nanjing, _ = cities
    login_as(client, nanjing.finance)
    client.post("/language", data={"lang": "zh_Hans"})
    assert _count(client.get("/home").get_data(as_text=True), "待您审核的预算") == 2


def test_others_see_neither(client, cities):
    nanjing, _ = cities
    for user in (nanjing.purchaser, nanjing.inspector):
        assert [i.label for i in worklists.items_for(user) if "review" in str(i.label) or "procurement" in str(i.label)] == []


def test_each_count_is_one_query(app, cities):
    nanjing, _ = cities
    statements = []

    def count(*args):
        statements.append(args[2])

    for user, provider in ((nanjing.finance, budgets_to_review), (nanjing.centre, projects_in_procurement)):
        user = db.session.get(type(user), user.id)
        assert user.organisation.city_id  # the signed-in user and their organisation come with the session
        with app.test_request_context():
            event.listen(db.engine, "before_cursor_execute", count)
            try:
                items = provider(user)
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
        assert [i.count for i in items] == [2 if provider is budgets_to_review else 3]
        assert len(statements) == 1, statements
        statements.clear()
