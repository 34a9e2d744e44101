"""The ledger's status: draft and approved are stored on the entry, paid is
read from the payout.

An entry is paid when it is approved and the payout that took it is marked
paid (done) and pays it (``payout_entry_table.paid_sql``): Mark as Paid
writes one payout row, not every ledger row it pays and each of their
index entries. The ORM reads, searches, groups and sorts ``state`` through
that definition (``_field_to_sql`` and ``_condition_to_sql`` below), so a
domain, a record rule, a list or a pivot sees "Paid" exactly as the addon's
own SQL (``state_in_sql``) does. Entries that older versions stored as paid
are stored approved again on update (``unstore_paid``).
"""

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .crm_contribution import LEDGER_STATES
from .payout_entry_table import paid_sql
from .sql_tools import without_jit

_SEARCHABLE = ("=", "!=", "in", "not in")
_STORED = ("draft", "approved")


def state_in_sql(alias, states, column=None, paid=None):
    """SQL condition: the ledger entry ``alias`` is in one of ``states``.
    The stored column answers alone where it can (an index finds it);
    paid, or approved and not paid, add one EXISTS (paid_sql), which
    PostgreSQL joins and estimates. ``column`` and ``paid``: the ORM's SQL
    for the column and for paid_sql (to flush them first)."""
    column = column or SQL.identifier(alias, "state")
    paid = paid or paid_sql(alias)
    states = set(states)
    stored = [state for state in _STORED if state in states]
    if "paid" in states and "approved" not in states:
        if not stored:
            return SQL("%s", paid)
        return SQL("(%s IN %s OR %s)", column, tuple(stored), paid)
    if not stored:
        return SQL("FALSE")
    in_stored = SQL("%s IN %s", column, tuple(stored))
    if "approved" in states and "paid" not in states:
        # paid implies approved: a draft entry is never paid.
        return SQL("(%s AND NOT %s)", in_stored, paid)
    return in_stored


def unstore_paid(env):
    """Databases from before paid was read from the payout stored it on
    the entries: store them approved again (paid_sql then reads them paid,
    their payout being done), and keep the analysis's totals where they
    were (the trigger moved them to Approved with the UPDATE)."""
    cr = env.cr
    cr.execute("SELECT 1 FROM crm_contribution WHERE state = 'paid' LIMIT 1")
    if not cr.fetchone():
        return
    # One statement: the CTEs read the ledger as it was before the UPDATE,
    # so the moved entries are read approved (column) by paid_sql.
    cr.execute(
        SQL(
            """
            WITH unstored AS (
                UPDATE crm_contribution SET state = 'approved' WHERE state = 'paid'
                RETURNING id
            ), paid AS (
                SELECT entry.id AS entry_id
                  FROM unstored JOIN crm_contribution entry ON entry.id = unstored.id
                 WHERE %(paid)s
            ), kept AS (%(move)s)
            SELECT count(*) FROM unstored
            """,
            paid=paid_sql("entry", column=SQL("'approved'")),
            move=env["crm.contribution.analysis"]._move_sql(SQL("paid"), "approved", "paid"),
        )
    )


class CrmContribution(models.Model):
    _inherit = "crm.contribution"

    def init(self):
        result = super().init()
        unstore_paid(self.env)
        return result

    def _paid_sql(self, alias):
        """paid_sql of the entry ``alias``, its pending status and its
        payout's flushed first."""
        return paid_sql(
            alias,
            column=SQL.identifier(alias, "state", to_flush=self._fields["state"]),
            payout_state=SQL.identifier(
                "paid_payout",
                "state",
                to_flush=self.env["crm.contribution.payout"]._fields["state"],
            ),
        )

    def _state_in_sql(self, alias, states):
        """SQL condition: the entry ``alias`` is in one of ``states``
        (state_in_sql), its pending writes and its payout's flushed first."""
        return state_in_sql(
            alias,
            states,
            column=SQL.identifier(alias, "state", to_flush=self._fields["state"]),
            paid=self._paid_sql(alias),
        )

    def _field_to_sql(self, alias, fname, query=None, flush=True):
        sql = super()._field_to_sql(alias, fname, query, flush)
        if fname != "state":
            return sql
        return SQL("(CASE WHEN %s THEN 'paid' ELSE %s END)", self._paid_sql(alias), sql)

    def _condition_to_sql(self, alias, fname, operator, value, query):
        if fname != "state" or operator not in _SEARCHABLE:
            return super()._condition_to_sql(alias, fname, operator, value, query)
        states = [value] if operator in ("=", "!=") else value
        if not isinstance(states, (list, tuple, set)) or not all(
            isinstance(state, str) for state in states
        ):
            return super()._condition_to_sql(alias, fname, operator, value, query)
        if operator in ("!=", "not in"):
            states = {state for state, _label in LEDGER_STATES} - set(states)
        self.check_field_access_rights("read", ["state"])
        return self._state_in_sql(alias, states)

    @api.model
    def _mark_paid(self, payout):
        """The payout ``payout`` is being marked paid (called by its
        action_done only, which then writes its state): the entries it pays
        (its _entries_of_lines_sql) become paid by that state, none is
        written. Each must be approved: if any is not, nothing changes. The
        analysis moves their totals from Approved to Paid, as its trigger
        does when a status is written."""
        payout.ensure_one()
        if payout.state != "confirmed":
            raise UserError(self.env._("Only a confirmed payout pays its credits."))
        self.env.flush_all()
        # Lock the payout's row first: a second Mark as Paid of the same
        # payout waits, then fails on a serialization error (Odoo retries).
        self.env.cr.execute(
            SQL("SELECT id FROM crm_contribution_payout WHERE id = %s FOR UPDATE", payout.id)
        )
        # Planned on estimates far above its cost: without JIT (see without_jit).
        with without_jit(self.env.cr):
            [(wrong,)] = self._mark_paid_rows(payout)
        if wrong:
            raise UserError(
                self.env._(
                    "A credit cannot go from %(from)s to %(to)s.",
                    **{"from": wrong, "to": "paid"},
                )
            )

    @api.model
    def _mark_paid_rows(self, payout):
        """_mark_paid's statement: [(the status of an entry that is not
        approved, or None)]; the analysis moved when there is none."""
        return self.env.execute_query(
            SQL(
                """
                WITH paid AS MATERIALIZED (%(paid)s), wrong AS (
                    SELECT entry.state
                      FROM paid JOIN crm_contribution entry ON entry.id = paid.entry_id
                     WHERE entry.state != 'approved'
                     LIMIT 1
                ), payable AS (
                    SELECT entry_id FROM paid WHERE NOT EXISTS (SELECT 1 FROM wrong)
                ), moved AS (%(move)s)
                SELECT (SELECT state FROM wrong)
                """,
                paid=payout._entries_of_lines_sql(),
                move=self.env["crm.contribution.analysis"]._move_sql(
                    SQL("payable"), "approved", "paid"
                ),
            )
        )
