"""Negotiation rounds: competitive negotiation and consultation, and framework mini-competitions
(sealed improved offers over several rounds, a minimal step, anonymised rankings between rounds,
a final-offer round). See docs/negotiation.md."""
