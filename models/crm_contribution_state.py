"""The ledger's status: draft and approved are stored on the entry, paid is
read from the payout.

An entry is paid when the payout that took it is marked paid (done) and
pays it (``payout_entry_table.paid_sql``): Mark as Paid writes one payout
row, not every ledger row it pays and each of their index entries. The
ORM reads, searches, groups and sorts ``state`` through that definition
(``_field_to_sql`` and ``_condition_to_sql`` below), so a domain, a record
rule, a list or a pivot sees "Paid" exactly as the addon's own SQL
(``_state_sql``, ``_state_in_sql``) does. Entries paid before this
definition keep their stored "paid", which means paid as well.
"""

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .crm_contribution import LEDGER_STATES
from .payout_entry_table import paid_sql

_SEARCHABLE = ("=", "!=", "in", "not in")


def state_in_sql(alias, states, column=None, paid=None):
    """SQL condition: the ledger entry ``alias`` is in one of ``states``,
    written as the stored column lets an index find it: draft is stored;
    approved is stored and not paid; paid is approved and paid (paid_sql),
    or stored paid. ``column`` and ``paid``: the same as the ORM's SQL."""
    column = column or SQL.identifier(alias, "state")
    paid = paid or paid_sql(alias)
    states = set(states)
    terms = [SQL("%s = %s", column, state) for state in sorted(states - {"approved", "paid"})]
    if {"approved", "paid"} <= states:
        terms.append(SQL("%s IN ('approved', 'paid')", column))
    elif "approved" in states:
        terms.append(SQL("(%s = 'approved' AND NOT %s)", column, paid))
    elif "paid" in states:
        terms.append(SQL("(%s = 'paid' OR (%s = 'approved' AND %s))", column, column, paid))
    return SQL("(%s)", SQL(" OR ").join(terms)) if terms else SQL("FALSE")


class CrmContribution(models.Model):
    _inherit = "crm.contribution"

    def _paid_sql(self, alias):
        """SQL condition: the entry ``alias`` is paid (paid_sql), its payout's
        pending status flushed first."""
        field = self.env["crm.contribution.payout"]._fields["state"]
        return paid_sql(alias, SQL.identifier("paid_payout", "state", to_flush=field))

    def _state_sql(self, alias, column=None):
        """SQL: the status of the entry ``alias`` (draft, approved or paid)."""
        column = column or SQL.identifier(alias, "state", to_flush=self._fields["state"])
        return SQL(
            "(CASE WHEN %s = 'approved' AND %s THEN 'paid' ELSE %s END)",
            column,
            self._paid_sql(alias),
            column,
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
        return self._state_sql(alias, column=sql)

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
        [(wrong,)] = self.env.execute_query(
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
        if wrong:
            raise UserError(
                self.env._(
                    "A credit cannot go from %(from)s to %(to)s.",
                    **{"from": wrong, "to": "paid"},
                )
            )
