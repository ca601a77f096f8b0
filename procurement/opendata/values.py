"""How platform values become OCDS values: ocids, dates, amounts, quantities, units, parties.

Pure functions of rows already loaded (no queries), so every builder maps the same way.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import current_app

from core import uscc

CURRENCY = "CNY"
VERSION = "1.1"
#: The extensions every package declares (their release-schema patches are what the data uses).
EXTENSIONS = [
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/v1.1.5/extension.json",
]
#: Units of measure as UN/CEFACT Recommendation 20 codes (OCDS unit scheme "UNCEFACT").
UNIT_CODES = {"m3": ("MTQ", "cubic metre"), "m2": ("MTK", "square metre"), "m": ("MTR", "metre"),
              "t": ("TNE", "tonne"), "kg": ("KGM", "kilogram"), "L": ("LTR", "litre"),
              "piece": ("H87", "piece"), "set": ("SET", "set")}
#: Procurement methods (procedure profiles) as OCDS method codes.
METHODS = {"public_tender": "open", "competitive_negotiation": "limited", "competitive_consultation": "selective",
           "framework_agreement": "open", "call_off": "limited"}
#: Where a material category's code comes from (an open codelist: the platform's own scheme).
CATEGORY_SCHEME = "x_GBM_CATEGORY"
USCC_SCHEME = "CN-USCC"


def ocid_prefix() -> str:
    return current_app.config.get("OCDS_OCID_PREFIX") or "ocds-xxxxxx"


def ocid_for(reference: str) -> str:
    """The process's ocid: the configured prefix and the tender's (or order's) reference."""
    return f"{ocid_prefix()}-{reference}"


def iso(moment: dt.datetime | None) -> str | None:
    """An aware time as OCDS date-time text in UTC (seconds, 'Z')."""
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(value: int, scale: int):
    """`value / scale` as an exact JSON number (an int when whole)."""
    if value % scale == 0:
        return value // scale
    return float(Decimal(value) / scale)


def amount(fen: int | None) -> dict | None:
    """An OCDS Value in yuan."""
    if fen is None:
        return None
    return {"amount": _number(int(fen), 100), "currency": CURRENCY}


def quantity(milli: int) -> float | int:
    return _number(int(milli), 1000)


def unit(code: str, unit_price_fen: int | None = None) -> dict:
    scheme_id, name = UNIT_CODES.get(code, (None, code))
    out = {"name": name}
    if scheme_id:
        out.update(scheme="UNCEFACT", id=scheme_id)
    if unit_price_fen is not None:
        out["value"] = amount(unit_price_fen)
    return out


def party_id(org) -> str:
    """A party's id within a release: its USCC identifier when it has a valid one, else the
    platform's organisation number."""
    code = (org.credit_code or "").strip().upper()
    return f"{USCC_SCHEME}-{code}" if code and uscc.is_valid(code) else f"GBM-ORG-{org.id}"


def party(org, roles) -> dict:
    """An OCDS Organization for `org` with `roles` (its legal name in Chinese, the English one
    as an additional name)."""
    out = {"id": party_id(org), "name": org.name_zh or org.name_en, "roles": sorted(set(roles))}
    code = (org.credit_code or "").strip().upper()
    if code and uscc.is_valid(code):
        out["identifier"] = {"scheme": USCC_SCHEME, "id": code, "legalName": org.name_zh or org.name_en}
    address = {"countryName": "中国"}
    if org.city is not None:
        address["locality"] = org.city.name_zh
    if org.address:
        address["streetAddress"] = org.address
    out["address"] = address
    return out


def reference(org) -> dict:
    """An OrganizationReference (id and name) of a party."""
    return {"id": party_id(org), "name": org.name_zh or org.name_en}


class Parties:
    """The parties of one release, collected with their roles as the sections name them."""

    def __init__(self):
        self._orgs: dict[int, object] = {}
        self._roles: dict[int, set] = {}

    def add(self, org, role: str) -> dict:
        """Give `org` the `role`; its OrganizationReference."""
        self._orgs[org.id] = org
        self._roles.setdefault(org.id, set()).add(role)
        return reference(org)

    def as_list(self) -> list[dict]:
        return [party(self._orgs[i], self._roles[i]) for i in sorted(self._orgs)]
