"""Searching the addon's non-stored boolean fields ("Mine", "Overdue"…)."""

from odoo.exceptions import UserError


def searched_true(records, field_name, operator, value):
    """Whether a search on the boolean ``field_name`` asks for the records
    where it is True (``= True`` or ``!= False``). Any other operator or
    value is refused, naming the field in the user's language."""
    if operator not in ("=", "!=") or not isinstance(value, bool):
        label = records._fields[field_name]._description_string(records.env)
        raise UserError(records.env._("Unsupported search on '%(field)s'.", field=label))
    return (operator == "=") == value
