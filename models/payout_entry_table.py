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


def pays_sql(link, entry):
    """SQL condition: the payout of link ``link`` pays ledger entry ``entry``
    (both aliases) once it is done: it pays what it took for an employee who
    has a line in it (money without a line is never paid; points alone,
    which are no money, have no line). The one definition, read by the
    payout's _entries_of_lines_sql and by paid_sql."""
    return SQL(
        """(%(entry)s.amount = 0
            OR EXISTS (SELECT 1 FROM crm_contribution_payout_line pays_line
                        WHERE pays_line.payout_id = %(link)s.payout_id
                          AND pays_line.employee_id = %(entry)s.employee_id))""",
        entry=SQL.identifier(entry),
        link=SQL.identifier(link),
    )


def paid_sql(entry, column=None, payout_state=None):
    """SQL condition: ledger entry ``entry`` (an alias) is paid: approved, and
    taken by a payout marked paid (done) that pays it (pays_sql). Paid is
    read from the payout, never written on the entry: Mark as Paid changes
    one payout row, not a million ledger rows and their indexes. One EXISTS,
    which PostgreSQL turns into a (semi or anti) join and estimates as one.
    ``column`` and ``payout_state``: the entry's and the payout's state
    columns as the ORM's SQL for them (to flush them first)."""
    return SQL(
        """EXISTS (SELECT 1 FROM %(links)s paid_link
                     JOIN crm_contribution_payout paid_payout
                       ON paid_payout.id = paid_link.payout_id
                    WHERE paid_link.entry_id = %(entry)s.id
                      AND %(column)s = 'approved'
                      AND %(payout_state)s = 'done'
                      AND %(pays)s)""",
        column=column or SQL.identifier(entry, "state"),
        payout_state=payout_state or SQL("paid_payout.state"),
        links=SQL.identifier(PAYOUT_ENTRY_TABLE),
        entry=SQL.identifier(entry),
        pays=pays_sql("paid_link", entry),
    )
