"""A person signs in as each demo role in Chromium and lands on that role's home page."""
import os

import pytest

from core.demo import DEMO_LOGINS, DEMO_PASSWORD, seed_core
from core.extensions import db
from core.views import HOME_TITLES

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SCREENSHOT_DIR")


def test_each_demo_role_signs_in_and_sees_its_home(live_server, page):
    seed_core()
    db.session.commit()
    for email, _name, _org, role in DEMO_LOGINS:
        page.goto(f"{live_server}/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server}/home")
        assert page.get_by_test_id("home-title").inner_text() == HOME_TITLES[role]
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, f"home-{role}.png"), full_page=True)
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{live_server}/")


def test_wrong_password_shows_message_in_the_browser(live_server, page):
    seed_core()
    db.session.commit()
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(DEMO_LOGINS[0][0])
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().strip() == "Email or password is not correct."


def test_language_switch_to_chinese(live_server, page):
    page.goto(f"{live_server}/")
    page.get_by_role("button", name="简体中文").click()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.get_by_role("button", name="English").is_visible()
