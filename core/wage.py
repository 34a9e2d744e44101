"""Japanese wage arithmetic for incentive payouts (Labour Standards Act).

For pay computed by results (出来高払制, 労基則19条1項6号) the hourly base is
the period's incentive divided by *all* hours worked, and only the premium
part is owed: the 1.0 part is already inside the incentive.
"""

from dataclasses import dataclass
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
    """Fixed pay per scheduled hour plus incentive per worked hour (minimum wage check)."""
    scheduled_hours = to_decimal(scheduled_hours)
    fixed_part = to_decimal(fixed_wage) / scheduled_hours if scheduled_hours > 0 else Decimal(0)
    return fixed_part + hourly_base(max(to_decimal(incentive), Decimal(0)), worked_hours)


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


# Part of net pay protected from attachment, hence from set-off (民事執行法
# 152条, 民法510条): three quarters, at most this much.
PROTECTED_NET_CAP = Decimal(330_000)


def deduction_limit(net_wage, incentive):
    """The most a wage deduction may take this month.

    With the month's net wage (手取り): net − min(¾ × net, ¥330,000). Without
    it, at most the month's incentive (and HR must check the limit). Never
    more than the incentive the deduction is netted against, never negative.

    >>> deduction_limit(200_000, 80_000)
    Decimal('50000')
    >>> deduction_limit(600_000, 500_000)
    Decimal('270000')
    """
    incentive = max(to_decimal(incentive), Decimal(0))
    net_wage = to_decimal(net_wage or 0)
    if net_wage <= 0:
        return incentive
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
