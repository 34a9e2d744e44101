from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from core.wage import deduction_limit, settle_with_limit


def test_three_quarters_of_net_pay_are_protected():
    assert deduction_limit(200_000, 80_000) == Decimal(50_000)


def test_protection_is_capped_at_330000():
    assert deduction_limit(600_000, 500_000) == Decimal(270_000)


def test_without_net_wage_nothing_is_deducted():
    # The protected part of net pay cannot be known: no deduction at all.
    assert deduction_limit(0, 30_000) == Decimal(0)
    assert deduction_limit(None, 30_000) == Decimal(0)
    assert deduction_limit(None, -5) == Decimal(0)


def test_limit_floors_to_the_yen():
    # 100,001 × ¼ = 25,000.25: deduct less, never more.
    assert deduction_limit(100_001, 90_000) == Decimal(25_000)


def test_settlement_keeps_what_is_not_deductible_outstanding():
    payable, deducted, outstanding, deductible_left = settle_with_limit(
        20_000, 50_000, 30_000, 10_000
    )
    assert (payable, deducted, outstanding, deductible_left) == (
        Decimal(10_000),
        Decimal(10_000),
        Decimal(40_000),
        Decimal(20_000),
    )


@given(
    st.integers(-100_000, 1_000_000),
    st.integers(0, 1_000_000),
    st.integers(0, 1_000_000),
    st.integers(0, 2_000_000),
)
def test_settlement_never_negative_never_more_than_owed(incentive, owed, deductible, net):
    limit = deduction_limit(net, incentive)
    payable, deducted, outstanding, _left = settle_with_limit(incentive, owed, deductible, limit)
    assert payable >= 0
    assert 0 <= deducted <= min(owed, deductible, max(incentive, 0))
    assert deducted <= limit
    assert outstanding == owed - deducted
