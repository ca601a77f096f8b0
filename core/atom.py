"""Atom 1.0 documents (RFC 4287), the one builder of every feed of the platform (tendering's
open tenders, the public portal's closed tenders, awards and contracts).

Built with `xml.etree`, so every text is escaped by the serialiser; times are RFC 3339 in UTC;
`xml:lang` is the reader's language. Callers give plain `Entry` values whose `url` is the entry's
absolute public page: it is both the entry's id and its alternate link. No domain knowledge here."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from core.timeutil import utcnow

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True)
class Entry:
    """One feed entry: its page (absolute), title, plain-text summary and times."""

    url: str
    title: str
    summary: str
    updated: dt.datetime
    published: dt.datetime | None = None


def stamp(moment: dt.datetime) -> str:
    """RFC 3339 in UTC, seconds precision."""
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _text(parent, tag: str, value: str, **attrs) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    element.text = value
    return element


def render(entries: list[Entry], *, title: str, self_url: str, alternate_url: str, language: str = "en",
           now: dt.datetime | None = None) -> bytes:
    """The Atom document (UTF-8 bytes with its XML declaration). The feed's `updated` is the
    latest of its entries' (`now` for an empty feed); its id is its own address."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {XML_LANG: language})
    _text(feed, "id", self_url)
    _text(feed, "title", title)
    _text(feed, "updated", stamp(max((e.updated for e in entries), default=now or utcnow())))
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "type": "application/atom+xml", "href": self_url})
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html", "href": alternate_url})
    _text(ET.SubElement(feed, f"{{{ATOM}}}author"), "name", title)
    for item in entries:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "id", item.url)
        _text(entry, "title", item.title)
        _text(entry, "updated", stamp(item.updated))
        if item.published is not None:
            _text(entry, "published", stamp(item.published))
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html", "href": item.url})
        _text(entry, "summary", item.summary, type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
