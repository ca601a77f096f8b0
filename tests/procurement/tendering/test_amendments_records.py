"""An amendment of a tender built from pooled demand: recorded on every contributing project's
chain (readable on the records page, the chain still verifies), the chronograph re-armed, a
ceiling raised only as far as the projects' approved budgets allow; and the lifecycle's own
calls into this part (announce at publication, notices at cancellation)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

import procurement.models  # noqa: F401  (every table mapped before the app configures the mappers)
from core import scheduler
from core.errors import ValidationError
from core.extensions import db
from core.i18n import render_payload_english
from core.models import Notification
from procurement.records.services import verify_project
from procurement.tendering import amendments, follows
from procurement.tendering import services as tender_svc
from procurement.tendering.models import Tender
from procurement.tendering.states import DEADLINE_BIDS, DEADLINE_CUTOFF
from tests.factories import login_as
from tests.procurement.helpers import make_product
from tests.procurement.tendering.tender_builders import record_kinds, tender_in
from tests.procurement.tendering.test_clarifications import supplier


def test_an_amendment_is_recorded_on_every_contributing_project(client):
    world, projects, tender = tender_in("published", 2)
    lot = tender.lots[0]
    now = tender.clarification_cutoff_at + dt.timedelta(hours=1)  # after the cut-off: the deadline moves
    a = amendments.amend(world.centre, tender.id, {"lots": [{"number": 1, "quantity_milli": lot.quantity_milli - 1000}]},
                         "One school needs a little less concrete.", now=now)
    assert a.deadline_moved
    for project in projects:
        assert record_kinds(project)[-1] == "tender_amended"
        result = verify_project(project)
        assert result.ok, result.problem
    for kind, due in ((DEADLINE_BIDS, now + dt.timedelta(days=15)), (DEADLINE_CUTOFF, now)):
        row = scheduler.deadline_for(kind, "tenders", tender.id)
        assert (row.due_at, row.status) == (due, "pending"), kind
    login_as(client, world.purchaser)
    page = client.get(f"/projects/{projects[0].id}/records").get_data(as_text=True)
    assert "Tender amended" in page and "One school needs a little less concrete." in page
    assert "Quantity of lot 1" in page and "the bid deadline moved" in page
    client.post("/language", data={"lang": "zh_Hans"})
    page = client.get(f"/projects/{projects[0].id}/records").get_data(as_text=True)
    assert "招标已更正" in page and "标段 1 的数量" in page and "投标截止时间已顺延" in page


def test_a_ceiling_is_raised_only_within_the_projects_budgets():
    world, _projects, tender = tender_in("published", 2)
    lot = tender.lots[0]
    approved = lot.ceiling_fen
    a = amendments.amend(world.centre, tender.id, {"lots": [{"number": 1, "ceiling_fen": approved + 100}]},
                         "Prices rose since the estimate was made.")
    assert a.changes[0]["after"] == approved + 100
    try:
        amendments.amend(world.centre, tender.id, {"lots": [{"number": 1, "ceiling_fen": 10**13}]},
                         "Far beyond any approved budget.")
    except ValidationError as exc:
        assert "lots.0.ceiling_fen" in exc.fields
    else:
        raise AssertionError("a ceiling beyond the budgets was accepted")
    assert db.session.get(Tender, tender.id).lots[0].ceiling_fen == approved + 100


def test_publication_announces_and_cancellation_tells_everyone_interested():
    world, _projects, tender = tender_in("approved", 2)
    seller = supplier("Concrete Seller")
    make_product(world.city, "ready_mixed_concrete", {"radionuclide_ira": (0.5, "")}, supplier=seller.organisation)
    tender_svc.publish(world.centre, tender.id)
    assert [n.user_id for n in db.session.execute(select(Notification).filter_by(kind="tender.opportunity")).scalars()] \
        == [seller.id]
    fan = supplier("Fan Firm")
    follows.follow(fan, tender.id)
    tender_svc.cancel(world.centre, tender.id, "insufficient_competition", "Too few suppliers can deliver in time.")
    notices = db.session.execute(select(Notification).filter_by(kind="tender.cancelled")).scalars().all()
    assert {n.user_id for n in notices} == {seller.id, fan.id}
    text = render_payload_english(notices[0].message)
    assert "insufficient competition" in text and "Too few suppliers can deliver in time." in text
