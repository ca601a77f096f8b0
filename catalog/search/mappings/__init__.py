"""Versioned index definitions: `products-v<N>.json` beside this file.

A mapping change is a new file with the next number; `flask search reindex` builds an index from
the newest one (`products-v<N>-<timestamp>`) and moves the alias to it.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available_versions() -> list[int]:
    return sorted(int(m.group(1)) for p in HERE.glob("products-v*.json")
                  if (m := re.fullmatch(r"products-v(\d+)\.json", p.name)))


def current_version() -> int:
    return available_versions()[-1]


def load_mapping(version: int | None = None) -> dict:
    """Settings and mappings of `products-v<version>` (default: the newest)."""
    version = current_version() if version is None else version
    with open(HERE / f"products-v{version}.json", encoding="utf-8") as fh:
        return json.load(fh)
