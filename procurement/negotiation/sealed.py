"""Sealed offers, reusing the bids' sealing (no second implementation): a round's X25519 key pair
is made like an opening session's key (`procurement.opening.crypto`: the private key kept only
wrapped), an offer is a libsodium sealed box to the round's public key
(`procurement.bids.sealing.seal`) with its SHA-256, and the firm gets a receipt signed with the
platform key (`procurement.bids.commitments.sign`). At the round's close the Merkle root over the
receipts is signed and published (`commitments.merkle_root`) before the envelopes are opened;
an envelope whose SHA-256 differs from its receipt's is void. The wrapped private key is then
wiped.
"""

from __future__ import annotations

import datetime as dt

import nacl.utils

from procurement.bids import commitments, sealing
from procurement.opening import crypto


def round_key() -> crypto.SessionKey:
    """A fresh key pair for a round (private key wrapped at once)."""
    return crypto.new_session_key()


def seal_offer(negotiation, rnd, org_id: int, total_fen: int, received_at: dt.datetime) -> dict:
    """The sealed envelope of an offer and its signed receipt (nothing about the amount in clear)."""
    contents = {"negotiation": negotiation.reference, "round": rnd.number, "supplier_org_id": org_id,
                "total_fen": int(total_fen), "nonce": sealing.b64(nacl.utils.random(16))}
    envelope = sealing.seal(contents, rnd.public_key)
    digest = sealing.sha256_hex(envelope)
    text, signature = commitments.sign({"negotiation": negotiation.reference, "round": rnd.number,
                                        "supplier_org_id": org_id, "envelope_sha256": digest,
                                        "received_at": commitments.iso_ms(received_at)})
    return {"envelope": envelope, "envelope_sha256": digest, "receipt_statement": text, "receipt_signature": signature}


def root_of(negotiation, rnd, offers) -> tuple[str, str, str]:
    """(root, statement, signature): the signed Merkle root over the round's receipts."""
    root = commitments.merkle_root([commitments.leaf_hash(o.receipt_statement) for o in offers])
    text, signature = commitments.sign({"negotiation": negotiation.reference, "round": rnd.number, "root": root,
                                        "offers": len(offers), "deadline": commitments.iso_ms(rnd.deadline_at)})
    return root, text, signature


def open_offer(rnd, offer, private_key) -> int | None:
    """The offer's total, or None when its envelope does not match its receipt or does not open."""
    if sealing.sha256_hex(offer.envelope) != offer.envelope_sha256:
        return None
    try:
        contents = sealing.open_envelope(offer.envelope, bytes(private_key))
    except sealing.SealingError:
        return None
    total = contents.get("total_fen")
    if type(total) is not int or contents.get("supplier_org_id") != offer.supplier_org_id \
            or contents.get("round") != rnd.number:
        return None
    return total


def private_key_of(rnd):
    """The round's private key (`SealingError` once wiped)."""
    return crypto.unwrap_session_key(rnd.wrapped_private_key, rnd.key_salt)
