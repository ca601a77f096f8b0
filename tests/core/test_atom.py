"""The one Atom builder (`core.atom`): escaping, times, ids and the feed's `updated`."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from core import atom

NS = "{http://www.w3.org/2005/Atom}"


def test_entries_escaped_and_stamped_in_utc():
    china = dt.timezone(dt.timedelta(hours=8))
    entries = [atom.Entry("https://x.test/a/1", "<b>A & B</b>", "x < y", dt.datetime(2026, 3, 1, 9, 30, 15, 7, china),
                          published=dt.datetime(2026, 2, 28, 23, 0, tzinfo=dt.UTC)),
               atom.Entry("https://x.test/a/2", "second", "", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))]
    body = atom.render(entries, title="Feed", self_url="https://x.test/feed.atom", alternate_url="https://x.test/",
                       language="zh-Hans")
    assert body.startswith(b"<?xml") and b"<b>" not in body
    root = ET.fromstring(body)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-Hans"
    assert root.find(f"{NS}id").text == "https://x.test/feed.atom"
    assert root.find(f"{NS}updated").text == "2026-03-01T01:30:15Z"      # the newest entry's, in UTC
    first = root.findall(f"{NS}entry")[0]
    assert first.find(f"{NS}title").text == "<b>A & B</b>" and first.find(f"{NS}id").text == "https://x.test/a/1"
    assert first.find(f"{NS}published").text == "2026-02-28T23:00:00Z"
    assert first.find(f"{NS}link").get("href") == "https://x.test/a/1"


def test_empty_feed_is_updated_now():
    now = dt.datetime(2026, 5, 4, 3, 2, 1, tzinfo=dt.UTC)
    root = ET.fromstring(atom.render([], title="T", self_url="u", alternate_url="a", now=now))
    assert root.find(f"{NS}updated").text == "2026-05-04T03:02:01Z" and root.find(f"{NS}entry") is None
