"""The table linking payouts to the ledger entries they take.

Not a model: a two-column table written and read in SQL by the payout
(``crm.contribution.payout``), its lines, the ledger's ``payout_id`` and the
payroll workbook. Its primary key on ``entry_id`` is the database's "paid
once": an entry belongs to one payout at most, whatever runs at the same
time (a second run taking the same entry waits for the first, then fails).
No foreign keys, on purpose: each costs a trigger and a row lock per link
(measured in bench/RESULTS.md's payout figures). Ledger entries are never
deleted, and a payout is deleted only after releasing its entries (see its
``unlink``).
"""

from odoo.tools import SQL

PAYOUT_ENTRY_TABLE = "crm_contribution_payout_entry"


def init_payout_entry_table(cr):
    """Create the table (the ledger's ``init``); databases from before it
    keep their links, moved from the old ``crm_contribution.payout_id``
    column."""
    cr.execute(
        SQL(
            """
            CREATE TABLE IF NOT EXISTS %(links)s (
                entry_id integer PRIMARY KEY,
                payout_id integer NOT NULL
            );
            CREATE INDEX IF NOT EXISTS crm_contribution_payout_entry_payout_index
                ON %(links)s (payout_id);
            """,
            links=SQL.identifier(PAYOUT_ENTRY_TABLE),
        )
    )
    cr.execute(
        "SELECT 1 FROM information_schema.columns "
        "WHERE table_name = 'crm_contribution' AND column_name = 'payout_id'"
    )
    if cr.fetchone():
        cr.execute(
            SQL(
                """
                INSERT INTO %s (entry_id, payout_id)
                SELECT id, payout_id FROM crm_contribution WHERE payout_id IS NOT NULL
                ON CONFLICT DO NOTHING;
                ALTER TABLE crm_contribution DROP COLUMN payout_id;
                """,
                SQL.identifier(PAYOUT_ENTRY_TABLE),
            )
        )
