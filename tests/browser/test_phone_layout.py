"""Project pages fit a phone-sized screen (390 CSS px wide): the page itself never scrolls
sideways; a wide table scrolls inside its own container, everything else wraps.

Measured in Chromium with a mobile viewport, on a project with a full bill of materials (long
specifications, tightened limits, several satisfying products per line), in English and Chinese.
"""
import pytest

from procurement.budget.services import submit_budget
from procurement.design import services as design_svc
from tests.browser.conftest import PHONE, sign_in as _sign_in, too_wide as _too_wide
from tests.procurement.helpers import (BUDGET, GOOD_VALUES, World, line, make_product, make_standard, new_project,
                                       project_in_design, stock_products)

pytestmark = pytest.mark.browser
@pytest.fixture
def projects(app):
    """A project in design with a long bill, one with a budget to review, one to submit a budget for."""
    make_standard()
    w = World()
    stock_products(w.city)
    for code, values in GOOD_VALUES.items():  # several offers per line
        for price in (12_345_678, 98_765):
            make_product(w.city, code, values, price_fen=price)
    p = project_in_design(w, name="Nanjing No. 3 Primary School teaching building and gymnasium extension")
    for code in GOOD_VALUES:
        design_svc.add_line(w.purchaser, p.id, line(
            code, specification="Specification-with-a-very-long-unbroken-model-number-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            quantity="123456789.125", est_unit_price_fen=9_999_999_999))
    design_svc.update_line(w.purchaser, p.id, 2, {"tightenings": {"voc": 60}})
    review = new_project(w, name="Project with a budget to review")
    submit_budget(w.purchaser, review.id, BUDGET)
    fresh = new_project(w, name="Project without a budget")
    return w, p, review, fresh


def test_project_pages_fit_a_phone(live_server, phone, projects):
    w, p, review, fresh = projects
    pages = {w.purchaser: ["/projects", f"/projects/{p.id}", f"/projects/{p.id}/design", f"/projects/{p.id}/budget",
                           f"/projects/{p.id}/records", f"/projects/{p.id}/design/lines/2/edit",
                           f"/projects/{fresh.id}/budget", f"/projects/{fresh.id}"],
             w.finance: [f"/projects/{review.id}/budget", f"/projects/{p.id}/design"]}
    problems = []
    for user, urls in pages.items():
        _sign_in(phone, live_server, user)
        for language in ("English", "简体中文"):
            for url in urls:
                problems.append(_too_wide(phone, live_server + url))
            switch = phone.get_by_role("button", name="简体中文" if language == "English" else "English")
            switch.click()
        phone.get_by_role("button", name="Sign out").or_(phone.get_by_role("button", name="退出登录")).click()
    problems = [x for x in problems if x]
    assert not problems, "\n".join(problems)


def test_wide_bill_scrolls_inside_its_container(live_server, phone, projects):
    w, p, _review, _fresh = projects
    _sign_in(phone, live_server, w.purchaser)
    phone.goto(f"{live_server}/projects/{p.id}/design")
    container = phone.locator(".table-responsive").first
    assert container.evaluate("el => el.scrollWidth > el.clientWidth")  # the table scrolls, the page does not
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
