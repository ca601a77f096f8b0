"""Products, certificates, demand standards, compliance and search.

Other packages use the catalog through `catalog.interface`, never its models or services.
"""
from flask import Blueprint

bp = Blueprint("catalog", __name__, cli_group="catalog")


def register(app):
    """Wire the catalog into `app`: pages, JSON API, `flask catalog` commands, navigation,
    policies and demo steps. (Search has its own `catalog.search.register`.)"""
    from flask_babel import lazy_gettext as _l

    from core import nav, openapi
    from core import roles as R
    from core.demo import register_seeder
    from core.policy import register_policy

    from catalog import cli  # noqa: F401  (adds `flask catalog ...` commands to bp)
    from catalog import api, demo_products, policy, standards_seed, views  # noqa: F401

    app.register_blueprint(bp)
    app.register_blueprint(api.bp)
    for operations in api.OPERATIONS:
        openapi.register(app, operations)

    nav.add(app, "catalog.categories", _l("Categories"), public=True, order=10)
    nav.add(app, "catalog.standards", _l("Demand standards"), public=True, order=12)
    nav.add(app, "catalog.supplier_products", _l("My products"), roles=(R.SUPPLIER,), order=20)
    nav.add(app, "catalog.import_upload", _l("Import products"), roles=(R.SUPPLIER,), order=22)
    nav.add(app, "catalog.review_queue", _l("Product review"), roles=(R.PLATFORM_REVIEWER, R.PLATFORM_ADMIN), order=25)

    register_policy(app, "edit_product", policy.can_edit_product)
    register_policy(app, "view_product", policy.can_view_product)
    register_policy(app, "review_product", policy.can_review_product)

    register_seeder(app, "standards", standards_seed.demo_seeder, order=10)
    register_seeder(app, "products", demo_products.seed_products, order=20)


def start_background(app):
    """Background threads of a web process: the daily certificate-expiry job (embedded default)."""
    from catalog import product_schedule

    product_schedule.start(app)
