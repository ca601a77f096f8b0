"""The agreement lifecycle as an explicit transition table (`core.statemachine`) and the code
words of agreements. Pure: no database.

::

    draft --sign--> signed --publish--> published          (published within 2 working days)
    draft --cancel--> cancelled                             (never signed: the award failed ...)
    signed | published --expire--> expired                  (its validity ended: chronograph)
    signed | published --terminate--> terminated            (ended early, with a reason)

Orders may be placed on a signed or published agreement whose validity covers the day.
"""

from __future__ import annotations

from core.statemachine import Move, StateMachine

DRAFT, SIGNED, PUBLISHED, EXPIRED, TERMINATED, CANCELLED = (
    "draft", "signed", "published", "expired", "terminated", "cancelled")
AGREEMENT_STATES = (DRAFT, SIGNED, PUBLISHED, EXPIRED, TERMINATED, CANCELLED)
#: Orders may be placed against an agreement in these states (within its validity).
IN_FORCE_STATES = (SIGNED, PUBLISHED)
#: A lot has at most one agreement in these states (partial unique index).
LIVE_STATES = (DRAFT, SIGNED, PUBLISHED)

AGREEMENT = StateMachine("agreement", AGREEMENT_STATES, [
    Move("sign", (DRAFT,), SIGNED),
    Move("publish", (SIGNED,), PUBLISHED),
    Move("cancel", (DRAFT,), CANCELLED),
    Move("expire", IN_FORCE_STATES, EXPIRED),
    Move("terminate", IN_FORCE_STATES, TERMINATED),
], final=(EXPIRED, TERMINATED, CANCELLED))

CONTRACT, FRAMEWORK = "contract", "framework"
KINDS = (CONTRACT, FRAMEWORK)

#: Chronograph kinds.
DEADLINE_SIGN = "agreements.sign_due"          # not signed within the profile's days of the notice
DEADLINE_PUBLISH = "agreements.publish_due"    # not published within the profile's working days
DEADLINE_EXPIRY = "agreements.expiry"          # the validity ended: the agreement expires
OBJECT_TYPE = "agreement"

#: Retention share bounds, in basis points of each payment (0 .. 10 %).
MAX_RETENTION_BP = 1000
DEFAULT_RETENTION_BP = 300


def _l(text):  # extraction marker: the words are translated where a Term is shown
    return text


TERMS = [_l("draft"), _l("signed"), _l("published"), _l("expired"), _l("terminated"), _l("cancelled"),
         _l("contract"), _l("framework")]
