"""Procurement models (projects, budgets, bills of materials, records)."""
