"""Names of acceptance's code words in the reader's language (the `label` filter), its project
record kinds and its gate checks (added to the shared groups at wiring)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CHECKLIST_STATUS = {"draft": _l("Draft: to be signed off"), "signed": _l("Signed off")}
GATE_CHECKS = {
    "ordered_quantities_accepted": _l("Ordered quantities delivered and accepted"),
    "no_pending_deliveries": _l("No delivery waiting for a decision"),
    "no_open_rectifications": _l("No open rectification"),
    "checklist_signed_off": _l("Acceptance checklist signed off"),
    "suppliers_paid": _l("Suppliers paid"),
}
RECORD_KINDS = {
    "acceptance_checklist_generated": _l("Acceptance checklist generated"),
    "acceptance_signed_off": _l("Completion acceptance signed off"),
    "supplier_paid": _l("Payment to a supplier recorded"),
}
GROUPS = {"checklist": CHECKLIST_STATUS}
