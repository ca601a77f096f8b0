"""`/ocds/...`: the open data, JSON for anyone (no sign-in), also under `/api/v1/ocds/...` where
the OpenAPI document describes it.

- ``/ocds/`` the index; ``/ocds/releases?page=N`` every release, 100 a page (``Link: rel=next``);
- ``/ocds/releases/{ocid}`` a process's release package; ``/ocds/records/{ocid}`` its record package;
- ``/ocds/tenders/{reference}`` the record package of a tender by its reference;
- ``/ocds/days`` the days with releases; ``/ocds/days/{YYYY-MM-DD}`` that China day's package;
- ``/ocds/bulk.zip`` everything: one release package and one record package.

A process that is not published (a draft, a tender under finance review) or unknown answers 404
with the JSON error, as does anything else not there; a malformed day 400. Before answering,
the releases are brought up to date from the audit trail (`publishing.follow_audit`).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from core import openapi
from core.errors import NotFound, ServiceError
from core.extensions import db
from core.i18n import N_
from core.services import unit_of_work
from core.validation import Errors
from core.validation import date as date_field
from core.web import page_number
from procurement.blueprints import error, json_response
from procurement.opendata import packages, publishing
from procurement.tendering.models import Tender

log = logging.getLogger(__name__)
bp = Blueprint("ocds", __name__, url_prefix="/ocds")
api_bp = Blueprint("ocds_api", __name__, url_prefix="/api/v1/ocds")
OPENAPI = openapi.Operations()
TAG = ["open data (OCDS)"]
MAX_OCID = 120


def _route(rule: str, endpoint: str):
    """Serve the view at /ocds<rule> and /api/v1/ocds<rule>."""
    def decorator(view):
        bp.add_url_rule(rule, endpoint, view, methods=["GET"])
        api_bp.add_url_rule(rule, endpoint, view, methods=["GET"])
        return view
    return decorator


@bp.errorhandler(ServiceError)
def _service_error(exc):
    return jsonify(exc.to_dict()), exc.status


@bp.errorhandler(HTTPException)
def _http_error(exc):
    return jsonify({"error": {"code": exc.name.lower().replace(" ", "_"), "message": exc.description or exc.name,
                              "fields": {}}}), exc.code


def refresh() -> None:
    """Publish what happened since the last look (one cheap query when nothing did). SQLite
    busy with a long writer: answer with what is stored; the chronograph's sweep catches up."""
    if publishing.pending_events():
        try:
            with unit_of_work():
                publishing.follow_audit()
                publishing.arm()
        except OperationalError as exc:
            if "database is locked" not in str(getattr(exc, "orig", exc)):
                raise
            log.warning("open data: database busy, serving the releases already stored")


def _uri() -> str:
    return request.base_url


def _not_found():
    return NotFound(N_("No published procurement process has this identifier."))


@_route("/", "index")
def index():
    refresh()
    return jsonify({"releases": url_for(".releases", _external=True), "days": url_for(".day_list", _external=True),
                    "bulk": url_for(".bulk", _external=True),
                    "process_releases": url_for(".process_releases", ocid="OCID", _external=True),
                    "process_record": url_for(".process_record", ocid="OCID", _external=True),
                    "version": "1.1", "extensions": packages.V.EXTENSIONS})


@_route("/releases", "releases")
def releases():
    refresh()
    page = page_number(request.args)
    rows, total = packages.page_rows(page)
    response = jsonify(packages.release_package(rows, request.url))
    if page * packages.PER_PAGE < total:
        response.headers["Link"] = f'<{url_for(".releases", page=page + 1, _external=True)}>; rel="next"'
    return response


@_route("/releases/<ocid>", "process_releases")
def process_releases(ocid):
    refresh()
    rows = packages.process_rows(ocid) if len(ocid) <= MAX_OCID else []
    if not rows:
        raise _not_found()
    return jsonify(packages.release_package(rows, _uri()))


@_route("/records/<ocid>", "process_record")
def process_record(ocid):
    refresh()
    rows = packages.process_rows(ocid) if len(ocid) <= MAX_OCID else []
    if not rows:
        raise _not_found()
    return jsonify(packages.record_package(rows, _uri()))


@_route("/tenders/<reference>", "tender_record")
def tender_record(reference):
    """A tender's record by its reference: 404 while it is a draft or under review."""
    refresh()
    tender = (db.session.execute(select(Tender).where(Tender.reference == reference)).scalar_one_or_none()
              if len(reference) <= 40 else None)
    rows = packages.tender_rows(tender.id) if tender is not None else []
    if not rows:
        raise _not_found()
    return jsonify(packages.record_package(rows, _uri()))


@_route("/days", "day_list")
def day_list():
    refresh()
    return jsonify({"days": [{"date": d.isoformat(), "releases": n,
                              "url": url_for(".day", day=d.isoformat(), _external=True)}
                             for d, n in packages.days()]})


@_route("/days/<day>", "day")
def day(day):
    errors = Errors()
    value = date_field({"day": day}, "day", errors)
    errors.raise_if_any(N_("The day was not understood."))
    refresh()
    return jsonify(packages.release_package(packages.day_rows(value), _uri()))


@_route("/bulk.zip", "bulk")
def bulk():
    refresh()
    data = packages.bulk_zip(request.base_url.rsplit("/", 1)[0] + "/bulk")
    return Response(data, mimetype="application/zip",
                    headers={"Content-Disposition": "attachment; filename=ocds-bulk.zip"})


# ---------------------------------------------------------------------- OpenAPI

PACKAGE = {"type": "object", "required": ["uri", "version", "publisher", "publishedDate"], "properties": {
    "uri": {"type": "string"}, "version": {"type": "string"}, "publishedDate": {"type": "string"},
    "publisher": {"type": "object"}, "extensions": {"type": "array", "items": {"type": "string"}}}}
RELEASES = {"allOf": [{"$ref": "#/components/schemas/OcdsPackage"},
                      {"type": "object", "required": ["releases"],
                       "properties": {"releases": {"type": "array", "items": {"type": "object"}}}}]}
RECORDS = {"allOf": [{"$ref": "#/components/schemas/OcdsPackage"},
                     {"type": "object", "required": ["records"],
                      "properties": {"records": {"type": "array", "items": {"type": "object"}}}}]}
OPENAPI.schema("OcdsPackage", PACKAGE)
OPENAPI.schema("OcdsReleasePackage", RELEASES)
OPENAPI.schema("OcdsRecordPackage", RECORDS)
OCID = [{"name": "ocid", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}]
PUBLIC = [{}]
NOT_FOUND = error("No published process has this identifier (unknown, a draft or under review)")


def _spec(path: str, summary: str, responses: dict, parameters=None) -> None:
    op = {"summary": summary, "tags": TAG, "security": PUBLIC, "responses": responses}
    if parameters:
        op["parameters"] = parameters
    OPENAPI.spec(path, "get", op)


_spec("/ocds/", "Open data index: links and the OCDS version and extensions used",
      {"200": json_response("The index", {"type": "object", "required": ["releases", "version"]})})
_spec("/ocds/releases", "Every published OCDS release, 100 a page (a Link header names the next page)",
      {"200": json_response("A release package", "OcdsReleasePackage")},
      [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1},
        "description": "1-based; malformed or out-of-range values are clamped"}])
_spec("/ocds/releases/{ocid}", "The releases of one process (a tender or a framework call-off)",
      {"200": json_response("A release package", "OcdsReleasePackage"), "404": NOT_FOUND}, OCID)
_spec("/ocds/records/{ocid}", "The record of one process: its releases and compiled release",
      {"200": json_response("A record package", "OcdsRecordPackage"), "404": NOT_FOUND}, OCID)
_spec("/ocds/tenders/{reference}", "The record of a published tender, by its reference",
      {"200": json_response("A record package", "OcdsRecordPackage"), "404": NOT_FOUND},
      [{"name": "reference", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}])
_spec("/ocds/days", "The China calendar days with releases, newest first",
      {"200": json_response("Days", {"type": "object", "required": ["days"], "properties": {
          "days": {"type": "array", "items": {"type": "object", "required": ["date", "releases", "url"]}}}})})
_spec("/ocds/days/{day}", "The releases dated on one China calendar day",
      {"200": json_response("A release package (empty on a day without releases)", "OcdsReleasePackage")},
      [{"name": "day", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1},
        "description": "YYYY-MM-DD"}])
_spec("/ocds/bulk.zip", "Bulk download: releases.json (every release) and records.json (every record)",
      {"200": {"description": "A ZIP file", "content": {"application/zip": {
          "schema": {"type": "string", "format": "binary"}}}}})
