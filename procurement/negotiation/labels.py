"""Names of the package's code words in the reader's language (templates use the `label`
filter) and of its project record kinds (added to the timeline's labels at wiring)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS = {"open": _l("Rounds of improved offers"), "final": _l("Final offers"), "concluded": _l("Concluded"),
          "failed": _l("Failed"), "cancelled": _l("Cancelled")}
ROUND_STATUS = {"open": _l("Open for sealed offers"), "closed": _l("Closed and opened")}
KIND = {"competitive_negotiation": _l("Competitive negotiation"),
        "competitive_consultation": _l("Competitive consultation"),
        "mini_competition": _l("Framework mini-competition")}
TIE_RULE = {"earliest_offer": _l("Equal lowest final offers: the offer received first wins"),
            "lower_first_offer": _l("Equal lowest final offers: the lower first-round offer wins, then the offer "
                                    "received first")}
RECORD_KINDS = {
    "negotiation_started": _l("Negotiation started"),
    "negotiation_round_opened": _l("Negotiation round opened"),
    "negotiation_round_closed": _l("Negotiation round closed and its sealed offers opened"),
    "negotiation_concluded": _l("Negotiation concluded"),
    "negotiation_failed": _l("Negotiation failed"),
    "negotiation_cancelled": _l("Negotiation cancelled"),
}
GROUPS = {"status": STATUS, "round": ROUND_STATUS, "kind": KIND, "tie_rule": TIE_RULE}
