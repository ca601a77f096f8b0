"""The automatic qualification checks of one opened bid, each with its reason (a translatable
template and parameters, stored with `core.i18n.message_payload`). Reads only; the catalog only
through `catalog.interface`.

- **supplier**: the bidding firm is a verified supplier firm (the platform has no separate
  suspension of firms: a firm whose verification was withdrawn is no longer "verified").
- **product**: the product exists, is the firm's own, of the lot's category and listed, and was
  certified on the deadline's China calendar day: a certificate issued on or before that day and
  expiring on or after it (the expiry day is still valid, as in the catalog), not suspended or
  revoked before it; a product with no certificate passes with a third-party test report issued
  by that day (DOMAIN.md 2: "a product may instead carry a valid test report").
- **compliance**: the stored verdict is "pass" in the city of every project contributing to the
  lot, and the product's declared values meet the lot's (tightened) requirements.
- **price**: the total is the unit price times the lot's quantity, and within the lot's ceiling.
- **bond**: no bond is asked for the lot, or the firm's bond was held by the deadline.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

import catalog.interface as catalog
from core.extensions import db
from core.i18n import N_, Term
from core.models import City, Organisation
from core.money import format_fen
from core.timeutil import CHINA, china_time
from procurement.bids.contents import expected_total
from procurement.bonds import services as bonds
from procurement.opening import policy
from procurement.opening.states import (
    CHECK_BOND,
    CHECK_COMPLIANCE,
    CHECK_PRICE,
    CHECK_PRODUCT,
    CHECK_SUPPLIER,
)
from procurement.pooling.models import LIVE_LINE_STATES, PooledLine
from procurement.projects.models import Project
from procurement.tendering.lots import rule_from_dict


def deadline_day(tender) -> dt.date:
    """The China calendar day of the bid deadline (certificates are dated in China)."""
    return tender.bid_deadline_at.astimezone(CHINA).date()


def lot_cities(tender, lot) -> list[City]:
    """The cities of the projects contributing to the lot (the tender's city when none)."""
    ids = sorted(set(db.session.execute(
        select(Project.city_id).join(PooledLine, PooledLine.project_id == Project.id)
        .where(PooledLine.lot_id == lot.id, PooledLine.status.in_(LIVE_LINE_STATES))).scalars())) or [tender.city_id]
    return list(db.session.execute(select(City).where(City.id.in_(ids)).order_by(City.id)).scalars())


def _city_names(cities) -> str:
    return ", ".join(f"{c.name_zh} {c.name_en}".strip() for c in cities)


def _supplier(opened) -> tuple[bool, str, dict]:
    org = db.session.get(Organisation, opened.supplier_org_id)
    if org is not None and policy.is_verified_supplier_firm(org):
        return True, N_("%(firm)s is a verified supplier firm."), {"firm": org.name_zh or org.name_en}
    return False, N_("The bidding firm is not a verified supplier firm (status “%(status)s”)."), {
        "status": Term(org.status if org else "missing")}


def _product(opened, lot, facts, day) -> tuple[bool, str, dict]:
    if facts is None:
        return False, N_("The bid names product %(id)s, which is not in the catalogue."), {"id": opened.product_id}
    sku = facts["sku"]
    if facts["supplier_id"] != opened.supplier_org_id:
        return False, N_("Product %(sku)s belongs to another firm."), {"sku": sku}
    if facts["category_id"] != lot.category_id:
        return False, N_("Product %(sku)s is not of the lot's category."), {"sku": sku}
    if facts["status"] != "listed":
        return False, N_("Product %(sku)s is not listed (status “%(status)s”)."), {"sku": sku,
                                                                                  "status": Term(facts["status"])}
    standing = catalog.certificate_standing(facts["id"], day)
    valid = [c for c in standing["certificates"] if c["valid_on_day"]]
    if valid:
        best = max(valid, key=lambda c: c["expires_on"])
        return True, N_("Product %(sku)s is listed; certificate %(number)s is valid on the deadline day, %(day)s "
                        "(it expires on %(expires)s)."), {"sku": sku, "number": best["number"], "day": day.isoformat(),
                                                           "expires": best["expires_on"]}
    reports = [r for r in standing["test_reports"] if r["issued_on"] <= day.isoformat()]
    if not standing["certificates"] and reports:
        return True, N_("Product %(sku)s is listed with a third-party test report (%(number)s, issued %(issued)s) "
                        "instead of a certificate."), {"sku": sku, "number": reports[0]["number"],
                                                       "issued": reports[0]["issued_on"]}
    held = ", ".join(f"{c['number']} ({c['status']}, {c['issued_on']} – {c['expires_on']})"
                     for c in standing["certificates"]) or "-"
    return False, N_("Product %(sku)s has no certificate valid on the deadline day, %(day)s (certificates: "
                     "%(certificates)s)."), {"sku": sku, "day": day.isoformat(), "certificates": held}


def _compliance(opened, lot, facts, cities) -> tuple[bool, str, dict]:
    if facts is None:
        return False, N_("The bid names product %(id)s, which is not in the catalogue."), {"id": opened.product_id}
    verdicts = catalog.verdicts(facts["id"])
    failing = [c for c in cities if verdicts.get(c.id) != catalog.PASS]
    if failing:
        return False, N_("Product %(sku)s does not pass the demand standard in %(cities)s."), {
            "sku": facts["sku"], "cities": _city_names(failing)}
    rules = [rule_from_dict(r) for r in (lot.requirements or [])]
    if rules and not catalog.meets(rules, facts["offer"]):
        return False, N_("Product %(sku)s does not meet the lot's requirements (its declared values)."), {
            "sku": facts["sku"]}
    return True, N_("Product %(sku)s passes in every contributing project's city (%(cities)s) and meets the lot's "
                    "%(n)s requirements."), {"sku": facts["sku"], "cities": _city_names(cities), "n": len(rules)}


def _price(opened, lot) -> tuple[bool, str, dict]:
    want = expected_total(opened.unit_price_fen, lot.quantity_milli)
    params = {"total": format_fen(opened.total_fen), "ceiling": format_fen(lot.ceiling_fen)}
    if opened.total_fen != want:
        return False, N_("The total %(total)s is not the unit price times the lot's quantity (%(expected)s)."), {
            **params, "expected": format_fen(want)}
    if opened.total_fen > lot.ceiling_fen:
        return False, N_("The total %(total)s is above the lot's ceiling, %(ceiling)s."), params
    return True, N_("The total %(total)s is within the lot's ceiling, %(ceiling)s."), params


def _bond(opened, tender, lot) -> tuple[bool, str, dict]:
    if not bonds.bond_required(lot):
        return True, N_("No bid bond is asked for this lot."), {}
    if bonds.bond_held(lot.id, opened.supplier_org_id, tender.bid_deadline_at):
        return True, N_("The firm's bid bond of %(amount)s was held by the deadline."), {
            "amount": format_fen(lot.bond_fen)}
    return False, N_("No bid bond of the firm was held by the deadline, %(deadline)s."), {
        "deadline": china_time(tender.bid_deadline_at)}


def run_checks(tender, lot, opened, *, cities=None) -> list[tuple[str, bool, str, dict]]:
    """Every check of one valid opened bid: [(check, passed, template, params)] in `CHECKS` order."""
    cities = cities if cities is not None else lot_cities(tender, lot)
    facts = catalog.product_facts(opened.product_id)
    day = deadline_day(tender)
    return [(CHECK_SUPPLIER, *_supplier(opened)), (CHECK_PRODUCT, *_product(opened, lot, facts, day)),
            (CHECK_COMPLIANCE, *_compliance(opened, lot, facts, cities)), (CHECK_PRICE, *_price(opened, lot)),
            (CHECK_BOND, *_bond(opened, tender, lot))]
