"""How pooling records read on a project's records page (added to `procurement.timeline`'s
kinds): which lines went to which round or lot, and why lines were withdrawn or released."""

from __future__ import annotations

from flask_babel import gettext as _

from core.labels import label
from core.money import format_fen
from procurement.quantities import format_quantity
from procurement.web import category_name


def _quantity(entry: dict) -> str:
    milli = entry.get("quantity_milli")
    text = format_quantity(milli) if isinstance(milli, int) else str(milli or "")
    return f"{text} {label(entry.get('unit'), 'unit')}".strip()


def _money(fen) -> str:
    return format_fen(fen) if isinstance(fen, int) else str(fen or "")


def _entries(p: dict, *, full: bool) -> list[str]:
    out = []
    for e in p.get("lines") or []:
        if full:
            out.append(_("Line %(n)s: %(category)s, %(specification)s, %(quantity)s = %(amount)s",
                         n=e.get("line_no"), category=category_name(e.get("category")),
                         specification=e.get("specification", ""), quantity=_quantity(e),
                         amount=_money(e.get("est_amount_fen"))))
        else:
            out.append(_("Line %(n)s: %(quantity)s = %(amount)s", n=e.get("line_no"), quantity=_quantity(e),
                         amount=_money(e.get("est_amount_fen"))))
    return out


def _reason(p: dict) -> list[str]:
    out = []
    if p.get("reason"):
        out.append(_("Why: %(reason)s", reason=label(p["reason"], "pooling_reason")))
    if p.get("note"):
        out.append(_("Reason: %(reason)s", reason=p["note"]))
    return out


def _contributed(record, p):
    return [_("Pooling round %(reference)s", reference=p.get("reference", ""))] + _entries(p, full=True)


def _withdrawn(record, p):
    return [_("Pooling round %(reference)s", reference=p.get("reference", ""))] + _reason(p) + _entries(p, full=False)


def _released(record, p):
    head = [_("Tender %(reference)s", reference=p["reference"])] if p.get("reference") else []
    return head + _reason(p) + _entries(p, full=False)


def _lot(record, p):
    return ([_("Tender %(reference)s, lot %(lot)s: %(title)s", reference=p.get("reference", ""),
               lot=p.get("lot_number", ""), title=p.get("lot_title", ""))] + _entries(p, full=False))


KINDS = {"pooled_line_contributed": _contributed, "pooled_line_withdrawn": _withdrawn,
         "pooled_line_released": _released, "tender_lot_assigned": _lot, "tender_lot_unassigned": _lot}
