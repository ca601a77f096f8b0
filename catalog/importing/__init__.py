"""Bulk import of supplier products from CSV/XLSX (format: docs/import-format.md).

The file is read by the shared readers in `core.tabular` (file type, encoding, XLSX bomb checks,
streaming rows). Here: `columns` (header and row -> product data), `runner` (scan, write through
the product service, audit), `cli` (`flask catalog import`), `jobs` (the web upload's background job).
"""
