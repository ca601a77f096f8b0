"""Signed receipts and the Merkle tree of commitments. Pure apart from the platform's signing
key (`core.checkpoints.signing_key`, the same Ed25519 key that signs audit checkpoints).

A **receipt** is a canonical JSON statement (sorted keys, no whitespace, UTF-8)::

    {"action": "submitted", "bid": 12, "tender": "T-2026-...", "lot": 3,
     "sha256": "<hex SHA-256 of the sealed envelope>", "received_at": "2026-12-03T02:17:00.123Z",
     "key_id": "<16 hex>"}

and its Ed25519 signature. A receipt shows neither the price nor the product: the envelope is
sealed, and its hash commits the bidder to it.

The **Merkle tree** (RFC 6962 style, so a leaf can never pass for a node): leaf hash =
SHA-256(0x00 || statement), node = SHA-256(0x01 || left || right); the leaves are the latest
receipt of each live bid at the deadline in receipt order; an odd node at the end of a level is
carried up unchanged. An inclusion proof is the list of sibling hashes with their side.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from typing import NamedTuple

import nacl.exceptions
from nacl.signing import SigningKey, VerifyKey

from procurement.bids.sealing import b64, canonical, unb64

ALGORITHM = "Ed25519"


def iso_ms(moment: dt.datetime) -> str:
    """UTC time with millisecond precision, e.g. ``2026-12-03T02:17:00.123Z``."""
    moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def truncate_ms(moment: dt.datetime) -> dt.datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class _PlatformKey(NamedTuple):
    key: SigningKey
    key_id: str
    public_key: str


#: The platform key with its id and public text, by where it came from: every receipt is signed
#: and every answer shows the public key, so they are derived once, not per request. Keyed by the
#: configured key, or the key file's path, size and modification time, so a changed key is seen.
_KEYS: dict[tuple, _PlatformKey] = {}


def _platform_key() -> _PlatformKey:
    from flask import current_app

    from core import checkpoints

    cfg = current_app.config
    source: tuple = ("config", cfg.get("AUDIT_SIGNING_KEY"))
    if not source[1] and cfg.get("AUDIT_SIGNING_KEY_FILE"):
        try:
            info = os.stat(cfg["AUDIT_SIGNING_KEY_FILE"])
            source = ("file", cfg["AUDIT_SIGNING_KEY_FILE"], info.st_size, info.st_mtime_ns)
        except OSError:
            source = ()   # not there yet: `signing_key(create=True)` makes it; not cached
    cached = _KEYS.get(source) if source else None
    if cached is None:
        key = checkpoints.signing_key(create=True)
        if key is None:
            raise RuntimeError("no platform signing key (AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE)")
        cached = _PlatformKey(key, checkpoints.key_id(bytes(key.verify_key)), checkpoints.public_key_text(key))
        if source:
            _KEYS[source] = cached
    return cached


def sign(statement: dict) -> tuple[str, str]:
    """(statement text, base64 signature), signed with the platform key; adds its key id."""
    platform = _platform_key()
    statement = dict(statement, key_id=platform.key_id)
    text = canonical(statement).decode("utf-8")
    return text, b64(platform.key.sign(text.encode("utf-8")).signature)


def public_key() -> str:
    return _platform_key().public_key


def verify_signature(statement_text: str, signature: str, public_key_b64: str) -> bool:
    try:
        VerifyKey(unb64(public_key_b64)).verify(statement_text.encode("utf-8"), unb64(signature))
        return True
    except (nacl.exceptions.BadSignatureError, ValueError, Exception):  # noqa: BLE001 (any bad input is "no")
        return False


def receipt_document(statement_text: str, signature: str, public_key_b64: str) -> dict:
    """What the bidder downloads: enough to check the signature offline."""
    return {"statement": json.loads(statement_text), "statement_text": statement_text, "algorithm": ALGORITHM,
            "signature": signature, "public_key": public_key_b64}


# ------------------------------------------------------------------ Merkle tree

def leaf_hash(statement_text: str) -> bytes:
    return hashlib.sha256(b"\x00" + statement_text.encode("utf-8")).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").hexdigest()


def merkle_root(leaves: list[bytes]) -> str:
    """Hex root over leaf hashes (the SHA-256 of nothing for no leaves)."""
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    while len(level) > 1:
        level = [_node(level[i], level[i + 1]) if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
    return level[0].hex()


def inclusion_proof(leaves: list[bytes], index: int) -> list[dict]:
    """Sibling hashes from leaf `index` up to the root: ``[{"side": "left"|"right", "hash": hex}]``."""
    if not 0 <= index < len(leaves):
        raise IndexError(index)
    proof = []
    level = list(leaves)
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):
            proof.append({"side": "left" if sibling < index else "right", "hash": level[sibling].hex()})
        level = [_node(level[i], level[i + 1]) if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
        index //= 2
    return proof


def verify_inclusion(statement_text: str, proof: list[dict], root: str) -> bool:
    """Does the receipt's statement, with `proof`, give `root`?"""
    try:
        current = leaf_hash(statement_text)
        for step in proof:
            sibling = bytes.fromhex(step["hash"])
            current = _node(sibling, current) if step["side"] == "left" else _node(current, sibling)
        return current.hex() == root
    except (KeyError, TypeError, ValueError):
        return False
