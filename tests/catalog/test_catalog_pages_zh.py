"""Catalog pages in Chinese over the demo data: no English sentence of the app's own (compliance
reasons, limits, climate zones, kinds, statuses, suspension reasons, import and editor texts)."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text

from core.extensions import db
from core.models import User
from tests.core.test_chinese_pages import english_sentences
from tests.factories import login_as


@pytest.fixture
def demo(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    return app


def _ids(sql):
    return db.session.execute(text(sql)).scalars().all()


def test_catalog_pages_in_chinese_have_no_english_sentences(demo, client):
    client.post("/language", data={"lang": "zh_Hans"})
    public = _ids("SELECT id FROM products WHERE status = 'listed' ORDER BY id")[:60:6]
    public += _ids("SELECT id FROM products WHERE status = 'suspended' ORDER BY id LIMIT 3")
    own = _ids("SELECT p.id FROM products p JOIN users u ON u.organisation_id = p.supplier_id "
               "WHERE u.email = 'supplier@demo.gbm.cn' ORDER BY p.id LIMIT 6")
    pages = [(None, "/categories"), (None, "/standards"), (None, "/standards/2025/categories/windows_doors"),
             (None, "/standards/2022/categories/windows_doors")]
    pages += [(None, f"/products/{pid}") for pid in public]
    pages += [("supplier@demo.gbm.cn", url) for url in ("/supplier/products", "/supplier/products/new",
                                                        "/supplier/imports/new")]
    pages += [("supplier@demo.gbm.cn", f"/supplier/products/{pid}/edit") for pid in own]
    pages += [("reviewer@demo.gbm.cn", "/review/products"), ("admin@demo.gbm.cn", "/categories")]
    problems = []
    for email, url in pages:
        if email:
            login_as(client, db.session.execute(select(User).filter_by(email=email)).scalar_one())
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, (email, url, response.status_code)
        problems += [f"{url}: {s}" for s in english_sentences(response.get_data(as_text=True))]
    assert not problems, "\n".join(sorted(set(problems))[:60])
