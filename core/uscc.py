"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters from the 31-character alphabet below (no I, O, S, V, Z); the last one is a
check character computed from the first 17 with weights 3^i mod 31.
"""
import random

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class USCCError(ValueError):
    """The code is not a valid unified social credit code; the message says why."""


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def validate(code: str) -> str:
    """Return the code if valid, else raise USCCError with a message for people.

    Lower-case input is refused rather than silently upper-cased: the code is printed in
    upper case on the business licence and must be entered as printed.
    """
    if code is None:
        raise USCCError("Enter the 18-character unified social credit code.")
    code = code.strip()
    if len(code) != 18:
        raise USCCError(f"A unified social credit code has 18 characters; this one has {len(code)}.")
    if code != code.upper():
        raise USCCError("Use upper-case letters, exactly as printed on the business licence.")
    bad = sorted({ch for ch in code if ch not in ALPHABET})
    if bad:
        raise USCCError("These characters are not allowed in a unified social credit code: " + " ".join(bad) + ".")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise USCCError(f"The check character is wrong: expected {expected}, found {code[17]}. Check for a typing error.")
    return code


def is_valid(code: str) -> bool:
    try:
        validate(code)
        return True
    except USCCError:
        return False


def generate(rng: random.Random | None = None, region: str = "320100") -> str:
    """A valid code for demo data: '91' (enterprise) + region code + 9-character org code + check."""
    rng = rng or random.Random()
    body = "91" + region + "".join(rng.choice(ALPHABET) for _ in range(9))
    return body + check_character(body)
