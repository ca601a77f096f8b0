"""The tender's opening key: made at publication (listener of `tendering.services.on_published`),
its public half published, its private half split k of n among the key holders; and a holder's
own share, unsealed with the passphrase (opening)."""


from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from core import audit
from core.errors import Conflict, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_
from core.timeutil import utcnow
from procurement.bids import keyholders, sealing
from procurement.bids.models import (
    KeyHolder,
    KeyShare,
    OpeningKey,
)


def create_opening_key(tender) -> OpeningKey:
    """Listener of `tendering.services.on_published`: make the tender's opening key pair, publish
    the public key, split the private key k of n among the tender's key holders (each share
    sealed to its holder), wipe it. Fewer than two enrolled holders: publication is refused."""
    if db.session.get(OpeningKey, tender.id) is not None:
        return db.session.get(OpeningKey, tender.id)
    holders = keyholders.holders_for(tender)
    if len(holders) < 2:
        raise Conflict(N_("Sealed bids need at least two enrolled opening key holders (officers of the "
                          "procurement centre or the city's finance office); %(n)s enrolled. Enrol key "
                          "holders, then publish."), n=len(holders))
    n = len(holders)
    k = max(2, min(int(current_app.config.get("SEALING_THRESHOLD", 2)), n))
    pair = sealing.make_opening_key()
    try:
        shares = sealing.split_secret(pair.private_key, k, n)
    finally:
        sealing.wipe(pair.private_key)
    key = OpeningKey(tender_id=tender.id, public_key=pair.public_key, k=k, n=n, created_at=utcnow())
    db.session.add(key)
    db.session.flush()
    for holder, (x, share) in zip(holders, shares):
        db.session.add(KeyShare(tender_id=tender.id, holder_user_id=holder.user_id, x=x,
                                sealed_share=sealing.seal_share(x, share, holder.public_key)))
    del shares
    audit.record("bids.opening_key_created", object_type="tenders", object_id=tender.id,
                 after={"public_key": pair.public_key, "k": k, "n": n,
                        "holders": [h.user_id for h in holders]})
    return key


def opening_key(tender_id: int) -> OpeningKey | None:
    return db.session.get(OpeningKey, int(tender_id))


def holder_share(tender_id: int, user, passphrase: str) -> tuple[int, bytes]:
    """The holder's own share of the tender's key, unsealed with the passphrase (opening, next
    issue). A wrong passphrase: a clear 400, nothing changed."""
    holder = db.session.get(KeyHolder, getattr(user, "id", None))
    share = db.session.execute(select(KeyShare).where(KeyShare.tender_id == int(tender_id),
                                                      KeyShare.holder_user_id == getattr(user, "id", None))
                               ).unique().scalar_one_or_none()
    if holder is None or share is None:
        raise PermissionDenied(N_("You hold no share of this tender's opening key."))
    try:
        private = sealing.unwrap_holder_key(holder, passphrase if isinstance(passphrase, str) else "")
    except sealing.SealingError:
        raise ValidationError(N_("Wrong passphrase: your share was not unlocked and nothing changed."),
                              {"passphrase": N_("Wrong passphrase.")}) from None
    return sealing.open_share(share.sealed_share, private)


