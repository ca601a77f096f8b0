"""Wiring of the public portal (called once from `procurement.register`): its blueprint, its
navigation entry and the link to the public inspection results."""


def register(app) -> None:
    """Wire the public portal into `app`."""
    from flask_babel import lazy_gettext as _l

    from core import nav
    from procurement.portal import (
        views,  # routes on the blueprint; the inspections link
    )
    from procurement.portal.blueprints import bp

    app.register_blueprint(bp)
    app.add_template_global(views.inspections_url, "portal_inspections_url")
    nav.add(app, "portal.index", _l("Open data"), public=True, order=36)
