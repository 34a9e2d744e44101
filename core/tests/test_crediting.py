from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.crediting import (
    apply_cap,
    credit_key,
    credited_id,
    deal_credit,
    event_credit,
    marginal_tiers,
    rule_amount,
    share_points,
    split_weights,
)

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


TEAM = [("presales", 2), ("originator", 1), ("technical", 0.5)]


def test_split_weights_by_method():
    assert split_weights("originator", TEAM) == [(1, 1)]
    assert split_weights("equal", TEAM) == [(0, 1), (1, 1), (2, 1)]
    assert split_weights("weight", TEAM) == [(0, 2), (1, 1), (2, 0.5)]
    assert split_weights("originator", [("presales", 1)]) == []


def test_event_credit_splits_caps_and_shares_points():
    credit = event_credit(
        "percentage", 1_000_000, "weight", TEAM, 0, percentage=5, cap=35_000, points=7
    )
    assert credit.total == Decimal(35_000)
    assert credit.capped
    assert [part.index for part in credit.parts] == [0, 1, 2]
    assert [part.amount for part in credit.parts] == [
        Decimal(20_000),
        Decimal(10_000),
        Decimal(5_000),
    ]
    assert [part.points for part in credit.parts] == [4.0, 2.0, 1.0]
    assert abs(sum(part.share for part in credit.parts) - 1) < Decimal("1e-20")


def test_event_credit_originator_only_names_the_originator():
    credit = event_credit("fixed", 0, "originator", TEAM, 0, fixed_amount=3_000, points=1)
    assert [(part.index, part.amount, part.share, part.points) for part in credit.parts] == [
        (1, Decimal(3_000), Decimal(1), 1.0)
    ]


def test_event_credit_without_anyone_to_share_is_none():
    assert event_credit("fixed", 0, "originator", [("other", 1)], 0, fixed_amount=1) is None
    assert event_credit("fixed", 0, "weight", [("originator", 0)], 0, fixed_amount=1) is None
    assert event_credit("fixed", 0, "equal", [], 0, fixed_amount=1) is None


@given(
    basis=st.integers(min_value=0, max_value=10**10),
    weights=st.lists(st.integers(min_value=0, max_value=100), min_size=1, max_size=6),
    method=st.sampled_from(["weight", "equal", "originator"]),
    points=st.integers(min_value=0, max_value=1000),
)
def test_event_credit_parts_add_up_to_the_total(basis, weights, method, points):
    team = [("originator" if i == 0 else "other", w) for i, w in enumerate(weights)]
    credit = event_credit("percentage", basis, method, team, 0, percentage=5, points=points)
    if credit is None:
        assert method == "weight" and sum(weights) == 0
        return
    assert sum(part.amount for part in credit.parts) == credit.total
    assert abs(sum(part.points for part in credit.parts) - points) <= 0.01 * len(credit.parts)


def test_share_points_rounds_to_hundredths():
    assert share_points(10, Decimal(1) / 3) == 3.33
    assert share_points(0.1, Decimal(1)) == 0.1


def test_credit_key_is_built_and_read_one_way():
    assert credit_key("won", "lead", 42) == "won:lead:42"
    assert credit_key("signal_logged", "signal", 7) == "signal_logged:signal:7"
    assert credit_key("whatif", "won") == "whatif:won"
    assert credited_id(credit_key("resolved", "signal", 9)) == 9
