"""Awards (issue 12): from the evaluation's ranking to the award notice, and what may undo it.

The centre sends a lot's recommendation (the signed ranking's first bid, read through
`ranking.ranked_candidates`) to the finance office of the tender's city, which approves or
returns it (`services`); the centre then publishes the award notice (public page, API,
notifications), which starts the standstill period and the challenge window and schedules the
losers' bond refunds. A winner that withdraws or refuses to sign forfeits its bond and the next
firm in the ranking is offered the award (`succession`); with nobody left the award fails and
the centre chooses the next step. Bidders challenge the notice, the centre answers, and the
challenger may complain to the finance office (`challenges`); `gate.can_sign_contract(lot)` tells
the contract step whether anything still blocks signing. Nothing registers itself on import:
`wiring.register(app)`.
"""
