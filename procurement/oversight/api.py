"""JSON API of oversight, under /api/v1/oversight:

- ``GET dashboard?city=&from=&to=``: the figures by month, each city's standing and lagging verdict
  (platform staff: any city or all; a finance office: its own city);
- ``GET red-flags?city=&from=&to=``: the red flags with their explanation and records;
- ``GET targets?year=``, ``POST targets``: the annual targets (platform staff enter them);
- ``GET rules``, ``POST rules``: the dated oversight rules (platform staff add rows);
- ``POST refresh``: refresh the monthly figures now (platform staff).
"""

from __future__ import annotations

from flask import g, jsonify, request

from core import openapi
from core.api import api_auth, json_body
from core.dated_rules import history
from core.errors import PermissionDenied, ValidationError
from core.i18n import N_, english
from core.timeutil import today_cn
from procurement.blueprints import body_ref, error, json_response
from procurement.oversight import (
    dashboard,
    policy,
    redflags,
    refresh,
    rules,
    scope,
    targets,
)
from procurement.oversight.blueprints import api_bp
from procurement.oversight.models import OversightRule
from procurement.oversight.policy import DASHBOARD_ROLES, OVERSIGHT_ROLES
from procurement.oversight.sources import METRICS

OPENAPI = openapi.Operations()  # registered by wiring.register(app)
TAG = ["oversight"]
SCOPE = [{"name": "city", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 40},
          "description": "A city's code (none: every city, platform staff only)"},
         {"name": "from", "in": "query", "required": False, "schema": {"type": "string"},
          "description": "First month, YYYY-MM (default: January of the end's year)"},
         {"name": "to", "in": "query", "required": False, "schema": {"type": "string"},
          "description": "Last month, YYYY-MM (default: this month); at most the rule's max_range_years"}]
SCOPE_ERRORS = {"403": error("Not your city, or not oversight staff"), "404": error("No such city")}


def _standing(s) -> dict:
    return {"city": s.city.code, "amount_fen": s.amount_fen, "pro_rata_fen": s.pro_rata_fen, "shares_bp": s.shares,
            "target": targets.target_json(s.target) if s.target else None, "lagging": s.lagging}


@api_bp.get("/dashboard")
@api_auth(*DASHBOARD_ROLES)
def get_dashboard():
    city, ids, period = scope.resolve(g.api_user, request.args)
    board = dashboard.build(ids, period)
    return jsonify({"city": city.code if city else None, **period.query(),
                    "months": [m.strftime("%Y-%m") for m in period.months],
                    "series": {m: board.series.get(m, [0] * len(period.months)) for m in METRICS},
                    "savings_fen": board.savings_fen, "rectification_rate_bp": board.rectification_rate_bp,
                    "standings": [_standing(s) for s in board.standings], "rule": rules.rule_json(board.rule),
                    "refreshed_at": _time(refresh.last_refreshed())})


def _time(value):
    return value.isoformat() if value else None


INT_OR_NULL = {"type": "integer", "nullable": True}
OPENAPI.spec("/oversight/dashboard", "get", {
    "summary": "Monthly figures, each city's standing against its annual targets and the lagging verdict",
    "tags": TAG, "parameters": SCOPE,
    "responses": {"200": json_response("The dashboard", {
        "type": "object", "required": ["months", "series", "standings"], "properties": {
            "city": {"type": "string", "nullable": True}, "from": {"type": "string"}, "to": {"type": "string"},
            "months": {"type": "array", "items": {"type": "string"}},
            "series": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "integer"}}},
            "savings_fen": {"type": "integer"}, "rectification_rate_bp": INT_OR_NULL,
            "standings": {"type": "array", "items": {"type": "object"}}, "rule": {"type": "object"},
            "refreshed_at": {"type": "string", "nullable": True}}}), **SCOPE_ERRORS}})


@api_bp.get("/red-flags")
@api_auth(*DASHBOARD_ROLES)
def get_red_flags():
    _city, ids, period = scope.resolve(g.api_user, request.args)
    flags = redflags.flags_for(redflags.tenders_in(ids, period))
    return jsonify({"flags": [{"code": f.code, "tender_id": f.tender.id, "tender": f.tender.reference,
                               "lot": f.lot.number if f.lot else None, "explanation": english(f.explanation),
                               "message": english(f.message, f.params), "message_key": f.message, "params": f.params,
                               "records": [{"kind": k, "id": i} for k, i, _t in f.records]} for f in flags]})


OPENAPI.spec("/oversight/red-flags", "get", {
    "summary": "Red flags of the tenders published in the period, with their explanation and records",
    "tags": TAG, "parameters": SCOPE,
    "responses": {"200": json_response("The red flags", {"type": "object", "required": ["flags"], "properties": {
        "flags": {"type": "array", "items": {"type": "object"}}}}), **SCOPE_ERRORS}})


@api_bp.get("/targets")
@api_auth(*DASHBOARD_ROLES)
def get_targets():
    if not policy.can_view_dashboard(g.api_user, policy.home_city_id(g.api_user)):
        raise PermissionDenied(N_("Only platform oversight staff and finance offices see the targets."))
    raw = request.args.get("year", "")
    if raw and not (raw.isdigit() and targets.FIRST_YEAR <= int(raw) <= targets.LAST_YEAR):
        raise ValidationError(N_("The year must be between %(first)s and %(last)s."),
                              {"year": N_("Not a year.")}, first=targets.FIRST_YEAR, last=targets.LAST_YEAR)
    year = int(raw) if raw else today_cn().year
    ids = None if policy.can_view_dashboard(g.api_user, None) else [policy.home_city_id(g.api_user)]
    return jsonify({"year": year, "targets": [targets.target_json(t) for t in targets.targets_for(year, ids).values()]})


@api_bp.post("/targets")
@api_auth(*OVERSIGHT_ROLES)
def post_target():
    return jsonify({"target": targets.target_json(targets.set_target(g.api_user, json_body()))}), 201


TARGET = {"type": "object", "properties": {
    "city": {"type": "string"}, "year": {"type": "integer"}, "green_amount_fen": {"type": "integer", "minimum": 0},
    **{c: {"type": "integer", "minimum": 0, "maximum": 10000} for c in
       ("coverage_bp", "green_share_bp", "batch_share_bp", "prefab_share_bp")}, "note": {"type": "string"}}}
OPENAPI.schema("OversightTarget", {**TARGET, "required": ["city", "year", "green_amount_fen", "coverage_bp",
                                                          "green_share_bp", "batch_share_bp", "prefab_share_bp"]})
OPENAPI.spec("/oversight/targets", "get", {
    "summary": "The annual targets of a year (platform staff: every city; a finance office: its own)", "tags": TAG,
    "parameters": [{"name": "year", "in": "query", "required": False, "schema": {"type": "string"}}],
    "responses": {"200": json_response("The targets", {"type": "object", "properties": {
        "year": {"type": "integer"}, "targets": {"type": "array", "items": {"type": "object"}}}}),
        "403": error("Not oversight staff or a finance office")}})
OPENAPI.spec("/oversight/targets", "post", {
    "summary": "Set (or replace) a city's targets for a year (platform staff). An unknown city, a negative figure "
               "or a share above 10000 bp: 400", "tags": TAG, "requestBody": body_ref("OversightTarget"),
    "responses": {"201": json_response("The targets", {"type": "object", "properties": {"target": TARGET}}),
                  "403": error("Not oversight staff"), "409": error("Entered at the same moment by someone else")}})


@api_bp.get("/rules")
@api_auth(*DASHBOARD_ROLES)
def get_rules():
    if not policy.can_open_dashboards(g.api_user):
        raise PermissionDenied(N_("Only platform oversight staff and finance offices see the oversight rules."))
    return jsonify({"rules": [rules.rule_json(r) for r in history(OversightRule)],
                    "in_force": rules.rule_json(rules.rule_for(None))})


@api_bp.post("/rules")
@api_auth(*OVERSIGHT_ROLES)
def post_rule():
    return jsonify({"rule": rules.rule_json(rules.add_rule(g.api_user, json_body()))}), 201


RULE = {"type": "object", "properties": {
    "city": {"type": "string", "description": "A city's code; none: a national rule"},
    "effective_from": {"type": "string", "format": "date"}, "note": {"type": "string"},
    **{name: {"type": "integer", "minimum": lo, "maximum": hi} for name, (lo, hi) in rules.BOUNDS.items()}}}
OPENAPI.schema("OversightRule", {**RULE, "required": ["effective_from", *rules.BOUNDS]})
OPENAPI.spec("/oversight/rules", "get", {
    "summary": "The dated oversight rules (lagging rule, red-flag thresholds, longest dashboard range)", "tags": TAG,
    "responses": {"200": json_response("The rules", {"type": "object", "properties": {
        "rules": {"type": "array", "items": {"type": "object"}}, "in_force": {"type": "object"}}}),
        "403": error("Not oversight staff or a finance office")}})
OPENAPI.spec("/oversight/rules", "post", {
    "summary": "Add a dated oversight rule (platform staff)", "tags": TAG, "requestBody": body_ref("OversightRule"),
    "responses": {"201": json_response("The rule", {"type": "object", "properties": {"rule": {"type": "object"}}}),
                  "403": error("Not oversight staff"), "409": error("A rule of this city from this date exists")}})


@api_bp.post("/refresh")
@api_auth(*OVERSIGHT_ROLES)
def post_refresh():
    return jsonify({"written": refresh.refresh_now(g.api_user)})


OPENAPI.spec("/oversight/refresh", "post", {
    "summary": "Refresh the monthly figures now (platform staff); the chronograph also does it periodically",
    "tags": TAG, "responses": {"200": json_response("Rows written per source", {"type": "object", "properties": {
        "written": {"type": "object", "additionalProperties": {"type": "integer"}}}}),
        "403": error("Not oversight staff")}})
