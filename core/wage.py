"""Japanese wage arithmetic for incentive payouts (Labour Standards Act).

For pay computed by results (出来高払制, 労基則19条1項6号) the hourly base is
the period's incentive divided by *all* hours worked, and only the premium
part is owed: the 1.0 part is already inside the incentive.

Wage periods (賃金計算期間): a company closes wages on a day of the month
(締め日: the 15th, 20th, 25th, or the month's end, written 31). A period runs
from the day after one closing to the next closing; in a month shorter than
the closing day, the period closes on the month's last day.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

from .money import round_money, to_decimal


@dataclass(frozen=True)
class PremiumRates:
    """Premium rates in percent, with the monthly overtime threshold."""

    overtime: Decimal = Decimal(25)
    overtime_over_threshold: Decimal = Decimal(50)
    holiday: Decimal = Decimal(35)
    late_night: Decimal = Decimal(25)
    threshold_hours: Decimal = Decimal(60)


def check_hours(worked, overtime, holiday, late_night, month_hours):
    """Reasons the hours cannot be true, as codes; empty when they can."""
    worked, overtime, holiday, late_night = (
        to_decimal(v) for v in (worked, overtime, holiday, late_night)
    )
    problems = []
    if min(worked, overtime, holiday, late_night) < 0:
        problems.append("negative")
    if worked > to_decimal(month_hours):
        problems.append("more_than_month")
    if overtime + holiday > worked:
        problems.append("overtime_above_worked")
    if late_night > worked:
        problems.append("late_night_above_worked")
    return problems


def hourly_base(incentive, worked_hours):
    """Incentive per hour actually worked (not rounded), or 0 without hours."""
    worked_hours = to_decimal(worked_hours)
    if worked_hours <= 0:
        return Decimal(0)
    return to_decimal(incentive) / worked_hours


def overtime_premium(
    incentive, worked_hours, overtime_hours, holiday_hours, late_night_hours, rates=None
):
    """The premium owed on an incentive, in whole yen rounded half-up.

    160 h scheduled + 20 h overtime (5 h late at night) + 8 h on the legal
    holiday = 188 h; ¥60,000 of incentive owes ¥2,888.
    """
    rates = rates or PremiumRates()
    incentive = to_decimal(incentive)
    if incentive <= 0:
        return Decimal(0)
    base = hourly_base(incentive, worked_hours)
    overtime = to_decimal(overtime_hours)
    within = min(overtime, rates.threshold_hours)
    beyond = max(overtime - rates.threshold_hours, Decimal(0))
    weighted_hours = (
        rates.overtime * within
        + rates.overtime_over_threshold * beyond
        + rates.holiday * to_decimal(holiday_hours)
        + rates.late_night * to_decimal(late_night_hours)
    ) / Decimal(100)
    return round_money(base * weighted_hours, 0)


def fixed_share(fixed_wage, incentive):
    """Fixed pay's share of total pay (Art. 27 guaranteed pay check)."""
    fixed_wage, incentive = to_decimal(fixed_wage), to_decimal(incentive)
    total = fixed_wage + max(incentive, Decimal(0))
    return fixed_wage / total if total > 0 else Decimal(1)


def effective_hourly_wage(fixed_wage, scheduled_hours, incentive, worked_hours):
    """Fixed pay per scheduled hour plus incentive per worked hour (minimum wage check).

    Paid by results only (no fixed wage): incentive ÷ all hours worked
    (最低賃金法施行規則2条1項). ¥150,000 over 190 h is ¥789.47/h; fixed
    ¥180,000 over a 160 h monthly average is ¥1,125/h.

    >>> round(effective_hourly_wage(0, 0, 150_000, 190), 2)
    Decimal('789.47')
    >>> effective_hourly_wage(180_000, 160, 0, 160)
    Decimal('1125')
    """
    scheduled_hours = to_decimal(scheduled_hours)
    fixed_part = to_decimal(fixed_wage) / scheduled_hours if scheduled_hours > 0 else Decimal(0)
    return fixed_part + hourly_base(max(to_decimal(incentive), Decimal(0)), worked_hours)


def monthly_average_hours(yearly_hours):
    """月平均所定労働時間: a year's scheduled hours ÷ 12, to the hundredth
    (the base for fixed pay per hour when months differ: February's 140 h
    is not the month's own base).

    >>> monthly_average_hours(1920)
    Decimal('160.00')
    """
    return round_money(max(to_decimal(yearly_hours or 0), Decimal(0)) / Decimal(12), 2)


def settle_clawback(incentive, owed, deduction_agreed):
    """Net what an employee owes back (reversed credits already paid) against
    this period's incentive.

    Returns ``(payable, deducted, outstanding)``. Without a wage-deduction
    agreement (24協定) nothing is deducted: the whole debt stays outstanding
    for HR to settle. With one, the deduction never makes the payable
    amount negative and never exceeds what is owed.
    """
    incentive, owed = to_decimal(incentive), max(to_decimal(owed), Decimal(0))
    if not deduction_agreed:
        return incentive, Decimal(0), owed
    deducted = min(owed, max(incentive, Decimal(0)))
    return incentive - deducted, deducted, owed - deducted


# ----------------------------------------------------------------------
# Wage periods and paydays
# ----------------------------------------------------------------------

MONTH_END = 31


def _month_day(year, month, day):
    """``day`` of the month, clamped to the month's last day."""
    return date(year, month, min(max(day, 1), calendar.monthrange(year, month)[1]))


def _add_months(year, month, months):
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


def period_end_of(day, closing_day=MONTH_END):
    """The last day of the wage period that contains ``day``."""
    closing = _month_day(day.year, day.month, closing_day)
    if day <= closing:
        return closing
    return _month_day(*_add_months(day.year, day.month, 1), closing_day)


def period_containing(day, closing_day=MONTH_END):
    """``(first day, last day)`` of the wage period that contains ``day``.

    Closing on the 20th: 2026-11-05 lies in 2026-10-21 – 2026-11-20.
    """
    end = period_end_of(day, closing_day)
    previous_end = _month_day(*_add_months(end.year, end.month, -1), closing_day)
    return previous_end + timedelta(days=1), end


def last_complete_period(today, closing_day=MONTH_END):
    """The latest wage period that ended before ``today``: the one a
    payroll clerk closes now."""
    start, _end = period_containing(today, closing_day)
    return period_containing(start - timedelta(days=1), closing_day)


def last_complete_month(today):
    """The calendar month before ``today``'s (a month-end closing)."""
    return last_complete_period(today, MONTH_END)


def period_hours(day, closing_day=MONTH_END):
    """How many hours the wage period containing ``day`` holds."""
    start, end = period_containing(day, closing_day)
    return ((end - start).days + 1) * 24


def payday_after(day_of_month, period_end):
    """The first regular payday after ``period_end`` (the day clamped to the
    month's last day): an incentive is paid on the next regular payday after
    its wage period closes (Art. 24). Month-end closing, payday the 25th:
    the 25th of the next month; closing on the 20th: the 25th of the same
    month."""
    payday = _month_day(period_end.year, period_end.month, day_of_month)
    if payday > period_end:
        return payday
    return _month_day(*_add_months(period_end.year, period_end.month, 1), day_of_month)


def latest_revision_due(day):
    """The latest 1 October on or before ``day``: regional minimum wages are
    revised every autumn, from that date on."""
    year = day.year if day.month >= 10 else day.year - 1
    return date(year, 10, 1)


# Part of net pay protected from attachment, hence from set-off (民事執行法
# 152条, 民法510条): three quarters, at most this much.
PROTECTED_NET_CAP = Decimal(330_000)


def deduction_limit(net_wage, incentive):
    """The most a wage deduction may take this month.

    With the month's net wage (手取り): net − min(¾ × net, ¥330,000), never
    more than the incentive the deduction is netted against, never
    negative. Without the net wage the protected part cannot be known:
    nothing is deducted (the debt stays outstanding until payroll enters it).

    >>> deduction_limit(200_000, 80_000)
    Decimal('50000')
    >>> deduction_limit(600_000, 500_000)
    Decimal('270000')
    >>> deduction_limit(None, 80_000)
    Decimal('0')
    """
    incentive = max(to_decimal(incentive), Decimal(0))
    net_wage = to_decimal(net_wage or 0)
    if net_wage <= 0:
        return Decimal(0)
    protected = min(net_wage * Decimal(3) / Decimal(4), PROTECTED_NET_CAP)
    attachable = (net_wage - protected).to_integral_value(rounding=ROUND_FLOOR)
    return max(min(attachable, incentive), Decimal(0))


def settle_with_limit(incentive, owed, deductible, limit):
    """Net what may be deducted against this period's incentive.

    ``owed`` is everything the employee owes back; ``deductible`` the part
    a wage-deduction agreement in force covers (0 without one); ``limit``
    the most a deduction may take (``deduction_limit``). Returns
    ``(payable, deducted, outstanding, deductible_outstanding)``: the
    payable amount is never negative, what is not deducted stays
    outstanding for HR, never lost.
    """
    incentive = max(to_decimal(incentive), Decimal(0))
    owed = max(to_decimal(owed), Decimal(0))
    deductible = min(max(to_decimal(deductible), Decimal(0)), owed)
    deducted = min(deductible, incentive, max(to_decimal(limit), Decimal(0)))
    return incentive - deducted, deducted, owed - deducted, deductible - deducted
