"""Project pages fit a phone-sized screen (390 CSS px wide): the page itself never scrolls
sideways; a wide table scrolls inside its own container, everything else wraps.

Measured in Chromium with a mobile viewport, on a project with a full bill of materials (long
specifications, tightened limits, several satisfying products per line), in English and Chinese.
"""
import pytest

from procurement.budget.services import submit_budget
from procurement.design import services as design_svc
from tests.factories import PASSWORD
from tests.procurement.helpers import (BUDGET, GOOD_VALUES, World, line, make_product, make_standard, new_project,
                                       project_in_design, stock_products)

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}

# The elements sticking out of the viewport outside any scrolling container, or positioned so that
# their container does not clip them (e.g. visually hidden text in a wide table): the failure message.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const inScroller = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (['auto', 'scroll', 'hidden'].includes(style.overflowX) && p !== document.body
          && p !== document.documentElement) return true;
    }
    return false;
  };
  const escapes = (el) => ['absolute', 'fixed'].includes(getComputedStyle(el).position);
  return [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > width + 0.5 && (!inScroller(el) || escapes(el)))
    .slice(0, 8)
    .map((el) => `${el.tagName.toLowerCase()}.${el.className} (right edge ${Math.round(el.getBoundingClientRect().right)})`);
}"""


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="en-GB", viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    yield page
    context.close()


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


def _sign_in(page, base, user):
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/home")


def _too_wide(page, url) -> str | None:
    page.goto(url)
    width = page.evaluate("document.scrollingElement.scrollWidth")
    if width <= PHONE["width"]:
        return None
    return f"{url}: {width} px wide; sticking out: {page.evaluate(OVERFLOW)}"


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
