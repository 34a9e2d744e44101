"""What a scoring rule pays for one event, before it is split."""

from collections import namedtuple
from decimal import Decimal

from .money import round_money, shares, split_amount, to_decimal

HUNDRED = Decimal(100)


def marginal_tiers(basis, tiers):
    """Marginal tiers, like income tax brackets.

    ``tiers`` is a list of ``(threshold, percentage)``: the percentage applies
    to the part of ``basis`` from its threshold up to the next threshold.
    5 % from 0 and 3 % from 1,000,000 pay 110,000 on 3,000,000. Below the
    first threshold nothing is paid. The result is not rounded.
    """
    basis = to_decimal(basis)
    ordered = sorted((to_decimal(t), to_decimal(p)) for t, p in tiers)
    if any(threshold < 0 for threshold, _ in ordered):
        raise ValueError("a tier threshold cannot be negative")
    if any(percentage < 0 for _, percentage in ordered):
        raise ValueError("a tier percentage cannot be negative")
    if basis <= 0:
        return Decimal(0)
    amount = Decimal(0)
    for index, (threshold, percentage) in enumerate(ordered):
        if basis <= threshold:
            break
        upper = ordered[index + 1][0] if index + 1 < len(ordered) else basis
        amount += (min(basis, upper) - threshold) * percentage / HUNDRED
    return amount


def rule_amount(method, basis, fixed_amount=0, percentage=0, tiers=()):
    """The amount a rule pays for one event, before caps and split."""
    if method == "fixed":
        return to_decimal(fixed_amount)
    if method == "percentage":
        # A negative revenue earns nothing: taking money back is a reversal's
        # job, under the wage-deduction rules, never a rule's.
        return max(Decimal(0), to_decimal(basis)) * to_decimal(percentage) / HUNDRED
    if method == "tiered":
        return marginal_tiers(basis, tiers)
    raise ValueError(f"unknown compute method {method!r}")


def apply_cap(amount, cap, already=0):
    """``amount`` limited so that ``already + amount`` stays within ``cap``.

    A cap of 0 (or None) means no cap. Never returns a negative amount.
    """
    amount = to_decimal(amount)
    if not cap:
        return amount
    room = to_decimal(cap) - to_decimal(already)
    return max(Decimal(0), min(amount, room))


DealCredit = namedtuple("DealCredit", "total parts shares capped")


def deal_credit(method, basis, weights, digits, fixed_amount=0, percentage=0, tiers=(), cap=0):
    """What a rule pays for one event and how it splits, in one pass.

    The rule's amount, limited by its cap per deal (0: none), rounded
    half-up to ``digits``, then split by ``weights`` so that the parts add
    up to the total. Returns the total, the parts, each weight's share
    (a fraction, not rounded) and whether the cap cut the amount.

    >>> deal_credit("percentage", 1_000_000, [70, 30], 0, percentage=5, cap=40_000)
    DealCredit(total=Decimal('40000'), parts=[Decimal('28000'), Decimal('12000')], \
shares=[Decimal('0.7'), Decimal('0.3')], capped=True)
    """
    raw = rule_amount(method, basis, fixed_amount=fixed_amount, percentage=percentage, tiers=tiers)
    total = round_money(apply_cap(raw, cap), digits)
    return DealCredit(
        total=total,
        parts=split_amount(total, weights, digits),
        shares=shares(weights),
        capped=total < round_money(raw, digits),
    )
