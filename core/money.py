"""Money is integer fen; these helpers convert at the edges only (one implementation for every
package; templates use the `fen` filter core registers)."""
import re
from decimal import Decimal, InvalidOperation, ROUND_HALF_UP

from core.i18n import N_
from core.validation import InputError

MAX_FEN = 10**15  # CNY 10 trillion: above any amount the platform handles
_AMOUNT = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")


class MoneyError(InputError):
    """A bad amount. `template` and `params` are the translatable message; str() is English."""


def parse_yuan(text, *, allow_zero: bool = True, maximum: int = MAX_FEN) -> int:
    """'1,234.5' (yuan; thousands commas and ¥ allowed) -> 123450 fen. Refuses negatives, more
    than 2 decimals, exponents and non-numbers; zero when `allow_zero` is false; more than
    `maximum` fen."""
    if text is None or str(text).strip() == "":
        raise MoneyError(N_("Enter an amount."))
    raw = str(text).strip().replace(",", "").replace("¥", "").replace("￥", "").strip()
    try:
        value = Decimal(raw) if _AMOUNT.match(raw) else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise MoneyError(N_("'%(text)s' is not a number."), text=str(text)[:40])
    if value < 0:
        raise MoneyError(N_("The amount cannot be negative."))
    if value != value.quantize(Decimal("0.01")):
        raise MoneyError(N_("Use at most two decimal places (fen)."))
    fen = int((value * 100).to_integral_value(rounding=ROUND_HALF_UP))
    if fen == 0 and not allow_zero:
        raise MoneyError(N_("The amount must be greater than zero."))
    if fen > maximum:
        raise MoneyError(N_("The amount is too large."))
    return fen


def format_fen(fen, *, symbol: bool = True, grouping: bool = True) -> str:
    """123450 -> '¥1,234.50'; `symbol=False, grouping=False` gives '1234.50' (for input fields)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    yuan = f"{fen // 100:,}" if grouping else str(fen // 100)
    return f"{sign}{'¥' if symbol else ''}{yuan}.{fen % 100:02d}"
