"""Pure computation for Everyone Sells: no Odoo import, plain values in and out.

Money is handled as :class:`decimal.Decimal` and rounded in one place
(:func:`round_money`), half-up, to the currency's decimal places.
"""
