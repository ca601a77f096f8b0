"""Sealing: the tender's opening key pair, Shamir k-of-n shares of its private key, key-holder
wrapping, and sealed bid envelopes. Pure cryptography (PyNaCl / libsodium): no database.

- **Opening key**: an X25519 key pair per tender, made at publication. Envelopes are libsodium
  sealed boxes (`nacl.public.SealedBox`) to the public key: anyone can seal, only the private key
  opens, and the sender keeps no secret.
- **Shamir over GF(256)**, byte by byte: the 32-byte private key is the constant term of a random
  polynomial of degree k - 1 for each byte; share x (1..n) holds the polynomial's values at x.
  Any k shares give the key back (Lagrange at 0); k - 1 shares say nothing about it.
- **Key holders**: each holder has an X25519 key pair of their own; its private key is wrapped
  with a key derived from the holder's passphrase (argon2id, the salt stored beside it) in a
  SecretBox. A share is sealed to the holder's public key, so publication needs no passphrase and
  only the holder, typing the passphrase, can unseal it.
- The opening private key exists only in memory during publication (`make_opening_key` returns
  it as a `bytearray` that the caller wipes with `wipe`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils
from nacl.public import PrivateKey, PublicKey, SealedBox

KEY_BYTES = 32
SEAL_OVERHEAD = 48   # ephemeral public key (32) + MAC (16)


class SealingError(Exception):
    """A cryptographic operation failed (wrong passphrase, tampered or foreign envelope, too few
    shares). Services turn it into a translated error."""


def b64(data: bytes) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


def unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise SealingError("not base64") from exc


def wipe(buffer: bytearray) -> None:
    """Overwrite a secret held in a bytearray (best effort: Python may have copied it)."""
    for i in range(len(buffer)):
        buffer[i] = 0


# ------------------------------------------------------------------ GF(256) and Shamir

def _gf_mul(a: int, b: int) -> int:
    """Multiplication in GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1."""
    result = 0
    while b:
        if b & 1:
            result ^= a
        a <<= 1
        if a & 0x100:
            a ^= 0x11B
        b >>= 1
    return result


def _gf_inv(a: int) -> int:
    """a^254 = a^-1 in GF(2^8) (a != 0)."""
    if a == 0:
        raise ZeroDivisionError("no inverse of 0 in GF(256)")
    result, power, exp = 1, a, 254
    while exp:
        if exp & 1:
            result = _gf_mul(result, power)
        power = _gf_mul(power, power)
        exp >>= 1
    return result


def _eval(coefficients: list[int], x: int) -> int:
    """Horner's rule; coefficients[0] is the constant term."""
    y = 0
    for c in reversed(coefficients):
        y = _gf_mul(y, x) ^ c
    return y


def split_secret(secret: bytes | bytearray, k: int, n: int) -> list[tuple[int, bytes]]:
    """`n` shares ``(x, bytes)`` of `secret`, any `k` of which recover it (2 <= k <= n <= 255)."""
    if not (2 <= k <= n <= 255):
        raise ValueError("need 2 <= k <= n <= 255")
    shares = [bytearray() for _ in range(n)]
    for byte in secret:
        coefficients = [byte] + [secrets.randbelow(256) for _ in range(k - 1)]
        for i in range(n):
            shares[i].append(_eval(coefficients, i + 1))
        for j in range(len(coefficients)):
            coefficients[j] = 0
    return [(i + 1, bytes(share)) for i, share in enumerate(shares)]


def combine_shares(shares: list[tuple[int, bytes]]) -> bytearray:
    """The secret from shares ``(x, bytes)`` (Lagrange interpolation at 0). With fewer than k
    shares the result is a different, random-looking value: the caller checks it against the
    public key (`reconstruct_private_key`)."""
    if not shares:
        raise SealingError("no shares")
    xs = [x for x, _ in shares]
    if len(set(xs)) != len(xs) or any(not 1 <= x <= 255 for x in xs):
        raise SealingError("share numbers must be distinct, 1 to 255")
    length = len(shares[0][1])
    if any(len(data) != length for _, data in shares):
        raise SealingError("shares of different lengths")
    secret = bytearray(length)
    for i, (xi, data) in enumerate(shares):
        basis = 1  # Lagrange basis polynomial i at 0: prod x_j / (x_j - x_i); minus is xor
        for j, (xj, _) in enumerate(shares):
            if i != j:
                basis = _gf_mul(basis, _gf_mul(xj, _gf_inv(xj ^ xi)))
        for pos in range(length):
            secret[pos] ^= _gf_mul(data[pos], basis)
    return secret


# ------------------------------------------------------------------ opening keys

@dataclass
class OpeningKeyPair:
    public_key: str          # base64, published
    private_key: bytearray   # wipe after splitting


def make_opening_key() -> OpeningKeyPair:
    key = PrivateKey.generate()
    return OpeningKeyPair(public_key=b64(bytes(key.public_key)), private_key=bytearray(bytes(key)))


def reconstruct_private_key(shares: list[tuple[int, bytes]], public_key: str | None = None) -> bytearray:
    """The opening private key from k shares ``(x, bytes)``; with `public_key` (base64) the
    result is checked against it, and too few or wrong shares raise `SealingError`."""
    secret = combine_shares(shares)
    if len(secret) != KEY_BYTES:
        raise SealingError("a share is not a key share")
    if public_key is not None and b64(bytes(PrivateKey(bytes(secret)).public_key)) != public_key:
        wipe(secret)
        raise SealingError("the shares do not give the tender's key (too few, or not its shares)")
    return secret


# ------------------------------------------------------------------ envelopes

def canonical(data) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def seal(contents: dict, public_key: str) -> bytes:
    """Seal a bid's contents (JSON) to the tender's opening public key."""
    return SealedBox(PublicKey(unb64(public_key))).encrypt(canonical(contents))


def open_envelope(envelope: bytes, private_key: bytes | bytearray) -> dict:
    """The contents of a sealed envelope (opening, next issue). Raises `SealingError` for an
    envelope not sealed to this key, tampered with, or not JSON."""
    try:
        plain = SealedBox(PrivateKey(bytes(private_key))).decrypt(bytes(envelope))
        return json.loads(plain.decode("utf-8"))
    except (nacl.exceptions.CryptoError, ValueError, UnicodeDecodeError) as exc:
        raise SealingError("the envelope does not open with this key") from exc


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(bytes(data)).hexdigest()


def looks_sealed(envelope: bytes) -> bool:
    """A sealed box is at least an ephemeral public key plus a MAC long (48 bytes)."""
    return len(envelope) >= SEAL_OVERHEAD + 2


# ------------------------------------------------------------------ key holders

def _derive(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    return nacl.pwhash.argon2id.kdf(nacl.secret.SecretBox.KEY_SIZE, passphrase.encode("utf-8"), salt,
                                    opslimit=opslimit, memlimit=memlimit)


@dataclass
class HolderKeys:
    public_key: str
    wrapped_private_key: str
    salt: str
    opslimit: int
    memlimit: int


def enrol_holder(passphrase: str, *, opslimit: int, memlimit: int) -> HolderKeys:
    """A holder's key pair, the private key wrapped with the passphrase-derived key. Nothing
    returned reveals the passphrase."""
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    key = PrivateKey.generate()
    box = nacl.secret.SecretBox(_derive(passphrase, salt, opslimit, memlimit))
    return HolderKeys(public_key=b64(bytes(key.public_key)), wrapped_private_key=b64(box.encrypt(bytes(key))),
                      salt=b64(salt), opslimit=opslimit, memlimit=memlimit)


def unwrap_holder_key(holder, passphrase: str) -> PrivateKey:
    """The holder's private key (`holder`: anything with the `HolderKeys` fields). A wrong
    passphrase raises `SealingError`."""
    box = nacl.secret.SecretBox(_derive(passphrase, unb64(holder.salt), holder.opslimit, holder.memlimit))
    try:
        return PrivateKey(box.decrypt(unb64(holder.wrapped_private_key)))
    except nacl.exceptions.CryptoError as exc:
        raise SealingError("wrong passphrase") from exc


def seal_share(x: int, share: bytes, holder_public_key: str) -> str:
    return b64(SealedBox(PublicKey(unb64(holder_public_key))).encrypt(bytes([x]) + share))


def open_share(sealed_share: str, holder_private_key: PrivateKey) -> tuple[int, bytes]:
    try:
        plain = SealedBox(holder_private_key).decrypt(unb64(sealed_share))
    except nacl.exceptions.CryptoError as exc:
        raise SealingError("this share is not sealed to this holder") from exc
    return plain[0], plain[1:]
