"""Reading published releases and wrapping them in OCDS packages: a process's releases and
record, the releases of a day (China calendar day of the release date), every release a page
at a time, and the bulk download (a ZIP of one release package and one record package).

Reads only: callers bring the releases up to date first (`publishing.follow_audit`).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections import Counter

from flask import current_app
from sqlalchemy import func, select

from core.extensions import db
from core.timeutil import CHINA, utcnow
from procurement.opendata import compiling
from procurement.opendata import values as V
from procurement.opendata.models import OcdsRelease

PER_PAGE = 100


def _published_date(rows) -> str:
    return V.iso(max((r.published_at for r in rows), default=None) or utcnow())


def _package(uri: str, rows, key: str, items) -> dict:
    return {"uri": uri, "version": V.VERSION, "extensions": list(V.EXTENSIONS),
            "publisher": {"name": current_app.config.get("OCDS_PUBLISHER_NAME") or "GBM"},
            "publishedDate": _published_date(rows), key: items}


def release_package(rows: list[OcdsRelease], uri: str) -> dict:
    """A release package of stored releases (in publication order)."""
    return _package(uri, rows, "releases", [r.data for r in rows])


def record_package(rows: list[OcdsRelease], uri: str) -> dict:
    """A record package: one record per process of `rows`, with its compiled release."""
    by_ocid: dict[str, list] = {}
    for r in rows:
        by_ocid.setdefault(r.ocid, []).append(r.data)
    records = [compiling.record(by_ocid[ocid]) for ocid in sorted(by_ocid)]
    return _package(uri, rows, "records", records)


def _ordered(stmt):
    return list(db.session.execute(stmt.order_by(OcdsRelease.date, OcdsRelease.id)).scalars())


def process_rows(ocid: str) -> list[OcdsRelease]:
    return _ordered(select(OcdsRelease).where(OcdsRelease.ocid == ocid[:120]))


def tender_rows(tender_id: int) -> list[OcdsRelease]:
    return _ordered(select(OcdsRelease).where(OcdsRelease.process_type == "tender",
                                              OcdsRelease.process_id == tender_id))


def all_rows() -> list[OcdsRelease]:
    return _ordered(select(OcdsRelease))


def page_rows(page: int, per_page: int = PER_PAGE) -> tuple[list[OcdsRelease], int]:
    total = db.session.execute(select(func.count(OcdsRelease.id))).scalar()
    rows = list(db.session.execute(select(OcdsRelease).order_by(OcdsRelease.id)
                                   .limit(per_page).offset((page - 1) * per_page)).scalars())
    return rows, total


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants a China calendar day starts and ends (exclusive)."""
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=CHINA)
    return start.astimezone(dt.UTC), (start + dt.timedelta(days=1)).astimezone(dt.UTC)


def day_rows(day: dt.date) -> list[OcdsRelease]:
    start, end = day_bounds(day)
    return _ordered(select(OcdsRelease).where(OcdsRelease.date >= start, OcdsRelease.date < end))


def days() -> list[tuple[dt.date, int]]:
    """Each China day with releases and how many, newest first."""
    counts = Counter(d.astimezone(CHINA).date() for d in db.session.execute(select(OcdsRelease.date)).scalars())
    return sorted(counts.items(), reverse=True)


def bulk_zip(base_uri: str) -> bytes:
    """Every release and every record, as two packages in a ZIP file."""
    rows = all_rows()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("releases.json", json.dumps(release_package(rows, f"{base_uri}/releases.json"),
                                                     ensure_ascii=False, indent=1))
        archive.writestr("records.json", json.dumps(record_package(rows, f"{base_uri}/records.json"),
                                                    ensure_ascii=False, indent=1))
    return buffer.getvalue()
