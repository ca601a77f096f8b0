"""Translated names of the catalog's code words: rule kinds and scopes, climate zones, version
statuses, evidence (product document) kinds (product and certificate statuses are `core.i18n.TERMS`).

`catalog.register` adds `GROUPS` to the one label registry (`core.labels`): templates use the
`label` filter (`{{ rule.kind|label('kind') }}`); other packages ask `catalog.interface.label`.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

KINDS = {"green": _l("green"), "quality": _l("quality")}
SCOPES = {"base": _l("base rule"), "climate_zone": _l("climate zone"), "city": _l("city rule")}
CLIMATE_ZONES = {
    "severe_cold_a": _l("severe cold A"), "severe_cold_b": _l("severe cold B"), "severe_cold_c": _l("severe cold C"),
    "cold_a": _l("cold A"), "cold_b": _l("cold B"),
    "hscw_a": _l("hot summer, cold winter A"), "hscw_b": _l("hot summer, cold winter B"),
    "hsww_a": _l("hot summer, warm winter A"), "hsww_b": _l("hot summer, warm winter B"),
    "mild_a": _l("mild A"), "mild_b": _l("mild B"),
}
VERSION_STATUSES = {"draft": _l("draft"), "in_force": _l("in force"), "superseded": _l("superseded")}
DOCUMENT_KINDS = {"certificate": _l("certificate"), "test_report": _l("test report"), "other": _l("other")}
REQUIREMENTS = {"mandatory": _l("mandatory"), "optional": _l("optional")}

GROUPS = {"kind": KINDS, "scope": SCOPES, "climate_zone": CLIMATE_ZONES, "version": VERSION_STATUSES,
          "evidence": DOCUMENT_KINDS, "requirement": REQUIREMENTS}
