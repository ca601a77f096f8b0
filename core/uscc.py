"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters from the 31-character alphabet below (no I, O, S, V, Z); the last one is a
check character computed from the first 17 with weights 3^i mod 31.
"""
import random

from core.i18n import N_

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class USCCError(ValueError):
    """The code is not a valid unified social credit code; the message says why.

    `template` and `params` let views show the message in the reader's language.
    """

    def __init__(self, template, **params):
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)

    @property
    def message(self):
        return (self.template, self.params)


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def validate(code: str) -> str:
    """Return the code if valid, else raise USCCError with a message for people.

    Lower-case input is refused rather than silently upper-cased: the code is printed in
    upper case on the business licence and must be entered as printed.
    """
    if code is None:
        raise USCCError(N_("Enter the 18-character unified social credit code."))
    code = code.strip()
    if len(code) != 18:
        raise USCCError(N_("A unified social credit code has 18 characters; this one has %(count)s."), count=len(code))
    if code != code.upper():
        raise USCCError(N_("Use upper-case letters, exactly as printed on the business licence."))
    bad = sorted({ch for ch in code if ch not in ALPHABET})
    if bad:
        raise USCCError(N_("These characters are not allowed in a unified social credit code: %(chars)s."), chars=" ".join(bad))
    expected = check_character(code[:17])
    if code[17] != expected:
        raise USCCError(N_("The check character is wrong: expected %(expected)s, found %(found)s. Check for a typing error."),
                        expected=expected, found=code[17])
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
