import random

import pytest

from core import uscc

VALID = "91350100M000100Y43"  # published example with a correct check character


def test_known_valid_code_passes():
    assert uscc.validate(VALID) == VALID


def test_generated_codes_are_valid():
    rng = random.Random(7)
    for _ in range(200):
        assert uscc.is_valid(uscc.generate(rng))


def test_wrong_check_character_is_named():
    wrong = VALID[:-1] + ("0" if VALID[-1] != "0" else "1")
    with pytest.raises(uscc.USCCError, match="check character is wrong: expected 3"):
        uscc.validate(wrong)


@pytest.mark.parametrize("code,needle", [
    ("91350100M000100Y4", "has 18 characters; this one has 17"),
    ("91350100M000100Y433", "this one has 19"),
    ("", "this one has 0"),
])
def test_wrong_length(code, needle):
    with pytest.raises(uscc.USCCError, match=needle):
        uscc.validate(code)


def test_lowercase_is_refused_with_a_clear_message():
    with pytest.raises(uscc.USCCError, match="upper-case"):
        uscc.validate(VALID.lower())


def test_letters_outside_the_alphabet_are_named():
    with pytest.raises(uscc.USCCError, match="not allowed.*I.*O"):
        uscc.validate("91350100MIO0100Y43")


def test_every_single_character_typo_is_detected():
    # The check character catches any single substitution in the first 17 characters.
    body = VALID[:17]
    for i in range(17):
        for ch in uscc.ALPHABET:
            if ch == body[i]:
                continue
            typo = body[:i] + ch + body[i + 1:] + VALID[17]
            assert not uscc.is_valid(typo), typo
