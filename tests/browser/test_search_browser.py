"""Search in a real browser: facet links keep state in the URL, Back restores it, suggestions appear."""
import pytest

from tests.browser.conftest import too_wide as _too_wide
from tests.catalog.search.conftest import catalog, search_env  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_facets_back_button_and_suggestions(live_server, page, catalog):  # noqa: F811
    page.goto(f"{live_server}/search")
    def count():
        return page.get_by_test_id("result-count").inner_text().split("(")[0].strip()

    total = count()
    page.locator('[data-facet="category"] a').first.click()
    page.wait_for_url("**/search?category=*")
    assert page.get_by_test_id("active-filters").is_visible()
    narrowed = count()
    page.go_back()
    page.wait_for_url(f"{live_server}/search")
    assert count() == total and narrowed != total
    assert page.get_by_test_id("active-filters").count() == 0

    page.fill("#q", "防水")
    page.locator("#q-suggestions option").first.wait_for(state="attached", timeout=5000)
    options = page.locator("#q-suggestions option").evaluate_all("els => els.map(e => e.value)")
    assert options and all("waterproof" in o.lower() or "防水" in o for o in options)
    page.press("#q", "Enter")
    page.wait_for_url("**/search?q=*")
    assert page.locator("mark").count() > 0



def test_phone_shows_results_before_filters_and_nothing_overflows(live_server, phone, catalog):  # noqa: F811
    from catalog.models import Product
    from catalog.search import service
    from catalog.search.query import SearchRequest
    from core.extensions import db

    # a visible product with long unbroken words, as suppliers type them
    p = db.session.get(Product, service.search(SearchRequest()).hits[0].product_id)
    p.name_en = "Thermal-insulation-board-with-an-extremely-long-unbroken-model-designation-XPS-B1-2000x1200x100mm"
    p.name_zh = "超长型号无空格挤塑聚苯乙烯保温板XPSB1级二千乘一千二百乘一百毫米外墙外保温系统专用型号ABCDEFGHIJ"
    p.sku = "SKU-" + "X" * 60
    db.session.commit()

    problems = []
    for url in (f"{live_server}/search?per_page=50", f"{live_server}/search?q=board&city=nanjing&city=foshan",
                f"{live_server}/search?q=Thermal-insulation-board*"):
        phone.goto(url)
        results = phone.get_by_test_id("results").bounding_box()
        filters = phone.get_by_test_id("facets").bounding_box()
        assert results["y"] < filters["y"], f"{url}: filters come before the results"
        problems.append(_too_wide(phone, url))
    problems.append(_too_wide(phone, f"{live_server}/search?q=extremely"))
    assert phone.locator("mark").count() > 0
    # ticking more than four and comparing keeps the ticks and says the limit, also on a phone
    phone.goto(f"{live_server}/search?per_page=10")
    boxes = phone.locator('[data-testid="compare-form"] input[name="compare"][type="checkbox"]')
    for i in range(5):
        boxes.nth(i).check()
    phone.get_by_test_id("compare-button").click()
    phone.wait_for_url("**/search/compare?*")
    assert phone.get_by_test_id("compare-limit").is_visible()
    problems.append(_too_wide(phone, phone.url))
    phone.get_by_role("link", name="Back to search results").click()
    phone.wait_for_url("**/search?*")
    assert phone.locator('[data-testid="compare-form"] input[name="compare"]:checked').count() == 5
    problems.append(_too_wide(phone, phone.url))
    # paging carries the ticks (no JavaScript involved: the page buttons submit the form)
    phone.get_by_test_id("page-next").click()
    phone.wait_for_url("**page=2*")
    assert phone.get_by_test_id("ticked-count").inner_text().startswith("5 products ticked")
    assert [x for x in problems if x] == []


def test_desktop_keeps_filters_on_the_left(live_server, page, catalog):  # noqa: F811
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/search")
    results = page.get_by_test_id("results").bounding_box()
    filters = page.get_by_test_id("facets").bounding_box()
    assert filters["x"] < results["x"] and abs(filters["y"] - results["y"]) < 5
