"""What people may type, within reason: the bounds every model checks.

One place for the limits, so that the payout line, the award, the adjustment,
the minimum-wage table and the signal say the same thing.
"""

import math

# Money typed by a person (wages, awards, adjustments): below ¥100,000,000.
MAX_MONEY = 100_000_000
# A regional minimum wage per hour, in yen: law, not a typo.
MIN_WAGE_RATE = 100
MAX_WAGE_RATE = 10_000
# A contributor's weight on a deal: relative shares, 3 and 1 split 75/25.
MAX_WEIGHT = 1_000
# A signal's summary in characters, its typed description in bytes (UTF-8).
TITLE_LENGTH = 200
DESCRIPTION_BYTES = 100 * 1024


def plausible_money(value, signed=False):
    """A finite amount below MAX_MONEY in magnitude; not negative unless
    ``signed`` (an adjustment's sign is the point)."""
    value = float(value or 0.0)
    if not math.isfinite(value) or abs(value) >= MAX_MONEY:
        return False
    return signed or value >= 0


def plausible_wage_rate(value):
    """A finite hourly minimum wage between MIN_WAGE_RATE and MAX_WAGE_RATE."""
    value = float(value or 0.0)
    return math.isfinite(value) and MIN_WAGE_RATE <= value <= MAX_WAGE_RATE


def plausible_weight(value):
    """A contributor's weight: finite, not negative, at most MAX_WEIGHT."""
    value = float(value or 0.0)
    return math.isfinite(value) and 0 <= value <= MAX_WEIGHT


def plausible_hours(value, period_hours):
    """Hours of a wage period: finite, not negative, at most the period's length."""
    value = float(value or 0.0)
    return math.isfinite(value) and 0 <= value <= period_hours


def cut_title(title):
    """``title`` cut to TITLE_LENGTH characters (an ellipsis says it was)."""
    title = title or ""
    if len(title) <= TITLE_LENGTH:
        return title
    return title[: TITLE_LENGTH - 1] + "…"


def cut_to_bytes(text, size):
    """The longest start of ``text`` whose UTF-8 form takes at most ``size`` bytes."""
    return text.encode()[: max(size, 0)].decode(errors="ignore")
