"""Procurement use cases. Each public function is one transaction that also writes the project
record and its audit event: `projects`, `budget`, `design` (+ `bom_import`), `transitions`, `records`."""
