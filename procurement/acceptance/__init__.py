"""Completion acceptance and the end of the loop: the construction -> acceptance and
acceptance -> closed gates, the acceptance checklist (per bill line, signed off by the acceptance
inspector), payments to suppliers with quality retention, and the loop-closure report (HTML and
PDF). `wiring.register(app)` wires it; nothing registers itself on import."""
