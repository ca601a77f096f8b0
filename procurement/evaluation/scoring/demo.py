"""Demo panels and evaluations (`flask demo seed`), through the real services, for a demo tender
whose lots' qualification is confirmed (`procurement.awards.demo`).

`evaluate_demo_lot`: the centre asks for the lot's panel and draws it from the city's demo pool;
every drawn expert accepts (a pending replacement draw is drawn first); the centre starts the
evaluation; on a comprehensive plan every member scores each bid (a deterministic mark per bid);
the centre issues the report and every member signs it. Each step runs only when not done yet,
with a past clock from `now` (never later than the present).
"""

from __future__ import annotations

import datetime as dt
import random

from core.extensions import db
from core.models import User
from core.timeutil import utcnow

#: offsets of the steps from the lot's qualification (the demo's clock)
PANEL_AFTER = dt.timedelta(hours=2)
ACCEPT_AFTER = dt.timedelta(hours=3)
START_AFTER = dt.timedelta(hours=20)
SCORE_AFTER = dt.timedelta(hours=22)
ISSUE_AFTER = dt.timedelta(hours=24)
SIGN_AFTER = dt.timedelta(hours=25)


def _at(moment: dt.datetime) -> dt.datetime:
    return min(moment, utcnow())


def _complete_panel(centre, tender, lot, base) -> None:
    from procurement.evaluation import services as panels
    from procurement.evaluation.policy import panel_for
    from procurement.evaluation.states import COMPLETE, INVITED, REQUESTED

    panel = panel_for(lot)
    if panel is None:
        panel = panels.request_panel(centre, tender.id, {"lot_id": lot.id, "venue": "政府采购中心评标室 1"},
                                     now=_at(base + PANEL_AFTER))
    if panel.status == COMPLETE:
        return
    if panel.status == REQUESTED or panel.pending_draw_id is not None:
        panel = panels.draw_panel(centre, panel.id, now=_at(base + PANEL_AFTER + dt.timedelta(minutes=1)))
    db.session.expire_all()
    panel = panel_for(lot)
    for member in sorted(panel.members, key=lambda m: m.seat):
        if member.status == INVITED:
            panels.accept(db.session.get(User, member.expert.user_id), panel.id, now=_at(base + ACCEPT_AFTER))
    db.session.expire_all()


def _marks(evaluation, member_id: int) -> dict:
    from procurement.opening.reading import qualified_bids

    rng = random.Random(f"demo-scores-{evaluation.lot_id}-{member_id}")
    scores = []
    for bid in qualified_bids(evaluation.lot_id):
        for criterion in evaluation.criteria or []:
            top = criterion["max_score_cp"]
            scores.append({"opened_bid_id": bid.opened_bid_id, "criterion_id": criterion["id"],
                           "score": f"{rng.randint(top * 6 // 10, top) / 100:.2f}"})
    return {"scores": scores}


def evaluate_demo_lot(centre, tender, lot, *, now: dt.datetime) -> bool:
    """Take a qualified lot through its panel and evaluation to a signed report; True when signed."""
    from procurement.evaluation.scoring import policy, services
    from procurement.evaluation.scoring.states import (
        COMPREHENSIVE,
        SCORING,
        SIGNED,
        SIGNING,
    )

    _complete_panel(centre, tender, lot, now)
    evaluation = services.evaluation_of(lot.id)
    if evaluation is None:
        evaluation = services.start(centre, lot.id, now=_at(now + START_AFTER))
    members = services.members_of(lot)
    if evaluation.status == SCORING and evaluation.method == COMPREHENSIVE:
        for member in members:
            if not policy.has_submitted(member, evaluation):
                services.submit_scores(member, lot.id, _marks(evaluation, member.id), now=_at(now + SCORE_AFTER))
                db.session.expire_all()
                evaluation = services.evaluation_of(lot.id)
    if evaluation.status == SCORING:
        evaluation = services.issue_report(centre, lot.id, now=_at(now + ISSUE_AFTER))
    if evaluation.status == SIGNING:
        signed = {s.expert_user_id for s in services.signatures(evaluation)}
        for member in members:
            if member.id not in signed:
                services.sign(member, lot.id, now=_at(now + SIGN_AFTER))
    db.session.expire_all()
    return services.evaluation_of(lot.id).status == SIGNED
