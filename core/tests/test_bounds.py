import math

from core.bounds import (
    MAX_MONEY,
    MAX_WEIGHT,
    TITLE_LENGTH,
    cut_title,
    cut_to_bytes,
    plausible_hours,
    plausible_money,
    plausible_wage_rate,
    plausible_weight,
)


def test_money():
    assert plausible_money(0)
    assert plausible_money(MAX_MONEY - 1)
    assert not plausible_money(MAX_MONEY)
    assert not plausible_money(-1)
    assert plausible_money(-1, signed=True)
    assert not plausible_money(-MAX_MONEY, signed=True)
    for value in (math.nan, math.inf, -math.inf, 1e308, -1e308):
        assert not plausible_money(value, signed=True)


def test_wage_rate():
    assert plausible_wage_rate(100) and plausible_wage_rate(10_000)
    for value in (1, 99.9, 10_000.5, math.nan, math.inf):
        assert not plausible_wage_rate(value)


def test_weight():
    assert plausible_weight(0) and plausible_weight(3) and plausible_weight(MAX_WEIGHT)
    for value in (-1, MAX_WEIGHT + 0.5, math.nan, math.inf, -1e308):
        assert not plausible_weight(value)


def test_hours():
    assert plausible_hours(0, 720) and plausible_hours(720, 720)
    for value in (-0.5, 720.5, math.nan, math.inf):
        assert not plausible_hours(value, 720)


def test_cuts():
    assert cut_title("短い") == "短い"
    cut = cut_title("あ" * 1_000_000)
    assert len(cut) == TITLE_LENGTH and cut.endswith("…")
    # A multi-byte character is never split.
    assert cut_to_bytes("あいう", 7) == "あい"
    assert cut_to_bytes("abc", -1) == ""
