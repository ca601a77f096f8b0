"""Following a published tender for its deadlines and changes, and telling the people who showed
interest in a tender what happened to it.

Who hears of what:
- an answer to a question: the followers and the asker;
- an amendment: the followers and every supplier person who asked a question on the tender;
- a cancellation: everyone who showed interest, that is the followers, the people who asked
  questions and the supplier people told of the opportunity (`opportunities.announce`): a firm
  told of the tender may be preparing a bid without following it, and a cancellation is the last
  word on a tender, so nobody preparing for it should miss it.

Following is a person's preference, not a step of the procedure: it is not audited. Notices go
through the notification centre (in-app and e-mail, in each person's language), written in the
caller's transaction.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from core.errors import Conflict
from core.extensions import db
from core.i18n import N_, Message
from core.models import Notification, User
from core.notifications import notify
from core.policy import is_signed_in
from core.services import unit_of_work
from core.timeutil import china_time, utcnow
from procurement.tendering import policy
from procurement.tendering.clarifications import tender_link, visible_tender
from procurement.tendering.models import Question, Tender, TenderFollow

#: Cancellation reason types (`states.CANCEL_REASONS`) as words inside a sentence.
CANCEL_REASON_NAMES = {
    "no_longer_needed": N_("no longer needed"),
    "budget_withdrawn": N_("budget withdrawn"),
    "requirements_changed": N_("requirements changed"),
    "irregularity": N_("irregularity in the procedure"),
    "insufficient_competition": N_("insufficient competition"),
    "other": N_("other reason"),
}

#: The notification kind of `opportunities.announce` (its recipients hear of a cancellation).
OPPORTUNITY_KIND = "tender.opportunity"


def _insert(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def follow(actor, tender_id: int) -> bool:
    """Follow a published tender; True when `actor` was not following it yet (following twice
    is a quiet no-op)."""
    with unit_of_work():
        tender = visible_tender(actor, tender_id)
        if not policy.can_follow_tender(actor, tender):
            raise Conflict(N_("Only published tenders can be followed."))
        insert = _insert(db.session.get_bind().dialect.name)
        added = db.session.execute(insert(TenderFollow.__table__)
                                   .values(tender_id=tender.id, user_id=actor.id, created_at=utcnow())
                                   .on_conflict_do_nothing(index_elements=["tender_id", "user_id"])
                                   .returning(TenderFollow.__table__.c.user_id)).all()
    return bool(added)


def unfollow(actor, tender_id: int) -> bool:
    """Stop following; True when `actor` was following (unfollowing twice is a quiet no-op)."""
    with unit_of_work():
        tender = visible_tender(actor, tender_id)
        result = db.session.execute(delete(TenderFollow).where(TenderFollow.tender_id == tender.id,
                                                               TenderFollow.user_id == actor.id))
    return bool(result.rowcount)


def is_following(user, tender) -> bool:
    if not is_signed_in(user):
        return False
    return db.session.execute(select(TenderFollow.user_id).where(TenderFollow.tender_id == tender.id,
                                                                 TenderFollow.user_id == user.id)).first() is not None


def followers(tender) -> list[User]:
    """The active people following the tender (oldest follower first)."""
    return list(db.session.execute(
        select(User).join(TenderFollow, TenderFollow.user_id == User.id)
        .where(TenderFollow.tender_id == tender.id, User.active.is_(True))
        .order_by(TenderFollow.created_at, User.id)).scalars())


def followed_tenders(user, limit: int = 200) -> list[Tender]:
    """The tenders `user` follows, soonest deadline first (one query plus the lots)."""
    return list(db.session.execute(
        select(Tender).join(TenderFollow, TenderFollow.tender_id == Tender.id)
        .where(TenderFollow.user_id == user.id)
        .options(selectinload(Tender.lots))
        .order_by(Tender.bid_deadline_at.is_(None), Tender.bid_deadline_at, Tender.id).limit(limit)).scalars())


def _users(ids) -> list[User]:
    ids = {int(i) for i in ids if i}
    if not ids:
        return []
    return list(db.session.execute(select(User).where(User.id.in_(ids), User.active.is_(True))
                                   .order_by(User.id)).scalars())


def askers(tender) -> list[User]:
    """The active people who asked questions on the tender."""
    ids = db.session.execute(select(Question.asker_user_id).where(Question.tender_id == tender.id).distinct())
    return _users(i for (i,) in ids)


def opportunity_recipients(tender) -> list[User]:
    """The active supplier people told of the tender as an opportunity."""
    ids = db.session.execute(select(Notification.user_id).where(Notification.kind == OPPORTUNITY_KIND,
                                                                Notification.link == tender_link(tender.id))
                             .distinct())
    return _users(i for (i,) in ids)


def _unique(*groups) -> list[User]:
    seen, out = set(), []
    for group in groups:
        for user in group:
            if user.id not in seen:
                seen.add(user.id)
                out.append(user)
    return out


def notify_followers(tender, kind: str, template: str, params: dict | None = None, *, link: str | None = None,
                     also_user_ids=(), also=()) -> list[User]:
    """Tell the followers (plus the people of `also_user_ids` / `also`, each once). No commit."""
    users = _unique(followers(tender), _users(also_user_ids), also)
    notify(users, kind, template, params, link=link or tender_link(tender.id))
    return users


def notify_amended(tender, amendment) -> list[User]:
    """Followers and askers hear of an amendment (and of a moved deadline)."""
    params = {"reference": tender.reference, "title": tender.title, "number": amendment.number}
    if amendment.deadline_before != amendment.deadline_after:
        template = N_("Tender %(reference)s “%(title)s” was amended (amendment %(number)s); bids are now due "
                      "%(deadline)s.")
        params["deadline"] = china_time(amendment.deadline_after)
    else:
        template = N_("Tender %(reference)s “%(title)s” was amended (amendment %(number)s).")
    return notify_followers(tender, "tender.amended", template, params, also=askers(tender),
                            link=f"{tender_link(tender.id)}/amendments")


def notify_cancelled(tender) -> list[User]:
    """Everyone who showed interest (followers, askers, suppliers told of the opportunity) hears
    that the tender was cancelled, with the reason type and the centre's reason. Called by the
    cancel use case inside its transaction (no commit)."""
    reason_type = Message(CANCEL_REASON_NAMES.get(tender.cancel_reason_type or "other", N_("other reason")))
    params = {"reference": tender.reference, "title": tender.title, "reason_type": reason_type}
    if (tender.cancel_reason or "").strip():
        template = N_("Tender %(reference)s “%(title)s” was cancelled (%(reason_type)s): %(reason)s")
        params["reason"] = tender.cancel_reason.strip()
    else:
        template = N_("Tender %(reference)s “%(title)s” was cancelled (%(reason_type)s).")
    users = _unique(followers(tender), askers(tender), opportunity_recipients(tender))
    notify(users, "tender.cancelled", template, params, link=tender_link(tender.id))
    return users
