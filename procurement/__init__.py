"""Projects and their closed loop: budget, design, procurement, construction, acceptance.

Capability packages: `machine` (stages, transition table, gates, moves), `records` (hash-chained
project records), `projects`, `budget`, `design` (bill of materials), `documents`; plus
`payments/gateway.py`. Nothing here registers itself when imported: `register(app)` wires it all.
"""


def register(app):
    """Wire procurement into `app`: tables, pages, JSON API (and its OpenAPI operations),
    `flask records`, navigation, home-page worklists, template filters and policies, the stage
    machine's gates and effects, the record guard, demo steps, the payment gateway and its health
    check."""
    from flask_babel import lazy_gettext as _l

    from core import health, nav, openapi, worklists
    from core import labels as core_labels
    from core.demo import register_seeder
    from core.policy import register_policy
    from procurement import blueprints, demo, labels, models  # noqa: F401  (models: every table mapped)
    from procurement import worklists as project_worklists
    from procurement.budget import api as budget_api
    from procurement.budget import gates as budget_gates
    from procurement.budget import policy as budget_policy
    from procurement.budget import views as budget_views  # noqa: F401  (routes on the blueprint)
    from procurement.design import api as design_api
    from procurement.design import gates as design_gates
    from procurement.design import policy as design_policy
    from procurement.design import views as design_views  # noqa: F401
    from procurement.documents import api as documents_api
    from procurement.documents import policy as documents_policy
    from procurement.documents import views as documents_views  # noqa: F401
    from procurement.machine import api as machine_api
    from procurement.machine import gates as machine_gates
    from procurement.machine import views as machine_views  # noqa: F401
    from procurement.payments.gateway import payment_gateway
    from procurement.projects import api as projects_api
    from procurement.projects import policy as projects_policy
    from procurement.projects import views as projects_views  # noqa: F401
    from procurement.quantities import format_bp, format_quantity
    from procurement.records import api as records_api
    from procurement.records import models as records_models
    from procurement.records import views as records_views  # noqa: F401
    from procurement.records.cli import records_cli
    from procurement.timeline import record_details
    from procurement.web import category_name, chain_problem, edition_title, limit_text, localised_name

    app.register_blueprint(blueprints.bp)
    app.register_blueprint(blueprints.api_bp)
    for api in (projects_api, budget_api, design_api, machine_api, records_api, documents_api):
        openapi.register(app, api.OPENAPI)
    app.cli.add_command(records_cli)
    nav.add(app, "procurement.project_list", _l("Projects"), roles=projects_policy.PROJECT_ROLES, order=30)
    for provider in project_worklists.PROVIDERS:
        worklists.register(app, provider)

    core_labels.register(app, labels.GROUPS)
    for name, func in {"qty": format_quantity, "pct_bp": format_bp,
                       "check_title": labels.check_title, "check_message": labels.check_message,
                       "limit_text": limit_text, "rule_name": localised_name,
                       "chain_problem": chain_problem, "category_name": category_name,
                       "edition_title": edition_title, "record_details": record_details}.items():
        app.add_template_filter(func, name)
    for name, func in {
        "view_project": projects_policy.can_view_project,
        "edit_project": projects_policy.can_edit_project,
        "create_project": projects_policy.can_create_project,
        "submit_budget": budget_policy.can_submit_budget,
        "review_budget": budget_policy.can_review_budget,
        "edit_bom": design_policy.can_edit_bom,
        "attach_project_document": documents_policy.can_attach_document,
    }.items():
        register_policy(app, name, func)

    hooks = machine_gates.install(app)
    budget_gates.register(hooks)
    design_gates.register(hooks)
    # procurement -> construction (agreements), construction -> acceptance -> closed (acceptance): their
    # packages add their gates from their own wiring below.

    # Pooling and batch tenders (issue 10): each part wires its own routes, handlers and demo.
    from procurement import tendering
    from procurement.pooling import wiring as pooling_wiring

    from procurement.bonds import wiring as bonds_wiring  # bid bonds (issue 11)

    from procurement.bids import wiring as bids_wiring  # sealed bids (issue 11)

    from procurement.evaluation import wiring as evaluation_wiring  # expert pool and panels (issue 12)
    from procurement.opening import wiring as opening_wiring  # bid opening and qualification (issue 12)
    from procurement.evaluation.scoring import wiring as scoring_wiring  # scoring and the evaluation report (issue 12)
    from procurement.awards import wiring as awards_wiring  # awards, challenges and complaints (issue 12)

    pooling_wiring.register(app)
    bids_wiring.register(app)  # routes on the tendering blueprints: before tendering registers them
    bonds_wiring.register(app)  # routes on the tendering blueprints: before tendering registers them
    evaluation_wiring.register(app)
    tendering.register(app)
    opening_wiring.register(app)
    scoring_wiring.register(app)
    awards_wiring.register(app)
    from procurement.agreements import wiring as agreements_wiring  # agreements and call-off orders (issue 13)
    agreements_wiring.register(app)
    from procurement.oversight import wiring as oversight_wiring  # dashboards, targets, red flags (issue 15)
    oversight_wiring.register(app)
    from procurement.portal import wiring as portal_wiring  # public portal and Atom feeds (issue 15)
    portal_wiring.register(app)
    from procurement.acceptance import wiring as acceptance_wiring  # deliveries and completion acceptance (issue 14)
    acceptance_wiring.register(app)
    from procurement.inspections import wiring as inspections_wiring  # "double random" inspections (issue 14)
    inspections_wiring.register(app)
    from procurement.opendata import wiring as opendata_wiring  # OCDS 1.1.5 releases, records, /ocds (issue 15)
    opendata_wiring.register(app)
    from procurement.negotiation import wiring as negotiation_wiring  # negotiation rounds (issue 12)
    negotiation_wiring.register(app)

    records_models.install()
    register_seeder(app, "projects", demo.seed_projects, order=30)
    payment_gateway.init_app(app)
    health.register(app, "payments", payment_gateway.health)
