"""Search in a real browser: facet links keep state in the URL, Back restores it, suggestions appear."""
import pytest

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
