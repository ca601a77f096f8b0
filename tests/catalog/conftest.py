"""Fixtures shared by the product tests (tests/catalog/search has its own `catalog`)."""
import pytest

from tests.catalog.product_helpers import seed_catalog


@pytest.fixture
def catalog(app):
    """Categories, standards and cities seeded for product tests."""
    seed_catalog()
