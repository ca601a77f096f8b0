"""Catalog HTML pages. Each module adds its routes to `catalog.bp`; `catalog.register(app)`
imports them before it registers the blueprint."""
