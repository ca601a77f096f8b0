"""Names of oversight's code words in the reader's language (the `label` filter): the figures a
city may lag on, and the red flags."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

FIGURES = {"amount": _l("green-material amount"), "coverage": _l("eligible projects covered"),
           "green_share": _l("green share of materials"), "batch_share": _l("batch-procured share"),
           "prefab_share": _l("prefabricated share")}
FLAGS = {"single_bidder": _l("Single bidder"), "near_ceiling": _l("Price near the ceiling"),
         "identical_prices": _l("Identical bid prices"), "repeat_winner": _l("Repeat winner"),
         "shared_card": _l("Same card for several firms' bonds"),
         "shared_address": _l("Same network address for several bidders"),
         "short_period": _l("Tender period shorter than the profile"),
         "late_contract": _l("Late contract publication"), "bond_above_cap": _l("Bond above the cap"),
         "amendment_value": _l("Amendment above the allowed share of value")}
GROUPS = {"oversight_figure": FIGURES, "oversight_flag": FLAGS}
