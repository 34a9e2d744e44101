"""Claiming work rows shared by several cron workers."""

import psycopg2


def claim(cr, *queries):
    """The rows each query locks with ``FOR UPDATE SKIP LOCKED`` (a list per
    query), or None when another worker took some of them first.

    Odoo's transactions are REPEATABLE READ: rows another worker deleted or
    changed and committed after this transaction's snapshot still show, and
    locking them raises a serialization failure instead of skipping them.
    That is no error, only a lost race (Odoo's own cron acquisition treats it
    so): the caller stops this run and the next transaction, with a fresh
    snapshot, takes what is left. The savepoint keeps the transaction usable.
    """
    try:
        with cr.savepoint(flush=False):
            claimed = []
            for query in queries:
                cr.execute(query, log_exceptions=False)
                claimed.append(cr.fetchall())
            return claimed
    except psycopg2.extensions.TransactionRollbackError:
        return None


def claim_row(cr, query):
    """The first row ``query`` locks with ``FOR UPDATE SKIP LOCKED``, or None
    when none is free or another worker took it first (see claim)."""
    claimed = claim(cr, query)
    return claimed[0][0] if claimed and claimed[0] else None
