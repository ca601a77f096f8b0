"""The opening session: key holders unlock their shares after the bid deadline; at the k-th
share the bids are opened (see docs/opening.md).

- **Deadline**: nothing is unlocked before the stored bid deadline, checked against the server
  clock truncated to the millisecond (at `deadline - 1 ms`: refused; at the deadline: accepted),
  before the passphrase is even tried and again under the tender's row lock; the tender must also
  have closed (its Merkle root published).
- **Unlock**: the holder's passphrase unwraps the holder's key, which opens the holder's share
  (`bids.services.holder_share`; a wrong passphrase is a 400 and nothing changes). The share is
  re-sealed at once to the session's own X25519 key (`crypto`), whose private key is stored only
  wrapped with a key from the config: a database copy alone never holds a usable share.
- **Session**: made at the first unlock, valid `OPENING_SESSION_MINUTES`; at expiry (the
  chronograph, or the next unlock reading the clock) its shares and key are wiped, and the next
  unlock starts a new attempt with a new key.
- **Opening** (the k-th unlock, same transaction): the session key unseals the shares, the
  tender's key is recombined in memory (checked against its public key), every submitted bid is
  checked and decrypted (`envelopes`), the shares and session key are wiped, each lot's bids are
  qualified and lots with too few valid bids fail (`qualification`); audit events and a
  `tender_opened` record on every contributing project, in the same transaction.
- **Concurrency**: every step locks the tender row first, so two holders unlocking at the same
  moment are counted one after the other, each exactly once, and the bids are opened once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select, update

from core import audit, scheduler
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_, Term
from core.notifications import notify, notify_organisation
from core.services import unit_of_work
from core.timeutil import china_time, utcnow
from procurement.bids import commitments, opening_keys, sealed_round, sealing
from procurement.opening import crypto, envelopes, policy, qualification
from procurement.opening.models import OpeningSession, UnlockedShare
from procurement.opening.states import (
    COLLECTING,
    DEADLINE_SESSION,
    OPENED,
    SESSION,
    VOID,
)
from procurement.tendering import clarifications, follows
from procurement.tendering.models import Tender
from procurement.tendering.records import contributing_projects, record_on_projects
from procurement.tendering.states import CLOSED, PUBLISHED

OBJECT_TYPE = Tender.__tablename__


class _Chronograph:
    """The actor of the session expiry (nobody signed in)."""

    id = None
    organisation_id = None


CHRONOGRAPH = _Chronograph()


@dataclass
class Unlocked:
    """What an unlock did: the session after it, the shares present, and whether it opened."""

    session: OpeningSession
    shares: int
    k: int
    opened: bool


def lock_for_opening(tender_id: int) -> Tender:
    """The tender row locked for an opening step (the race tests meet here)."""
    return clarifications.lock_tender(tender_id)


def session_of(tender_id: int) -> OpeningSession | None:
    return db.session.execute(select(OpeningSession).where(OpeningSession.tender_id == int(tender_id))
                              .execution_options(populate_existing=True)).unique().scalar_one_or_none()


def shares_present(session: OpeningSession) -> int:
    """Unlocked, not yet wiped shares of the session's current attempt."""
    return db.session.execute(select(func.count(UnlockedShare.id)).where(
        UnlockedShare.session_id == session.id, UnlockedShare.attempt == session.attempt,
        UnlockedShare.sealed_share.is_not(None))).scalar()


def effective_status(session: OpeningSession | None, now: dt.datetime | None = None) -> str | None:
    """The session's status by the clock: a collecting session past its time counts as expired."""
    if session is None:
        return None
    if session.status == COLLECTING and (now or utcnow()) >= session.expires_at:
        return "expired"
    return session.status


def _minutes() -> int:
    return max(1, int(current_app.config.get("OPENING_SESSION_MINUTES", 240)))


# ------------------------------------------------------------------ checks

def _refuse_before_deadline(tender, now: dt.datetime) -> None:
    if not policy.deadline_passed(tender, now):
        raise Conflict(N_("Nothing can be unlocked before the bid deadline, %(deadline)s (server time %(now)s)."),
                       deadline=commitments.iso_ms(tender.bid_deadline_at) if tender.bid_deadline_at else "-",
                       now=commitments.iso_ms(now))


def _refuse_not_closed(tender) -> None:
    if tender.status == PUBLISHED:
        raise Conflict(N_("Tendering is closing at its deadline; try again in a moment."))
    if tender.status != CLOSED:
        raise Conflict(N_("The bids of this tender cannot be opened: the tender is %(status)s."),
                       status=Term(tender.status))
    if sealed_round.bid_root(tender) is None:
        raise Conflict(N_("The bids are being sealed; try again in a moment."))


# ------------------------------------------------------------------ the session

def _wipe(session: OpeningSession, now: dt.datetime) -> None:
    """Overwrite the session's shares and wrapped key with NULL (see docs/opening.md for what the
    database may still keep)."""
    db.session.execute(update(UnlockedShare).where(UnlockedShare.session_id == session.id,
                                                   UnlockedShare.sealed_share.is_not(None))
                       .values(sealed_share=None, wiped_at=now).execution_options(synchronize_session=False))


def _expire(tender, session: OpeningSession, now: dt.datetime, actor) -> None:
    shares = shares_present(session)
    _wipe(session, now)
    SESSION.apply(OpeningSession, session.id, "expire", wrapped_private_key=None, key_salt=None, updated_at=now)
    audit.record("opening.session_expired", object_type="tenders", object_id=tender.id, actor=actor,
                 after={"attempt": session.attempt, "shares_wiped": shares})


def _key_unwraps(session: OpeningSession) -> bool:
    try:
        crypto.unwrap_session_key(session.wrapped_private_key, session.key_salt)
        return True
    except sealing.SealingError:
        return False


def _session_for_unlock(tender, now: dt.datetime, actor) -> OpeningSession:
    """The collecting session: made at the first unlock; an expired one restarts with a new key."""
    session = session_of(tender.id)
    if session is not None and session.status == COLLECTING and (now >= session.expires_at
                                                                 or not _key_unwraps(session)):
        # Past its time, or its key no longer unwraps (the config key changed, e.g. a development
        # server restarted with a new random SECRET_KEY): wipe it and start again.
        _expire(tender, session, now, actor)
        db.session.refresh(session)
    if session is not None and session.status == OPENED:
        raise Conflict(N_("The bids of this tender were already opened, at %(when)s."),
                       when=china_time(session.opened_at))
    if session is not None and session.status == COLLECTING:
        return session
    key = crypto.new_session_key()
    expires = now + dt.timedelta(minutes=_minutes())
    if session is None:
        session = OpeningSession(tender_id=tender.id, status=COLLECTING, attempt=1, public_key=key.public_key,
                                 wrapped_private_key=key.wrapped_private_key, key_salt=key.salt, started_at=now,
                                 expires_at=expires, updated_at=now)
        db.session.add(session)
        db.session.flush()
    else:
        SESSION.apply(OpeningSession, session.id, "restart", attempt=session.attempt + 1, public_key=key.public_key,
                      wrapped_private_key=key.wrapped_private_key, key_salt=key.salt, started_at=now,
                      expires_at=expires, updated_at=now)
        db.session.refresh(session)
    scheduler.schedule(DEADLINE_SESSION, OBJECT_TYPE, tender.id, expires)
    audit.record("opening.session_started", object_type="tenders", object_id=tender.id, actor=actor,
                 after={"attempt": session.attempt, "public_key": session.public_key,
                        "expires_at": commitments.iso_ms(expires)})
    return session


def expire_due(tender_id: int, due_at: dt.datetime) -> None:
    """Chronograph handler of `DEADLINE_SESSION`: wipe a session still collecting whose time is
    up. Idempotent; runs in the scheduler's transaction (no commit)."""
    try:
        tender = lock_for_opening(tender_id)
    except NotFound:
        return
    session = session_of(tender.id)
    if session is None or session.status != COLLECTING or session.expires_at > due_at:
        return
    _expire(tender, session, due_at, CHRONOGRAPH)


# ------------------------------------------------------------------ unlocking

def unlock(actor, tender_id, passphrase, *, now: dt.datetime | None = None) -> Unlocked:
    """A key holder unlocks their share of the tender's opening key (see the module text)."""
    now = commitments.truncate_ms(now or utcnow())
    tender = clarifications.visible_tender(actor, tender_id)
    _refuse_before_deadline(tender, now)
    if not policy.can_unlock_share(actor, tender, now):
        raise PermissionDenied(N_("You hold no share of this tender's opening key."))
    if not isinstance(passphrase, str) or not passphrase:
        raise ValidationError(N_("Please correct the marked fields."), {"passphrase": N_("Type your passphrase.")})
    x, share = opening_keys.holder_share(tender.id, actor, passphrase)
    share = bytearray(share)
    try:
        with unit_of_work(N_("Your share was already unlocked in this opening session.")):
            return _unlock(actor, tender.id, x, share, now)
    finally:
        sealing.wipe(share)


def _unlock(actor, tender_id: int, x: int, share: bytearray, now: dt.datetime) -> Unlocked:
    tender = lock_for_opening(tender_id)
    _refuse_before_deadline(tender, now)
    _refuse_not_closed(tender)
    session = _session_for_unlock(tender, now, actor)
    key = opening_keys.opening_key(tender.id)
    mine = db.session.execute(select(UnlockedShare.id).where(
        UnlockedShare.session_id == session.id, UnlockedShare.attempt == session.attempt,
        UnlockedShare.holder_user_id == actor.id)).first()
    if mine is not None:
        raise Conflict(N_("You already unlocked your share in this opening session (%(n)s of %(k)s shares so far)."),
                       n=shares_present(session), k=key.k)
    db.session.add(UnlockedShare(session_id=session.id, attempt=session.attempt, holder_user_id=actor.id, x=x,
                                 sealed_share=crypto.seal_share(x, share, session.public_key), unlocked_at=now))
    db.session.flush()
    count = shares_present(session)
    audit.record("opening.share_unlocked", object_type="tenders", object_id=tender.id, actor=actor,
                 after={"attempt": session.attempt, "holder": actor.id, "shares": count, "k": key.k})
    opened = count >= key.k
    if opened:
        _open(tender, session, key, actor, now)
        db.session.refresh(session)
    return Unlocked(session=session, shares=count, k=key.k, opened=opened)


# ------------------------------------------------------------------ opening

def _recombine(session: OpeningSession, key) -> bytearray:
    """The tender's opening private key from the session's shares (in memory; the caller wipes)."""
    rows = list(db.session.execute(select(UnlockedShare).where(
        UnlockedShare.session_id == session.id, UnlockedShare.attempt == session.attempt,
        UnlockedShare.sealed_share.is_not(None)).order_by(UnlockedShare.x)).unique().scalars())
    shares: list[tuple[int, bytearray]] = []
    try:
        session_key = crypto.unwrap_session_key(session.wrapped_private_key, session.key_salt)
        for row in rows:
            shares.append(crypto.open_share(row.sealed_share, session_key))
        return sealing.reconstruct_private_key(shares, key.public_key)
    except sealing.SealingError:
        raise Conflict(N_("The unlocked shares do not give the tender's opening key, so nothing was opened. The "
                          "opening session may have been tampered with; ask the platform team to check it.")) from None
    finally:
        for _x, data in shares:
            sealing.wipe(data)


def _open(tender, session: OpeningSession, key, actor, now: dt.datetime) -> None:
    private = _recombine(session, key)
    try:
        opened = envelopes.open_all(tender, private, now)
    finally:
        sealing.wipe(private)
    _wipe(session, now)
    SESSION.apply(OpeningSession, session.id, "complete", opened_at=now, opened_by_id=actor.id,
                  wrapped_private_key=None, key_salt=None, updated_at=now)
    scheduler.cancel(DEADLINE_SESSION, OBJECT_TYPE, tender.id)
    outcomes = qualification.settle_lots(tender, opened, now, actor=actor)
    by_lot = {lot.id: lot.number for lot in tender.lots}
    summary = {"tender_id": tender.id, "reference": tender.reference, "opened_at": now.isoformat(),
               "merkle_root": sealed_round.bid_root(tender).root,
               "lots": [{"lot": by_lot[o.lot_id], "lot_id": o.lot_id, "opened": sum(1 for b in opened
                                                                                   if b.lot_id == o.lot_id),
                         "valid": o.valid_bids, "min_bidders": o.min_bidders} for o in outcomes],
               "void": sum(1 for b in opened if b.status == VOID)}
    audit.record("opening.opened", object_type="tenders", object_id=tender.id, actor=actor,
                 after={**summary, "bids": [{"bid": b.bid_id, "status": b.status, "reason": b.void_reason}
                                            for b in opened]})
    record_on_projects(contributing_projects(tender), "tender_opened", summary, actor=actor)
    qualification.fail_short_lots(tender, outcomes, now, actor=actor)
    _tell(tender, opened)


def _tell(tender, opened) -> None:
    link = clarifications.tender_link(tender.id)
    people = {u.id: u for u in clarifications.centre_officers(tender) + follows.followers(tender)}
    notify(list(people.values()), "opening.opened",
           N_("The bids of tender %(reference)s were opened; the opening record is on the tender page."),
           {"reference": tender.reference}, link=link)
    for row in opened:
        if row.status == VOID:
            notify_organisation(row.supplier_org_id, "opening.void",
                                N_("Your bid on tender %(reference)s was void at opening; the reason is in the "
                                   "opening record."), {"reference": tender.reference}, link=link)


def call_key_holders(tender) -> None:
    """Listener of `tendering.services.on_closed` (in the close's transaction): tell the tender's
    key holders that the bids can now be opened."""
    from procurement.bids.models import KeyShare

    holders = [s.holder for s in db.session.execute(select(KeyShare).where(KeyShare.tender_id == tender.id)
                                                    .order_by(KeyShare.x)).unique().scalars()]
    if holders:
        notify(holders, "opening.unlock",
               N_("Tendering closed for %(reference)s: unlock your share of the opening key to open the bids."),
               {"reference": tender.reference}, link=f"/tenders/{tender.id}/opening")
