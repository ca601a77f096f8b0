"""The delivery and sample lifecycles as explicit transition tables (`core.statemachine`), and
the code words of deliveries. Pure: no database.

Delivery (recorded only when every automatic check passes; see `checks`)::

    recorded --accept--> accepted            (the site manager accepts it: counts towards the order)
    recorded --reject--> rejected            (the site manager refuses it, with a reason)
    recorded --sample--> sampling            (a sample went to a testing lab: no decision meanwhile)
    sampling --sample_passed--> recorded     (the lab's report passed: the site manager decides)
    sampling --sample_failed--> rejected     (the lab's report failed: a rectification is opened)

Sample::

    sent --pass--> passed        sent --fail--> failed
"""

from __future__ import annotations

from core.statemachine import Move, StateMachine

RECORDED, SAMPLING, ACCEPTED, REJECTED = "recorded", "sampling", "accepted", "rejected"
DELIVERY_STATES = (RECORDED, SAMPLING, ACCEPTED, REJECTED)
#: A delivery in these states still takes up part of its order line's quantity.
LIVE_DELIVERY_STATES = (RECORDED, SAMPLING, ACCEPTED)
DELIVERY = StateMachine("delivery", DELIVERY_STATES, [
    Move("accept", (RECORDED,), ACCEPTED),
    Move("reject", (RECORDED,), REJECTED),
    Move("sample", (RECORDED,), SAMPLING),
    Move("sample_passed", (SAMPLING,), RECORDED),
    Move("sample_failed", (SAMPLING,), REJECTED),
], final=(ACCEPTED, REJECTED))

SENT, PASSED, FAILED = "sent", "passed", "failed"
SAMPLE_STATES = (SENT, PASSED, FAILED)
SAMPLE = StateMachine("delivery_sample", SAMPLE_STATES, [
    Move("pass", (SENT,), PASSED),
    Move("fail", (SENT,), FAILED),
], final=(PASSED, FAILED))

#: What the supplier presented on delivery to prove compliance (DOMAIN.md §1, "on delivery the
#: supplier shows a green-material certificate or a valid test report").
CERTIFICATE, TEST_REPORT = "certificate", "test_report"
EVIDENCE_KINDS = (CERTIFICATE, TEST_REPORT)
#: Lab results of a sample.
RESULTS = (PASSED, FAILED)

#: The automatic checks, in the order they are reported.
CHECK_PRODUCT, CHECK_EVIDENCE, CHECK_QUANTITY = "ordered_product", "valid_evidence", "within_order"
CHECKS = (CHECK_PRODUCT, CHECK_EVIDENCE, CHECK_QUANTITY)


def _l(text):  # extraction marker: the words are translated where a Term is shown
    return text


TERMS = [_l("recorded"), _l("sampling"), _l("accepted"), _l("rejected"), _l("sent"), _l("passed"), _l("failed"),
         _l("certificate"), _l("test_report")]
