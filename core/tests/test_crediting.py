from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.crediting import apply_cap, deal_credit, marginal_tiers, rule_amount

TIERS = [(0, 5), (1_000_000, 3)]


def test_marginal_tiers_issue_example():
    assert marginal_tiers(3_000_000, TIERS) == Decimal(110_000)


def test_marginal_tiers_at_and_below_threshold():
    assert marginal_tiers(1_000_000, TIERS) == Decimal(50_000)
    assert marginal_tiers(500_000, TIERS) == Decimal(25_000)
    assert marginal_tiers(0, TIERS) == 0
    assert marginal_tiers(-5, TIERS) == 0


def test_marginal_tiers_nothing_below_first_threshold():
    assert marginal_tiers(100, [(1000, 10)]) == 0
    assert marginal_tiers(1500, [(1000, 10)]) == 50


def test_marginal_tiers_unsorted_input():
    assert marginal_tiers(3_000_000, list(reversed(TIERS))) == Decimal(110_000)


def test_marginal_tiers_refuse_negative():
    with pytest.raises(ValueError):
        marginal_tiers(100, [(-1, 5)])
    with pytest.raises(ValueError):
        marginal_tiers(100, [(0, -5)])


def test_rule_amount_methods():
    assert rule_amount("fixed", 123, fixed_amount=5000) == 5000
    assert rule_amount("percentage", 1_000_000, percentage=5) == 50_000
    assert rule_amount("tiered", 3_000_000, tiers=TIERS) == 110_000
    with pytest.raises(ValueError):
        rule_amount("bonus", 1)


def test_apply_cap():
    assert apply_cap(50_000, 30_000) == 30_000
    assert apply_cap(50_000, 0) == 50_000
    assert apply_cap(50_000, 80_000, already=60_000) == 20_000
    assert apply_cap(50_000, 80_000, already=90_000) == 0


tier_lists = st.lists(
    st.tuples(st.integers(min_value=0, max_value=10**7), st.integers(min_value=0, max_value=50)),
    min_size=1,
    max_size=5,
    unique_by=lambda t: t[0],
)


@given(tier_lists, st.integers(0, 10**8), st.integers(0, 10**8))
def test_marginal_tiers_monotonic(tiers, a, b):
    low, high = sorted((a, b))
    assert marginal_tiers(low, tiers) <= marginal_tiers(high, tiers)


@given(tier_lists, st.integers(0, 10**8))
def test_marginal_tiers_continuous(tiers, basis):
    # One more yen of revenue never pays more than one yen times the top rate.
    top = max(p for _, p in tiers)
    step = marginal_tiers(basis + 1, tiers) - marginal_tiers(basis, tiers)
    assert 0 <= step <= Decimal(top) / 100


def test_deal_credit_caps_rounds_and_splits_in_one_pass():
    credit = deal_credit("percentage", 1_000_000, [70, 30], 0, percentage=5, cap=40_000)
    assert credit.total == Decimal(40_000)
    assert credit.parts == [Decimal(28_000), Decimal(12_000)]
    assert credit.shares == [Decimal("0.7"), Decimal("0.3")]
    assert credit.capped


def test_deal_credit_rounds_half_up_before_splitting():
    credit = deal_credit("percentage", 333_333, [1, 1, 1], 0, percentage=1.5)
    assert credit.total == Decimal(5_000)
    assert sum(credit.parts) == credit.total
    assert not credit.capped


@given(
    basis=st.integers(min_value=0, max_value=10**10),
    weights=st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=6),
    cap=st.integers(min_value=0, max_value=10**7),
)
def test_deal_credit_parts_add_up_and_respect_the_cap(basis, weights, cap):
    credit = deal_credit("percentage", basis, weights, 0, percentage=5, cap=cap)
    assert sum(credit.parts) == credit.total
    if cap:
        assert credit.total <= cap
