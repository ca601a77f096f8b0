"""Documents attached to a project (stored once in `core.documents`, pinned by the record chain)."""
