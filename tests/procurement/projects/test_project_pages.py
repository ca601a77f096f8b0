"""Server-rendered pages: register, budget, review, design, import, transitions, records."""

import io
import json

import pytest

from core.extensions import db
from procurement.budget.models import Budget
from procurement.design.models import BomLine
from procurement.projects.models import Project
from procurement.records.models import ProjectRecord
from tests.factories import login
from tests.procurement.helpers import World, make_standard, new_project, project_in_design, stock_products


@pytest.fixture
def w(app):
    make_standard()
    return World()


def test_register_project_through_the_form(client, w):
    login(client, w.purchaser)
    assert client.get("/projects/new").status_code == 200
    res = client.post("/projects/new", data={
        "name": "Library <script>alert(1)</script>", "building_type": "office", "floor_area_m2": "9,500",
        "green_star_target": "2", "people-0-role": "designer", "people-0-name": "Li Hua", "people-0-phone": "1"})
    assert res.status_code == 302
    p = db.session.execute(db.select(Project)).scalar_one()
    assert p.floor_area_m2 == 9500 and p.people[0].role == "designer"
    page = client.get(f"/projects/{p.id}").get_data(as_text=True)
    assert "&lt;script&gt;" in page and "<script>alert" not in page
    assert client.get("/projects").status_code == 200


def test_bad_area_shown_on_form(client, w):
    login(client, w.purchaser)
    res = client.post("/projects/new", data={"name": "X", "building_type": "office", "floor_area_m2": "-3",
                                             "green_star_target": "1"})
    assert res.status_code == 200
    assert "Must be at least 1" in res.get_data(as_text=True)
    assert db.session.execute(db.select(Project)).first() is None


def test_other_roles_cannot_register_and_outsiders_get_404(client, w):
    login(client, w.finance)
    assert client.get("/projects/new").status_code == 403
    p = new_project(w)
    client.post("/logout")
    other = World("qingdao")
    login(client, other.finance)
    assert client.get(f"/projects/{p.id}").status_code == 404
    assert client.get(f"/projects/{p.id}/records.json").status_code == 404


def test_budget_submit_return_resubmit_approve_pages(client, w):
    p = new_project(w)
    login(client, w.purchaser)
    data = {"total": "600,000.00", "green_share": "42.5", "funding-0-kind": "general_budget",
            "funding-0-amount": "500000", "funding-1-kind": "special_bond", "funding-1-amount": "50000"}
    res = client.post(f"/projects/{p.id}/budget", data=data)
    assert res.status_code == 200 and "exceeds the funding total" in res.get_data(as_text=True)
    data["funding-1-amount"] = "100000"
    assert client.post(f"/projects/{p.id}/budget", data=data).status_code == 302
    b = db.session.execute(db.select(Budget)).scalar_one()
    assert (b.total_fen, b.green_share_bp, b.status) == (60_000_000, 4250, "submitted")
    client.post("/logout")
    login(client, w.finance)
    page = client.get(f"/projects/{p.id}/budget").get_data(as_text=True)
    assert "Return with comments" in page
    client.post(f"/projects/{p.id}/budget/review", data={"comment": "Attach the bond letter", "send_back": "1"})
    db.session.expire_all()
    assert db.session.execute(db.select(Budget)).scalar_one().status == "returned"
    client.post("/logout")
    login(client, w.purchaser)
    assert "Attach the bond letter" in client.get(f"/projects/{p.id}/budget").get_data(as_text=True)
    assert client.post(f"/projects/{p.id}/budget", data=data).status_code == 302
    client.post("/logout")
    login(client, w.finance)
    client.post(f"/projects/{p.id}/budget/review", data={"comment": "", "approve": "1"})
    db.session.expire_all()
    assert db.session.execute(db.select(Budget)).scalar_one().status == "approved"


def test_transition_form_moves_and_refusal_is_flashed(client, w):
    p = new_project(w)
    login(client, w.purchaser)
    page = client.get(f"/projects/{p.id}").get_data(as_text=True)
    assert "Move to Design" in page
    res = client.post(f"/projects/{p.id}/transition", data={
        "t-advance-design-expected": "budget", "t-advance-design-to": "design", "t-advance-design-kind": "advance"},
        follow_redirects=True)
    text = res.get_data(as_text=True)
    assert "refused" in text and "Budget approved by the finance office" in text
    db.session.expire_all()
    assert db.session.get(Project, p.id).stage == "budget"


def test_transition_needs_csrf_when_enabled(app, client, w):
    p = new_project(w)
    login(client, w.purchaser)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        # without a token the POST is refused before anything runs
        res = client.post(f"/projects/{p.id}/transition", data={
            "t-advance-design-expected": "budget", "t-advance-design-to": "design"})
        assert res.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert db.session.execute(db.select(ProjectRecord).where(ProjectRecord.kind == "transition_refused")).first() is None


def test_design_page_add_line_loosened_limit_and_products(client, w):
    stock_products(w.city)
    p = project_in_design(w)
    login(client, w.purchaser)
    page = client.get(f"/projects/{p.id}/design").get_data(as_text=True)
    assert "Add a line" in page and "Import lines" in page
    res = client.post(f"/projects/{p.id}/design", data={
        "line-category": "wall_coatings", "line-specification": "Paint", "line-quantity": "10", "line-unit": "kg",
        "line-unit_price": "35.50", "line-green_required": "y", "line-tightenings": "voc = 120"})
    text = res.get_data(as_text=True)
    assert res.status_code == 200 and "Looser than the standard" in text and "VOC content" in text
    res = client.post(f"/projects/{p.id}/design", data={
        "line-category": "wall_coatings", "line-specification": "Paint", "line-quantity": "10", "line-unit": "kg",
        "line-unit_price": "35.50", "line-green_required": "y", "line-tightenings": "voc = 60"})
    assert res.status_code == 302
    ln = db.session.execute(db.select(BomLine)).scalar_one()
    assert ln.est_unit_price_fen == 3550 and ln.tightenings == {"voc": 60.0}
    page = client.get(f"/projects/{p.id}/design").get_data(as_text=True)
    assert "1 product<" in page and "1 products" not in page and "(tightened)" in page
    assert client.get(f"/projects/{p.id}/design/lines/1/edit").status_code == 200
    res = client.post(f"/projects/{p.id}/design/lines/1/edit", data={
        "line-category": "wall_coatings", "line-specification": "Paint B", "line-quantity": "12", "line-unit": "kg",
        "line-unit_price": "35.50", "line-green_required": "y", "line-tightenings": "voc = 60"})
    assert res.status_code == 302
    client.post(f"/projects/{p.id}/design/lines/1/delete", data={})
    assert db.session.execute(db.select(BomLine)).first() is None
    # finance sees the design page read-only
    client.post("/logout")
    login(client, w.finance)
    page = client.get(f"/projects/{p.id}/design").get_data(as_text=True)
    assert "Add a line" not in page


def test_import_csv_with_row_and_column_errors_then_good_file(client, w):
    p = project_in_design(w)
    login(client, w.purchaser)
    bad = ("category,specification,quantity,unit,unit_price,tighten.voc\n"
           "ready_mixed_concrete,C30,100,m3,460,\n"
           "wall_coatings,Paint,-5,kg,35,\n"
           "wall_coatings,Paint,5,furlong,35,120\n"
           "mystery_material,X,1,m3,abc,\n")
    res = client.post(f"/projects/{p.id}/design/import", data={"import-file": (io.BytesIO(bad.encode()), "bom.csv")},
                      content_type="multipart/form-data", follow_redirects=True)
    text = res.get_data(as_text=True)
    assert "row 3, column quantity" in text and "row 4, column unit" in text and "row 4, column tighten.voc" in text
    assert "row 5, column category" in text and "row 5, column unit_price" in text
    assert db.session.execute(db.select(BomLine)).first() is None
    good = ("类别,规格,数量,单位,单价\n"
            "ready_mixed_concrete,C30,100,方,460\n"
            "led_lighting,LED 36W,20,个,220.5\n").encode("gbk")
    res = client.post(f"/projects/{p.id}/design/import", data={"import-file": (io.BytesIO(good), "bom.csv")},
                      content_type="multipart/form-data", follow_redirects=True)
    assert "2 lines imported" in res.get_data(as_text=True)
    lines = db.session.execute(db.select(BomLine).order_by(BomLine.line_no)).scalars().all()
    assert [(ln.unit, ln.est_unit_price_fen) for ln in lines] == [("m3", 46000), ("piece", 22050)]


def test_import_xlsx_replace(client, w):
    openpyxl = pytest.importorskip("openpyxl")
    p = project_in_design(w)
    login(client, w.purchaser)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["category", "specification", "quantity", "unit", "unit_price", "green_required"])
    ws.append(["ready_mixed_concrete", "C35", 250.5, "m3", 480, "yes"])
    ws.append(["valves", "DN50", 12, "piece", 380, "no"])
    buf = io.BytesIO()
    wb.save(buf)
    for _ in range(2):  # replace twice: still two lines
        res = client.post(f"/projects/{p.id}/design/import",
                          data={"import-file": (io.BytesIO(buf.getvalue()), "bom.xlsx"), "import-replace": "y"},
                          content_type="multipart/form-data", follow_redirects=True)
        assert "2 lines imported" in res.get_data(as_text=True)
    lines = db.session.execute(db.select(BomLine).order_by(BomLine.line_no)).scalars().all()
    assert [(ln.line_no, ln.quantity_milli, ln.green_required) for ln in lines] == [(1, 250_500, True), (2, 12_000, False)]


def test_import_rejects_non_tables(client, w):
    p = project_in_design(w)
    login(client, w.purchaser)
    res = client.post(f"/projects/{p.id}/design/import",
                      data={"import-file": (io.BytesIO(b"%PDF-1.4 fake"), "bom.csv")},
                      content_type="multipart/form-data", follow_redirects=True)
    assert "cannot be imported" in res.get_data(as_text=True)
    res = client.post(f"/projects/{p.id}/design/import",
                      data={"import-file": (io.BytesIO(b"name,qty\nx,1\n"), "bom.csv")},
                      content_type="multipart/form-data", follow_redirects=True)
    text = res.get_data(as_text=True)
    assert "row 1, column name" in text and "required column is missing" in text


def test_records_pages_and_json(client, w):
    p = project_in_design(w)
    login(client, w.finance)
    page = client.get(f"/projects/{p.id}/records").get_data(as_text=True)
    assert "Record chain intact: 4 records" in page and "Budget approved by the finance office" in page
    page = client.get(f"/projects/{p.id}/records/print").get_data(as_text=True)
    assert "procurement-print.css" in page and "<nav" not in page
    css = client.get("/static/css/procurement-print.css")
    assert css.status_code == 200 and b"@media print" in css.data
    res = client.get(f"/projects/{p.id}/records.json")
    body = json.loads(res.get_data(as_text=True))
    assert res.headers["Content-Disposition"].startswith("attachment")
    assert body["chain_intact"] is True and len(body["records"]) == 4
    assert body["records"][3]["payload"]["checks"][0]["name"] == "budget_approved"


def test_pages_have_no_inline_scripts_or_styles(client, w):
    p = project_in_design(w)
    login(client, w.purchaser)
    for url in ("/projects", f"/projects/{p.id}", f"/projects/{p.id}/budget", f"/projects/{p.id}/design",
                f"/projects/{p.id}/records", f"/projects/{p.id}/records/print", f"/projects/{p.id}/edit"):
        text = client.get(url).get_data(as_text=True)
        assert " style=" not in text and "<script>" not in text, url


def test_finance_lists_budgets_awaiting_review(client, w):
    from procurement.budget.services import submit_budget
    from tests.procurement.helpers import BUDGET

    waiting = new_project(w, name="Waiting for review")
    new_project(w, name="No budget yet")
    submit_budget(w.purchaser, waiting.id, BUDGET)
    login(client, w.finance)
    page = client.get("/projects?budget=submitted").get_data(as_text=True)
    assert "Waiting for review" in page and "No budget yet" not in page
    page = client.get("/projects?budget=bogus&stage=bogus").get_data(as_text=True)
    assert "Waiting for review" in page and "No budget yet" in page


def test_register_button_follows_the_create_policy(client, w):
    login(client, w.purchaser)
    assert "Register a project" in client.get("/projects").get_data(as_text=True)
    client.post("/logout")
    login(client, w.finance)
    assert "Register a project" not in client.get("/projects").get_data(as_text=True)
