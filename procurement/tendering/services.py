"""The tender lifecycle: a draft built from a closed pooling round, the finance office's review,
publication, the close of tendering at the bid deadline (the chronograph) and cancellation.

    draft --submit--> finance_review --approve--> approved --publish--> published --close--> closed
      ^                    |  return                 | withdraw_approval
      +--------------------+-------------------------+
    cancel: from any live state (with a reason type); fail: later issues (too few bids)

Every use case is one transaction: it locks the tender row, asks the rule in `policy`, moves the
status through `states.TENDER` (an atomic conditional UPDATE: of two officers publishing at the
same moment exactly one wins, the other gets a 409), writes the tender's audit event and one
record on the chain of every contributing project (`records.record_tender_step`), and tells
the people concerned. The named checks of `checks.run_checks` run at submission, at review and
again at publication (with the publication time = now); a failing check refuses the move.

Drafts (creating and changing them) are `drafts`, reading tenders and their lists `queries`,
amendments of a published tender `amendments`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select

from core import scheduler
from core.errors import Conflict, NotFound, PermissionDenied
from core.extensions import db
from core.i18n import N_, Message, Term
from core.notifications import notify, notify_organisation
from core.services import unit_of_work
from core.statemachine import IllegalMove
from core.timeutil import china_time, utcnow
from core.validation import Errors, choice, plain_text
from procurement.pooling.models import LIVE_LINE_STATES, ROUND, PooledLine, PoolingRound
from procurement.tendering import checks as tender_checks
from procurement.tendering import follows, opportunities, policy
from procurement.tendering import lots as lot_rules
from procurement.tendering.clarifications import lock_tender, tender_link
from procurement.tendering.models import Lot, Tender
from procurement.tendering.records import contributing_projects, record_tender_step
from procurement.tendering.states import (CANCEL_REASONS, DEADLINE_BIDS, DEADLINE_CUTOFF, PUBLIC_STATES, PUBLISHED,
                                          TENDER)

#: The object type of tenders in `core.scheduler` deadlines.
OBJECT_TYPE = Tender.__tablename__
COMMENT_MIN, COMMENT_MAX = 5, 2000
REASON_MIN, REASON_MAX = 5, 2000


class _Chronograph:
    """The actor of steps the clock takes (tendering closed at the deadline): nobody signed in."""

    id = None
    organisation_id = None


CHRONOGRAPH = _Chronograph()
PUBLISHED_LISTENERS_KEY = "tender_published_listeners"
CLOSED_LISTENERS_KEY = "tender_closed_listeners"
CANCELLED_LISTENERS_KEY = "tender_cancelled_listeners"


def on_published(app, func) -> None:
    """Call `func(tender)` inside every publication's transaction, after the move (bids: the
    opening key). An exception in `func` refuses the publication."""
    funcs = app.extensions.setdefault(PUBLISHED_LISTENERS_KEY, [])
    if func not in funcs:
        funcs.append(func)


def on_closed(app, func) -> None:
    """Call `func(tender)` inside the close at the bid deadline (bids: the Merkle root)."""
    funcs = app.extensions.setdefault(CLOSED_LISTENERS_KEY, [])
    if func not in funcs:
        funcs.append(func)


def on_cancelled(app, func) -> None:
    """Call `func(tender)` inside every cancellation's transaction, after the move (bonds: the
    held bonds are returned). An exception in `func` refuses the cancellation, so listeners only
    write rows and arm the chronograph; calls to outside services belong in its jobs."""
    funcs = app.extensions.setdefault(CANCELLED_LISTENERS_KEY, [])
    if func not in funcs:
        funcs.append(func)


def _listeners(key: str) -> list:
    from flask import current_app

    return list(current_app.extensions.get(key, []))


# ------------------------------------------------------------------ input

def _clean_comment(comment, *, required: bool, minimum: int = COMMENT_MIN, maximum: int = COMMENT_MAX,
                   field: str = "comment") -> str:
    return plain_text(comment, field, minimum=minimum if required else 0, maximum=maximum,
                      refused=N_("The comment was not accepted."), too_short=N_("Say why (at least %(n)s characters)."))


# ------------------------------------------------------------------ reading

def locked_tender(actor, tender_id: int) -> Tender:
    """The tender row locked for this transaction, if `actor` may see it (NotFound otherwise)."""
    tender = lock_tender(tender_id)
    if not policy.can_view_tender(actor, tender):
        raise NotFound(N_("No such tender."))
    return tender


# ------------------------------------------------------------------ checks

def _unpayload(value):
    if isinstance(value, dict) and set(value) == {"term"}:
        return Term(value["term"])
    if isinstance(value, dict) and set(value) == {"key", "params"}:
        return Message(value["key"], **{k: _unpayload(v) for k, v in (value["params"] or {}).items()})
    return value


def check_fields(results: list[dict]) -> dict:
    """Failing checks as error fields ``{check name: (template, params)}``."""
    return {c["check"]: (c["message"]["key"], {k: _unpayload(v) for k, v in c["message"]["params"].items()})
            for c in tender_checks.failing(results)}


def _refuse_failing(results: list[dict], message: str) -> None:
    failed = tender_checks.failing(results)
    if failed:
        raise Conflict(message, check_fields(results), n=len(failed))


def current_checks(tender, *, now: dt.datetime | None = None) -> list[dict]:
    """The checks as they stand now (for pages: what submit, approve and publish will find)."""
    return tender_checks.run_checks(tender, at=now or utcnow())


# ------------------------------------------------------------------ notices

def _reviewers(tender) -> list:
    """The active people of the city's offices who review its tenders (`policy.is_tender_reviewer`)."""
    from core.models import Organisation, User

    users = db.session.execute(select(User).join(Organisation, Organisation.id == User.organisation_id)
                               .where(Organisation.city_id == tender.city_id, User.active.is_(True))
                               .order_by(User.id)).scalars()
    return [u for u in users if policy.is_tender_reviewer(u, tender)]


def _tell_centre(tender, kind: str, template: str, params: dict | None = None, *, link: str | None = None) -> None:
    notify_organisation(tender.centre_org_id, kind, template,
                        {"reference": tender.reference, "title": tender.title, **(params or {})},
                        link=link or f"/tenders/{tender.id}/manage")


# ------------------------------------------------------------------ review

@dataclass(frozen=True)
class _ReviewStep:
    """A step of the review loop (submit, approve, return): the move, who may take it (`allowed`,
    a `policy` rule, else `not_allowed`), the projects' record kind, and the message that refuses
    it while a check fails (None: the checks are stored with the step but refuse nothing)."""

    move: str
    allowed: Callable
    not_allowed: str
    record_kind: str
    failing_checks: str | None = None


_SUBMIT = _ReviewStep("submit", lambda actor, tender: policy.can_manage_tender(actor, tender),
                      N_("Only the tender's procurement centre submits it for review."), "tender_submitted",
                      N_("Failing checks: %(n)s. The tender cannot go to the finance office until they pass."))
_APPROVE = _ReviewStep("approve", lambda actor, tender: policy.is_tender_reviewer(actor, tender),
                       N_("Only the city's finance office reviews tenders."), "tender_approved",
                       N_("Failing checks: %(n)s. The tender cannot be approved; return it to the centre."))
_RETURN = _ReviewStep("return", lambda actor, tender: policy.is_tender_reviewer(actor, tender),
                      N_("Only the city's finance office reviews tenders."), "tender_returned")


def _review_step(actor, tender_id: int, step: _ReviewStep, now: dt.datetime, values: dict,
                 record: Callable[[dict], dict], announce: Callable[[Tender], None]) -> Tender:
    """One transaction: the tender locked, `step`'s rule and move checked, the named checks run
    (a failing one refuses the step when it says so; then the profile in force is pinned on the
    tender), the move applied with `values`, the projects' record written (``record(values)``,
    the values as applied) and the people concerned told (``announce(tender)``)."""
    with unit_of_work():
        tender = locked_tender(actor, tender_id)
        if not step.allowed(actor, tender):
            message = step.not_allowed
            raise PermissionDenied(message)
        TENDER.check(tender.status, step.move)
        results = tender_checks.run_checks(tender, at=now)
        values = {**values, "review_checks": results, "updated_at": now}
        if step.failing_checks is not None:
            _refuse_failing(results, step.failing_checks)
            values["profile_id"] = tender_checks.find_profile(tender, now).id
        before = tender.snapshot()
        TENDER.apply(Tender, tender.id, step.move, **values)
        record_tender_step(tender, step.record_kind, record(values), actor=actor, before=before)
        announce(tender)
    return tender


def submit(actor, tender_id: int, *, now: dt.datetime | None = None) -> Tender:
    """The centre sends a draft whose checks pass to the city's finance office."""
    now = now or utcnow()

    def announce(tender):
        notify(_reviewers(tender), "tender.submitted",
               N_("Tender %(reference)s “%(title)s” is waiting for your review."),
               {"reference": tender.reference, "title": tender.title}, link=f"/tenders/{tender.id}/manage")

    return _review_step(actor, tender_id, _SUBMIT, now,
                        {"submitted_at": now, "submitted_by_id": actor.id, "review_comment": ""},
                        lambda values: {"profile_id": values["profile_id"]}, announce)


def approve(actor, tender_id: int, comment: str | None = "", *, now: dt.datetime | None = None) -> Tender:
    """The city's finance office approves a tender under review; refused while a check fails."""
    return _finance_decision(actor, tender_id, comment, _APPROVE, now, "tender.approved",
                             N_("The finance office approved tender %(reference)s “%(title)s”; it can be published."))


def return_(actor, tender_id: int, comment: str | None, *, now: dt.datetime | None = None) -> Tender:
    """The city's finance office returns a tender under review to the centre, saying why."""
    return _finance_decision(actor, tender_id, comment, _RETURN, now, "tender.returned",
                             N_("The finance office returned tender %(reference)s “%(title)s”: %(comment)s"))


def _finance_decision(actor, tender_id: int, comment, step: _ReviewStep, now, notice_kind: str,
                      notice: str) -> Tender:
    """The finance office's review step with its comment (required to return), stored on the
    tender and the record, and the notice to the centre."""
    comment = _clean_comment(comment, required=step is _RETURN)
    now = now or utcnow()
    params = {"comment": comment} if step is _RETURN else None
    return _review_step(actor, tender_id, step, now,
                        {"reviewed_at": now, "reviewed_by_id": actor.id, "review_comment": comment},
                        lambda values: {"comment": comment},
                        lambda tender: _tell_centre(tender, notice_kind, notice, params))


def withdraw_approval(actor, tender_id: int) -> Tender:
    """The centre takes an approved tender back to draft to change it (it is reviewed again)."""
    with unit_of_work():
        tender = locked_tender(actor, tender_id)
        if not policy.can_manage_tender(actor, tender):
            raise PermissionDenied(N_("Only the tender's procurement centre changes it."))
        TENDER.check(tender.status, "withdraw_approval")
        before = tender.snapshot()
        TENDER.apply(Tender, tender.id, "withdraw_approval", updated_at=utcnow())
        record_tender_step(tender, "tender_approval_withdrawn", {}, actor=actor, before=before)
    return tender


# ------------------------------------------------------------------ publication and deadlines

def reschedule_deadlines(tender) -> None:
    """Arm the chronograph for the tender's bid deadline (tendering closes) and clarification
    cut-off, in the caller's transaction. Publication calls it; so does an amendment that moves
    the deadline."""
    if tender.bid_deadline_at is not None:
        scheduler.schedule(DEADLINE_BIDS, OBJECT_TYPE, tender.id, tender.bid_deadline_at)
    if tender.clarification_cutoff_at is not None and DEADLINE_CUTOFF in scheduler.handlers():
        scheduler.schedule(DEADLINE_CUTOFF, OBJECT_TYPE, tender.id, tender.clarification_cutoff_at)


def publish(actor, tender_id: int, *, now: dt.datetime | None = None) -> Tender:
    """The centre publishes an approved tender: the checks run again with the publication time
    = now and the profile in force today (stored on the tender); the documents are available
    until the end of the profile's working days, questions until the cut-off; the chronograph is
    armed for the deadline; suppliers whose products fit a lot are told."""
    now = now or utcnow()
    with unit_of_work():
        tender = locked_tender(actor, tender_id)
        if not policy.can_manage_tender(actor, tender):
            raise PermissionDenied(N_("Only the tender's procurement centre publishes it."))
        TENDER.check(tender.status, "publish")
        results = tender_checks.run_checks(tender, at=now)
        _refuse_failing(results, N_("Failing checks: %(n)s. The tender cannot be published until they pass."))
        profile = tender_checks.find_profile(tender, now)
        before = tender.snapshot()
        TENDER.apply(Tender, tender.id, "publish", published_at=now, published_by_id=actor.id, profile_id=profile.id,
                     documents_until=tender_checks.documents_until(profile, now),
                     clarification_cutoff_at=tender_checks.clarification_cutoff(profile, tender.bid_deadline_at),
                     updated_at=now)
        reschedule_deadlines(tender)
        for listener in _listeners(PUBLISHED_LISTENERS_KEY):
            listener(tender)
        record_tender_step(tender, "tender_published", {
            "published_at": now.isoformat(), "bid_deadline_at": tender.bid_deadline_at.isoformat(),
            "profile_id": profile.id}, actor=actor, before=before)
        opportunities.announce(tender)
    return tender


def close_tendering(tender_id: int, due_at: dt.datetime) -> None:
    """Chronograph handler of `DEADLINE_BIDS`: tendering closes at the bid deadline. Idempotent:
    a tender no longer published, or whose deadline was moved past `due_at`, is left alone.
    Runs in the scheduler's transaction (no commit)."""
    try:
        tender = lock_tender(tender_id)
    except NotFound:
        return
    if tender.status != PUBLISHED:
        return
    if tender.bid_deadline_at is None or tender.bid_deadline_at > due_at:
        return  # the deadline moved later; its own deadline row closes it then
    before = tender.snapshot()
    try:
        TENDER.apply(Tender, tender.id, "close", closed_at=tender.bid_deadline_at)
    except IllegalMove:
        return
    record_tender_step(tender, "tender_closed", {"closed_at": tender.bid_deadline_at.isoformat()},
                       actor=CHRONOGRAPH, before=before)
    for listener in _listeners(CLOSED_LISTENERS_KEY):
        listener(tender)
    notify(follows.followers(tender), "tender.closed",
           N_("Tendering closed for %(reference)s “%(title)s” at its deadline, %(deadline)s."),
           {"reference": tender.reference, "title": tender.title, "deadline": china_time(tender.bid_deadline_at)},
           link=tender_link(tender.id))


def catch_up(tender_id: int) -> None:
    """Run the tender's due deadlines before a page or an answer shows it."""
    scheduler.catch_up(OBJECT_TYPE, tender_id)


# ------------------------------------------------------------------ cancellation

def cancel(actor, tender_id: int, reason_type: str, reason: str | None) -> Tender:
    """The centre cancels a live tender, with a reason type (`CANCEL_REASONS`) and its reason.

    Before publication the pooled lines go back to their round (unassigned; the round can be
    tendered again); once published, the lines are released for good (the projects pool them
    again in a new round). Pending deadlines are disarmed; everyone who showed interest is told.
    """
    errors = Errors()
    reason_type = choice({"reason_type": reason_type}, "reason_type", errors, CANCEL_REASONS)
    errors.raise_if_any(N_("The cancellation was not accepted."))
    reason = _clean_comment(reason, required=True, minimum=REASON_MIN, maximum=REASON_MAX, field="reason")
    now = utcnow()
    with unit_of_work():
        tender = locked_tender(actor, tender_id)
        if not policy.can_manage_tender(actor, tender):
            raise PermissionDenied(N_("Only the tender's procurement centre cancels it."))
        TENDER.check(tender.status, "cancel")
        was_public = tender.status in PUBLIC_STATES
        project_ids = contributing_projects(tender)
        before = tender.snapshot()
        TENDER.apply(Tender, tender.id, "cancel", cancelled_at=now, cancel_reason_type=reason_type,
                     cancel_reason=reason, updated_at=now)
        record_tender_step(tender, "tender_cancelled", {"reason_type": reason_type, "reason": reason},
                           actor=actor, before=before, project_ids=project_ids)
        lines = list(db.session.execute(select(PooledLine).join(Lot, Lot.id == PooledLine.lot_id)
                                        .where(Lot.tender_id == tender.id,
                                               PooledLine.status.in_(LIVE_LINE_STATES))
                                        .order_by(PooledLine.id)).scalars())
        if was_public or tender.pooling_round_id is None:
            lot_rules.release_lines(lines, actor, reason="tender_cancelled", tender=tender)
        else:
            for lot in tender.lots:
                lot_rules.unassign_lines(lot, actor)
            ROUND.apply(PoolingRound, tender.pooling_round_id, "reopen")
        for kind in (DEADLINE_BIDS, DEADLINE_CUTOFF):
            scheduler.cancel(kind, OBJECT_TYPE, tender.id)
        for listener in _listeners(CANCELLED_LISTENERS_KEY):
            listener(tender)
        follows.notify_cancelled(tender)
    return tender
