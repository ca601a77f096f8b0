"""The Chinese catalogue's translated message ids, read once per test process."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

PO = Path(__file__).resolve().parents[1] / "translations" / "zh_Hans" / "LC_MESSAGES" / "messages.po"


@lru_cache(maxsize=1)
def translated_msgids() -> frozenset[str]:
    """Every msgid with a non-fuzzy Chinese translation."""
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh_Hans")
    return frozenset((m.id if isinstance(m.id, str) else m.id[0]) for m in catalog
                     if m.id and m.string and "fuzzy" not in m.flags)
