""""Double random, one open" inspections: campaigns of a city's inspection authority, targets
and teams drawn at random (`core.draws`), results published within 20 working days, and
rectification notices. Wired by `wiring.register(app)`; DEL's acceptance reads `gate`."""
