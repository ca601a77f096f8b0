"""The main pages, rendered in Chinese over the demo data, show no English sentence of the
app's own: every message, label, status and unit a person reads is translated.

"English sentence" means a run of four or more English words in the visible text. Data that
people typed in English (firm names, product names, emails) is allowed: the demo has both
languages for names and a zh page shows the Chinese one, so what remains is the app's own text.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select, text

from core.extensions import db
from core.models import User
from tests.factories import login_as

ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z’']*(?:[ ,;:()/-]+[A-Za-z][A-Za-z’']*){3,}")
# Text that is data or a proper name rather than a sentence of the app's (standards' codes,
# the platform's name in the footer's legal line, e-mail addresses, command lines and addresses
# a reader types as they are).
ALLOWED = re.compile(r"^(GB/T|JGJ|JG/T|GB)\b|@|^Bootstrap|^OpenAPI|^JSON|^CSV|^XLSX|^UTF|^flask |^https?://")


class _VisibleText(HTMLParser):
    """Visible text of a page: no script/style, no attribute values (alt and title included,
    which are checked separately)."""

    def __init__(self):
        super().__init__()
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "code", "pre"):
            self.skip += 1
        for name, value in attrs:
            if name in ("alt", "title", "aria-label", "placeholder") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code", "pre") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def english_sentences(html: str) -> list[str]:
    """Runs of four or more English words a reader would see."""
    parser = _VisibleText()
    parser.feed(html)
    found = []
    for part in parser.parts:
        for match in ENGLISH_RUN.finditer(part):
            text = match.group(0).strip(" ,;:()/-")
            if text and not ALLOWED.search(text):
                found.append(text)
    return found


def test_the_detector_finds_english_and_ignores_chinese():
    html = "<p>采购项目</p><p>Nothing to review yet today.</p><script>var a = 'one two three four'</script>"
    assert english_sentences(html) == ["Nothing to review yet today"]


@pytest.fixture
def demo(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    return app


def _user(email):
    return db.session.execute(select(User).filter_by(email=email)).scalar_one()


def _pages(client):
    """(who, url) pairs for the pages people use most."""
    # Plain SQL: the table names are stable while the packages' modules move.
    product_id = db.session.execute(text("SELECT id FROM products WHERE status = 'listed' ORDER BY id LIMIT 1")).scalar()
    project_ids = db.session.execute(text("SELECT id FROM projects ORDER BY id")).scalars().all()
    pages = [(None, "/"), (None, "/login"), (None, "/register"), (None, "/search"), (None, "/search?q=%E4%BF%9D%E6%B8%A9"),
             (None, "/categories"), (None, "/standards"), (None, f"/products/{product_id}")]
    for email in ("supplier@demo.gbm.cn", "purchaser@demo.gbm.cn", "centre@demo.gbm.cn", "finance@demo.gbm.cn",
                  "inspector@demo.gbm.cn", "admin@demo.gbm.cn", "reviewer@demo.gbm.cn"):
        pages.append((email, "/home"))
        pages.append((email, "/account"))
    pages += [("supplier@demo.gbm.cn", "/supplier/products"), ("supplier@demo.gbm.cn", "/supplier/products/new"),
              ("reviewer@demo.gbm.cn", "/review/products"), ("admin@demo.gbm.cn", "/platform/suppliers")]
    for project_id in project_ids:  # every demo project is seen by the platform administrator
        for suffix in ("", "/budget", "/design", "/records"):
            pages.append(("admin@demo.gbm.cn", f"/projects/{project_id}{suffix}"))
    pages += [("purchaser@demo.gbm.cn", "/projects"), ("finance@demo.gbm.cn", "/projects")]
    return pages


def test_main_pages_in_chinese_have_no_english_sentences(demo, client):
    client.post("/language", data={"lang": "zh_Hans"})
    problems = []
    for email, url in _pages(client):
        if email:
            login_as(client, _user(email))
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, (email, url, response.status_code)
        for sentence in english_sentences(response.get_data(as_text=True)):
            problems.append(f"{url} ({email or 'public'}): {sentence}")
    assert not problems, f"{len(problems)} English sentences on Chinese pages:\n" + "\n".join(sorted(set(problems))[:80])
