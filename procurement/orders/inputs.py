"""The input of a call-off order (form or JSON), cleaned through `core.validation`: bad input is
one ValidationError naming every field, before anything is written."""

from __future__ import annotations

from core.i18n import N_
from core.validation import REQUIRED, Errors, choice, integer, object_list, text
from procurement.orders.states import DIRECT, MINI_COMPETITION, SELECTION_METHODS
from procurement.quantities import MAX_UNIT_PRICE_FEN, QuantityError, parse_quantity

MAX_LINES = 50


def _clean_line(item: dict, errors: Errors) -> dict:
    bom_line_id = integer(item, "bom_line_id", errors, minimum=1, maximum=2**31 - 1)
    quantity_milli = None
    if item.get("quantity_milli") not in (None, ""):
        quantity_milli = integer(item, "quantity_milli", errors, minimum=1, maximum=10**12)
    else:
        raw = item.get("quantity")
        if raw in (None, ""):
            errors["quantity"] = REQUIRED
        else:
            try:
                quantity_milli = parse_quantity(str(raw))
            except QuantityError as exc:
                errors["quantity"] = (exc.template, exc.params) if exc.params else exc.template
    price = integer(item, "unit_price_fen", errors, minimum=1, maximum=MAX_UNIT_PRICE_FEN, required=False)
    return {"bom_line_id": bom_line_id, "quantity_milli": quantity_milli, "unit_price_fen": price}


def clean_order(data) -> dict:
    """`{lines, supplier_org_id, selection_method, selection_note, request_id}` cleaned; raises a
    ValidationError naming the fields."""
    data = data if isinstance(data, dict) else {}
    errors = Errors()
    request_id = text(data, "request_id", errors, max_len=64)
    method = choice(data, "selection_method", errors, SELECTION_METHODS, required=False, default=DIRECT)
    note = text(data, "selection_note", errors, max_len=2000, required=False)
    supplier = integer(data, "supplier_org_id", errors, minimum=1, maximum=2**31 - 1, required=False)
    negotiation = integer(data, "negotiation_id", errors, minimum=1, maximum=2**31 - 1,
                          required=method == MINI_COMPETITION)
    lines = object_list(data.get("lines"), "lines", errors, _clean_line, max_items=MAX_LINES, min_items=1,
                        not_a_list=N_("Give at least one line to order."),
                        too_many=N_("At most %(n)s lines per order."),
                        not_an_object=N_("Each line must be an object."))
    seen = set()
    for i, line in enumerate(lines):
        if line["bom_line_id"] in seen:
            errors[f"lines.{i}.bom_line_id"] = N_("This bill line is already in the order.")
        seen.add(line["bom_line_id"])
    errors.raise_if_any(N_("The order was not accepted."))
    return {"request_id": request_id, "selection_method": method, "selection_note": note,
            "supplier_org_id": supplier, "negotiation_id": negotiation, "lines": lines}
