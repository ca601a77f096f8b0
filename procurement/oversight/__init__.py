"""Oversight: annual targets per city and year, monthly per-city fact tables refreshed by the
chronograph, dashboards for finance offices and platform staff (server-side SVG charts with their
tables and downloads), the lagging rule and risk red flags. `wiring.register(app)` wires it."""
