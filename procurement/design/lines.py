"""Cleaning one bill-of-materials line (forms, API and file import share it)."""

from __future__ import annotations

from core.errors import ValidationError
from core.i18n import N_, Term
from core.validation import (CONTROL_CHARACTERS, REQUIRED, Errors, boolean, has_control_characters, integer,
                             message_of)
from procurement import standards as std
from procurement.blueprints import MAX_ROW_ID
from procurement.design.requirements import clean_tightenings
from procurement.quantities import (MAX_UNIT_PRICE_FEN, QuantityError, canonical_unit, check_convertible,
                                    parse_quantity)

SPECIFICATION_MAX = 300


def _category_ref(ref):
    """A category reference worth looking up: a code, or an id an INTEGER column holds; else None."""
    if isinstance(ref, int) and not isinstance(ref, bool):
        return ref if 0 < ref <= MAX_ROW_ID else None
    if not isinstance(ref, str) or has_control_characters(ref):
        return None
    text = ref.strip()
    if text.isdigit() and not (text.isascii() and int(text) <= MAX_ROW_ID):
        return None
    return text


def _category(project, data: dict, errors: Errors, clean: dict):
    ref = data.get("category")
    if ref in (None, ""):
        errors.add("category", REQUIRED)
        return None
    ref = _category_ref(ref)
    if ref is None:
        errors.add("category", N_("Give the category's code."))
        return None
    category = std.find_category(ref)
    if category is None:
        errors.add("category", N_("Unknown category “%(ref)s”."), ref=str(ref)[:64])
        return None
    if std.requirement_level(project, category) is None:
        errors.add("category", N_("The project's standard (%(edition)s) does not cover category “%(code)s”."),
                   edition=project.standard_edition.code, code=category.code)
        return None
    clean["category_id"] = category.id
    return category


def _specification(data: dict, errors: Errors, clean: dict) -> None:
    spec = data.get("specification")
    if not isinstance(spec, str) or not spec.strip():
        errors.add("specification", REQUIRED)
    elif has_control_characters(spec):
        errors.add("specification", CONTROL_CHARACTERS)
    elif len(spec.strip()) > SPECIFICATION_MAX:
        errors.add("specification", N_("At most %(n)s characters."), n=SPECIFICATION_MAX)
    else:
        clean["specification"] = spec.strip()


def _quantity(data: dict, errors: Errors, clean: dict) -> None:
    raw = data.get("quantity")
    if raw in (None, ""):
        errors.add("quantity", REQUIRED)
    elif isinstance(raw, bool):
        errors.add("quantity", N_("Must be a number."))
    else:
        try:
            clean["quantity_milli"] = parse_quantity(raw)
        except QuantityError as exc:
            errors.add("quantity", message_of(exc))


def _unit(data: dict, errors: Errors, clean: dict) -> None:
    try:
        clean["unit"] = canonical_unit(data.get("unit"))
    except QuantityError as exc:
        errors.add("unit", message_of(exc))


def _unit_converts(category, errors: Errors, clean: dict, existing) -> None:
    """The line's unit must convert to the unit its category is priced in (t and kg for a
    category priced per tonne, never m³)."""
    unit = clean.get("unit", getattr(existing, "unit", None))
    if category is None or unit is None or "unit" in errors.fields:
        return
    try:
        check_convertible(unit, category.default_unit)
    except QuantityError as exc:
        errors.add("unit", message_of(exc))


def clean_line_data(project, data: dict, *, existing=None) -> dict:
    """Validate one bill line (``existing`` given: a partial update of that line)."""
    if not isinstance(data, dict):
        raise ValidationError(N_("A bill line must be an object."))
    errors = Errors()
    clean: dict = {}
    partial = existing is not None

    def given(key):
        return not partial or key in data

    category = _category(project, data, errors, clean) if given("category") else existing.category
    if given("specification"):
        _specification(data, errors, clean)
    if given("quantity"):
        _quantity(data, errors, clean)
    if given("unit"):
        _unit(data, errors, clean)
    if "unit" in clean or "category_id" in clean:
        _unit_converts(category, errors, clean, existing)
    if given("est_unit_price_fen"):
        price = integer(data, "est_unit_price_fen", errors, minimum=0, maximum=MAX_UNIT_PRICE_FEN)
        if price is not None and "est_unit_price_fen" not in errors.fields:
            clean["est_unit_price_fen"] = price
    level = std.requirement_level(project, category) if category is not None else None
    if given("green_required") or "category" in data:
        green = boolean(data, "green_required", errors, default=existing.green_required if partial else True)
        if level == std.MANDATORY and not green:
            errors.add("green_required", N_("“%(code)s” is %(level)s in this edition: a green product is required."),
                       code=category.code, level=Term(level))
        clean["green_required"] = True if level == std.MANDATORY else green
    if category is not None and (given("tightenings") or "category" in data):
        rules = std.rules_for_line(project, category)
        raw = data.get("tightenings", existing.tightenings if partial and "category" not in data else None)
        clean["tightenings"] = clean_tightenings(rules, raw, errors)
    errors.raise_if_any(N_("The bill line was not accepted."))
    return clean
