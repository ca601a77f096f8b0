"""How a project's records read on its pages (the `record_details` template filter).

A record's payload keeps codes and raw integers (`quantity_milli`, `est_unit_price_fen`,
`category_id`, ...) because the chain hashes exactly what was stored. People read sentences in
their own language instead: field labels, money in yuan, quantities with their units, categories
and rules by name, yes/no, plural forms. Gate results are shown by the `gate_results` macro.

Everything a page needs beyond the record itself is loaded once per request: category names
(`procurement.web.category_name`) and the rules of the project's edition (one query), so a
timeline costs the same number of queries however long it is.
"""

from __future__ import annotations

import logging

from flask_babel import gettext as _
from flask_babel import ngettext

import catalog.interface as catalog
from core.labels import label
from core.money import format_fen
from procurement import standards as std
from procurement.pooling.timeline import KINDS as POOLING_KINDS
from procurement.quantities import format_bp, format_quantity
from procurement.tendering.public_views import RECORD_DETAILS as TENDER_KINDS
from procurement.web import cached_category, category_name, edition_title, limit_text, localised_name

log = logging.getLogger(__name__)


def record_details(record) -> list[str]:
    """The record's details as sentences in the current locale (empty for kinds without any)."""
    payload = record.payload if isinstance(record.payload, dict) else {}
    show = _KINDS.get(record.kind)
    if show is None:
        return []
    try:
        return [line for line in show(record, payload) if line]
    except (AttributeError, KeyError, TypeError, ValueError):  # an old or odd payload: show what is certain
        log.warning("record %s (%s) has a payload this page cannot describe", record.id, record.kind)
        return []


# --------------------------------------------------------------------------- values


def _yes_no(value) -> str:
    return _("yes") if value else _("no")


def _money(fen) -> str:
    return format_fen(int(fen)) if isinstance(fen, int) else str(fen)


def _quantity(milli, unit=None) -> str:
    text = format_quantity(milli) if isinstance(milli, int) else str(milli)
    return f"{text} {label(unit, 'unit')}" if unit else text


def _area(m2) -> str:
    return _("%(area)s m²", area=f"{m2:,}") if isinstance(m2, int) else str(m2)


def _people(people) -> str:
    return "; ".join(f"{label(p.get('role'), 'person')}: {p.get('name', '')}" for p in people or []) or "—"


def _tightenings(record, category, limits) -> str:
    """Tightened limits as `rule name limit` (e.g. `VOC content <= 60 g/L`)."""
    if not limits:
        return _("none")
    by_key = {r.key: r for r in _rules(record.project, category)}
    out = []
    for key, value in limits.items():
        rule = by_key.get(key)
        if rule is None:
            out.append(f"{key} = {value}")
            continue
        try:  # records keep numbers as text (the chain hashes JSON): back to the rule's limit type
            value = catalog.typed_limit(rule, value)
        except (TypeError, ValueError):
            pass
        tightened = catalog.tightened([rule], {key: value})[0]
        out.append(f"{localised_name(tightened)} {limit_text(tightened)}")
    return "; ".join(out)


def _rules(project, category) -> list:
    """The city's rules for a category (code or id) under the project's edition; the rules of every
    category of the edition are loaded at the first call (one query)."""
    info = cached_category(category)
    if info is None:
        return []
    std.prefetch_rules(project, std.requirement_levels(project))
    return std.rules_for_id(project, info.id)


def _field_value(record, field: str, value, *, unit=None, category=None) -> str:
    """One stored value as people read it."""
    if value is None or value == "":
        return "—"
    if field in ("quantity_milli", "quantity"):
        return _quantity(value, unit)
    if field.endswith("_fen"):
        return _money(value)
    if field == "unit":
        return label(value, "unit")
    if field == "category_id":
        return category_name(value)
    if field == "green_required":
        return _yes_no(value)
    if field == "tightenings":
        return _tightenings(record, category, value)
    if field == "floor_area_m2":
        return _area(value)
    if field == "green_star_target":
        return label(value, "star")
    if field == "building_type":
        return label(value, "building")
    if field == "people":
        return _people(value)
    if field == "stage":
        return label(value, "stage")
    return str(value)


def _changes(record, changes: dict, *, unit=None, category=None) -> list[str]:
    """`Field: old → new` for each changed field."""
    out = []
    for field, change in changes.items():
        before, after = change.get("from"), change.get("to")
        if field == "quantity_milli":  # the unit may have changed in the same edit
            unit_change = changes.get("unit") or {}
            old_unit, new_unit = unit_change.get("from", unit), unit_change.get("to", unit)
        else:
            old_unit = new_unit = unit
        old_category = (changes.get("category_id") or {}).get("from", category)
        out.append(_("%(field)s: %(old)s → %(new)s", field=label(field, "field"),
                     old=_field_value(record, field, before, unit=old_unit, category=old_category),
                     new=_field_value(record, field, after, unit=new_unit, category=category)))
    return out


def _line(record, line: dict) -> list[str]:
    """A bill line as recorded (`design.services.line_view`)."""
    out = [_("Line %(n)s: %(category)s, %(specification)s, %(quantity)s at %(price)s = %(total)s",
             n=line.get("line_no"), category=category_name(line.get("category")),
             specification=line.get("specification", ""), quantity=_quantity(line.get("quantity"), line.get("unit")),
             price=_money(line.get("est_unit_price_fen")), total=_money(line.get("total_fen")))]
    out.append(_("Certified green product required") if line.get("green_required")
               else _("No certified green product required"))
    if line.get("tightenings"):
        out.append(_("Tightened limits: %(limits)s",
                      limits=_tightenings(record, line.get("category"), line["tightenings"])))
    return out


# --------------------------------------------------------------------------- record kinds


def _registered(record, p):
    project, standard = p.get("project") or {}, p.get("standard") or {}
    out = []
    if standard:
        edition = record.project.standard_edition  # fixed for the project's life: its title in the reader's language
        title = edition_title(edition) if edition.code == standard.get("edition") else standard.get("title", "")
        out.append(_("Demand standard: %(title)s (edition %(edition)s, version %(version)s)", title=title,
                     edition=standard.get("edition", ""), version=standard.get("version", "")))
    if project:
        out.append(" · ".join([label(project.get("building_type"), "building"),
                               _area(project.get("floor_area_m2")),
                               label(project.get("green_star_target"), "star")]))
    return out


def _updated(record, p):
    return _changes(record, p.get("changes") or {})


def _budget_submitted(record, p):
    budget = p.get("budget") or {}
    out = [_("Budget %(total)s, revision %(revision)s, green materials share %(share)s",
             total=_money(budget.get("total_fen")), revision=budget.get("revision"),
             share=f"{format_bp(budget.get('green_share_bp'))} %")]
    sources = budget.get("funding_sources") or []
    if sources:
        out.append(_("Funding: %(sources)s", sources="; ".join(
            f"{label(s.get('kind'), 'funding')} {_money(s.get('amount_fen'))}"
            + (f" ({s['description']})" if s.get("description") else "") for s in sources)))
    return out


def _budget_reviewed(record, p):
    out = [_("Budget %(total)s, revision %(revision)s", total=_money(p.get("total_fen")), revision=p.get("revision"))]
    if p.get("comment"):
        out.append(_("Comment: %(comment)s", comment=p["comment"]))
    return out


def _moved(record, p):
    out = [_("%(from)s → %(to)s (%(kind)s)", **{"from": label(p.get("from"), "stage"),
                                                "to": label(p.get("to"), "stage"),
                                                "kind": label(p.get("kind"), "transition")})]
    if p.get("reason"):
        out.append(_("Reason: %(reason)s", reason=p["reason"]))
    checks = p.get("checks") or []
    failed = sum(1 for c in checks if not c.get("passed"))
    if checks:
        out.append(ngettext("%(num)s check failed.", "%(num)s checks failed.", failed) if failed
                   else ngettext("%(num)s check passed.", "All %(num)s checks passed.", len(checks)))
    return out


def _line_added(record, p):
    return _line(record, p.get("line") or {})


def _line_changed(record, p):
    line = p.get("line") or {}  # the line after the change (records written since issue 9)
    category = line.get("category")
    head = _("Line %(n)s", n=p.get("line_no"))
    if category:
        head = _("Line %(n)s: %(category)s", n=p.get("line_no"), category=category_name(category))
    return [head] + _changes(record, p.get("changes") or {}, unit=line.get("unit"), category=category)


def _imported(record, p):
    out = [ngettext("%(num)s line imported from %(source)s.", "%(num)s lines imported from %(source)s.",
                    p.get("added", 0), source=p.get("source", ""))]
    if p.get("replaced"):
        out.append(ngettext("It replaced the bill of %(num)s line.", "It replaced the bill of %(num)s lines.",
                            p.get("removed", 0)))
    return out


def _document(record, p):
    file = p.get("file") or {}
    return [_("%(title)s (%(kind)s): file %(name)s, %(size)s", title=p.get("title", ""),
              kind=label(p.get("kind"), "document"), name=file.get("name", ""),
              size=_file_size(file.get("size")))]


def _file_size(size) -> str:
    if not isinstance(size, int):
        return ""
    if size < 1024:
        return ngettext("%(num)s byte", "%(num)s bytes", size)
    if size < 1024 * 1024:
        return _("%(size)s KB", size=f"{size / 1024:.1f}")
    return _("%(size)s MB", size=f"{size / 1024 / 1024:.1f}")


def _tender_amended(record, p):
    from procurement.tendering.clarification_views import amended_record_details

    return amended_record_details(p)


_KINDS = {
    "project_registered": _registered, "project_updated": _updated,
    "budget_submitted": _budget_submitted, "budget_approved": _budget_reviewed, "budget_returned": _budget_reviewed,
    "stage_advanced": _moved, "stage_returned": _moved, "transition_refused": _moved,
    "bom_line_added": _line_added, "bom_line_removed": _line_added, "bom_line_changed": _line_changed,
    "bom_imported": _imported, "document_attached": _document,
    **POOLING_KINDS,
    "tender_amended": _tender_amended,
    **TENDER_KINDS,
}
