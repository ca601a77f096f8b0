"""Catalog models: categories and demand standards (`standards`), products and evidence (`products`)."""
from catalog.models.standards import (  # noqa: F401
    Category,
    CategoryGroup,
    CategoryRequirement,
    ImmutableVersionError,
    IndicatorRule,
    StandardEdition,
    StandardVersion,
)
from catalog.models.products import (  # noqa: F401,E402
    CarbonDeclaration,
    Certificate,
    Product,
    ProductDocument,
    ProductIndicatorValue,
    ProductVerdict,
    TestReport,
)
