"""An Atom 1.0 feed of the tenders open for bids (published, before their deadline by the server
clock), optionally of one city and/or one material category: /tenders/feed.atom?city=&category=.

Built by `core.atom`, the one Atom builder (every text escaped by the serialiser). The feed's `updated` is the
latest change of its entries (an amendment changes a tender); an entry's id is its public page's
address. Filter values are codes (``nanjing``, ``ready_mixed_concrete``): a malformed value is a
400, an unknown city or category a 404, so a typo in a subscription is noticed rather than read
as "no tenders ever".
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

import catalog.interface as catalog
from core import atom
from core.errors import NotFound, ValidationError
from core.extensions import db
from core.i18n import N_
from core.models import City
from core.timeutil import utcnow
from procurement.tendering.models import Lot, Tender
from procurement.tendering.states import PUBLISHED

CODE = re.compile(r"^[a-z0-9_]{1,40}$")
MAX_ENTRIES = 200


@dataclass(frozen=True)
class Filters:
    city: City | None = None
    category: object | None = None  # catalog.interface.CategoryInfo


def filters(city_code: str | None, category_code: str | None) -> Filters:
    """The feed's filters from the query string: ValidationError (400) for a malformed code,
    NotFound (404) for an unknown city or category."""
    for name, value in (("city", city_code), ("category", category_code)):
        if value is not None and value != "" and not CODE.match(value):
            raise ValidationError(N_("The %(name)s filter is a code of lower-case letters, digits and underscores."),
                                  {name: N_("Not a code.")}, name=name)
    city = category = None
    if city_code:
        city = db.session.execute(select(City).where(City.code == city_code)).scalar_one_or_none()
        if city is None:
            raise NotFound(N_("No city has the code %(code)s."), code=city_code)
    if category_code:
        category = catalog.find_category(category_code)
        if category is None or category.code != category_code:
            raise NotFound(N_("No material category has the code %(code)s."), code=category_code)
    return Filters(city, category)


def open_tenders(chosen: Filters, now: dt.datetime | None = None, limit: int = MAX_ENTRIES) -> list[Tender]:
    """Published tenders before their deadline, newest publication first (one query plus lots)."""
    now = now or utcnow()
    query = (select(Tender).where(Tender.status == PUBLISHED, Tender.bid_deadline_at > now)
             .options(selectinload(Tender.lots)))
    if chosen.city is not None:
        query = query.where(Tender.city_id == chosen.city.id)
    if chosen.category is not None:
        query = query.where(exists().where(Lot.tender_id == Tender.id, Lot.category_id == chosen.category.id))
    return list(db.session.execute(query.order_by(Tender.published_at.desc(), Tender.id.desc()).limit(limit))
                .unique().scalars())


def render(tenders: list[Tender], *, title: str, self_url: str, alternate_url: str, base_url: str,
           summary, now: dt.datetime | None = None, language: str = "en") -> bytes:
    """The Atom document (UTF-8 bytes, built by `core.atom`). `summary(tender)` is an entry's
    plain-text summary in the reader's language; `base_url` makes the entries' links absolute; an
    entry's `updated` is its tender's latest change (an amendment changes a tender)."""
    base = base_url.rstrip("/")
    entries = [atom.Entry(url=f"{base}/tenders/{t.id}", title=f"{t.reference} {t.title}", summary=summary(t),
                          updated=t.updated_at or t.published_at, published=t.published_at) for t in tenders]
    return atom.render(entries, title=title, self_url=self_url, alternate_url=alternate_url, language=language,
                       now=now)
