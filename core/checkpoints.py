"""Signed checkpoints of the audit chain: Ed25519 over the chain head.

A checkpoint is a small statement, signed with the platform's Ed25519 key::

    {"checkpoint": {"format": "gbm-audit-checkpoint/1", "seq": 1234, "head_hash": "<sha256 hex>",
                    "created_at": "2026-12-03T02:17:00Z", "key_id": "<16 hex>"},
     "algorithm": "Ed25519", "public_key": "<base64, 32 bytes>", "signature": "<base64, 64 bytes>"}

The signature covers the canonical JSON of ``checkpoint`` (`core.hashchain.canonical_json`:
sorted keys, no whitespace, UTF-8). ``head_hash`` is the hash of audit event ``seq``, which covers
every earlier event; every project record's hash is inside its audit event, so one checkpoint
also pins every project's record chain as it stood then (no separate per-project tree).

Checkpoints are stored (``audit_checkpoints``), published at ``/integrity/checkpoints/latest.json``
and ``/integrity/checkpoints.json`` and shown on each printable project record. `flask audit
verify` holds the chain to every stored checkpoint and to any file given with ``--checkpoint``:
a chain rewritten with all its hashes recomputed no longer contains a checkpointed head, and a
removed tail or an emptied table no longer reaches it.

Keys (settings in `config.py`): ``AUDIT_SIGNING_KEY`` (base64 32-byte seed) signs; without it the
embedded default generates a dev key in ``AUDIT_SIGNING_KEY_FILE`` (owner-only, 0600). Checkpoints
are trusted when signed by that key or one listed in ``AUDIT_PUBLIC_KEYS`` (e.g. after a rotation,
or on a verifier's machine that holds no private key).
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
import secrets
from pathlib import Path

from flask import current_app
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey
from sqlalchemy import BigInteger, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from core import audit
from core.extensions import db
from core.hashchain import canonical_json
from core.services import unit_of_work
from core.timeutil import UTCDateTime, utcnow

FORMAT = "gbm-audit-checkpoint/1"
ALGORITHM = "Ed25519"


class CheckpointError(RuntimeError):
    """A checkpoint cannot be written, read or trusted; the message is one line saying why."""


class AuditCheckpoint(db.Model):
    """One signed checkpoint; ``statement`` is the exact canonical JSON that was signed."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    head_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    statement: Mapped[str] = mapped_column(Text)
    public_key: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))

    def document(self) -> dict:
        """The published form (what `flask audit verify --checkpoint FILE` reads)."""
        return {"checkpoint": json.loads(self.statement), "algorithm": ALGORITHM,
                "public_key": self.public_key, "signature": self.signature}

    @property
    def key_id(self) -> str:
        return json.loads(self.statement).get("key_id", "")


# --- keys -------------------------------------------------------------------------------------

def key_id(public_key: bytes) -> str:
    """A short, stable name of a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def _b64_32(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(str(text).strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise CheckpointError(f"{what} is not base64 of 32 bytes")
    return raw


def _read_key_file(path: Path) -> SigningKey:
    if path.stat().st_mode & 0o077:
        raise CheckpointError(f"the signing key file {path} is readable by others: chmod 600 it")
    return SigningKey(_b64_32(path.read_text(encoding="ascii"), f"the signing key file {path}"))


def signing_key(*, create: bool = False) -> SigningKey | None:
    """The signing key: ``AUDIT_SIGNING_KEY``, else the key file (generated, owner-only, when
    ``create`` and it does not exist yet), else None."""
    cfg = current_app.config
    if cfg.get("AUDIT_SIGNING_KEY"):
        return SigningKey(_b64_32(cfg["AUDIT_SIGNING_KEY"], "AUDIT_SIGNING_KEY"))
    if not cfg.get("AUDIT_SIGNING_KEY_FILE"):
        return None
    path = Path(cfg["AUDIT_SIGNING_KEY_FILE"])
    if path.exists():
        return _read_key_file(path)
    if not create:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    seed = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process generated it meanwhile
        return _read_key_file(path)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(base64.b64encode(seed).decode("ascii") + "\n")
    return SigningKey(seed)


def public_key_text(key: SigningKey | VerifyKey) -> str:
    verify_key = key.verify_key if isinstance(key, SigningKey) else key
    return base64.b64encode(bytes(verify_key)).decode("ascii")


def trusted_keys(extra=()) -> dict[str, VerifyKey]:
    """Public keys whose checkpoints are trusted, by key id: the signing key's, those listed in
    ``AUDIT_PUBLIC_KEYS`` (comma- or space-separated base64) and ``extra``."""
    keys: dict[str, VerifyKey] = {}
    own = signing_key()
    if own is not None:
        keys[key_id(bytes(own.verify_key))] = own.verify_key
    listed = (current_app.config.get("AUDIT_PUBLIC_KEYS") or "").replace(",", " ").split()
    for text in [*listed, *extra]:
        raw = _b64_32(text, "a trusted public key")
        keys[key_id(raw)] = VerifyKey(raw)
    return keys


# --- reading and checking documents -----------------------------------------------------------

def anchor_of(document, trusted: dict[str, VerifyKey], label: str) -> audit.Anchor:
    """The (seq, head hash) a checkpoint document vouches for, after checking its form, that its
    key is trusted and that its signature verifies; CheckpointError naming the problem otherwise."""
    if not isinstance(document, dict) or not isinstance(document.get("checkpoint"), dict):
        raise CheckpointError(f"{label} is not a checkpoint document")
    statement = document["checkpoint"]
    seq, head = statement.get("seq"), statement.get("head_hash")
    if statement.get("format") != FORMAT or not isinstance(seq, int) or isinstance(seq, bool) or seq < 0 \
            or not isinstance(head, str) or len(head) != 64 or document.get("algorithm") != ALGORITHM:
        raise CheckpointError(f"{label} is not a {FORMAT} document")
    raw_key = _b64_32(document.get("public_key") or "", f"{label}: its public key")
    kid = key_id(raw_key)
    if kid not in trusted:
        known = ", ".join(sorted(trusted)) or "none configured"
        raise CheckpointError(f"{label} is signed by key {kid}, which is not trusted here (trusted: {known})")
    try:
        signature = base64.b64decode(str(document.get("signature") or ""), validate=True)
        trusted[kid].verify(canonical_json(statement).encode("utf-8"), signature)
    except (binascii.Error, ValueError, BadSignatureError):
        raise CheckpointError(f"{label}: the signature does not verify (the checkpoint was altered or forged)") from None
    if statement.get("key_id") != kid:
        raise CheckpointError(f"{label} names key {statement.get('key_id')} but was signed by {kid}")
    return audit.Anchor(seq, head, f"{label} (signed {statement.get('created_at')})")


def read_file(path) -> dict:
    """A checkpoint document saved from the public URL or by `flask audit checkpoint --out`."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CheckpointError(f"checkpoint file {path} cannot be read: {exc}") from None


def stored_anchors(trusted: dict[str, VerifyKey]) -> list[audit.Anchor]:
    anchors = []
    for cp in db.session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.seq)).scalars():
        label = f"stored checkpoint #{cp.id}"
        anchor = anchor_of(cp.document(), trusted, label)
        if (anchor.seq, anchor.head_hash) != (cp.seq, cp.head_hash):
            raise CheckpointError(f"{label}: its seq or head hash column differs from what was signed")
        anchors.append(anchor)
    return anchors


def verify(files=(), *, extra_keys=()) -> audit.ChainReport:
    """Check the audit chain and hold it to every stored checkpoint and to each ``(label,
    document)`` in ``files``. CheckpointError when a checkpoint itself is unusable."""
    trusted = trusted_keys(extra_keys)
    stored = db.session.execute(select(AuditCheckpoint.id).limit(1)).first() is not None
    if (stored or files) and not trusted:
        raise CheckpointError("no public key to check checkpoints with: set AUDIT_SIGNING_KEY or AUDIT_PUBLIC_KEYS")
    anchors = stored_anchors(trusted) + [anchor_of(doc, trusted, f"checkpoint {label}") for label, doc in files]
    return audit.check_chain(anchors)


# --- writing ----------------------------------------------------------------------------------

def latest() -> AuditCheckpoint | None:
    return db.session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)).scalar()


def recent(limit: int = 100, before_seq: int | None = None) -> list[AuditCheckpoint]:
    q = select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(limit)
    if before_seq is not None:
        q = q.where(AuditCheckpoint.seq < before_seq)
    return list(db.session.execute(q).scalars())


def write_checkpoint(now: dt.datetime | None = None) -> tuple[AuditCheckpoint | None, bool]:
    """Sign the current chain head after checking the whole chain (never sign a broken one).

    Returns ``(checkpoint, written)``: the new checkpoint, or the latest one when the head has not
    moved since (nothing written), or ``(None, False)`` for an empty trail. The head row is locked
    while the events appended since the full check are checked and the statement is signed, so
    the signed head is one the chain really had.
    """
    key = signing_key(create=True)
    if key is None:
        raise CheckpointError("no signing key: set AUDIT_SIGNING_KEY (base64 of a 32-byte Ed25519 seed)")
    report = verify()
    if not report.ok:
        raise CheckpointError(f"not signing a broken chain: {report.message}")
    if report.count == 0:
        return None, False
    with unit_of_work():
        head = audit.lock_head()
        if head.last_seq != report.last_seq:
            tail = audit.check_chain(start_seq=report.last_seq, start_hash=report.last_hash)
            if not tail.ok:
                raise CheckpointError(f"not signing a broken chain: {tail.message}")
        previous = latest()
        if previous is not None and previous.seq == head.last_seq:
            return previous, False
        created = (now or utcnow()).astimezone(dt.timezone.utc).replace(microsecond=0)
        statement = {"format": FORMAT, "seq": head.last_seq, "head_hash": head.last_hash,
                     "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"), "key_id": key_id(bytes(key.verify_key))}
        text = canonical_json(statement)
        checkpoint = AuditCheckpoint(seq=head.last_seq, head_hash=head.last_hash, created_at=created, statement=text,
                                     public_key=public_key_text(key),
                                     signature=base64.b64encode(key.sign(text.encode("utf-8")).signature).decode("ascii"))
        db.session.add(checkpoint)
    return checkpoint, True
