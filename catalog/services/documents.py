"""Document storage: content-addressed, type checked by content, size-capped.

Files live under `<DOCUMENT_STORE>/<sha[:2]>/<sha>`. A file already stored is never
written again (same hash, same bytes), so nothing is ever overwritten.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from core.errors import ValidationError
from core.extensions import db

from catalog.models.products import Document

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_CHUNK = 64 * 1024


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


def _read_stream(stream, limit: int, field: str):
    """Copy `stream` to a temp file while hashing; refuse past `limit` bytes."""
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
                    raise ValidationError(
                        f"The file is larger than {limit // (1024 * 1024) or limit} "
                        f"{'MB' if limit >= 1024 * 1024 else 'bytes'}.",
                        {field: f"File too large (limit {limit} bytes)."},
                    )
                if len(head) < 16:
                    head += chunk[: 16 - len(head)]
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        os.unlink(tmp_name)
        raise
    return tmp_name, digest.hexdigest(), size, head


def store_document(stream, original_name: str, uploaded_by=None, *, field: str = "file") -> Document:
    """Store an uploaded file and return its `Document` (added to the session, not committed).

    `stream` is any binary file-like object (a werkzeug FileStorage's `.stream`, BytesIO).
    The content type is decided by the bytes, never by the name. A file whose hash is already
    known returns the existing Document (deduplication).
    """
    tmp_name, sha, size, head = _read_stream(stream, max_bytes(), field)
    try:
        if size == 0:
            raise ValidationError("The file is empty.", {field: "The file is empty."})
        content_type = sniff_content_type(head)
        if content_type is None:
            raise ValidationError(
                "Only PDF, JPEG and PNG files are accepted.",
                {field: "Not a PDF, JPEG or PNG file (checked by content)."},
            )
        existing = db.session.execute(select(Document).filter_by(sha256=sha)).scalar_one_or_none()
        if existing is None:
            # A document created earlier in this same (uncommitted) session.
            for obj in db.session.new:
                if isinstance(obj, Document) and obj.sha256 == sha:
                    existing = obj
                    break
        rel = f"{sha[:2]}/{sha}"
        target = store_root() / rel
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            # os.link fails if the target appeared meanwhile: the other writer stored the same bytes.
            try:
                os.link(tmp_name, target)
            except FileExistsError:
                pass
            except OSError:
                if not target.exists():
                    os.replace(tmp_name, target)
        if existing is not None:
            return existing
        doc = Document(
            sha256=sha,
            content_type=content_type,
            size=size,
            original_name=(original_name or "")[-255:],
            stored_path=rel,
            uploaded_by_id=getattr(uploaded_by, "id", None),
        )
        db.session.add(doc)
        return doc
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)


def document_path(doc: Document) -> Path:
    """Absolute path of a stored document."""
    return store_root() / doc.stored_path
