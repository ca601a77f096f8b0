"""The purchaser hears when its budget is approved or returned (issue 9, #23): every person of the
purchasing organisation gets an in-app notification and a queued e-mail in their own language,
written in the review's transaction (nothing when the review is refused)."""

import pytest

from core.errors import Conflict
from core.extensions import db
from core.models import MailMessage, Notification
from procurement.budget.services import approve_budget, return_budget, submit_budget
from procurement.machine.services import request_transition
from tests.factories import login_as, make_user
from tests.procurement.helpers import BUDGET, World, make_standard, new_project


@pytest.fixture
def submitted(app):
    make_standard()
    w = World()
    colleague = make_user(w.purchaser_org, locale="zh_Hans", name="李华")
    p = new_project(w)
    submit_budget(w.purchaser, p.id, BUDGET)
    return w, colleague, p


def _notes(user):
    # In the order they were written (an update can move a row in a PostgreSQL heap scan).
    return db.session.execute(db.select(Notification).filter_by(user_id=user.id).order_by(Notification.id)).scalars().all()


def _mails(user):
    return db.session.execute(db.select(MailMessage).filter_by(to_address=user.email)).scalars().all()


def test_approval_is_notified_in_app_and_by_mail_in_each_language(client, submitted):
    w, colleague, p = submitted
    approve_budget(w.finance, p.id, "Approved as submitted")
    for user in (w.purchaser, colleague):
        [note] = _notes(user)
        assert note.kind == "budget.approved" and note.link == f"/projects/{p.id}/budget"
        [mail] = _mails(user)
        assert mail.kind == "budget.approved" and mail.status == "pending"
    english = f"The finance office approved the budget of project {p.code} (No. 3 Primary School): ¥5,000,000.00."
    assert _mails(w.purchaser)[0].subject == english
    assert _mails(colleague)[0].subject == f"财政部门已批准项目 {p.code}（No. 3 Primary School）的预算：¥5,000,000.00。"
    assert f"/projects/{p.id}/budget" in _mails(colleague)[0].body
    assert not _notes(w.finance) and not _mails(w.finance)  # the reviewer's office is not told about itself
    login_as(client, colleague)  # the notification centre shows it in the reader's language
    client.post("/language", data={"lang": "zh_Hans"})
    assert "财政部门已批准项目" in client.get("/notifications").get_data(as_text=True)


def test_return_is_notified_with_the_comment(submitted):
    w, colleague, p = submitted
    return_budget(w.finance, p.id, "Split the bond funding by year.")
    [note] = _notes(w.purchaser)
    assert note.kind == "budget.returned"
    assert note.message["params"]["reason"] == "Split the bond funding by year."
    assert "退回" in _mails(colleague)[0].subject and "Split the bond funding by year." in _mails(colleague)[0].body


def test_a_refused_review_notifies_nobody(submitted):
    w, _colleague, p = submitted
    approve_budget(w.finance, p.id, "ok")
    before = db.session.execute(db.select(db.func.count(Notification.id))).scalar()
    with pytest.raises(Conflict):
        approve_budget(w.finance2, p.id, "again")
    assert db.session.execute(db.select(db.func.count(Notification.id))).scalar() == before


def test_design_returned_to_budget_reopens_and_tells_the_purchaser(submitted):
    w, _colleague, p = submitted
    approve_budget(w.finance, p.id, "ok")
    request_transition(w.purchaser, p.id, to_stage="design", expected_stage="budget")
    request_transition(w.finance, p.id, to_stage="budget", expected_stage="design", kind="return",
                       reason="The funding plan changed.")
    kinds = [n.kind for n in _notes(w.purchaser)]
    assert kinds == ["budget.approved", "budget.returned"]
    assert _notes(w.purchaser)[-1].message["params"]["reason"] == "The funding plan changed."
