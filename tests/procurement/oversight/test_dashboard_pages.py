"""Dashboard pages, charts and downloads: who sees which city, bad periods, the SVG's
accessibility and CSP, and downloads that carry the table's numbers."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import openpyxl
import pytest

from procurement.oversight import refresh, targets
from tests.factories import api_token, auth_header, login_as
from tests.procurement.helpers import World
from tests.procurement.oversight.builders import (
    agreement,
    at,
    award,
    make_tender,
    order,
    platform_admin,
    project,
    world,
)


@pytest.fixture
def data():
    w = world()
    p = project(w, __import__("datetime").date(2026, 1, 10))
    t = make_tender(w, published_at=at(2026, 1, 2), bid_deadline_at=at(2026, 1, 25))
    won = award(t, t.lots[0], total_fen=4_000_000, notice_at=at(2026, 2, 10))
    order(agreement(w, t, t.lots[0], won), p, total_fen=123_456, placed_at=at(2026, 1, 15))
    admin = platform_admin()
    targets.set_target(admin, {"city": "nanjing", "year": 2026, "green_amount_fen": 1_200_000, "coverage_bp": 8000,
                               "green_share_bp": 6000, "batch_share_bp": 3000, "prefab_share_bp": 2500})
    refresh.refresh_now(admin)
    return w, admin


Q = "from=2026-01&to=2026-06"


def test_platform_sees_all_cities_and_finance_only_its_own(client, data):
    w, admin = data
    login_as(client, admin)
    page = client.get(f"/oversight/?{Q}")
    assert page.status_code == 200 and "Nanjing" in page.get_data(as_text=True)
    login_as(client, w.finance)
    assert client.get(f"/oversight/?{Q}").status_code == 200            # its own city by default
    other = World("hangzhou")
    login_as(client, other.finance)
    assert client.get(f"/oversight/?city=nanjing&{Q}").status_code == 403
    assert client.get(f"/oversight/charts/progress.svg?city=nanjing&{Q}").status_code == 403
    login_as(client, w.purchaser)
    assert client.get("/oversight/").status_code == 403


@pytest.mark.parametrize("query", ["from=1926-01&to=2026-01", "from=2026-13&to=2026-12", "from=2026-05&to=2026-01",
                                   "to=abc"])
def test_bad_periods_are_clear_errors(client, data, query):
    _w, admin = data
    login_as(client, admin)
    page = client.get(f"/oversight/?{query}")
    assert page.status_code == 400 and "alert-danger" in page.get_data(as_text=True)
    answer = client.get(f"/api/v1/oversight/dashboard?{query}", headers=auth_header(api_token(admin)))
    assert answer.status_code == 400 and answer.get_json()["error"]["fields"]
    assert client.get(f"/oversight/charts/progress.csv?{query}").status_code == 400


def test_unknown_city_is_404(client, data):
    _w, admin = data
    login_as(client, admin)
    assert client.get("/oversight/?city=atlantis").status_code == 404
    assert client.get("/api/v1/oversight/dashboard?city=atlantis", headers=auth_header(api_token(admin))).status_code == 404


def test_svg_is_accessible_and_script_free(client, data):
    _w, admin = data
    login_as(client, admin)
    answer = client.get(f"/oversight/charts/progress.svg?city=nanjing&{Q}")
    assert answer.mimetype == "image/svg+xml"
    assert "script-src" not in answer.headers["Content-Security-Policy"]
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["Content-Security-Policy"].endswith("; sandbox")   # opened directly: no origin, no script
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    root = ET.fromstring(answer.data)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img"
    assert root.find(f"{ns}title") is not None and "1,235" in root.find(f"{ns}desc").text
    assert not list(root.iter(f"{ns}script")) and b"<script" not in answer.data


def test_page_has_table_next_to_each_chart_and_no_inline_script(client, data):
    _w, admin = data
    login_as(client, admin)
    html = client.get(f"/oversight/?city=nanjing&{Q}").get_data(as_text=True)
    for key in ("progress", "savings", "inspections", "shares", "cities", "carbon", "carbon_cities"):
        assert f"/oversight/charts/{key}.svg" in html and f"/oversight/charts/{key}.csv" in html
    assert "<script" not in html and "style=" not in html
    assert "¥1,234.56" in html                                  # January's orders in the progress table


def test_downloads_carry_the_figures(client, data):
    _w, admin = data
    login_as(client, admin)
    text = client.get(f"/oversight/charts/progress.csv?city=nanjing&{Q}").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][:3] == ["2026-01", "1234.56", "1000.00"]
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/oversight/charts/savings.xlsx?city=nanjing&{Q}").data))
    sheet = book.active
    values = {r[0]: r[1:] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["2026-02"] == (50000.0, 40000.0, 10000.0)


def test_chinese_dashboard(client, data):
    _w, admin = data
    login_as(client, admin)
    with client.session_transaction() as session:
        session["locale"] = "zh_Hans"
    html = client.get(f"/oversight/?city=nanjing&{Q}").get_data(as_text=True)
    assert "监督看板" in html and "按月分摊目标线" in html and "Pro-rata target line" not in html
