"""The acceptance checklist's lifecycle (`core.statemachine`) and the package's code words. Pure.

::

    draft --regenerate--> draft      (read again from the bill, the deliveries and the inspections)
    draft --sign--> signed           (the acceptance inspector signs it off: every line passed)
"""

from __future__ import annotations

from core.statemachine import Move, StateMachine

DRAFT, SIGNED = "draft", "signed"
CHECKLIST_STATES = (DRAFT, SIGNED)
CHECKLIST = StateMachine("acceptance_checklist", CHECKLIST_STATES, [
    Move("regenerate", (DRAFT,), DRAFT),
    Move("sign", (DRAFT,), SIGNED),
], final=(SIGNED,))

#: Basis points in a whole (retention shares are stored in basis points, 500 = 5 %).
BP = 10_000


def _l(text):  # extraction marker: the words are translated where a Term is shown
    return text


TERMS = [_l("draft"), _l("signed")]
