"""Abnormally low prices, as dated data (`AbnormalPriceRule`): the rule in force for a city on a
date, adding a row, and which bids a rule flags.

A bid is flagged when its total is strictly below
- `below_average_bp` of the average total of the *other* valid bids of the lot (only when there
  is at least one other), or
- `below_ceiling_bp` of the lot's ceiling.

Either trigger may be off (NULL). Comparisons are exact (integers and fractions). The national
default, seeded by migration 0018_scoring, is 50 % of the others' average (DOMAIN.md 9, a 2026
notice, weak source: keep configurable) with the ceiling trigger off, and 2 working days to
justify. A city adds its own row: ``flask abnormal-prices add 2027-01-01 --city qingdao
--below-average 60 --below-ceiling 45 --days 3``.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction


from core import audit, dated_rules
from core.errors import ValidationError
from core.extensions import db
from core.i18n import N_, message_payload
from core.money import format_fen
from core.services import unit_of_work
from core.timeutil import CHINA, today_cn
from core.workdays import add_working_days
from procurement.evaluation.scoring.arithmetic import below_share
from procurement.evaluation.scoring.models import AbnormalPriceRule
from procurement.quantities import format_bp

DAY_END = dt.time(23, 59, 59)


def rule_for(city_id: int | None, on: dt.date | None = None) -> AbnormalPriceRule | None:
    """The rule in force on `on` (China date, default today): the city's latest row not after
    `on`, else the national one; None when neither exists (nothing is flagged)."""
    return dated_rules.in_force(AbnormalPriceRule, city_id, on or today_cn())


def rules(city_id: int | None = None) -> list[AbnormalPriceRule]:
    """National rows and those of `city_id` (every city's when None), newest first."""
    return dated_rules.history(AbnormalPriceRule, city_id)


def add_rule(actor, *, effective_from: dt.date, city_id: int | None = None, below_average_bp: int | None = None,
             below_ceiling_bp: int | None = None, justification_working_days: int = 2,
             note: str = "") -> AbnormalPriceRule:
    """A new dated row (stored rows never change)."""
    fields = {}
    for name, value in (("below_average", below_average_bp), ("below_ceiling", below_ceiling_bp)):
        if value is not None and not 1 <= int(value) <= 10000:
            fields[name] = N_("Give a percentage above 0 and at most 100.")
    if not 1 <= int(justification_working_days) <= 30:
        fields["days"] = N_("Give a number of working days from 1 to 30.")
    if fields:
        raise ValidationError(N_("The rule was not accepted."), fields)
    with unit_of_work(N_("A rule for that city and date already exists; choose another effective date.")):
        row = AbnormalPriceRule(city_id=city_id, effective_from=effective_from, below_average_bp=below_average_bp,
                                below_ceiling_bp=below_ceiling_bp,
                                justification_working_days=int(justification_working_days), note=(note or "")[:300],
                                created_by_id=getattr(actor, "id", None))
        db.session.add(row)
        db.session.flush()
        audit.record("abnormal_price_rule.add", row, actor=actor, after=row.snapshot())
    return row


def justification_due(rule: AbnormalPriceRule, at: dt.datetime, calendar=None) -> dt.datetime:
    """The end (23:59:59 China time) of the rule's last working day to justify, counted from the
    China date of `at`."""
    last = add_working_days(at.astimezone(CHINA).date(), rule.justification_working_days, calendar=calendar)
    return dt.datetime.combine(last, DAY_END, tzinfo=CHINA).astimezone(dt.timezone.utc)


def flag_reasons(bids, ceiling_fen: int, rule: AbnormalPriceRule | None) -> dict[int, list[dict]]:
    """{opened bid id: [stored reason, ...]} for the bids `rule` flags (`bids`: objects with
    `opened_bid_id` and `total_fen`, the lot's valid bids)."""
    if rule is None:
        return {}
    out: dict[int, list[dict]] = {}
    for bid in bids:
        reasons = []
        others = [b.total_fen for b in bids if b.opened_bid_id != bid.opened_bid_id]
        if rule.below_average_bp is not None and others:
            avg = Fraction(sum(others), len(others))
            if below_share(bid.total_fen, avg, rule.below_average_bp):
                reasons.append(message_payload(
                    N_("The total %(total)s is below %(percent)s %% of the average of the other valid bids "
                       "(%(average)s)."),
                    {"total": format_fen(bid.total_fen), "percent": format_bp(rule.below_average_bp),
                     "average": format_fen(_half_up(avg))}))
        if rule.below_ceiling_bp is not None and below_share(bid.total_fen, Fraction(ceiling_fen),
                                                             rule.below_ceiling_bp):
            reasons.append(message_payload(
                N_("The total %(total)s is below %(percent)s %% of the lot's ceiling (%(ceiling)s)."),
                {"total": format_fen(bid.total_fen), "percent": format_bp(rule.below_ceiling_bp),
                 "ceiling": format_fen(ceiling_fen)}))
        if reasons:
            out[bid.opened_bid_id] = reasons
    return out


def _half_up(value: Fraction) -> int:
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))
