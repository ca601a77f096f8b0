"""Names of the deliveries' code words in the reader's language (the `label` filter), its project
record kinds and its automatic checks (added to the shared groups at wiring)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

DELIVERY_STATUS = {"recorded": _l("Recorded, waiting for the site manager"),
                   "sampling": _l("Sample at the testing lab"), "accepted": _l("Accepted on site"),
                   "rejected": _l("Rejected")}
SAMPLE_STATUS = {"sent": _l("Sent to the lab"), "passed": _l("Passed"), "failed": _l("Failed")}
EVIDENCE = {"certificate": _l("Green building material certificate"), "test_report": _l("Third-party test report")}
CHECKS = {"ordered_product": _l("The ordered and awarded product"),
          "valid_evidence": _l("Certificate or test report valid on the delivery day"),
          "within_order": _l("Quantity within the order")}
RECORD_KINDS = {
    "delivery_recorded": _l("Delivery recorded"),
    "delivery_accepted": _l("Delivery accepted on site"),
    "delivery_rejected": _l("Delivery rejected"),
    "delivery_sampled": _l("Delivery sample sent to a testing lab"),
    "delivery_sample_passed": _l("Lab report: sample passed"),
    "delivery_sample_failed": _l("Lab report: sample failed, rectification opened"),
}
GROUPS = {"status": DELIVERY_STATUS, "sample": SAMPLE_STATUS, "evidence": EVIDENCE, "check": CHECKS}
