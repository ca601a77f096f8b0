"""Sealed bids tests. Every table is mapped before a test module imports one model (a model
imported alone cannot resolve its relationships when the app configures the mappers)."""

import procurement.models  # noqa: F401
