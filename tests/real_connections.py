import uuid

from odoo.api import Transaction
from odoo.modules.registry import Registry
from odoo.sql_db import db_connect
from odoo.tests import BaseCase, get_db_name


class RealConnectionsCase(BaseCase):
    """Tests that need several real database transactions at once (races,
    several workers): each sees the others' committed rows and waits on their
    locks.

    Why a BaseCase on connections of its own: ``registry.cursor()`` cannot
    give that everywhere. Under ``odoo-bin --test-enable`` the registry may be
    in test mode, and then it hands out test cursors that all share the
    test's single connection (the second transaction would wait on itself,
    the "race" would be serial). So every transaction opens its own
    connection with ``odoo.sql_db.db_connect(dbname).cursor()``, the same
    under pytest-odoo and under Odoo's runner. Its ORM transaction is given
    the registry up front: Odoo's runner runs the tests while holding
    ``Registry._lock``, and a thread that looked the registry up by name
    would wait on that lock forever. Such tests commit, on data tagged with
    ``cls.tag`` (a random marker), and remove everything they committed.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        cls.tag = uuid.uuid4().hex[:8]

    @classmethod
    def _connection(cls):
        """A cursor on a new, real connection (never the test cursor)."""
        cr = db_connect(cls.registry.db_name).cursor()
        cr.transaction = Transaction(cls.registry)
        return cr

    @staticmethod
    def _delete_ledger_of(cr, rule_id, employee_ids=()):
        """The ledger refuses deletion through the ORM; the rows of a rule
        made for one test, and of the employees made for it (other rules of
        the company, the demo's for one, credit them too), are removed in
        SQL, reversals first."""
        params = (rule_id, list(employee_ids))
        # Their payout links first: the link table has no foreign keys.
        cr.execute(
            "DELETE FROM crm_contribution_payout_entry WHERE entry_id IN ("
            " SELECT id FROM crm_contribution WHERE rule_id = %s OR employee_id = ANY(%s))",
            params,
        )
        cr.execute(
            "DELETE FROM crm_contribution WHERE (rule_id = %s OR employee_id = ANY(%s))"
            " AND reversed_entry_id IS NOT NULL",
            params,
        )
        cr.execute(
            "DELETE FROM crm_contribution WHERE rule_id = %s OR employee_id = ANY(%s)", params
        )
