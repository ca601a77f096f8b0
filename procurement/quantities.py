"""Purchase units, quantities, money and areas for bills of materials (pure).

Quantities are stored as integer thousandths of the unit (``quantity_milli``) so totals are exact;
money is integer fen. Parsing functions raise ``ValueError`` with a message fit for a user.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

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

MAX_QUANTITY = Decimal("1000000000")        # 1e9 units of anything on one line is a typo
MAX_UNIT_PRICE_FEN = 10_000_000_000         # CNY 100 million per unit
MAX_FLOOR_AREA_M2 = 2_000_000               # larger than any single public building
MAX_AMOUNT_FEN = 10 ** 15                   # CNY 10 trillion: well above any project budget


def canonical_unit(text: str | None) -> str:
    """The canonical purchase unit for ``text`` or ValueError naming the accepted units."""
    key = (text or "").strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    raise ValueError(f"unknown unit {text!r}; use one of: {', '.join(PURCHASE_UNITS)}")


def parse_quantity(text) -> int:
    """A positive quantity with at most 3 decimals -> thousandths (``"12.5"`` -> 12500)."""
    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValueError(f"quantity {text!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"quantity {text!r} is not a number")
    if value <= 0:
        raise ValueError("quantity must be greater than zero")
    if value > MAX_QUANTITY:
        raise ValueError(f"quantity {text} is implausibly large (at most {MAX_QUANTITY:,})")
    milli = value * 1000
    if milli != milli.to_integral_value():
        raise ValueError("quantity has more than 3 decimal places")
    return int(milli)


def format_quantity(milli: int) -> str:
    """Thousandths back to text without trailing zeros (12500 -> ``"12.5"``)."""
    value = Decimal(milli) / 1000
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


_YUAN = re.compile(r"^\d+(\.\d{1,2})?$")


def parse_yuan(text, *, allow_zero: bool = True, maximum: int = MAX_AMOUNT_FEN) -> int:
    """``"1234.56"`` (yuan, up to 2 decimals, optional thousands commas or ¥) -> 123456 fen."""
    raw = str(text if text is not None else "").strip().replace(",", "").lstrip("¥￥").strip()
    if not _YUAN.match(raw):
        raise ValueError(f"amount {text!r} must be a non-negative number of yuan with at most 2 decimals")
    fen = int(Decimal(raw) * 100)
    if fen == 0 and not allow_zero:
        raise ValueError("amount must be greater than zero")
    if fen > maximum:
        raise ValueError(f"amount {text} is implausibly large")
    return fen


def format_fen(fen: int | None) -> str:
    """Fen as yuan text with thousands separators: 123456 -> ``"1,234.56"``."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def line_total_fen(quantity_milli: int, unit_price_fen: int) -> int:
    """Quantity x unit price in fen, rounded half up to the fen (exact integer arithmetic)."""
    value = (Decimal(quantity_milli) * Decimal(unit_price_fen) / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(value)


def parse_floor_area(text) -> int:
    """Floor area in whole square metres, 1 .. MAX_FLOOR_AREA_M2."""
    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValueError(f"floor area {text!r} is not a number") from None
    if not value.is_finite() or value != value.to_integral_value():
        raise ValueError("floor area must be a whole number of square metres")
    if value <= 0:
        raise ValueError("floor area must be greater than zero")
    if value > MAX_FLOOR_AREA_M2:
        raise ValueError(f"floor area {text} m2 is implausibly large (at most {MAX_FLOOR_AREA_M2:,} m2)")
    return int(value)


def parse_percent_bp(text) -> int:
    """A percentage 0..100 with up to 2 decimals -> basis points (``"35.5"`` -> 3550)."""
    raw = str(text if text is not None else "").strip().rstrip("%").strip()
    try:
        value = Decimal(raw)
    except (InvalidOperation, ValueError):
        raise ValueError(f"{text!r} is not a percentage") from None
    if not value.is_finite() or value < 0 or value > 100:
        raise ValueError("percentage must be between 0 and 100")
    bp = value * 100
    if bp != bp.to_integral_value():
        raise ValueError("percentage has more than 2 decimal places")
    return int(bp)


def format_bp(bp: int | None) -> str:
    if bp is None:
        return ""
    return format_quantity(bp * 10)  # bp/100 with up to 2 decimals
