"""The automatic checks of a delivery, each with its reason (one home for each rule):

- ``ordered_product``: the delivered product is the order line's product, which is the product
  the supplier was awarded (its agreement row, when the agreement names one);
- ``valid_evidence``: what the supplier presented proves compliance *on the delivery day*: a
  green-material certificate valid that day (`catalog.interface.certificate_standing`: the expiry
  day itself still counts), or one of the product's third-party test reports issued on or before
  that day and not older than the days of the dated rule in force that day for the project's
  city (`rules.rule_for`, national default 365);
- ``within_order``: the delivered quantity, with the line's live deliveries (recorded, sampling,
  accepted), stays within the ordered quantity. The caller holds the order line's row lock, so
  two deliveries racing for the last tonnes are decided one after the other.

`run_checks` runs all three and returns every result (never stopping at the first failure), so
a refusal names every reason at once. Results are stored with the delivery as message payloads
(key and parameters), so each reader sees them in their own language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import catalog.interface as catalog
from core.i18n import N_, Term, message_payload
from procurement.deliveries import rules
from procurement.deliveries.states import CERTIFICATE, CHECK_EVIDENCE, CHECK_PRODUCT, CHECK_QUANTITY
from procurement.quantities import format_quantity


@dataclass(frozen=True)
class Check:
    """One automatic check's outcome: ``message`` a template, ``params`` its parameters."""

    name: str
    passed: bool
    message: str
    params: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"name": self.name, "passed": self.passed, "message": message_payload(self.message, self.params)}

    @property
    def text(self):
        return (self.message, self.params) if self.params else self.message


def product_check(line, product_id: int, awarded_product_id: int | None) -> Check:
    """The delivered product is the ordered (and awarded) one."""
    expected = {line.product_id} | ({awarded_product_id} if awarded_product_id else set())
    if product_id not in expected or len(expected) != 1:
        facts = catalog.product_facts(product_id) if isinstance(product_id, int) else None
        ordered = catalog.product_facts(line.product_id)
        return Check(CHECK_PRODUCT, False, N_("Product %(delivered)s is not the product ordered on this line "
                                              "(%(ordered)s), which the supplier was awarded."),
                     {"delivered": facts["sku"] if facts else str(product_id),
                      "ordered": ordered["sku"] if ordered else str(line.product_id)})
    facts = catalog.product_facts(product_id)
    return Check(CHECK_PRODUCT, True, N_("Product %(sku)s is the ordered and awarded product."),
                 {"sku": facts["sku"] if facts else str(product_id)})


def evidence_check(product_id: int, delivered_on: dt.date, kind: str, number: str, *, city_id: int | None) -> Check:
    """The presented certificate or test report is the product's and valid on the delivery day (a
    test report for the days of the delivery rule in force that day for the project's city)."""
    standing = catalog.certificate_standing(product_id, delivered_on)
    day = delivered_on.isoformat()
    if kind == CERTIFICATE:
        cert = next((c for c in standing["certificates"] if c["number"] == number), None)
        if cert is None:
            return Check(CHECK_EVIDENCE, False, N_("Certificate %(number)s is not a certificate of this product."),
                         {"number": number})
        if not cert["valid_on_day"]:
            return Check(CHECK_EVIDENCE, False, N_("Certificate %(number)s is not valid on the delivery day "
                                                   "%(day)s (valid %(issued)s to %(expires)s, %(status)s)."),
                         {"number": number, "day": day, "issued": cert["issued_on"], "expires": cert["expires_on"],
                          "status": Term(cert["status"])})
        return Check(CHECK_EVIDENCE, True, N_("Certificate %(number)s is valid on the delivery day %(day)s "
                                              "(expires %(expires)s)."),
                     {"number": number, "day": day, "expires": cert["expires_on"]})
    report = next((r for r in standing["test_reports"] if r["number"] == number), None)
    if report is None:
        return Check(CHECK_EVIDENCE, False, N_("Test report %(number)s is not a test report of this product."),
                     {"number": number})
    issued = dt.date.fromisoformat(report["issued_on"])
    report_valid_days = rules.rule_for(city_id, delivered_on).test_report_valid_days
    if issued > delivered_on:
        return Check(CHECK_EVIDENCE, False, N_("Test report %(number)s was issued on %(issued)s, after the delivery "
                                               "day %(day)s."), {"number": number, "issued": issued.isoformat(),
                                                                  "day": day})
    last = issued + dt.timedelta(days=report_valid_days)
    if delivered_on > last:
        return Check(CHECK_EVIDENCE, False, N_("Test report %(number)s of %(issued)s is older than %(days)s days on "
                                               "the delivery day %(day)s."),
                     {"number": number, "issued": issued.isoformat(), "days": report_valid_days, "day": day})
    return Check(CHECK_EVIDENCE, True, N_("Test report %(number)s of %(issued)s is valid on the delivery day %(day)s."),
                 {"number": number, "issued": issued.isoformat(), "day": day})


def quantity_check(line, quantity_milli: int, taken_milli: int) -> Check:
    """The quantity, with the line's live deliveries, stays within the ordered quantity."""
    params = {"quantity": format_quantity(quantity_milli), "unit": Term(line.unit),
              "taken": format_quantity(taken_milli), "ordered": format_quantity(line.quantity_milli),
              "left": format_quantity(max(line.quantity_milli - taken_milli, 0))}
    if taken_milli + quantity_milli > line.quantity_milli:
        return Check(CHECK_QUANTITY, False, N_("%(quantity)s %(unit)s exceeds the order: %(ordered)s %(unit)s ordered, "
                                               "%(taken)s already delivered, %(left)s left."), params)
    return Check(CHECK_QUANTITY, True, N_("%(quantity)s %(unit)s within the order (%(ordered)s %(unit)s ordered, "
                                          "%(taken)s delivered before)."), params)


def run_checks(line, *, product_id: int, awarded_product_id: int | None, delivered_on: dt.date, evidence_kind: str,
               evidence_number: str, quantity_milli: int, taken_milli: int, city_id: int | None) -> list[Check]:
    """Every automatic check of a delivery, in report order."""
    return [product_check(line, product_id, awarded_product_id),
            evidence_check(product_id, delivered_on, evidence_kind, evidence_number, city_id=city_id),
            quantity_check(line, quantity_milli, taken_milli)]
