"""Hash chains: the one implementation behind the audit trail and the project records.

A chain is a sequence of entries where each entry's hash covers its content and the hash of the
entry before it (the first one links to `GENESIS_HASH`), so altering, removing or reordering
any entry breaks every later link. Content is hashed as canonical JSON (sorted keys, no
whitespace, UTF-8 kept), so the same values always give the same bytes.

Two link layouts are in use and both are kept byte for byte, so existing data still verifies:

- prefixed (audit trail): ``sha256(prev_hash + canonical_json(fields))``;
- embedded (project records): ``sha256(canonical_json({**fields, "prev_hash": prev_hash}))``.

Pure: no database, no Flask.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any, Callable

GENESIS_HASH = "0" * 64


def canonical_time(value: datetime | None) -> str | None:
    """Aware UTC ISO text with microseconds (naive values are taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def strict_default(value):
    """JSON form of the few non-JSON values a chain accepts; anything else is a TypeError."""
    if isinstance(value, datetime):
        return canonical_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (Decimal, Fraction)):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot put {type(value).__name__} into a hash chain")


def canonical_json(value: Any, *, default: Callable = strict_default) -> str:
    """Deterministic JSON text: sorted keys, no whitespace, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=default)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def link_hash(prev_hash: str, fields: dict, *, embed_as: str | None = None, default: Callable = strict_default) -> str:
    """The hash of one entry whose content is `fields`, linked to `prev_hash`.

    Without `embed_as` the previous hash prefixes the canonical JSON of `fields` (audit trail);
    with it, the previous hash is a member of the hashed object under that key (project records).
    """
    if embed_as is None:
        return sha256_hex(prev_hash + canonical_json(fields, default=default))
    return sha256_hex(canonical_json({**fields, embed_as: prev_hash}, default=default))
