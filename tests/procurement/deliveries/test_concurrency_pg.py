"""Two deliveries of the last quantity at the same moment (SQLite here, PostgreSQL with
TEST_DATABASE_URL): the project row and then the order line's row are locked before the
quantity check, so one delivery is recorded and the other is refused by the `within_order`
check; nothing of the refused one is written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.errors import ValidationError
from core.extensions import db
from core.models import User
from procurement.deliveries import services
from procurement.deliveries.models import Delivery
from tests.concurrency import race
from tests.procurement.deliveries.helpers import delivery_data, note, site

pytestmark = pytest.mark.postgres


def test_concurrent_over_delivery_is_refused(app, monkeypatch):
    s = site()  # 100 m3 ordered
    line_id, users = s.lines[0].id, [s.supplier_user.id, s.site_manager.id]
    data = delivery_data(s, s.lines[0], quantity="70")
    refused: list = []

    def deliver(uid):
        try:
            services.record_delivery(db.session.get(User, uid), line_id, dict(data), note(), "note.pdf")
        except ValidationError as exc:
            refused.append(exc.fields)
            raise

    outcomes = race(app, monkeypatch, [lambda uid=uid: deliver(uid) for uid in users],
                    lock=(services, "lock_project"))
    assert sorted(o if o == "ok" else "refused" for o in outcomes) == ["ok", "refused"], outcomes
    assert list(refused[0]) == ["quantity"]
    db.session.expire_all()
    assert db.session.execute(select(func.sum(Delivery.quantity_milli))).scalar_one() == 70_000
