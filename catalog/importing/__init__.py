"""Bulk import of supplier products from CSV/XLSX (format: docs/import-format.md).

The file is read by the shared readers in `core.tabular` (file type, encoding, XLSX bomb checks,
streaming rows). Here: `columns` (header and row -> product data), `runner` (`run_import`: one run,
pass by pass) with `scanning` (pass 1), `checking` (pass 2, through the product service),
`staging` (checked chunks in a temporary file), `publishing` (pass 3: the writes, the audit event),
`pipeline` (PostgreSQL: writing while checking) and `result` (`ImportResult`), `tables` (rows
encoded and written per dialect), `cli` (`flask catalog import`), `jobs` (the web upload's
background job).
"""
