"""Live server + Chromium (Debian's, driven by Playwright) for browser tests."""
import os
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing (install Debian's chromium package)")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    yield page
    context.close()


# ----------------------------------------------------------------- phone-sized screens

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
    """A 390 px wide mobile page (English; set Accept-Language for Chinese)."""
    context = browser.new_context(locale="en-GB", viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def too_wide(page, url) -> str | None:
    """None when `url` fits the phone viewport, else what sticks out."""
    page.goto(url)
    width = page.evaluate("document.scrollingElement.scrollWidth")
    if width <= PHONE["width"]:
        return None
    return f"{url}: {width} px wide; sticking out: {page.evaluate(OVERFLOW)}"


def sign_in(page, base, user, password=None):
    """Sign `user` in through the login form and wait for their home page."""
    from tests.factories import PASSWORD

    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password or PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/home")
