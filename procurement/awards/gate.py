"""Whether a lot's contract may be signed now: the gate the contract step (the next issue) asks.

`can_sign_contract(lot) -> (bool, reasons)`: reasons are stored messages (key and parameters,
`core.i18n.render_payload` shows them in the reader's language). Signing is possible when the
lot's award notice is published (status `notified`), its standstill period has ended (read from
the clock, not from a job), and no challenge waits for its answer and no complaint for its
decision. `contract_award(lot)` gives the award to sign (winner, bid, amount) when the gate is open.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.extensions import db
from core.i18n import N_, Term, message_payload
from core.timeutil import china_time, utcnow
from procurement.awards.models import Award, Challenge, Complaint
from procurement.awards.services import award_for_lot
from procurement.awards.states import LODGED, NOTIFIED


def live_challenges(award_id: int) -> list[Challenge]:
    return list(db.session.execute(select(Challenge).where(Challenge.award_id == award_id, Challenge.status == LODGED)
                                   .order_by(Challenge.number)).unique().scalars())


def live_complaints(award_id: int) -> list[Complaint]:
    return list(db.session.execute(select(Complaint).where(Complaint.award_id == award_id, Complaint.status == LODGED)
                                   .order_by(Complaint.id)).unique().scalars())


def can_sign_contract(lot, now: dt.datetime | None = None) -> tuple[bool, list[dict]]:
    """(True, []) when the lot's contract may be signed now, else (False, the reasons)."""
    now = now or utcnow()
    award = award_for_lot(getattr(lot, "id", lot))
    if award is None:
        return False, [message_payload(N_("No award has been made for this lot."))]
    reasons = []
    if award.status != NOTIFIED:
        reasons.append(message_payload(N_("The award of this lot is %(status)s: only an award whose notice is "
                                          "published is signed."), {"status": Term(award.status)}))
    elif award.standstill_until is not None and now < award.standstill_until:
        reasons.append(message_payload(N_("The standstill period after the award notice runs until %(until)s."),
                                       {"until": china_time(award.standstill_until)}))
    for challenge in live_challenges(award.id):
        reasons.append(message_payload(N_("Challenge %(number)s waits for the centre's answer (due %(deadline)s)."),
                                       {"number": challenge.number, "deadline": china_time(challenge.answer_due_at)}))
    for complaint in live_complaints(award.id):
        reasons.append(message_payload(
            N_("The complaint about challenge %(number)s waits for the finance office's decision (due %(deadline)s)."),
            {"number": complaint.challenge.number, "deadline": china_time(complaint.decision_due_at)}))
    return not reasons, reasons


def contract_award(lot, now: dt.datetime | None = None) -> Award | None:
    """The lot's award to sign (winner_org_id, winner_bid_id, total_fen...) when the gate is open."""
    ok, _reasons = can_sign_contract(lot, now)
    return award_for_lot(getattr(lot, "id", lot)) if ok else None
