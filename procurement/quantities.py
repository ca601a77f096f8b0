"""Purchase units, quantities, floor areas and percentages for bills of materials (pure).

Quantities are stored as integer thousandths of the unit (``quantity_milli``) so totals are exact;
money is integer fen and lives in `core.money`. Parsing functions raise `QuantityError` (a
``ValueError``) whose `template` and `params` are a translatable message for the user.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from core.i18n import N_, Message
from core.validation import InputError

#: canonical purchase unit -> accepted spellings (compared after lower-casing and trimming)
PURCHASE_UNITS: dict[str, tuple[str, ...]] = {
    "m3": ("m3", "m³", "cubic metre", "cubic meter", "立方米", "方"),
    "m2": ("m2", "m²", "㎡", "square metre", "square meter", "平方米"),
    "m": ("m", "metre", "meter", "米", "延米"),
    "t": ("t", "ton", "tonne", "tonnes", "吨"),
    "kg": ("kg", "千克", "公斤"),
    "L": ("l", "litre", "liter", "升"),
    "piece": ("piece", "pieces", "pc", "pcs", "件", "个", "块", "樘"),
    "set": ("set", "sets", "套", "台"),
}
_ALIASES = {alias.lower(): unit for unit, aliases in PURCHASE_UNITS.items() for alias in aliases}

#: How each purchase unit is named in messages (the same words as `procurement.labels.UNITS`).
UNIT_NAMES = {"m3": N_("m³"), "m2": N_("m²"), "m": N_("metre"), "t": N_("tonne"), "kg": N_("kg"),
              "L": N_("litre"), "piece": N_("piece"), "set": N_("set")}
#: What a purchase unit measures. Units that measure the same thing convert into each other
#: (t and kg, m³ and litres); nothing else does: a tonne of mortar is no number of m³ without
#: its density, and a set is not a number of pieces.
MEASURES = {"m3": "volume", "L": "volume", "m2": "area", "m": "length", "t": "mass", "kg": "mass",
            "piece": "pieces", "set": "sets"}
MEASURE_NAMES = {"volume": N_("volume"), "area": N_("area"), "length": N_("length"), "mass": N_("mass"),
                 "pieces": N_("a number of pieces"), "sets": N_("a number of sets")}

MAX_QUANTITY = Decimal("1000000000")        # 1e9 units of anything on one line is a typo
MAX_UNIT_PRICE_FEN = 10_000_000_000         # CNY 100 million per unit
MAX_FLOOR_AREA_M2 = 2_000_000               # larger than any single public building


class QuantityError(InputError):
    """A bad unit, quantity, area or percentage; `template` % `params` is the English text."""


def _decimal(text, not_a_number: str) -> Decimal:
    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise QuantityError(not_a_number, text=str(text)[:40]) from None
    if not value.is_finite():
        raise QuantityError(not_a_number, text=str(text)[:40])
    return value


def canonical_unit(text: str | None) -> str:
    """The canonical purchase unit for ``text`` or QuantityError naming the accepted units."""
    key = text.strip().lower() if isinstance(text, str) else ""
    if key in _ALIASES:
        return _ALIASES[key]
    raise QuantityError(N_("Unknown unit “%(unit)s”; use one of: %(units)s."), unit=str(text or "")[:20],
                        units=", ".join(PURCHASE_UNITS))


def convertible_units(unit: str) -> list[str]:
    """The purchase units a quantity can be given in for something priced per `unit`."""
    return [u for u in PURCHASE_UNITS if MEASURES[u] == MEASURES[unit]]


def check_convertible(unit: str, priced_per: str | None) -> None:
    """QuantityError unless a quantity in `unit` (a canonical purchase unit) converts to
    `priced_per`, the unit its category is priced in. A category without a known purchase unit
    accepts any unit (there is nothing to convert to)."""
    try:
        target = canonical_unit(priced_per) if priced_per else None
    except QuantityError:
        target = None
    if target is None or MEASURES[unit] == MEASURES[target]:
        return
    names = [Message(UNIT_NAMES[u]) for u in convertible_units(target)]
    use = names[0] if len(names) == 1 else Message(N_("%(first)s or %(second)s"), first=names[0], second=names[1])
    raise QuantityError(N_("This category is priced per %(priced_per)s (%(target_measure)s); a quantity in %(unit)s "
                           "(%(measure)s) cannot be converted to it. Give the quantity in %(use)s."),
                        priced_per=Message(UNIT_NAMES[target]), target_measure=Message(MEASURE_NAMES[MEASURES[target]]),
                        unit=Message(UNIT_NAMES[unit]), measure=Message(MEASURE_NAMES[MEASURES[unit]]), use=use)


def parse_quantity(text) -> int:
    """A positive quantity with at most 3 decimals -> thousandths (``"12.5"`` -> 12500)."""
    value = _decimal(text, N_("The quantity “%(text)s” is not a number."))
    if value <= 0:
        raise QuantityError(N_("The quantity must be greater than zero."))
    if value > MAX_QUANTITY:
        raise QuantityError(N_("The quantity %(text)s is implausibly large (at most %(max)s)."),
                            text=str(text)[:40], max=f"{MAX_QUANTITY:,}")
    milli = value * 1000
    if milli != milli.to_integral_value():
        raise QuantityError(N_("The quantity has more than 3 decimal places."))
    return int(milli)


def format_quantity(milli: int) -> str:
    """Thousandths back to text without trailing zeros (12500 -> ``"12.5"``)."""
    value = Decimal(milli) / 1000
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def line_total_fen(quantity_milli: int, unit_price_fen: int) -> int:
    """Quantity x unit price in fen, rounded half up to the fen (exact integer arithmetic)."""
    value = (Decimal(quantity_milli) * Decimal(unit_price_fen) / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(value)


def parse_floor_area(text) -> int:
    """Floor area in whole square metres, 1 .. MAX_FLOOR_AREA_M2."""
    value = _decimal(text, N_("The floor area “%(text)s” is not a number."))
    if value != value.to_integral_value():
        raise QuantityError(N_("The floor area must be a whole number of square metres."))
    if value <= 0:
        raise QuantityError(N_("The floor area must be greater than zero."))
    if value > MAX_FLOOR_AREA_M2:
        raise QuantityError(N_("The floor area %(text)s m² is implausibly large (at most %(max)s m²)."),
                            text=str(text)[:40], max=f"{MAX_FLOOR_AREA_M2:,}")
    return int(value)


def parse_percent_bp(text) -> int:
    """A percentage 0..100 with up to 2 decimals -> basis points (``"35.5"`` -> 3550)."""
    value = _decimal(str(text if text is not None else "").strip().rstrip("%"),
                     N_("“%(text)s” is not a percentage."))
    if value < 0 or value > 100:
        raise QuantityError(N_("The percentage must be between 0 and 100."))
    bp = value * 100
    if bp != bp.to_integral_value():
        raise QuantityError(N_("The percentage has more than 2 decimal places."))
    return int(bp)


def format_bp(bp: int | None) -> str:
    if bp is None:
        return ""
    return format_quantity(bp * 10)  # bp/100 with up to 2 decimals
