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


def split_weights(split_method, contributors):
    """Who shares an event's credit under a rule's ``split_method``, and by
    what weight: ``(index, weight)`` pairs, by place in ``contributors``, a
    list of ``(role, weight)``. ``originator``: the first originator alone;
    ``equal``: everyone alike; else (``weight``): by their weights.

    >>> split_weights("originator", [("presales", 2), ("originator", 1), ("originator", 5)])
    [(1, 1)]
    >>> split_weights("equal", [("originator", 3), ("other", 1)])
    [(0, 1), (1, 1)]
    >>> split_weights("weight", [("originator", 3), ("other", 1)])
    [(0, 3), (1, 1)]
    """
    if split_method == "originator":
        first = next((i for i, (role, _w) in enumerate(contributors) if role == "originator"), None)
        return [] if first is None else [(first, 1)]
    if split_method == "equal":
        return [(index, 1) for index in range(len(contributors))]
    return [(index, weight) for index, (_role, weight) in enumerate(contributors)]


def share_points(points, share):
    """A contributor's points: the rule's ``points`` times their ``share``,
    to two decimals.

    >>> share_points(10, Decimal(2) / 3)
    6.67
    """
    return round(float(to_decimal(points) * to_decimal(share)), 2)


ContributorCredit = namedtuple("ContributorCredit", "index amount share points")
EventCredit = namedtuple("EventCredit", "total capped parts")


def event_credit(
    method,
    basis,
    split_method,
    contributors,
    digits,
    fixed_amount=0,
    percentage=0,
    tiers=(),
    cap=0,
    points=0,
):
    """What a rule pays for one event, and each contributor's part: the one
    computation of the crediting engine and of the rule form's example.

    ``contributors`` is a list of ``(role, weight)``; the parts name them
    by ``index`` in that list, with their ``amount`` (rounded, adding up to
    the total), their ``share`` (a fraction) and their ``points``. ``None``
    when nobody shares the event (no originator for an originator-only
    rule, weights adding up to nothing). A monthly cap is not applied here:
    it depends on what the ledger already holds (``apply_cap``).

    >>> credit = event_credit("fixed", 0, "equal", [("originator", 9), ("other", 1)], 0,
    ...                       fixed_amount=1001, points=3)
    >>> [(p.index, p.amount, p.points) for p in credit.parts]
    [(0, Decimal('501'), 1.5), (1, Decimal('500'), 1.5)]
    >>> event_credit("fixed", 0, "originator", [("other", 1)], 0, fixed_amount=100) is None
    True
    """
    chosen = split_weights(split_method, contributors)
    weights = [weight for _index, weight in chosen]
    if not chosen or sum(weights) <= 0:
        return None
    credit = deal_credit(
        method,
        basis,
        weights,
        digits,
        fixed_amount=fixed_amount,
        percentage=percentage,
        tiers=tiers,
        cap=cap,
    )
    return EventCredit(
        total=credit.total,
        capped=credit.capped,
        parts=[
            ContributorCredit(index, amount, share, share_points(points, share))
            for (index, _weight), amount, share in zip(
                chosen, credit.parts, credit.shares, strict=True
            )
        ],
    )


def credit_key(trigger, source, source_id=None):
    """The key of the event a ledger line credits, the one way it is
    written: what happened, to what, and which one.

    >>> credit_key("won", "lead", 42)
    'won:lead:42'
    >>> credit_key("handed_off", "signal", 7)
    'handed_off:signal:7'
    >>> credit_key("whatif", "won")
    'whatif:won'
    """
    if source_id is None:
        return f"{trigger}:{source}"
    return f"{trigger}:{source}:{source_id}"


def credited_id(key):
    """The id of the record a credit key names.

    >>> credited_id(credit_key("won", "lead", 42))
    42
    """
    return int(key.rsplit(":", 1)[1])
