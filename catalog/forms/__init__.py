"""Catalog WTForms, one module per area (products, categories, standards, import)."""
