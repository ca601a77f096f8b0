"""`flask catalog ...` commands (attached to the catalog blueprint's CLI group)."""
from catalog import product_cli  # noqa: F401,E402  (flask catalog expire)
