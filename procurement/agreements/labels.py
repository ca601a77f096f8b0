"""Names of the code words of agreements and orders in the reader's language (templates use the
`label` filter), and the names of their project record kinds (added to the timeline's labels)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

AGREEMENT_STATUS = {"draft": _l("Draft: to be signed"), "signed": _l("Signed: to be published"),
                    "published": _l("Signed and published"), "expired": _l("Expired"),
                    "terminated": _l("Terminated early"), "cancelled": _l("Abandoned before signing")}
KINDS = {"contract": _l("Contract"), "framework": _l("Framework agreement")}
ORDER_STATUS = {"placed": _l("Placed: waiting for the supplier"), "confirmed": _l("Confirmed by the supplier"),
                "partly_delivered": _l("Partly delivered"), "delivered": _l("Delivered"),
                "accepted": _l("Accepted by the purchaser"), "cancelled": _l("Cancelled")}
SELECTION = {"direct": _l("Direct selection"), "mini_competition": _l("Mini-competition")}
RECORD_KINDS = {
    "agreement_signed": _l("Contract or framework agreement signed (project quota)"),
    "order_placed": _l("Call-off order placed"),
    "order_confirmed": _l("Call-off order confirmed by the supplier"),
    "order_cancelled": _l("Call-off order cancelled"),
    "order_accepted": _l("Call-off order accepted"),
}
#: Titles of the procurement -> construction gate's checks (`gates.py`), shown on the project page.
GATE_CHECKS = {
    "bill_covered": _l("Every bill line covered by a contract or call-off orders"),
    "bought_products_compliant": _l("Products bought comply with their lines"),
    "mandatory_bought_green": _l("Mandatory categories bought green (100 %)"),
    "optional_share_bought": _l("Share of green products in the optional kinds as bought"),
}
GROUPS = {"status": AGREEMENT_STATUS, "kind": KINDS, "order": ORDER_STATUS, "selection": SELECTION}
