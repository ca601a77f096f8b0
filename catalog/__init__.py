"""Products, certificates, demand standards, compliance and search.

Other packages use the catalog through `catalog.interface`, never its models or services.
Nothing here registers itself by being imported: `register(app)` wires pages, API, commands,
navigation, policies, demo steps and the bulk-insert session hook; `start_background(app)`
the daily expiry thread of a web process.
"""
from flask import Blueprint

bp = Blueprint("catalog", __name__, cli_group="catalog")


def register(app):
    """Wire the catalog into `app`: pages, JSON API, `flask catalog` commands, navigation,
    policies, template filters, demo steps and session hooks. (Search has its own
    `catalog.search.register`.)"""
    from flask_babel import lazy_gettext as _l

    from core import labels as core_labels
    from core import nav, openapi, worklists
    from core import roles as R
    from core.demo import register_seeder
    from core.policy import register_policy

    from catalog import cli, demo_products, labels, policy, standards_seed
    from catalog.api import bp as api_bp
    from catalog.api import products as api_products
    from catalog.api import standards as api_standards
    from catalog.models.standards import install_guard
    from catalog.services import deferred
    from catalog.views import importing, product_pages, product_review, products, standards  # noqa: F401  (routes on bp)

    cli.register(bp)
    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    for operations in (api_products.OPENAPI, api_standards.OPENAPI):
        openapi.register(app, operations)

    nav.add(app, "catalog.categories", _l("Categories"), public=True, order=10)
    nav.add(app, "catalog.standards", _l("Demand standards"), public=True, order=12)
    nav.add(app, "catalog.supplier_products", _l("My products"), roles=(R.SUPPLIER,), order=20)
    nav.add(app, "catalog.import_upload", _l("Import products"), roles=(R.SUPPLIER,), order=22)
    nav.add(app, "catalog.review_queue", _l("Product review"), roles=(R.PLATFORM_REVIEWER, R.PLATFORM_ADMIN), order=25)

    for name, rule in (("edit_product", policy.can_edit_product), ("view_product", policy.can_view_product),
                       ("review_product", policy.can_review_product),
                       ("reinstate_product", policy.can_reinstate_product),
                       ("edit_categories", policy.can_edit_categories)):
        register_policy(app, name, rule)
    core_labels.register(app, labels.GROUPS)
    worklists.register(app, products_waiting)

    register_seeder(app, "standards", standards_seed.demo_seeder, order=10)
    register_seeder(app, "products", demo_products.seed_products, order=20)
    deferred.install()
    install_guard()


def start_background(app):
    """Background threads of a web process: the daily certificate-expiry job (embedded default)."""
    from catalog import product_schedule

    product_schedule.start(app)


def products_waiting(user) -> list:
    """Worklist of platform reviewers: products waiting for review (one count query)."""
    from flask import url_for
    from flask_babel import lazy_gettext as _l

    from core.worklists import WorkItem

    from catalog import policy
    from catalog.services.product_queries import waiting_for_review

    if not policy.can_review_product(user):
        return []
    return [WorkItem(_l("Products waiting for review"), waiting_for_review(), url_for("catalog.review_queue"))]
