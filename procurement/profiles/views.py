"""The public page of the procedure rules in force (/procedure-rules): per city (its own rows
where it has them, else the national ones), per method and legal track, on a date, with the rows
that take effect later and the history. Read-only: rules change by `flask profiles add`.

Also the names of methods, tracks and rule numbers other pages show (`label` and `rule_value`).
"""

from __future__ import annotations

import datetime as dt

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.extensions import db
from core.models import City
from core.money import format_fen
from core.timeutil import parse_date, today_cn
from procurement.profiles.models import METHODS, RULE_FIELDS, TRACKS
from procurement.profiles.services import NoProfile, profile_for, profiles
from procurement.quantities import format_bp
from procurement.tendering.blueprints import bp

METHOD_LABELS = {
    "public_tender": _l("Public tender"), "competitive_negotiation": _l("Competitive negotiation"),
    "competitive_consultation": _l("Competitive consultation"), "framework_agreement": _l("Framework agreement"),
    "call_off": _l("Call-off under a framework agreement"),
}
TRACK_LABELS = {"gpl": _l("Government Procurement Law"), "tbl": _l("Tendering and Bidding Law")}
RULE_LABELS = {
    "min_tender_days": _l("Minimum tender period"),
    "doc_availability_working_days": _l("Tender documents available for at least"),
    "clarification_cutoff_days": _l("Clarifications and amendments at the latest before the deadline"),
    "bond_cap_bp": _l("Bid bond cap (share of the lot budget)"),
    "min_valid_bidders": _l("Minimum valid bids per lot"),
    "price_weight_floor_goods_bp": _l("Least price weight, goods"),
    "price_weight_floor_services_bp": _l("Least price weight, services"),
    "award_confirm_working_days": _l("Winner confirmed within"),
    "award_notice_working_days": _l("Award notice shown for"),
    "standstill_working_days": _l("Standstill period"),
    "challenge_working_days": _l("Challenges lodged within"),
    "challenge_answer_working_days": _l("Challenges answered within"),
    "complaint_working_days": _l("Complaint after the answer within"),
    "complaint_decision_working_days": _l("Complaint decided within"),
    "contract_sign_days": _l("Contract signed within (after the award notice)"),
    "contract_publish_working_days": _l("Contract published within (after signing)"),
    "bond_refund_working_days": _l("Bid bonds refunded within"),
    "panel_min_size": _l("Evaluation panel: at least"),
    "panel_large_size": _l("Evaluation panel for large budgets: at least"),
    "panel_large_budget_fen": _l("Large budget: from"),
    "min_negotiation_rounds": _l("Rounds of improved offers before final offers"),
}
_DAYS = ("min_tender_days", "clarification_cutoff_days", "contract_sign_days")
_BP = ("bond_cap_bp", "price_weight_floor_goods_bp", "price_weight_floor_services_bp")
_PEOPLE = ("panel_min_size", "panel_large_size")
#: The legal bases of the seeded national rows (migration 0013), shown in the reader's language;
#: a basis typed with `flask profiles add` is shown as typed.
LEGAL_BASES = {
    "Government Procurement Law; MOF Order 87 (2017)": _l("Government Procurement Law; MOF Order 87 (2017)"),
    "Tendering and Bidding Law and its implementing regulations":
        _l("Tendering and Bidding Law and its implementing regulations"),
    "MOF Order 74 (2014)": _l("MOF Order 74 (2014)"),
    "MOF Cai Ku [2014] 214": _l("MOF Cai Ku [2014] 214"),
    "MOF Order 110 (2022)": _l("MOF Order 110 (2022)"),
    "MOF Order 110 (2022), second-stage call-offs": _l("MOF Order 110 (2022), second-stage call-offs"),
}
#: Added to the one label registry (`core.labels`) by the tendering wiring.
GROUPS = {"method": METHOD_LABELS, "track": TRACK_LABELS, "profile_rule": RULE_LABELS, "legal": LEGAL_BASES}


def rule_value(field: str, value) -> str:
    """One number of a profile with its unit, in the current locale: '20 days', '5 working days',
    '2 %', '¥10,000,000.00'."""
    if value is None:
        return ""
    if field in _DAYS:
        return _("%(n)s days", n=value)
    if field.endswith("_working_days"):
        return _("%(n)s working days", n=value)
    if field in _BP:
        return f"{format_bp(value)} %"
    if field.endswith("_fen"):
        return format_fen(value)
    if field in _PEOPLE:
        return _("%(n)s members", n=value)
    return str(value)


def _cities() -> list[City]:
    return list(db.session.execute(select(City).order_by(City.id)).scalars())


@bp.get("/procedure-rules")
def procedure_rules():
    """Public: the rules in force per method and track for a city (or nationally) on a date."""
    cities = _cities()
    code = (request.args.get("city") or "").strip().lower()
    city = next((c for c in cities if c.code == code), None)
    try:
        on = parse_date(request.args["on"]) if request.args.get("on") else today_cn()
        if not dt.date(2000, 1, 1) <= on <= dt.date(2100, 12, 31):
            raise ValueError
    except ValueError:
        on = today_cn()
    city_id = city.id if city else None
    in_force = []
    for method in METHODS:
        for track in TRACKS:
            try:
                in_force.append(profile_for(method, track, city_id, on))
            except NoProfile:
                continue
    rows = [r for r in profiles(city_id=city_id) if city_id is not None or r.city_id is None]
    current_ids = {r.id for r in in_force}
    upcoming = sorted((r for r in rows if r.effective_from > on), key=lambda r: r.effective_from)
    history = [r for r in rows if r.effective_from <= on and r.id not in current_ids]
    return render_template("tendering/procedure_rules.html", cities=cities, city=city, on=on, in_force=in_force,
                           upcoming=upcoming, history=history, fields=RULE_FIELDS)
