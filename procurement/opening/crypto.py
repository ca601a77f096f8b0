"""The opening session's key: an X25519 key pair made for each attempt of a session, whose
private key is stored only wrapped (SecretBox) with a key derived from the `OPENING_SESSION_KEY`
setting (or, unset, from `SECRET_KEY`) and a per-session salt. An unlocked share is sealed to the
session's public key, so the database alone never holds a share in a usable form.

Pure apart from reading the app's config. Secrets are returned as `bytearray`s that callers wipe
(`procurement.bids.sealing.wipe`; best effort: Python may have copied them).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

import nacl.exceptions
import nacl.secret
import nacl.utils
from flask import current_app
from nacl.public import PrivateKey, PublicKey, SealedBox

from procurement.bids.sealing import SealingError, b64, unb64

_PERSON = b"gbm-opening-v1"   # BLAKE2b personalisation: this key is for opening sessions only
_SALT_BYTES = 16


class SessionKeyError(RuntimeError):
    """OPENING_SESSION_KEY is set but is not base64 of 32 bytes (an operator's mistake)."""


def master_key(config=None) -> bytes:
    """The 32-byte secret that wraps session keys: OPENING_SESSION_KEY, else derived from
    SECRET_KEY (domain-separated, so it equals no other key made from SECRET_KEY)."""
    cfg = config if config is not None else current_app.config
    raw = cfg.get("OPENING_SESSION_KEY")
    if raw:
        try:
            key = base64.b64decode(str(raw).encode("ascii"), validate=True)
        except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
            raise SessionKeyError("OPENING_SESSION_KEY must be base64 of 32 random bytes") from exc
        if len(key) != 32:
            raise SessionKeyError("OPENING_SESSION_KEY must be base64 of 32 random bytes")
        return key
    secret = str(cfg.get("SECRET_KEY") or "")
    if not secret:
        raise SessionKeyError("neither OPENING_SESSION_KEY nor SECRET_KEY is set")
    return hashlib.sha256(b"gbm opening session key\x00" + secret.encode("utf-8")).digest()


def _box(salt: bytes) -> nacl.secret.SecretBox:
    key = hashlib.blake2b(salt, digest_size=32, key=master_key(), person=_PERSON).digest()
    return nacl.secret.SecretBox(key)


@dataclass
class SessionKey:
    public_key: str            # base64
    wrapped_private_key: str   # base64 SecretBox
    salt: str                  # base64


def new_session_key() -> SessionKey:
    """A fresh session key pair, the private key wrapped at once (never kept in clear)."""
    key = PrivateKey.generate()
    salt = nacl.utils.random(_SALT_BYTES)
    return SessionKey(public_key=b64(bytes(key.public_key)), wrapped_private_key=b64(_box(salt).encrypt(bytes(key))),
                      salt=b64(salt))


def unwrap_session_key(wrapped_private_key: str | None, salt: str | None) -> PrivateKey:
    """The session's private key. `SealingError` when it was wiped or does not unwrap (another
    OPENING_SESSION_KEY, or the stored value was changed)."""
    if not wrapped_private_key or not salt:
        raise SealingError("the session key was wiped")
    try:
        return PrivateKey(_box(unb64(salt)).decrypt(unb64(wrapped_private_key)))
    except (nacl.exceptions.CryptoError, ValueError) as exc:
        raise SealingError("the session key does not unwrap") from exc


def seal_share(x: int, share: bytes | bytearray, session_public_key: str) -> str:
    """A share (number `x` and its bytes) sealed to the session's public key (base64)."""
    plain = bytearray([x]) + bytearray(share)
    try:
        return b64(SealedBox(PublicKey(unb64(session_public_key))).encrypt(bytes(plain)))
    finally:
        for i in range(len(plain)):
            plain[i] = 0


def open_share(sealed_share: str | None, session_private_key: PrivateKey) -> tuple[int, bytearray]:
    """A share sealed with `seal_share`, as (x, bytearray). `SealingError` if wiped or foreign."""
    if not sealed_share:
        raise SealingError("the share was wiped")
    try:
        plain = bytearray(SealedBox(session_private_key).decrypt(unb64(sealed_share)))
    except (nacl.exceptions.CryptoError, ValueError) as exc:
        raise SealingError("the share does not open with the session key") from exc
    if len(plain) < 2:
        raise SealingError("not a share")
    return plain[0], plain[1:]
