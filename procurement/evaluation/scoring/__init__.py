"""Scoring (issue 12): the evaluation method and criteria a tender sets while it is a draft, the
experts' scores per lot, abnormally low prices flagged by dated rules and justified by the bidder,
the ranking with its published tie rule, and the evaluation report signed by every panel member.

`results.ranking(lot_id)` and `results.recommendation(lot_id)` are what the award reads. Nothing
registers itself on import: `wiring.register(app)`. See docs/scoring.md.
"""
