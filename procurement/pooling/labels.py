"""Readable, translatable names of the pooling code words (round and line statuses, why lines
were withdrawn): `GROUPS`, added to the one label registry (`core.labels`) by the pooling wiring,
for the `label` template filter and the record timeline."""

from flask_babel import lazy_gettext as _l

ROUND_STATUSES = {"open": _l("Collecting lines"), "closed": _l("Closed"), "tendered": _l("Tendered"),
                  "cancelled": _l("Cancelled")}
LINE_STATUSES = {"contributed": _l("Contributed"), "assigned": _l("In a lot"), "withdrawn": _l("Withdrawn"),
                 "released": _l("Released")}
REASONS = {"by_purchaser": _l("withdrawn by the purchaser"), "round_cancelled": _l("the round was cancelled"),
           "project_left_procurement": _l("the project left the procurement stage"),
           "tender_cancelled": _l("the tender was cancelled"), "tender_failed": _l("the tender failed")}
#: Code words messages carry as `core.i18n.Term` parameters.
TERMS = [_l("open"), _l("closed"), _l("tendered"), _l("cancelled"), _l("contributed"), _l("assigned"),
         _l("withdrawn"), _l("released")]

GROUPS = {"pooling_round": ROUND_STATUSES, "pooling_line": LINE_STATUSES, "pooling_reason": REASONS}
BADGES = {"open": "success", "closed": "secondary", "tendered": "primary", "cancelled": "danger",
          "contributed": "success", "assigned": "primary", "withdrawn": "secondary", "released": "secondary"}
