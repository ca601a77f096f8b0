"""The loop-closure report's figures against hand-computed ones, its page, its PDF and its API."""

from __future__ import annotations

import pytest

from core import checkpoints
from core.extensions import db
from procurement.acceptance import checklist, payments
from procurement.acceptance.report import ceiling_for, closure_report, share_bp
from procurement.machine.services import request_transition
from tests.factories import api_token, auth_header, login
from tests.procurement.deliveries.helpers import declare_carbon, deliver, deliver_all, site
from tests.procurement.helpers import line, make_product

LINES = (line(quantity="100", est_unit_price_fen=50_000),                       # mandatory, 100 m3
         line("led_lighting", quantity="20", unit="piece", est_unit_price_fen=50_000))  # optional, 20 pieces


def _closed_site():
    s = site(*LINES, unit_price_fen=40_000, ceiling_unit_fen=50_000, retention_bp=500, lot_quantity_milli=200_000)
    concrete = s.products[s.lines[0].bom_line_id]
    declare_carbon(concrete, 300.0, "1 m3")
    for gwp in (200.0, 260.0, 500.0):  # the city's other listed concrete: median of 200, 260, 300, 500 = 280
        peer = make_product(s.world.city, "ready_mixed_concrete", {"radionuclide_ira": (0.4, "")})
        declare_carbon(peer, gwp, "m3")
    deliver_all(s)
    request_transition(s.world.purchaser, s.project.id, to_stage="acceptance", expected_stage="construction")
    checklist.generate(s.world.inspector, s.project.id)
    checklist.sign_off(s.world.inspector, s.project.id, "ok")
    payments.record_payment(s.world.purchaser, s.orders[0].id, {"amount_fen": 4_000_000, "reference": "B-1",
                                                                "paid_on": "2026-11-30"})
    payments.record_payment(s.world.purchaser, s.orders[1].id, {"amount_fen": 800_000, "reference": "B-2",
                                                                "paid_on": "2026-11-30"})
    request_transition(s.world.purchaser, s.project.id, to_stage="closed", expected_stage="acceptance")
    db.session.expire_all()
    return s


def test_helpers_round_half_up():
    assert ceiling_for(10_000_000, 200_000, 100_000) == 5_000_000
    assert ceiling_for(1_000, 3_000, 1_000) == 333   # 333.33
    assert ceiling_for(1_000, 3_000, 2_000) == 667   # 666.67
    assert share_bp(1, 3) == 3333 and share_bp(2, 3) == 6667 and share_bp(0, 0) is None


def test_figures_against_hand_computed_ones():
    s = _closed_site()
    report = closure_report(s.project)
    m = report["money"]
    assert report["final"] is True
    assert m["budget_fen"] == 500_000_000
    assert m["estimate_fen"] == 100 * 50_000 + 20 * 50_000 == 6_000_000
    assert m["ordered_fen"] == 100 * 40_000 + 20 * 40_000 == 4_800_000
    assert m["saving_vs_budget_fen"] == 495_200_000 and m["saving_vs_budget_bp"] == 9904
    assert m["saving_vs_estimate_fen"] == 1_200_000 and m["saving_vs_estimate_bp"] == 2000
    # each line's lot: 200 units, ceiling 500.00 a unit; the project's share is its ordered quantity
    assert m["ceiling_fen"] == 100 * 50_000 + 20 * 50_000 == 6_000_000
    assert m["saving_vs_ceiling_fen"] == 1_200_000 and m["saving_vs_ceiling_bp"] == 2000
    assert [lot["saving_fen"] for lot in m["lots"]] == [1_000_000, 200_000]
    assert m["due_fen"] == m["settled_fen"] == 4_800_000
    assert m["retention_fen"] == 200_000 + 40_000 and m["paid_fen"] == 4_560_000
    g = report["green"]
    assert (g["mandatory_green"], g["mandatory_lines"], g["mandatory_ok"]) == (1, 1, True)
    assert (g["optional_green"], g["optional_kinds"], g["optional_required"], g["optional_ok"]) == (1, 1, 1, True)
    c = report["carbon"]
    concrete = c["rows"][0]
    assert (concrete["gwp"], concrete["median"], concrete["kg"], concrete["median_kg"]) == (300.0, 280.0, 30_000.0,
                                                                                          28_000.0)
    assert c["kg"] == 30_000.0 and c["median_kg"] == 28_000.0 and c["saving_kg"] == -2_000.0
    assert c["without_declaration"] == 1   # the LED lamps declare no carbon
    assert report["checklist"]["status"] == "signed" and report["checklist"]["passed"] == 2
    assert report["chain"]["ok"] and report["chain"]["count"] == s.project.record_count


def test_green_share_falls_when_an_optional_line_is_short():
    s = site(*LINES)
    deliver_all(s)
    from procurement.deliveries.models import Delivery
    led = db.session.execute(db.select(Delivery).where(Delivery.order_line_id == s.lines[1].id)).scalar_one()
    led.quantity_milli = 10_000   # as if only half had been accepted
    db.session.commit()
    g = closure_report(s.project)["green"]
    assert (g["optional_green"], g["optional_ok"], g["mandatory_ok"]) == (0, False, True)


def test_report_names_the_signed_checkpoint_that_covers_the_chain():
    s = _closed_site()
    checkpoint, _written = checkpoints.write_checkpoint()
    chain = closure_report(s.project)["chain"]
    assert chain["checkpoint"]["document"]["checkpoint"]["seq"] == checkpoint.seq
    assert chain["checkpoint"]["covers"]["record_seq"] == s.project.record_count
    assert chain["checkpoint"]["document"]["signature"] == checkpoint.signature


def test_page_pdf_and_api(client):
    s = _closed_site()
    login(client, s.world.purchaser)
    page = client.get(f"/projects/{s.project.id}/closure-report")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Loop-closure report" in text and "¥12,000.00" in text  # the saving against the lot ceilings
    pdf = client.get(f"/projects/{s.project.id}/closure-report.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert b"STSong-Light" in pdf.data
    body = client.get(f"/api/v1/projects/{s.project.id}/closure-report",
                      headers=auth_header(api_token(s.world.inspector))).get_json()
    assert body["money"]["saving_vs_ceiling_fen"] == 1_200_000


def test_report_in_chinese(client):
    s = site()
    deliver(s, s.lines[0], quantity="100")
    login(client, s.world.purchaser)
    text = client.get(f"/projects/{s.project.id}/closure-report", headers={"Accept-Language": "zh-CN"}).get_data(
        as_text=True)
    assert "闭环管理报告" in text and "临时报告" in text


@pytest.mark.parametrize("path", ["/projects/{id}/closure-report", "/projects/{id}/closure-report.pdf"])
def test_report_hidden_from_other_purchasers(client, path):
    from core import roles as R
    from tests.factories import make_org, make_user

    s = site()
    stranger = make_user(make_org(R.ORG_PURCHASER, city=s.world.city), roles=(R.PURCHASER,))
    login(client, stranger)
    assert client.get(path.format(id=s.project.id)).status_code == 404


def test_site_page_accept_reject_sign_off_and_pay(client):
    from procurement.acceptance.models import SupplierPayment
    from procurement.deliveries.services import get_delivery
    from tests.procurement.deliveries.helpers import force_stage

    s = site()
    first = deliver(s, s.lines[0], quantity="60", accept=False)
    second = deliver(s, s.lines[0], quantity="40", accept=False)
    login(client, s.world.purchaser)
    page = client.get(f"/projects/{s.project.id}/site")
    assert page.status_code == 200 and first.reference in page.get_data(as_text=True)
    assert client.post(f"/deliveries/{first.id}/accept", data={}).status_code == 302
    assert get_delivery(first.id).status == "accepted"
    client.post(f"/deliveries/{second.id}/reject", data={"reason": "no"})
    assert get_delivery(second.id).status == "recorded"  # reason too short: refused, nothing changed
    client.post(f"/deliveries/{second.id}/reject", data={"reason": "Wrong batch delivered"})
    assert get_delivery(second.id).status == "rejected"
    client.post(f"/projects/{s.project.id}/orders/{s.order.id}/payments",
                data={"pay%s-amount" % s.order.id: "240.00", "pay%s-reference" % s.order.id: "WEB-1",
                      "pay%s-paid_on" % s.order.id: "2026-11-30"})
    payment = db.session.execute(db.select(SupplierPayment)).scalar_one()
    assert (payment.amount_fen, payment.retention_fen) == (24_000, 1_200)
    deliver(s, s.lines[0], quantity="40")
    force_stage(s.project, "acceptance")
    client.post(f"/projects/{s.project.id}/acceptance/checklist", data={})
    login(client, s.world.inspector)
    client.post(f"/projects/{s.project.id}/acceptance/sign-off", data={"remarks": "ok"})
    assert checklist.checklist_of(s.project.id).status == "signed"
    zh = client.get(f"/projects/{s.project.id}/site", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "验收清单" in zh


def test_worklists_lead_to_the_site_page(app):
    from procurement.acceptance.worklists import checklists_to_sign, deliveries_to_decide

    s = site()
    deliver(s, s.lines[0], quantity="100", accept=False)
    with app.test_request_context():
        assert [(i.count, i.url) for i in deliveries_to_decide(s.world.purchaser)] == [
            (1, f"/projects/{s.project.id}/site")]
        assert deliveries_to_decide(s.world.inspector) == [] and checklists_to_sign(s.world.inspector) == []
