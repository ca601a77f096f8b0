"""Names of scoring's code words in the reader's language (the `label` filter, groups `scoring_<group>`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

METHOD_LABELS = {"lowest_price": _l("Lowest evaluated price"), "comprehensive": _l("Comprehensive scoring")}
SUBJECT_LABELS = {"goods": _l("Goods"), "services": _l("Services")}
STATUS_LABELS = {"not_started": _l("Not started"), "scoring": _l("Scoring"),
                 "signing": _l("Report issued: waiting for the members' signatures"),
                 "signed": _l("Report signed off")}
FLAG_LABELS = {"awaiting": _l("Waiting for the bidder's justification"),
               "justified": _l("Justified: waiting for the panel's decision"),
               "accepted": _l("Justification accepted"), "rejected": _l("Justification rejected: excluded"),
               "lapsed": _l("No justification by the deadline: excluded")}
#: The published tie rule, in order (`arithmetic.TIE_RULE`).
TIE_LABELS = {"higher_total": _l("the higher total score (exact, before rounding)"),
              "higher_price_score": _l("the higher price score, that is the lower price"),
              "earlier_receipt": _l("the earlier receipt of the bid (its signed receipt time, to the millisecond)"),
              "lower_opening_number": _l("the lower opening number")}
RECORD_KINDS = {
    "tender_lot_evaluation_started": _l("Lot evaluation started"),
    "tender_lot_justification_decided": _l("Panel decided on a price justification"),
    "tender_lot_justification_lapsed": _l("Price justification not received by the deadline"),
    "tender_lot_report_issued": _l("Evaluation report issued"),
    "tender_lot_report_withdrawn": _l("Evaluation report taken back"),
    "tender_lot_report_signed": _l("Evaluation report signed off"),
}
GROUPS = {"method": METHOD_LABELS, "subject": SUBJECT_LABELS, "status": STATUS_LABELS, "flag": FLAG_LABELS,
          "tie": TIE_LABELS}




def points(cp) -> str:
    """Hundredths of a point as text ("7.5")."""
    from procurement.evaluation.scoring.arithmetic import format_points

    return format_points(cp)


def rounded(exact_text) -> str:
    """An exact stored value ("256/3") rounded half up to 2 decimals for display ("85.33")."""
    from fractions import Fraction

    from procurement.evaluation.scoring.arithmetic import display

    return display(Fraction(exact_text)) if exact_text not in (None, "") else "—"


def iso_china(text) -> str:
    """A stored ISO UTC time as China time (reports keep times as text)."""
    import datetime as dt

    from core.timeutil import china_time

    return china_time(dt.datetime.fromisoformat(text)) if text else "—"


FILTERS = {"score_points": points, "score_rounded": rounded, "report_time": iso_china}
