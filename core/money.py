"""Rounding and splitting money so that parts always add up to the whole."""

from decimal import ROUND_HALF_UP, Decimal


def to_decimal(value):
    """``value`` as a Decimal, going through ``str`` so 0.1 stays 0.1."""
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def format_points(points):
    """Points as every screen, sentence and statement shows them: two
    decimals, as the ledger stores them (a third of a point is 0.33).

    >>> format_points(1), format_points(1234.5)
    ('1.00', '1,234.50')
    """
    return f"{float(points or 0):,.2f}"


def unit(digits):
    """The smallest amount of a currency with ``digits`` decimal places."""
    return Decimal(1).scaleb(-digits)


def round_money(value, digits):
    """Round half-up (四捨五入) to ``digits`` decimal places."""
    return to_decimal(value).quantize(unit(digits), rounding=ROUND_HALF_UP)


def split_amount(total, weights, digits):
    """Split ``total`` in proportion to ``weights``.

    Every part is a whole number of currency units and the parts sum exactly
    to the rounded total: each part is first rounded towards zero, then the
    units left over go one each to the largest shares (ties: the earlier
    one). A negative total (a reversal) splits like its opposite.

    >>> split_amount(100, [1, 1, 1], 0)
    [Decimal('34'), Decimal('33'), Decimal('33')]
    """
    weights = [to_decimal(weight) for weight in weights]
    if not weights:
        raise ValueError("there is nobody to split the amount between")
    if any(weight < 0 for weight in weights):
        raise ValueError("a weight cannot be negative")
    weight_sum = sum(weights)
    if weight_sum <= 0:
        raise ValueError("the weights must add up to more than zero")
    step = unit(digits)
    rounded = round_money(total, digits)
    sign = -1 if rounded < 0 else 1
    units = int(abs(rounded) / step)
    floors = [int(units * weight / weight_sum) for weight in weights]
    left_over = units - sum(floors)
    largest_first = sorted(range(len(weights)), key=lambda i: (-weights[i], i))
    for index in largest_first[:left_over]:
        floors[index] += 1
    return [sign * count * step for count in floors]


def shares(weights):
    """Each weight's fraction of the whole, as Decimals summing to 1."""
    weights = [to_decimal(weight) for weight in weights]
    weight_sum = sum(weights)
    if weight_sum <= 0:
        raise ValueError("the weights must add up to more than zero")
    return [weight / weight_sum for weight in weights]
