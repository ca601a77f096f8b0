"""The deliveries and inspections sources against figures computed by hand (China calendar
months; overdue publications by the month they were due)."""

from __future__ import annotations

import datetime as dt

from core import roles as R
from core.documents import Document
from core.draws import Draw
from core.extensions import db
from procurement.deliveries.models import Delivery
from procurement.inspections.models import Campaign, Inspection, Rectification
from procurement.orders.models import OrderLine
from procurement.oversight import refresh
from procurement.oversight.models import MonthlyFact
from tests.factories import make_org
from tests.procurement.oversight.builders import agreement, at, award, make_tender, order, project, world


def facts() -> dict:
    return {(f.metric, f.month): f.value for f in db.session.query(MonthlyFact)}


def test_deliveries_and_inspections(app):
    w = world()
    p = project(w, dt.date(2026, 1, 10), (10_000, 1_000, True))
    t = make_tender(w, published_at=at(2026, 1, 2), bid_deadline_at=at(2026, 1, 25))
    won = award(t, t.lots[0], total_fen=1, notice_at=at(2026, 1, 30))
    o = order(agreement(w, t, t.lots[0], won), p, total_fen=100, placed_at=at(2026, 2, 1))
    line = OrderLine(order_id=o.id, bom_line_id=p.bom_lines[0].id, product_id=1, quantity_milli=3000, unit="m3",
                     unit_price_fen=10, amount_fen=30)
    note = Document(sha256="a" * 64, content_type="application/pdf", size=1, stored_path="x")
    db.session.add_all([line, note])
    db.session.flush()
    for i, (day, status) in enumerate(((dt.date(2026, 2, 3), "accepted"), (dt.date(2026, 2, 28), "rejected"),
                                       (dt.date(2026, 3, 1), "recorded"))):
        db.session.add(Delivery(reference=f"D{i}", project_id=p.id, order_id=o.id, order_line_id=line.id,
                                supplier_org_id=o.supplier_org_id, product_id=1, quantity_milli=1000, unit="m3",
                                batch_number="B", delivered_on=day, delivery_note_id=note.id,
                                evidence_kind="certificate", evidence_number="E", checks=[], status=status))
    draw = Draw(purpose="inspection_targets", subject="test", commitment="0" * 64, seed="1" * 64)
    db.session.add(draw)
    db.session.flush()
    authority = make_org(R.ORG_INSPECTION, city=w.city)
    campaign = Campaign(reference="IC1", city_id=w.city.id, authority_org_id=authority.id, title="Campaign", items=[],
                        team_size=2, recent_exclusion_days=365, max_general_share_bp=3000, min_team_size=2,
                        publication_working_days=20, status="active", target_draw_id=draw.id,
                        starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31))
    db.session.add(campaign)
    db.session.flush()
    rows = [  # recorded at, compliant, publish due on, published at
        (at(2026, 3, 5), True, dt.date(2026, 4, 2), at(2026, 3, 20)),     # published in time
        (at(2026, 3, 6), False, dt.date(2026, 4, 3), at(2026, 4, 10)),    # published late: overdue (April)
        (at(2026, 4, 1), False, dt.date(2026, 4, 29), None),              # never published: overdue (April)
        (None, None, None, None),                                          # not recorded yet
    ]
    inspections = []
    for i, (recorded, compliant, due, published) in enumerate(rows):
        row = Inspection(campaign_id=campaign.id, city_id=w.city.id, target_kind="project", target_id=p.id,
                         target_ref=f"project:{i}", target_name="P", org_id=w.purchaser_org.id,
                         status="published" if published else ("recorded" if recorded else "scheduled"),
                         team_draw_id=draw.id, recorded_at=recorded, compliant=compliant, publish_due_on=due,
                         published_at=published)
        db.session.add(row)
        inspections.append(row)
    db.session.flush()
    for i, status in enumerate(("open", "closed", "closed")):
        db.session.add(Rectification(reference=f"R{i}", inspection_id=inspections[1].id, city_id=w.city.id,
                                     org_id=w.purchaser_org.id, status=status, required_actions="Fix",
                                     deadline=dt.date(2026, 5, 1), issued_at=at(2026, 3, 7)))
    db.session.commit()
    refresh.refresh()
    db.session.commit()
    got = facts()
    feb, mar, apr = dt.date(2026, 2, 1), dt.date(2026, 3, 1), dt.date(2026, 4, 1)
    assert (got[("deliveries", feb)], got[("deliveries_accepted", feb)], got[("deliveries_rejected", feb)]) == (2, 1, 1)
    assert got[("deliveries", mar)] == 1 and got[("deliveries_accepted", mar)] == 0
    assert (got[("inspections", mar)], got[("inspections_failed", mar)]) == (2, 1)
    assert (got[("inspections", apr)], got[("inspections_failed", apr)]) == (1, 1)
    assert got[("inspections_published", mar)] == 1 and got[("inspections_published", apr)] == 1
    assert got[("publications_overdue", apr)] == 2
    assert (got[("rectifications", mar)], got[("rectifications_closed", mar)]) == (3, 2)
