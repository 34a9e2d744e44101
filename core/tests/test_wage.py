from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from core.wage import (
    PremiumRates,
    check_hours,
    effective_hourly_wage,
    fixed_share,
    hourly_base,
    overtime_premium,
    settle_clawback,
)


def test_worked_example_of_legal_jp():
    # 160 h scheduled + 20 h overtime (5 h late night) + 8 h legal holiday.
    assert overtime_premium(60_000, 188, 20, 8, 5) == Decimal(2888)
    assert round(hourly_base(60_000, 188), 3) == Decimal("319.149")


def test_overtime_beyond_sixty_hours_is_fifty_percent():
    # r = 100,000 / 250 = 400; 60 h × 0.25 + 10 h × 0.50 = 20 h → 8,000
    assert overtime_premium(100_000, 250, 70, 0, 0) == Decimal(8000)


def test_holiday_only():
    # r = 50,000 / 168 ; 8 h × 0.35 = 2.8 h → 833.33 → 833
    assert overtime_premium(50_000, 168, 0, 8, 0) == Decimal(833)


def test_zero_hours_or_no_incentive_owes_nothing():
    assert overtime_premium(60_000, 0, 0, 0, 0) == 0
    assert overtime_premium(0, 188, 20, 8, 5) == 0
    assert overtime_premium(-5_000, 188, 20, 8, 5) == 0


def test_rates_are_data():
    rates = PremiumRates(overtime=Decimal(30))
    assert overtime_premium(100_000, 200, 10, 0, 0, rates) == Decimal(1500)


def test_half_up_rounding():
    # r = 1,000 / 100 = 10 ; 0.25 × 2 h = 0.5 h → 5 ; 0.25 × 0.2 h → 0.5 → 1
    assert overtime_premium(1_000, 100, 0.2, 0, 0) == Decimal(1)


def test_check_hours():
    assert check_hours(188, 20, 8, 5, 720) == []
    assert "negative" in check_hours(-1, 0, 0, 0, 720)
    assert "more_than_month" in check_hours(800, 0, 0, 0, 720)
    assert "overtime_above_worked" in check_hours(10, 20, 0, 0, 720)
    assert "late_night_above_worked" in check_hours(10, 0, 0, 20, 720)


def test_fixed_share_and_effective_wage():
    assert fixed_share(300_000, 100_000) == Decimal("0.75")
    assert fixed_share(100_000, 100_000) == Decimal("0.5")
    assert fixed_share(0, 0) == 1
    assert effective_hourly_wage(160_000, 160, 18_800, 188) == Decimal(1100)


def test_clawback_without_agreement_is_outstanding():
    assert settle_clawback(30_000, 50_000, False) == (30_000, 0, 50_000)


def test_clawback_with_agreement_never_makes_pay_negative():
    assert settle_clawback(30_000, 50_000, True) == (0, 30_000, 20_000)
    assert settle_clawback(80_000, 50_000, True) == (30_000, 50_000, 0)
    assert settle_clawback(-10, 50_000, True) == (-10, 0, 50_000)


amounts = st.integers(min_value=0, max_value=10_000_000)
hours = st.decimals(min_value=0, max_value=200, places=2)


@given(amounts, st.decimals(min_value=1, max_value=400, places=2), hours, hours, hours)
def test_premium_never_negative(incentive, worked, overtime, holiday, late):
    assert overtime_premium(incentive, worked, overtime, holiday, late) >= 0


@given(
    st.integers(min_value=1, max_value=1_000_000),
    st.integers(min_value=2, max_value=5),
    st.decimals(min_value=1, max_value=400, places=1),
    hours,
    hours,
    hours,
)
def test_premium_scales_linearly_with_incentive(incentive, factor, worked, ot, hol, late):
    single = overtime_premium(incentive, worked, ot, hol, late)
    scaled = overtime_premium(incentive * factor, worked, ot, hol, late)
    # Linear before rounding: at most half a yen of rounding on each side.
    assert abs(scaled - single * factor) <= Decimal("0.5") * (factor + 1)


@given(amounts, amounts, st.booleans())
def test_clawback_never_recovers_more_than_owed(incentive, owed, agreed):
    payable, deducted, outstanding = settle_clawback(incentive, owed, agreed)
    assert deducted + outstanding == owed
    assert deducted <= owed
    assert payable >= 0


# ----------------------------------------------------------------------
# Wage periods (締め日) and paydays
# ----------------------------------------------------------------------

from datetime import date, timedelta  # noqa: E402

from core.wage import (  # noqa: E402
    last_complete_month,
    last_complete_period,
    latest_revision_due,
    payday_after,
    period_containing,
    period_end_of,
    period_hours,
)


def test_month_end_closing_is_the_calendar_month():
    assert period_containing(date(2026, 11, 5)) == (date(2026, 11, 1), date(2026, 11, 30))
    assert last_complete_month(date(2026, 11, 30)) == (date(2026, 10, 1), date(2026, 10, 31))
    assert last_complete_month(date(2026, 1, 1)) == (date(2025, 12, 1), date(2025, 12, 31))


def test_twentieth_closing():
    assert period_containing(date(2026, 11, 5), 20) == (date(2026, 10, 21), date(2026, 11, 20))
    assert period_containing(date(2026, 11, 20), 20) == (date(2026, 10, 21), date(2026, 11, 20))
    assert period_containing(date(2026, 11, 21), 20) == (date(2026, 11, 21), date(2026, 12, 20))
    assert period_containing(date(2027, 1, 10), 20) == (date(2026, 12, 21), date(2027, 1, 20))
    # Today 2026-11-30: the last complete period is 21 October – 20 November.
    assert last_complete_period(date(2026, 11, 30), 20) == (date(2026, 10, 21), date(2026, 11, 20))
    assert last_complete_period(date(2026, 11, 20), 20) == (date(2026, 9, 21), date(2026, 10, 20))


def test_closing_day_beyond_a_short_month():
    # Closing on the 30th: February closes on its last day.
    assert period_end_of(date(2026, 2, 10), 30) == date(2026, 2, 28)
    assert period_containing(date(2026, 3, 1), 30) == (date(2026, 3, 1), date(2026, 3, 30))
    assert period_containing(date(2026, 1, 31), 30) == (date(2026, 1, 31), date(2026, 2, 28))
    assert period_containing(date(2028, 2, 29), 30) == (date(2028, 1, 31), date(2028, 2, 29))


def test_period_hours():
    assert period_hours(date(2026, 11, 5), 20) == 31 * 24
    assert period_hours(date(2026, 2, 5)) == 28 * 24


def test_payday_after_the_period():
    # 末締め翌月25日払い
    assert payday_after(25, date(2026, 10, 31)) == date(2026, 11, 25)
    # 20日締め当月25日払い
    assert payday_after(25, date(2026, 11, 20)) == date(2026, 11, 25)
    # 25日締め: the payday is after the closing, so next month
    assert payday_after(25, date(2026, 11, 25)) == date(2026, 12, 25)
    # Clamped to the month's end, and across the year.
    assert payday_after(31, date(2026, 1, 31)) == date(2026, 2, 28)
    assert payday_after(10, date(2026, 12, 15)) == date(2027, 1, 10)


def test_latest_revision_due():
    assert latest_revision_due(date(2026, 11, 20)) == date(2026, 10, 1)
    assert latest_revision_due(date(2026, 10, 1)) == date(2026, 10, 1)
    assert latest_revision_due(date(2026, 9, 30)) == date(2025, 10, 1)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(1, 31))
def test_periods_tile_the_calendar(day, closing_day):
    start, end = period_containing(day, closing_day)
    assert start <= day <= end
    assert period_containing(end + timedelta(days=1), closing_day)[0] == end + timedelta(days=1)
    assert 28 <= (end - start).days + 1 <= 31
    previous = last_complete_period(day, closing_day)
    assert previous[1] == start - timedelta(days=1)
    assert payday_after(25, end) > end
