"""Money is integer fen; these helpers convert at the edges only."""
from decimal import Decimal, InvalidOperation, ROUND_HALF_UP


class MoneyError(ValueError):
    pass


def parse_yuan(text) -> int:
    """'1,234.5' -> 123450 fen. Refuses negatives, more than 2 decimals and non-numbers."""
    if text is None or str(text).strip() == "":
        raise MoneyError("Enter an amount.")
    raw = str(text).strip().replace(",", "").replace("¥", "").replace("￥", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise MoneyError(f"'{text}' is not a number.") from None
    if not value.is_finite():
        raise MoneyError(f"'{text}' is not a number.")
    if value < 0:
        raise MoneyError("The amount cannot be negative.")
    if value != value.quantize(Decimal("0.01")):
        raise MoneyError("Use at most two decimal places (fen).")
    fen = int((value * 100).to_integral_value(rounding=ROUND_HALF_UP))
    if fen > 10**15:
        raise MoneyError("The amount is too large.")
    return fen


def format_fen(fen) -> str:
    """123450 -> '¥1,234.50'."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}¥{fen // 100:,}.{fen % 100:02d}"
