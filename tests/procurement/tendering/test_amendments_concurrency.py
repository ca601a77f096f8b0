"""Two officers at the same moment, on PostgreSQL: the tender row lock serialises amendments
(numbered 1 and 2, both applied) and exactly one of two answers to a question wins."""

from __future__ import annotations


import pytest

from tests.concurrency import postgres_only, race  # noqa: F401  (fixture)
from sqlalchemy import select

import procurement.models  # noqa: F401  (every table mapped before the app configures the mappers)
from core.errors import Conflict
from core.extensions import db
from core.models import User
from procurement.tendering import amendments, clarifications
from procurement.tendering.models import Amendment, Question, Tender
from tests.factories import make_user
from tests.procurement.helpers import World, make_standard
from tests.procurement.tendering.test_clarifications import supplier
from tests.procurement.tendering_helpers import make_tender

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("postgres_only")]


def _race(app, monkeypatch, calls):
    return race(app, monkeypatch, calls, lock=(clarifications, "lock_tender"))


def test_two_amendments_at_once_are_numbered_one_after_the_other(app, monkeypatch):
    make_standard()
    w = World()
    tender = make_tender(w)
    colleague = make_user(db.session.get(User, w.centre.id).organisation, roles=w.centre.role_names)
    officers = [w.centre.id, colleague.id]

    def amend(user_id, title):
        return lambda: amendments.amend(db.session.get(User, user_id), tender.id, {"title": title},
                                        "Two officers change the title at once.")

    outcomes = _race(app, monkeypatch, [amend(officers[0], "Title A"), amend(officers[1], "Title B")])
    assert outcomes == ["ok", "ok"]
    db.session.expire_all()
    rows = db.session.execute(select(Amendment).where(Amendment.tender_id == tender.id)
                              .order_by(Amendment.number)).scalars().all()
    assert [a.number for a in rows] == [1, 2]
    assert rows[1].changes[0]["before"] == rows[0].changes[0]["after"]  # the second saw the first
    assert db.session.get(Tender, tender.id).amendment_count == 2


def test_two_answers_at_once_exactly_one_wins(app, monkeypatch):
    make_standard()
    w = World()
    tender = make_tender(w)
    question = clarifications.ask(supplier(), tender.id, "Which delivery window applies?")
    colleague = make_user(db.session.get(User, w.centre.id).organisation, roles=w.centre.role_names)

    def answer(user_id, text):
        return lambda: clarifications.answer(db.session.get(User, user_id), question.id, text)

    outcomes = _race(app, monkeypatch, [answer(w.centre.id, "Answer from A."), answer(colleague.id, "Answer from B.")])
    assert sorted(o == "ok" for o in outcomes) == [False, True], outcomes
    assert isinstance(next(o for o in outcomes if o != "ok"), Conflict)
    db.session.expire_all()
    assert db.session.get(Question, question.id).answer in ("Answer from A.", "Answer from B.")
