"""Small helpers for the package's table definitions."""


def one_of(column: str, values) -> str:
    """A CHECK constraint text: ``column IN ('a', 'b')``."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"
