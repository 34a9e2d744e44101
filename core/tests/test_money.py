from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.money import round_money, shares, split_amount

weights_strategy = st.lists(
    st.decimals(min_value=0, max_value=1000, places=2), min_size=1, max_size=12
).filter(lambda ws: sum(ws) > 0)
totals = st.decimals(min_value=-(10**9), max_value=10**9, places=2)


def test_round_half_up_yen():
    assert round_money("2888.50", 0) == Decimal("2889")
    assert round_money("2888.49", 0) == Decimal("2888")
    assert round_money("-0.5", 0) == Decimal("-1")


def test_split_gives_remainder_to_largest_shares():
    assert split_amount(100, [1, 1, 1], 0) == [34, 33, 33]
    assert split_amount(100, [1, 2, 1], 0) == [25, 50, 25]
    assert split_amount(10, [1, 3], 0) == [2, 8]
    assert split_amount(11, [1, 3, 3], 0) == [1, 5, 5]


def test_split_seventy_thirty_of_fifty_thousand():
    assert split_amount(50000, [70, 30], 0) == [35000, 15000]


def test_split_negative_mirrors_positive():
    assert split_amount(-100, [1, 1, 1], 0) == [-34, -33, -33]


def test_split_cents():
    assert split_amount("0.05", [1, 1], 2) == [Decimal("0.03"), Decimal("0.02")]


def test_split_zero_weight_gets_nothing():
    assert split_amount(100, [0, 1], 0) == [0, 100]


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1]])
def test_split_refuses_bad_weights(weights):
    with pytest.raises(ValueError):
        split_amount(100, weights, 0)


def test_shares_sum_to_one():
    assert sum(shares([70, 30])) == 1


@given(totals, weights_strategy, st.sampled_from([0, 2]))
def test_split_always_sums_exactly(total, weights, digits):
    parts = split_amount(total, weights, digits)
    assert sum(parts) == round_money(total, digits)
    assert len(parts) == len(weights)


@given(totals, weights_strategy)
def test_split_parts_within_one_unit_of_exact(total, weights):
    """Each part is its exact share rounded towards zero, plus at most one
    unit left over (given to the largest shares, as the rule publishes):
    below its share by less than a unit, above it by a unit at most (a
    share that is a whole number of units may get one: 12.50 split
    0.01 / 13.49 / 21.60 is 0 / 4 / 9, the exact 8 plus the unit left)."""
    rounded = round_money(total, 0)
    parts = split_amount(total, weights, 0)
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = abs(rounded) * weight / weight_sum
        assert -1 < abs(part) - exact <= 1


def test_a_whole_share_of_the_largest_weight_may_take_the_unit_left():
    parts = split_amount(Decimal("12.50"), [Decimal("0.01"), Decimal("13.49"), Decimal("21.60")], 0)
    assert parts == [0, 4, 9]


@given(st.decimals(min_value=0, max_value=10**9, places=0), weights_strategy)
def test_split_never_negative_for_positive_total(total, weights):
    assert all(part >= 0 for part in split_amount(total, weights, 0))
