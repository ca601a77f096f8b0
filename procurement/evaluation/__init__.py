"""Evaluation (issue 12): the city's pool of evaluation experts, kept by its finance office, and
evaluation panels drawn at random from it for a lot (or a whole tender) after the bid deadline,
through the reproducible draws of `core.draws`. `wiring.register(app)` wires the package; the
scoring piece builds on `policy.panel_for` and `policy.is_panel_member`."""
