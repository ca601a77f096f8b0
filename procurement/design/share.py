"""The optional-materials share rule, in exact arithmetic.

2025 edition: green products must cover at least 40 % of the *optional* material kinds used in a
project (mandatory kinds must be 100 % green, checked separately). The share is data on the
standard edition, so it arrives here as a Decimal, a string, an integer percent or a Fraction.
Floats are never compared directly: ``Fraction(0.4)`` is slightly more than 2/5 and would refuse
a project that covers exactly 40 %.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Iterable


def to_fraction(value) -> Fraction:
    """Exact share in [0, 1] from a Fraction, Decimal, ``"0.40"``, ``"40%"`` or a float.

    Floats go through their shortest repr (0.4 -> 2/5). Raises ValueError outside [0, 1].
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a share: {value!r}")
    if isinstance(value, Fraction):
        share = value
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a share: {value!r}")
        share = Fraction(value)
    elif isinstance(value, int):
        share = Fraction(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a share: {value!r}")
        share = Fraction(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith("%"):
            share = Fraction(Decimal(text[:-1].strip())) / 100
        else:
            share = Fraction(Decimal(text))
    else:
        raise ValueError(f"not a share: {value!r}")
    if share < 0 or share > 1:
        raise ValueError(f"share must be between 0 and 1, got {value!r}")
    return share


def format_share(share: Fraction) -> str:
    """Human form of an exact share, e.g. ``40 %`` or ``33.33 %`` (display only)."""
    pct = share * 100
    if pct.denominator == 1:
        return f"{pct.numerator} %"
    return f"{float(pct):.2f} %"


@dataclass(frozen=True)
class ShareResult:
    ok: bool
    covered: int
    total: int
    required_share: Fraction
    required_kinds: int  # smallest number of covered kinds that satisfies the rule

    @property
    def share(self) -> Fraction | None:
        return Fraction(self.covered, self.total) if self.total else None

    def to_dict(self) -> dict:
        return {
            "covered_kinds": self.covered,
            "optional_kinds": self.total,
            "required_kinds": self.required_kinds,
            "required_share": f"{self.required_share.numerator}/{self.required_share.denominator}",
            "share": (f"{self.share.numerator}/{self.share.denominator}" if self.share is not None else None),
        }


def optional_share_ok(covered_kinds: Iterable[str] | int, optional_kinds: Iterable[str] | int,
                      required_share) -> ShareResult:
    """Do green products cover at least ``required_share`` of the optional kinds used?

    ``optional_kinds`` are the distinct optional categories in the bill; ``covered_kinds`` those
    of them with a green requirement. Either may be given as a collection (duplicates and covered
    kinds outside the optional set are ignored) or as counts. No optional kinds at all passes
    (nothing to cover). Exactly the required share passes; anything below fails, with no float
    rounding: 2 of 5 is 40 % and passes, 2 of 7 (28.6 %) fails, 3 of 7 passes.
    """
    share = to_fraction(required_share)
    if isinstance(optional_kinds, int) or isinstance(covered_kinds, int):
        if not (isinstance(optional_kinds, int) and isinstance(covered_kinds, int)):
            raise TypeError("give both counts or both collections")
        total, covered = optional_kinds, covered_kinds
        if total < 0 or covered < 0 or covered > total:
            raise ValueError(f"invalid counts: {covered} of {total}")
    else:
        optional = set(optional_kinds)
        total = len(optional)
        covered = len(set(covered_kinds) & optional)
    required = math.ceil(share * total)  # exact: Fraction * int, ceil of a Fraction
    return ShareResult(ok=covered >= required, covered=covered, total=total, required_share=share,
                       required_kinds=required)
