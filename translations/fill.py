"""Merge JSON files of English -> Chinese translations into the zh_Hans catalogue.

Usage: .venv/bin/python translations/fill.py translations/zh_Hans/*.json
Only empty entries are filled; existing translations are kept. `make extract-messages` runs it
over every package's JSON file after re-extracting the strings.
"""
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent / "zh_Hans" / "LC_MESSAGES" / "messages.po"


def main(*paths):
    mapping = {}
    for path in paths:
        mapping.update(json.loads(Path(path).read_text(encoding="utf-8")))
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh_Hans")
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        plural = isinstance(message.id, (tuple, list))
        key = message.id[0] if plural else message.id
        empty = not any(message.string) if plural else not message.string
        if empty and key in mapping:
            # Chinese has one plural form: the JSON keys plurals by their singular msgid.
            message.string = (mapping[key],) if plural else mapping[key]
            message.flags.discard("fuzzy")
            filled += 1
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=100)
    missing = [m.id for m in catalog if m.id and not (any(m.string) if isinstance(m.id, (tuple, list)) else m.string)]
    print(f"filled {filled}; still untranslated: {len(missing)}")
    for mid in missing:
        print("  ", mid if isinstance(mid, str) else mid[0])


if __name__ == "__main__":
    main(*sys.argv[1:])
