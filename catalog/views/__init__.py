"""Catalog HTML views; each module adds routes to `catalog.bp`. Import new modules here."""
