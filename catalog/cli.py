"""`flask catalog ...` commands (attached to the catalog blueprint's CLI group)."""
