"""Catalog HTML views; each module adds routes to `catalog.bp`. Import new modules here."""
from catalog.views import products  # noqa: F401,E402
from catalog.views import standards  # noqa: F401,E402
from catalog.views import importing  # noqa: F401,E402
