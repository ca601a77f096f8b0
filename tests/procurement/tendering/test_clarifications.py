"""Clarification questions: verified suppliers ask until the cut-off (server clock), the asker is
known to the centre alone, answers are published to all, and the cut-off flags what is still
unanswered, once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

import procurement.models  # noqa: F401  (every table mapped before the app configures the mappers)
from core import roles as R
from core import scheduler
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.models import AuditEvent, MailMessage, Notification
from core.timeutil import utcnow
from procurement.tendering import clarifications, follows
from procurement.tendering.models import Question
from procurement.tendering.states import DEADLINE_CUTOFF
from tests.factories import api_token, auth_header, login_as, make_org, make_user
from tests.procurement.helpers import World, make_standard
from tests.procurement.tendering_helpers import make_tender

QUESTION = "Is C35 concrete acceptable for lot 1?"


def supplier(name="Acme Concrete Ltd", status="verified", roles=None):
    org = make_org(R.ORG_SUPPLIER, name_en=name, name_zh=name + "（中文）", status=status)
    return make_user(org, roles=roles)


def counts() -> dict:
    """Rows that a refused use case must leave as they were."""
    return {"questions": db.session.execute(select(func.count(Question.id))).scalar(),
            "audit": db.session.execute(select(func.count(AuditEvent.id))).scalar(),
            "notifications": db.session.execute(select(func.count(Notification.id))).scalar(),
            "mail": db.session.execute(select(func.count(MailMessage.id))).scalar()}


@pytest.fixture
def w(app):
    make_standard()
    return World()


def test_a_question_is_accepted_until_the_cut_off_and_refused_one_second_after(w):
    tender = make_tender(w)
    cutoff = tender.clarification_cutoff_at
    s = supplier()
    q = clarifications.ask(s, tender.id, QUESTION, now=cutoff - dt.timedelta(seconds=1))
    assert (q.number, q.status, q.asker_org_id) == (1, "open", s.organisation_id)
    before = counts()
    with pytest.raises(Conflict) as refused:
        clarifications.ask(s, tender.id, QUESTION, now=cutoff + dt.timedelta(seconds=1))
    assert refused.value.status == 409
    assert "clarification cut-off" in refused.value.message
    china = (cutoff + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    assert china in refused.value.message and "UTC+8" in refused.value.message
    with pytest.raises(Conflict):  # the cut-off itself is already too late
        clarifications.ask(s, tender.id, QUESTION, now=cutoff)
    assert counts() == before


def test_questions_are_numbered_per_tender_and_the_centre_is_told_in_app(w):
    t1, t2 = make_tender(w, lots=2), make_tender(w)
    s1, s2 = supplier("Firm One"), supplier("Firm Two")
    assert clarifications.ask(s1, t1.id, QUESTION).number == 1
    second = clarifications.ask(s2, t1.id, QUESTION, lot_id=t1.lots[1].id)
    assert (second.number, second.lot_id) == (2, t1.lots[1].id)
    assert clarifications.ask(s2, t2.id, QUESTION).number == 1
    told = db.session.execute(select(Notification).filter_by(user_id=w.centre.id, kind="tender.question")
                           .order_by(Notification.id)).scalars().all()
    assert len(told) == 3 and told[1].message["params"] == {"number": 2, "reference": t1.reference}
    assert db.session.execute(select(func.count(MailMessage.id)).filter_by(kind="tender.question")).scalar() == 0
    event = db.session.execute(select(AuditEvent).filter_by(action="tender.question_asked")
                               .order_by(AuditEvent.id.desc())).scalars().first()
    assert event.after["number"] == 1 and event.after["tender_id"] == t2.id


@pytest.mark.parametrize("text, field", [("abc", "text"), ("x" * 2001, "text"), ("Bad\x00text here", "text"),
                                         (None, "text"), (12345, "text")])
def test_bad_question_text_is_refused_with_nothing_written(w, text, field):
    tender = make_tender(w)
    before = counts()
    with pytest.raises(ValidationError) as refused:
        clarifications.ask(supplier(), tender.id, text)
    assert field in refused.value.fields
    assert counts() == before


def test_a_lot_of_another_tender_is_refused(w):
    tender, other = make_tender(w), make_tender(w)
    before = counts()
    for lot_id in (other.lots[0].id, "abc", 10**12, True):
        with pytest.raises(ValidationError) as refused:
            clarifications.ask(supplier(), tender.id, QUESTION, lot_id=lot_id)
        assert "lot_id" in refused.value.fields
    assert counts()["questions"] == before["questions"]


def test_only_people_of_verified_supplier_firms_ask(w):
    tender = make_tender(w)
    other_city = World("suzhou")
    for person in (w.purchaser, w.finance, w.centre, other_city.centre, supplier(status="pending"),
                   supplier(roles=(R.ORG_ADMIN,))):
        with pytest.raises(PermissionDenied):
            clarifications.ask(person, tender.id, QUESTION)
    draft = make_tender(w, status="draft")
    with pytest.raises(NotFound):  # a draft is not visible to suppliers: no hint it exists
        clarifications.ask(supplier(), draft.id, QUESTION)
    with pytest.raises(Conflict):  # a closed tender takes no questions
        clarifications.ask(supplier(), make_tender(w, status="closed").id, QUESTION)
    assert db.session.execute(select(func.count(Question.id))).scalar() == 0


def test_the_centre_answers_and_the_answer_reaches_the_asker_and_the_followers(w):
    tender = make_tender(w)
    asker, fan = supplier("Asker Firm"), supplier("Fan Firm")
    follows.follow(fan, tender.id)
    q = clarifications.ask(asker, tender.id, QUESTION)
    answered = clarifications.answer(w.centre, q.id, "Yes: C35 meets the requirement.")
    assert (answered.status, answered.answer, answered.answered_by_id) == ("answered", "Yes: C35 meets the requirement.",
                                                                            w.centre.id)
    told = {n.user_id for n in db.session.execute(select(Notification).filter_by(kind="tender.answer")).scalars()}
    assert told == {asker.id, fan.id}
    with pytest.raises(Conflict):
        clarifications.answer(w.centre, q.id, "A second answer.")
    assert db.session.get(Question, q.id).answer == "Yes: C35 meets the requirement."


def test_only_the_tenders_own_centre_answers_while_it_is_open(w):
    tender = make_tender(w)
    q = clarifications.ask(supplier(), tender.id, QUESTION, now=utcnow())
    before = counts()
    for person in (World("suzhou").centre, w.finance, supplier(), w.purchaser):
        with pytest.raises(PermissionDenied):
            clarifications.answer(person, q.id, "An answer from the wrong person.")
    with pytest.raises(Conflict):  # after the bid deadline
        clarifications.answer(w.centre, q.id, "Too late an answer.", now=tender.bid_deadline_at)
    with pytest.raises(ValidationError):
        clarifications.answer(w.centre, q.id, "no")
    with pytest.raises(NotFound):
        clarifications.answer(w.centre, 10**6, "An answer to nothing.")
    assert counts() == before
    assert db.session.get(Question, q.id).status == "open"


def test_the_cut_off_flags_unanswered_questions_once(w):
    now = utcnow()
    tender = make_tender(w, bid_deadline_at=now + dt.timedelta(days=5))  # cut-off 10 days ago
    cutoff = tender.clarification_cutoff_at
    s = supplier()
    early = cutoff - dt.timedelta(days=2)
    q1 = clarifications.ask(s, tender.id, QUESTION, now=early)
    q2 = clarifications.ask(s, tender.id, "And the slump class?", now=early)
    clarifications.answer(w.centre, q1.id, "Answered in time.", now=early + dt.timedelta(hours=1))
    scheduler.schedule(DEADLINE_CUTOFF, "tenders", tender.id, cutoff)
    db.session.commit()
    assert scheduler.run_due().done == 1
    assert db.session.get(Question, q2.id).flagged_at == cutoff
    assert db.session.get(Question, q1.id).flagged_at is None
    flagged = select(func.count(Notification.id)).filter_by(kind="tender.questions_flagged")
    assert db.session.execute(flagged).scalar() == 1
    # Run again (a re-armed deadline, or a second process): nothing new, nobody told twice.
    scheduler.schedule(DEADLINE_CUTOFF, "tenders", tender.id, cutoff)
    db.session.commit()
    assert scheduler.run_due().done == 1
    assert clarifications.flag_unanswered(tender.id, cutoff) == 0
    db.session.commit()
    assert db.session.execute(flagged).scalar() == 1
    event = db.session.execute(select(AuditEvent).filter_by(action="tender.questions_flagged")).scalar_one()
    assert event.actor_id is None and event.after["questions"] == [2]


def test_a_cut_off_moved_later_does_not_flag_early(w):
    tender = make_tender(w)
    clarifications.ask(supplier(), tender.id, QUESTION)
    assert clarifications.flag_unanswered(tender.id, tender.clarification_cutoff_at - dt.timedelta(days=1)) == 0
    assert clarifications.flag_unanswered(tender.id, tender.clarification_cutoff_at) == 1
    db.session.commit()


# ------------------------------------------------------------------ who sees the asker

def test_the_asker_is_named_to_the_centre_only_in_html(w, client):
    tender = make_tender(w)
    asker = supplier("Secretive Cement Co")
    clarifications.ask(asker, tender.id, QUESTION)
    url = f"/tenders/{tender.id}/questions"
    page = client.get(url).get_data(as_text=True)  # the public
    assert QUESTION in page and "Secretive Cement" not in page
    for person in (supplier("Rival Firm"), w.finance, World("suzhou").centre, w.purchaser):
        login_as(client, person)
        page = client.get(url).get_data(as_text=True)
        assert QUESTION in page and "Secretive Cement" not in page, person
    login_as(client, asker)
    page = client.get(url).get_data(as_text=True)
    assert "Your firm asked this" in page
    login_as(client, w.centre)
    page = client.get(url).get_data(as_text=True)
    assert "Secretive Cement Co" in page and "Publish the answer" in page


def test_the_asker_is_named_to_the_centre_only_in_json(w, client):
    tender = make_tender(w)
    asker = supplier("Secretive Cement Co")
    clarifications.ask(asker, tender.id, QUESTION)
    url = f"/api/v1/tenders/{tender.id}/questions"
    anonymous = client.get(url)
    assert anonymous.status_code == 200
    assert "Secretive" not in anonymous.get_data(as_text=True) and "asker" not in anonymous.json["questions"][0]
    for person in (supplier("Rival Firm"), w.finance, World("suzhou").centre):
        body = client.get(url, headers=auth_header(api_token(person)))
        assert "Secretive" not in body.get_data(as_text=True) and "asker" not in body.json["questions"][0]
        assert body.json["questions"][0]["mine"] is False
    own = client.get(url, headers=auth_header(api_token(asker))).json["questions"][0]
    assert own["mine"] is True and "asker" not in own
    centre = client.get(url, headers=auth_header(api_token(w.centre))).json["questions"][0]
    assert centre["asker"]["name_en"] == "Secretive Cement Co"


def test_asking_and_answering_through_the_api(w, client):
    tender = make_tender(w)
    s = supplier()
    res = client.post(f"/api/v1/tenders/{tender.id}/questions", json={"text": QUESTION, "lot_id": tender.lots[0].id},
                      headers=auth_header(api_token(s)))
    assert res.status_code == 201 and res.json["question"]["number"] == 1 and res.json["question"]["lot_number"] == 1
    qid = res.json["question"]["id"]
    bad = client.post(f"/api/v1/tenders/{tender.id}/questions", json={"text": "x\x07yzzy"},
                      headers=auth_header(api_token(s)))
    assert bad.status_code == 400 and "text" in bad.json["error"]["fields"]
    assert client.post(f"/api/v1/tenders/{tender.id}/questions", json={"text": QUESTION}).status_code == 401
    refused = client.post(f"/api/v1/tenders/{tender.id}/questions/{qid}/answer", json={"text": "An answer."},
                          headers=auth_header(api_token(s)))
    assert refused.status_code == 403
    ok = client.post(f"/api/v1/tenders/{tender.id}/questions/{qid}/answer", json={"text": "An answer."},
                     headers=auth_header(api_token(w.centre)))
    assert ok.status_code == 200 and ok.json["question"]["status"] == "answered"
    wrong_tender = client.post(f"/api/v1/tenders/{make_tender(w).id}/questions/{qid}/answer",
                               json={"text": "An answer."}, headers=auth_header(api_token(w.centre)))
    assert wrong_tender.status_code == 404
    assert db.session.execute(select(func.count(Question.id))).scalar() == 1


def test_a_question_after_the_cut_off_through_the_page_is_a_clear_409(w, client):
    now = utcnow()
    tender = make_tender(w, bid_deadline_at=now + dt.timedelta(days=5))  # cut-off passed
    s = supplier()
    login_as(client, s)
    page = client.get(f"/tenders/{tender.id}/questions").get_data(as_text=True)
    assert "closed at the clarification cut-off" in page and 'name="text"' not in page
    res = client.post(f"/tenders/{tender.id}/questions", data={"text": QUESTION})
    assert res.status_code == 409
    assert "closed at the clarification cut-off" in res.get_data(as_text=True)
    assert db.session.execute(select(func.count(Question.id))).scalar() == 0


def test_asking_and_answering_through_the_pages(w, client):
    tender = make_tender(w)
    s = supplier()
    login_as(client, s)
    res = client.post(f"/tenders/{tender.id}/questions", data={"text": QUESTION, "lot_id": ""})
    assert res.status_code == 302
    short = client.post(f"/tenders/{tender.id}/questions", data={"text": "abc"})
    assert short.status_code == 400 and "At least 5 characters." in short.get_data(as_text=True)
    login_as(client, w.centre)
    q = db.session.execute(select(Question)).scalar_one()
    res = client.post(f"/tenders/{tender.id}/questions/{q.id}/answer", data={"q1-answer": "Yes, it is acceptable."})
    assert res.status_code == 302
    page = client.get(f"/tenders/{tender.id}/questions").get_data(as_text=True)
    assert "Yes, it is acceptable." in page
    anonymous = client.application.test_client().get(f"/tenders/{tender.id}/questions").get_data(as_text=True)
    assert "Yes, it is acceptable." in anonymous and "Sign in as a verified supplier" in anonymous


def test_pages_of_a_draft_tender_are_not_found_for_suppliers(w, client):
    draft = make_tender(w, status="draft")
    login_as(client, supplier())
    for url in (f"/tenders/{draft.id}/questions", f"/tenders/{draft.id}/amendments",
                f"/api/v1/tenders/{draft.id}/questions", f"/api/v1/tenders/{draft.id}/amendments"):
        assert client.get(url).status_code == 404, url


def test_the_centre_worklist_counts_unanswered_questions_flagged_first(w, client):
    from core.worklists import items_for

    now = utcnow()
    late = make_tender(w, bid_deadline_at=now + dt.timedelta(days=5))
    fresh = make_tender(w)
    s = supplier()
    clarifications.ask(s, fresh.id, "A question on the fresh tender.")
    clarifications.ask(s, late.id, "A question on the late tender.", now=late.clarification_cutoff_at - dt.timedelta(hours=1))
    clarifications.flag_unanswered(late.id, late.clarification_cutoff_at)
    db.session.commit()
    other_centre = World("suzhou").centre
    with client.application.test_request_context():
        items = [i for i in items_for(w.centre, client.application) if str(i.label) == "Unanswered tender questions"]
        assert items and items[0].count == 2
        assert not [i for i in items_for(other_centre, client.application)
                    if str(i.label) == "Unanswered tender questions"]
    login_as(client, w.centre)
    page = client.get("/tenders/questions/unanswered").get_data(as_text=True)
    assert page.index("late tender") < page.index("fresh tender")
    login_as(client, s)
    assert client.get("/tenders/questions/unanswered").status_code == 403


def test_the_public_tender_page_shows_the_sections(w, client):
    tender = make_tender(w)
    asker = supplier("Secretive Cement Co")
    clarifications.ask(asker, tender.id, QUESTION)
    page = client.get(f"/tenders/{tender.id}").get_data(as_text=True)
    assert "Questions and answers" in page and QUESTION in page and "Secretive" not in page
    assert "Amendments" in page and "Sign in to follow this tender" in page
    login_as(client, supplier("Rival Firm"))
    page = client.get(f"/tenders/{tender.id}").get_data(as_text=True)
    assert 'name="text"' in page and "Follow this tender" in page and "Secretive" not in page
    login_as(client, w.centre)
    page = client.get(f"/tenders/{tender.id}").get_data(as_text=True)
    assert "Secretive Cement Co" in page and "Amend the tender" in page


def test_a_page_view_catches_up_with_the_cut_off(w, client):
    now = utcnow()
    tender = make_tender(w, bid_deadline_at=now + dt.timedelta(days=5))
    q = clarifications.ask(supplier(), tender.id, QUESTION, now=tender.clarification_cutoff_at - dt.timedelta(hours=1))
    scheduler.schedule(DEADLINE_CUTOFF, "tenders", tender.id, tender.clarification_cutoff_at)
    db.session.commit()
    login_as(client, w.centre)
    page = client.get(f"/tenders/{tender.id}/questions").get_data(as_text=True)
    assert "Unanswered at the cut-off" in page
    assert db.session.get(Question, q.id).flagged_at == tender.clarification_cutoff_at
    event = db.session.execute(select(AuditEvent).filter_by(action="tender.questions_flagged")).scalar_one()
    assert event.actor_id is None  # the clock flagged it, not the officer whose page caught up
