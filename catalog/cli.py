"""`flask catalog ...` commands (attached to the catalog blueprint's CLI group)."""
from catalog import product_cli  # noqa: F401,E402  (flask catalog expire)
from catalog import standards_cli  # noqa: F401,E402  (flask catalog seed-standards, demo seeder)
from catalog.importing import cli as importing_cli  # noqa: F401,E402  (flask catalog import/export)
