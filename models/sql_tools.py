"""SQL for the payout's set-based statements: many values sent as one
array literal a column, and the planner's just-in-time compilation held off
where its cost estimates mislead it."""

from contextlib import contextmanager

from odoo.tools import SQL


@contextmanager
def without_jit(cr):
    """Run the statements inside without PostgreSQL's just-in-time
    compilation. A statement that sums a payout's entries is planned on
    estimates (CTEs have no statistics; a lookup done for a few rows is
    costed for all) far above its cost, which switches on JIT's optimizing
    and inlining: compiling then takes longer than the statement runs."""
    cr.execute("SET LOCAL jit = off")
    yield
    # Not on an error: the transaction is then aborted, and its rollback
    # (or the savepoint's) undoes the setting with the rest.
    cr.execute("SET LOCAL jit TO DEFAULT")


def figures_table(model, rows, fnames):
    """``rows``' ``fnames`` (fields of ``model``) as a table in SQL, one
    column a field: ``unnest`` of one array a column, each sent as one
    array literal. Fifty thousand values a column sent as ARRAY[...]
    expressions, or as JSON objects, cost PostgreSQL more to parse than the
    statement that reads them costs to run."""
    return SQL(
        "unnest(%s) AS figures(%s)",
        SQL(", ").join(
            SQL(
                "%s::%s[]",
                array_literal([row[fname] for row in rows]),
                SQL(model._fields[fname].column_type[1]),
            )
            for fname in fnames
        ),
        SQL(", ").join(SQL.identifier(fname) for fname in fnames),
    )


def array_literal(values):
    """PostgreSQL's text form of an array of ``values`` (numbers, booleans,
    text or None)."""
    # A column of numbers, or of booleans, without a NULL: laid out in C
    # (fifty thousand lines, twenty columns: a call per value cost more
    # than the statement that reads them).
    kinds = set(map(type, values))
    if kinds and kinds <= _NUMBERS:
        return "{" + ",".join(map(repr, values)) + "}"
    if kinds == _BOOLEANS:
        return "{" + ",".join(map(_BOOLEAN_TEXT.__getitem__, values)) + "}"

    def element(value):
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "t" if value else "f"
        if isinstance(value, int | float):
            return repr(value)
        escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'

    return "{" + ",".join(map(element, values)) + "}"


_NUMBERS = {int, float}
_BOOLEANS = {bool}
_BOOLEAN_TEXT = {True: "t", False: "f"}
