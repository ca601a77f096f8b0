"""Uploaded documents: the `Document` model and the content-addressed store every package uses.

Files live under `<DOCUMENT_STORE>/<sha[:2]>/<sha>`. PDF/JPEG/PNG only, recognised by their first
bytes (never by name), at most `MAX_DOCUMENT_BYTES`. A file already stored is never written again
(same hash, same bytes), so nothing is ever overwritten; the same bytes uploaded again return the
existing `Document`. Packages link documents to their own objects (product, project) with their
own link tables, and keep the name each uploader gave on their link (`safe_filename`): the
`Document` is shared by everyone who uploaded the same bytes, so its `original_name` (the first
uploader's) is never shown to others.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import Optional

from flask import current_app
from sqlalchemy import BigInteger, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.errors import ValidationError
from core.extensions import db
from core.i18n import N_
from core.timeutil import UTCDateTime, utcnow

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DOCUMENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
_CHUNK = 64 * 1024
_MB = 1024 * 1024


class Document(db.Model):
    """An uploaded file, stored once under its SHA-256 and never overwritten."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    original_name: Mapped[str] = mapped_column(String(255), default="")
    stored_path: Mapped[str] = mapped_column(String(300))
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    uploaded_by = relationship("User")


def sniff_content_type(head: bytes) -> str | None:
    """Content type from the first bytes (magic numbers), or None when not PDF/JPEG/PNG."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def store_root() -> Path:
    root = current_app.config.get("DOCUMENT_STORE") or os.path.join(current_app.instance_path, "documents")
    return Path(root)


def max_bytes() -> int:
    return int(current_app.config.get("MAX_DOCUMENT_BYTES") or DEFAULT_MAX_BYTES)


_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def safe_filename(name: str | None, default: str = "document", max_len: int = 255) -> str:
    """A file name safe to show and to offer as a download name: the last path component only
    (no directories, no `..`), without control or reserved characters or leading dots, at most
    `max_len` characters (the extension kept); `default` when nothing is left."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip().lstrip(".").strip()
    if not name or set(name) <= {".", "_", " "}:
        return default
    if len(name) > max_len:
        stem, dot, ext = name.rpartition(".")
        ext = f".{ext}" if dot and 0 < len(ext) <= 10 else ""
        name = (stem if dot and ext else name)[: max_len - len(ext)] + ext
    return name


def _too_large(limit: int, field: str) -> ValidationError:
    fields = {field: (N_("File too large (limit %(bytes)s bytes)."), {"bytes": limit})}
    if limit >= _MB:
        return ValidationError(N_("The file is larger than %(megabytes)s MB."), fields, megabytes=limit // _MB)
    return ValidationError(N_("The file is larger than %(bytes)s bytes."), fields, bytes=limit)


def _read_stream(stream, limit: int, field: str, over_limit=None):
    """Copy `stream` to a temp file while hashing; refuse past `limit` bytes (with
    `over_limit()`'s error when given)."""
    root = store_root()
    root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    head = b""
    fd, tmp_name = tempfile.mkstemp(prefix=".upload-", dir=root)
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise over_limit() if over_limit is not None else _too_large(limit, field)
                if len(head) < 16:
                    head += chunk[: 16 - len(head)]
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        os.unlink(tmp_name)
        raise
    return tmp_name, digest.hexdigest(), size, head


def _known(sha: str) -> Document | None:
    """The document with this hash, stored earlier or added earlier in this (uncommitted) session."""
    existing = db.session.execute(select(Document).filter_by(sha256=sha)).scalar_one_or_none()
    if existing is None:
        existing = next((obj for obj in db.session.new if isinstance(obj, Document) and obj.sha256 == sha), None)
    return existing


def _place(tmp_name: str, rel: str) -> None:
    """Put the temp file at `rel` unless those bytes are stored already."""
    target = store_root() / rel
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    # os.link fails if the target appeared meanwhile: the other writer stored the same bytes.
    try:
        os.link(tmp_name, target)
    except FileExistsError:
        pass
    except OSError:
        if not target.exists():
            os.replace(tmp_name, target)


def store_document(stream, original_name: str, uploaded_by=None, *, field: str = "file",
                   budget: int | None = None, over_budget=None) -> Document:
    """Store an uploaded file and return its `Document` (added to the session, not committed).

    `stream` is any binary file-like object (a werkzeug FileStorage's `.stream`, BytesIO).
    The content type is decided by the bytes, never by the name. A file whose hash is already
    known returns the existing Document (deduplication). `field` names the form field that
    `ValidationError.fields` reports problems under. `budget` (bytes) is a caller's quota,
    tighter than `MAX_DOCUMENT_BYTES`: reading stops there with `over_budget()`'s error.
    """
    limit = max_bytes()
    over_limit = None
    if budget is not None and budget < limit:
        limit, over_limit = max(0, budget), over_budget
    tmp_name, sha, size, head = _read_stream(stream, limit, field, over_limit)
    try:
        if size == 0:
            raise ValidationError(N_("The file is empty."), {field: N_("The file is empty.")})
        content_type = sniff_content_type(head)
        if content_type is None:
            raise ValidationError(N_("Only PDF, JPEG and PNG files are accepted."),
                                  {field: N_("Not a PDF, JPEG or PNG file (checked by content).")})
        existing = _known(sha)
        rel = f"{sha[:2]}/{sha}"
        _place(tmp_name, rel)
        if existing is not None:
            return existing
        doc = Document(sha256=sha, content_type=content_type, size=size,
                       original_name=safe_filename(original_name), stored_path=rel,
                       uploaded_by_id=getattr(uploaded_by, "id", None))
        db.session.add(doc)
        return doc
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)


def document_path(doc: Document) -> Path:
    """Absolute path of a stored document."""
    return store_root() / doc.stored_path
