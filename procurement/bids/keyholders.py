"""Enrolment of opening key holders, and choosing a tender's holders at publication.

A procurement officer of a centre, or a finance reviewer of a city's finance office, becomes an
opening key holder by choosing a passphrase (at least `PASSPHRASE_MIN` characters). The platform
keeps only the holder's public key, a salt and the holder's private key wrapped with the
passphrase-derived key (argon2id, `SEALING_PWHASH_*` in config): never the passphrase. A holder
enrols once; a forgotten passphrase makes the holder's shares of already published tenders
unusable (the other holders still reach k), so re-enrolment is refused while shares exist.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.errors import Conflict, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_
from core.models import User
from core.services import unit_of_work
from core.timeutil import utcnow
from procurement.bids import policy, sealing
from procurement.bids.models import KeyHolder

PASSPHRASE_MIN = 12
PASSPHRASE_MAX = 200


def clean_passphrase(passphrase, confirm=None) -> str:
    if not isinstance(passphrase, str) or len(passphrase) < PASSPHRASE_MIN:
        raise ValidationError(N_("Please correct the marked fields."), {
            "passphrase": (N_("The passphrase needs at least %(n)s characters."), {"n": PASSPHRASE_MIN})})
    if len(passphrase) > PASSPHRASE_MAX:
        raise ValidationError(N_("Please correct the marked fields."), {
            "passphrase": (N_("At most %(n)s characters."), {"n": PASSPHRASE_MAX})})
    if confirm is not None and confirm != passphrase:
        raise ValidationError(N_("Please correct the marked fields."), {
            "confirm": N_("The two passphrases differ.")})
    return passphrase


def holder_of(user) -> KeyHolder | None:
    if user is None or getattr(user, "id", None) is None:
        return None
    return db.session.get(KeyHolder, user.id)


def enrol(actor, passphrase, confirm=None) -> KeyHolder:
    """Make `actor` an opening key holder with this passphrase (see the module docstring)."""
    if not policy.can_enrol_key_holder(actor):
        raise PermissionDenied(N_("Only procurement officers of a centre and finance reviewers of a city's "
                                  "finance office hold opening keys."))
    phrase = clean_passphrase(passphrase, confirm)
    cfg = current_app.config
    keys = sealing.enrol_holder(phrase, opslimit=cfg["SEALING_PWHASH_OPSLIMIT"], memlimit=cfg["SEALING_PWHASH_MEMLIMIT"])
    try:
        return _enrol(actor, keys)
    except IntegrityError:  # enrolled by another request at the same moment
        db.session.rollback()
        raise Conflict(ALREADY) from None


ALREADY = N_("You are already an opening key holder; your passphrase cannot be changed while your shares are in use.")


def _enrol(actor, keys) -> KeyHolder:
    with unit_of_work():
        exists = db.session.execute(select(KeyHolder.user_id).where(KeyHolder.user_id == actor.id)).first()
        if exists is not None:
            raise Conflict(ALREADY)
        holder = KeyHolder(user_id=actor.id, organisation_id=actor.organisation_id, public_key=keys.public_key,
                           wrapped_private_key=keys.wrapped_private_key, salt=keys.salt, opslimit=keys.opslimit,
                           memlimit=keys.memlimit, enrolled_at=utcnow())
        db.session.add(holder)
        from core import audit

        audit.record("bids.key_holder_enrolled", object_type="users", object_id=actor.id,
                     after={"public_key": keys.public_key}, actor=actor)
    return holder


def holders_for(tender) -> list[KeyHolder]:
    """The enrolled holders that may hold a share of `tender`'s key: active officers of its centre
    and finance reviewers of its city, in user id order."""
    rows = db.session.execute(select(KeyHolder).join(User, User.id == KeyHolder.user_id)
                              .where(User.active.is_(True)).order_by(KeyHolder.user_id)).unique().scalars()
    return [h for h in rows if h.user.organisation_id == h.organisation_id and policy.is_key_holder_for(h.user, tender)]


def check_passphrase(user, passphrase: str) -> bool:
    """Does `passphrase` unwrap the holder's key? (Enrolment page: "test my passphrase".)"""
    holder = holder_of(user)
    if holder is None:
        return False
    try:
        sealing.unwrap_holder_key(holder, passphrase)
        return True
    except sealing.SealingError:
        return False
