"""Clarification questions on a published tender.

- A person of a verified supplier firm asks a question (about the whole tender or one lot)
  until the clarification cut-off, by the server clock; one second later the question is refused
  with a 409 that names the cut-off in China time. Questions are numbered per tender.
- The tender's procurement centre answers; the answer is published to everyone, the asker and
  the tender's followers are told. If the answer changes the tender, the centre makes an
  amendment as well (`procurement.tendering.amendments`), which moves the deadline when needed.
- Who asked is known to the centre alone (`policy.can_see_asker`): everyone else sees the
  question without any name or pseudonym (a pseudonym would let rivals count and link one
  firm's questions); the asker's own firm sees that the question is its own.
- At the cut-off the chronograph (`DEADLINE_CUTOFF`, scheduled at publication and moved by
  amendments) flags the questions still unanswered and tells the centre, once.

Questions and answers go to the audit chain (`tender.question_asked`, `tender.question_answered`,
`tender.questions_flagged`), not to the projects' record chains: they change nothing a project
committed to; the amendments that follow from them do, and those are recorded on every
contributing project.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update

from core import audit
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_, Term
from core.models import Organisation
from core.notifications import notify, recipients_in
from core.services import unit_of_work
from core.timeutil import china_time, utcnow
from core.validation import plain_text
from procurement.tendering import policy
from procurement.tendering.models import Lot, Question, Tender
from procurement.tendering.states import PUBLISHED, QUESTION, QUESTION_OPEN

TEXT_MIN, TEXT_MAX = 5, 2000
ANSWER_MIN, ANSWER_MAX = 5, 4000
#: The object type of tenders in `core.scheduler` deadlines.
OBJECT_TYPE = Tender.__tablename__


# ------------------------------------------------------------------ tenders

def tender_link(tender_id: int) -> str:
    """The public page of a tender (site-relative; notifications and the feed link to it)."""
    return f"/tenders/{int(tender_id)}"


def questions_link(tender_id: int, number: int | None = None) -> str:
    return f"/tenders/{int(tender_id)}/questions" + (f"#question-{int(number)}" if number else "")


def lock_tender(tender_id: int) -> Tender:
    """The tender row locked for this transaction (``SELECT ... FOR UPDATE``; on SQLite a no-op
    UPDATE takes the write lock first), fresh from the database. NotFound if there is none."""
    tid = int(tender_id)
    if db.engine.dialect.name == "sqlite":
        db.session.execute(update(Tender).where(Tender.id == tid)
                           .values(amendment_count=Tender.amendment_count, updated_at=Tender.updated_at)
                           .execution_options(synchronize_session=False))
    tender = db.session.execute(select(Tender).where(Tender.id == tid).with_for_update(of=Tender)
                                .execution_options(populate_existing=True)).unique().scalar_one_or_none()
    if tender is None:
        raise NotFound(N_("No such tender."))
    return tender


def visible_tender(actor, tender_id: int, *, lock: bool = False) -> Tender:
    """The tender if `actor` may see it (NotFound otherwise, with no hint that it exists)."""
    if lock:
        tender = lock_tender(tender_id)
    else:
        tender = db.session.get(Tender, int(tender_id))
        if tender is None:
            raise NotFound(N_("No such tender."))
    if not policy.can_view_tender(actor, tender):
        raise NotFound(N_("No such tender."))
    return tender


def centre_officers(tender) -> list:
    """The active procurement officers of the tender's centre."""
    return [u for u in recipients_in(tender.centre_org_id) if policy.is_centre_officer(u, tender.centre_org_id)]


# ------------------------------------------------------------------ input

def _lot_of(tender, lot_id) -> Lot | None:
    if lot_id in (None, ""):
        return None
    if isinstance(lot_id, bool) or not isinstance(lot_id, (int, str)) or not str(lot_id).strip().isdigit():
        raise ValidationError(N_("The question was not accepted."), {"lot_id": N_("Choose a lot of this tender.")})
    lot = next((lot for lot in tender.lots if lot.id == int(lot_id)), None)
    if lot is None:
        raise ValidationError(N_("The question was not accepted."), {"lot_id": N_("Choose a lot of this tender.")})
    return lot


def questions_closed(tender) -> Conflict:
    """Why no question can be asked now (the cut-off in China time, or the tender's status)."""
    if tender.status == PUBLISHED and tender.clarification_cutoff_at is not None:
        return Conflict(N_("Questions on this tender closed at the clarification cut-off, %(cutoff)s."),
                        cutoff=china_time(tender.clarification_cutoff_at))
    return Conflict(N_("Questions are not open: the tender is %(status)s."), status=Term(tender.status))


# ------------------------------------------------------------------ use cases

def snapshot(question: Question) -> dict:
    return {"tender_id": question.tender_id, "number": question.number, "lot_id": question.lot_id,
            "asker_org_id": question.asker_org_id, "text": question.text, "status": question.status,
            "answer": question.answer, "flagged": question.flagged_at is not None}


def ask(actor, tender_id: int, text, lot_id=None, *, now: dt.datetime | None = None) -> Question:
    """A verified supplier's question, until the clarification cut-off (server clock)."""
    body = plain_text(text, "text", minimum=TEXT_MIN, maximum=TEXT_MAX)
    with unit_of_work():
        tender = visible_tender(actor, tender_id, lock=True)
        now = now or utcnow()
        if not policy.can_ask_question(actor, tender, now):
            if not policy.is_verified_supplier(actor):
                raise PermissionDenied(N_("Only people of a verified supplier firm ask questions on tenders."))
            raise questions_closed(tender)
        lot = _lot_of(tender, lot_id)
        number = (db.session.execute(select(func.max(Question.number)).where(Question.tender_id == tender.id))
                  .scalar() or 0) + 1
        question = Question(tender_id=tender.id, lot_id=lot.id if lot else None, number=number,
                            asker_org_id=actor.organisation_id, asker_user_id=actor.id, text=body, asked_at=now,
                            status=QUESTION_OPEN)
        db.session.add(question)
        db.session.flush()
        audit.record("tender.question_asked", question, after=snapshot(question), actor=actor)
        notify(centre_officers(tender), "tender.question",
               N_("A supplier asked question %(number)s on tender %(reference)s."),
               {"number": number, "reference": tender.reference}, link=questions_link(tender.id, number),
               email=False)
    return question


def answer(actor, question_id: int, text, *, now: dt.datetime | None = None) -> Question:
    """The centre's answer, published to everyone; the asker and the followers are told."""
    from procurement.tendering import follows

    body = plain_text(text, "answer", minimum=ANSWER_MIN, maximum=ANSWER_MAX)
    with unit_of_work():
        found = db.session.get(Question, int(question_id))
        if found is None:
            raise NotFound(N_("No such question."))
        tender = visible_tender(actor, found.tender_id, lock=True)
        now = now or utcnow()
        if not policy.can_manage_tender(actor, tender):
            raise PermissionDenied(N_("Only the procurement centre running the tender answers its questions."))
        if not policy.can_answer_question(actor, tender, now):
            raise Conflict(N_("Questions can be answered only while the tender is open for bids."))
        question = db.session.execute(select(Question).where(Question.id == found.id)
                                      .execution_options(populate_existing=True)).scalar_one()
        before = snapshot(question)
        if question.status != QUESTION_OPEN:
            raise Conflict(N_("Question %(number)s has already been answered."), number=question.number)
        QUESTION.apply(Question, question.id, "answer", column="status", answer=body, answered_at=now,
                       answered_by_id=actor.id)
        db.session.refresh(question)
        audit.record("tender.question_answered", question, before=before, after=snapshot(question), actor=actor)
        asker = [question.asker_user_id] if question.asker_user_id else []
        follows.notify_followers(tender, "tender.answer",
                                 N_("Question %(number)s on tender %(reference)s has been answered."),
                                 {"number": question.number, "reference": tender.reference},
                                 link=questions_link(tender.id, question.number), also_user_ids=asker)
    return question


def flag_unanswered(tender_id: int, due_at: dt.datetime) -> int:
    """Chronograph handler of `DEADLINE_CUTOFF`: flag the tender's questions still unanswered at
    the cut-off and tell the centre. Idempotent: questions flagged once stay flagged and the
    centre hears of each only once; a cut-off moved later by an amendment waits for its time.
    Returns how many questions it flagged (no commit: the chronograph commits)."""
    tender = db.session.execute(select(Tender).where(Tender.id == int(tender_id))
                                .execution_options(populate_existing=True)).unique().scalar_one_or_none()
    if tender is None or tender.status != PUBLISHED:
        return 0
    if tender.clarification_cutoff_at is not None and tender.clarification_cutoff_at > due_at:
        return 0  # the cut-off was moved: its own deadline comes later
    flagged_at = tender.clarification_cutoff_at or due_at
    numbers = list(db.session.execute(
        update(Question).where(Question.tender_id == tender.id, Question.status == QUESTION_OPEN,
                               Question.flagged_at.is_(None))
        .values(flagged_at=flagged_at).returning(Question.number)
        .execution_options(synchronize_session=False)).scalars())
    if not numbers:
        return 0
    numbers.sort()
    from procurement.tendering.services import CHRONOGRAPH  # the clock acts, not whoever's page caught up

    audit.record("tender.questions_flagged", tender, after={"questions": numbers, "cutoff": flagged_at.isoformat()},
                 actor=CHRONOGRAPH)
    notify(centre_officers(tender), "tender.questions_flagged",
           N_("Unanswered questions at the clarification cut-off of tender %(reference)s: %(n)s."),
           {"reference": tender.reference, "n": len(numbers)}, link=questions_link(tender.id))
    return len(numbers)


# ------------------------------------------------------------------ reading

@dataclass(frozen=True)
class QuestionView:
    """A question as `viewer` may see it: `asker` is the asking firm's name for the centre and
    None for everyone else; `mine` tells the asker's own firm."""

    id: int
    number: int
    lot_number: int | None
    lot_title: str | None
    text: str
    asked_at: dt.datetime
    status: str
    answer: str
    answered_at: dt.datetime | None
    flagged: bool
    asker: Organisation | None
    mine: bool


def questions_for(viewer, tender) -> list[QuestionView]:
    """The tender's questions, oldest first, as `viewer` may see them (two queries at most)."""
    rows = list(db.session.execute(select(Question).where(Question.tender_id == tender.id)
                                   .order_by(Question.number)).scalars())
    see_asker = policy.can_see_asker(viewer, tender)
    orgs = {}
    if see_asker and rows:
        orgs = {o.id: o for o in db.session.execute(
            select(Organisation).where(Organisation.id.in_({q.asker_org_id for q in rows}))).scalars()}
    own_org = getattr(viewer, "organisation_id", None) if getattr(viewer, "is_authenticated", False) else None
    lots = {lot.id: lot for lot in tender.lots}
    out = []
    for q in rows:
        lot = lots.get(q.lot_id)
        out.append(QuestionView(id=q.id, number=q.number, lot_number=lot.number if lot else None,
                                lot_title=lot.title if lot else None, text=q.text, asked_at=q.asked_at,
                                status=q.status, answer=q.answer or "", answered_at=q.answered_at,
                                flagged=q.flagged_at is not None, asker=orgs.get(q.asker_org_id) if see_asker else None,
                                mine=own_org is not None and own_org == q.asker_org_id))
    return out


def count_unanswered(centre_org_id: int) -> int:
    """Open questions on the centre's published tenders (one query)."""
    return db.session.execute(
        select(func.count(Question.id)).join(Tender, Tender.id == Question.tender_id)
        .where(Tender.centre_org_id == centre_org_id, Tender.status == PUBLISHED,
               Question.status == QUESTION_OPEN)).scalar() or 0


def unanswered(centre_org_id: int, limit: int = 200) -> list[tuple[Question, Tender]]:
    """The centre's open questions on published tenders: flagged first, then by the tender's
    deadline and the question's number (one query)."""
    rows = db.session.execute(
        select(Question, Tender).join(Tender, Tender.id == Question.tender_id)
        .where(Tender.centre_org_id == centre_org_id, Tender.status == PUBLISHED,
               Question.status == QUESTION_OPEN)
        .order_by(Question.flagged_at.is_(None), Tender.bid_deadline_at, Tender.id, Question.number)
        .limit(limit)).unique().all()
    return [(q, t) for q, t in rows]
