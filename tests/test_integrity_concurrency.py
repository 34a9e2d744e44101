import threading

import psycopg2.errors

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .real_connections import RealConnectionsCase


@tagged("post_install", "-at_install")
class TestApprovalRacingADetach(RealConnectionsCase):
    """Two real transactions: a manager approves a signal's credit while its
    author deletes the signal (which detaches the credit from it and
    reverses it). One wins; the other fails with an error Odoo retries, and
    the ledger is never both approved and reversed by a deletion.

    These tests commit (two connections must see the same rows) and remove
    what they committed at the end.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls._connection() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            cls.rule_id = (
                env["crm.contribution.rule"]
                .create(
                    {
                        "name": f"記録 競合 {cls.tag}",
                        "trigger": "signal_logged",
                        "compute_method": "fixed",
                        "fixed_amount": 1_000,
                        "date_from": "2020-01-01",
                        "company_id": company.id,
                        "is_published": True,
                    }
                )
                .id
            )
            cls.employee_id = (
                env["hr.employee"]
                .create({"name": f"競合 花子 {cls.tag}", "company_id": company.id})
                .id
            )
        cls.addClassCleanup(cls._remove_committed_data)

    @classmethod
    def _remove_committed_data(cls):
        with cls._connection() as cr:
            cls._delete_ledger_of(cr, cls.rule_id, [cls.employee_id])
            cr.execute("DELETE FROM crm_signal WHERE employee_id = %s", (cls.employee_id,))
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["crm.contribution.rule"].browse(cls.rule_id).unlink()
            env["hr.employee"].browse(cls.employee_id).unlink()

    def _signal_with_credit(self):
        with self._connection() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            signal = env["crm.signal"].create(
                {"name": f"競合の信号 {self.tag}", "employee_id": self.employee_id}
            )
            # This test's rule only (a database with demo data has rules of its own).
            credit = signal.contribution_ids.filtered(lambda c: c.rule_id.id == self.rule_id)
            self.assertEqual(credit.amount, 1_000)
            return signal.id, credit.id

    def _race(self, first_action, second_action):
        first_written = threading.Event()
        outcome = {}

        def run(name, action):
            threading.current_thread().testing = True
            with self._connection() as cr:
                # A connection of its own, the registry given (RealConnectionsCase).
                env = api.Environment(cr, SUPERUSER_ID, {})
                try:
                    if name == "second":
                        first_written.wait(10)
                    action(env)
                    env.flush_all()
                    if name == "first":
                        first_written.set()
                        # Let the second transaction reach the same rows.
                        threading.Event().wait(1.0)
                    # The point of the test: two real transactions committing.
                    cr.commit()  # pylint: disable=invalid-commit
                    outcome[name] = "committed"
                except (psycopg2.errors.SerializationFailure, UserError) as error:
                    cr.rollback()
                    outcome[name] = type(error).__name__
                finally:
                    first_written.set()

        threads = [
            threading.Thread(target=run, args=("first", first_action), name="first"),
            threading.Thread(target=run, args=("second", second_action), name="second"),
        ]
        with mute_logger("odoo.sql_db"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
        return outcome

    def _ledger(self, credit_id):
        with self._connection() as cr:
            cr.execute("SELECT state, signal_id FROM crm_contribution WHERE id = %s", (credit_id,))
            state, signal_id = cr.fetchone()
            cr.execute(
                "SELECT count(*) FROM crm_contribution WHERE reversed_entry_id = %s", (credit_id,)
            )
            return state, signal_id, cr.fetchone()[0]

    def _approve(self, credit_id):
        def approve(env):
            admin = env(user=env.ref("base.user_admin").id)
            admin["crm.contribution"].browse(credit_id).action_approve()

        return approve

    def _delete(self, signal_id):
        def delete(env):
            env["crm.signal"].browse(signal_id).unlink()

        return delete

    def test_approval_first_then_the_deletion_fails(self):
        signal_id, credit_id = self._signal_with_credit()
        outcome = self._race(self._approve(credit_id), self._delete(signal_id))
        self.assertEqual(outcome["first"], "committed")
        self.assertIn(outcome["second"], ("SerializationFailure", "UserError"), outcome)
        self.assertEqual(self._ledger(credit_id), ("approved", signal_id, 0))

    def test_deletion_first_then_the_approval_fails(self):
        signal_id, credit_id = self._signal_with_credit()
        outcome = self._race(self._delete(signal_id), self._approve(credit_id))
        self.assertEqual(outcome["first"], "committed")
        self.assertIn(outcome["second"], ("SerializationFailure", "UserError"), outcome)
        self.assertEqual(self._ledger(credit_id), ("draft", None, 1))
