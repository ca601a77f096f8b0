"""Two sweeps (or a sweep and a read) at the same moment on PostgreSQL: the feed row's lock
makes them take turns, so every release is stored once and neither fails."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.services import unit_of_work
from procurement.opendata import publishing
from procurement.opendata.models import OcdsFeed, OcdsRelease
from tests.concurrency import postgres_only, race  # noqa: F401  (fixture)
from tests.procurement.tendering.tender_builders import tender_in

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("postgres_only")]


def _sweep():
    with unit_of_work():
        publishing.follow_audit()


def test_concurrent_sweeps_publish_each_release_once(app, monkeypatch):
    tender_in("published")
    db.session.commit()
    outcomes = race(app, monkeypatch, [_sweep, _sweep], lock=(publishing, "_lock_feed"))
    assert outcomes == ["ok", "ok"]
    db.session.expire_all()
    keys = db.session.execute(select(OcdsRelease.ocid, OcdsRelease.key)).all()
    assert len(keys) == len(set(keys)) == 2  # planning and tender, once each
    last = db.session.execute(select(func.max(db.text("seq"))).select_from(db.text("audit_events"))).scalar()
    assert db.session.get(OcdsFeed, 1).last_audit_seq == last
