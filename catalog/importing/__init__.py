"""Bulk import of supplier products from CSV/XLSX (format: docs/import-format.md).

`readers` (file type, encoding, XLSX bomb checks, streaming rows), `columns` (header and
row -> product data), `runner` (scan, write through the product service, audit), `cli`
(`flask catalog import`), `jobs` (the web upload's background job).
"""
from catalog.importing.columns import Issue  # noqa: F401
from catalog.importing.readers import DEFAULT_MAX_ROWS, FileRejected, open_table  # noqa: F401
from catalog.importing.runner import ImportResult, run_import  # noqa: F401
