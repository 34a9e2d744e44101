import threading
import uuid

import psycopg2.errors

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models.server_switches import without_crediting
from .real_connections import RealConnectionsCase


@tagged("post_install", "-at_install")
class TestNeverTwiceUnderConcurrency(RealConnectionsCase):
    """Two real database transactions racing on one deal: nothing is credited
    twice, nothing is lost, the loser gets an error it can retry on (on
    connections of their own: see RealConnectionsCase)."""

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
                        "name": f"競合テスト {cls.tag}",
                        "trigger": "won",
                        "compute_method": "percentage",
                        "percentage": 5,
                        "date_from": "2020-01-01",
                        "company_id": company.id,
                        "exclude_sales": False,
                        "is_published": True,
                    }
                )
                .id
            )
            cls.employee_id = (
                env["hr.employee"]
                .create({"name": f"競合 太郎 {cls.tag}", "company_id": company.id})
                .id
            )
            stages = env["crm.stage"]
            cls.stage_open_id = stages.create({"name": f"open {cls.tag}", "sequence": 1}).id
            cls.stage_won_id = stages.create(
                {"name": f"won {cls.tag}", "sequence": 99, "is_won": True}
            ).id
        cls.addClassCleanup(cls._remove_committed_data)

    @classmethod
    def _remove_committed_data(cls):
        with cls._connection() as cr:
            cls._delete_ledger_of(cr, cls.rule_id, [cls.employee_id])
            # Payouts of the race tests, in 2031 (no other test pays then).
            cr.execute(
                "DELETE FROM crm_contribution_payout_entry WHERE payout_id IN ("
                " SELECT id FROM crm_contribution_payout WHERE date_from >= '2031-01-01')"
            )
            cr.execute(
                "DELETE FROM crm_contribution_payout_line WHERE payout_id IN ("
                " SELECT id FROM crm_contribution_payout WHERE date_from >= '2031-01-01')"
            )
            cr.execute("DELETE FROM crm_contribution_payout WHERE date_from >= '2031-01-01'")
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["crm.lead"].with_context(active_test=False).search(
                [("name", "like", cls.tag)]
            ).unlink()
            env["crm.contribution.rule"].browse(cls.rule_id).unlink()
            env["hr.employee"].browse(cls.employee_id).unlink()
            env["crm.stage"].browse([cls.stage_open_id, cls.stage_won_id]).unlink()

    def _make_lead(self, won=False):
        with self._connection() as cr:
            env = without_crediting(api.Environment(cr, SUPERUSER_ID, {}))
            return (
                env["crm.lead"]
                .create(
                    {
                        "name": f"競合商談 {self.tag} {uuid.uuid4().hex[:4]}",
                        "type": "opportunity",
                        "expected_revenue": 1_000_000,
                        "stage_id": self.stage_won_id if won else self.stage_open_id,
                        "probability": 100 if won else 10,
                        "contributor_ids": [
                            Command.create({"employee_id": self.employee_id, "role": "originator"})
                        ],
                    }
                )
                .id
            )

    def _credits(self, lead_id):
        with self._connection() as cr:
            cr.execute(
                "SELECT amount FROM crm_contribution WHERE lead_id = %s AND rule_id = %s",
                (lead_id, self.rule_id),
            )
            return [row[0] for row in cr.fetchall()]

    def _race(self, action, lead_id):
        """Run ``action`` in two transactions: the first holds its changes
        until the second is waiting on them, then commits."""
        first_written = threading.Event()
        outcome = {}

        def run(name):
            threading.current_thread().testing = True
            with self._connection() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                try:
                    if name == "second":
                        first_written.wait(10)
                    action(env, env["crm.lead"].browse(lead_id))
                    env.flush_all()
                    if name == "first":
                        first_written.set()
                        # Let the second transaction reach the same rows.
                        threading.Event().wait(1.0)
                    # The point of the test: two real transactions committing.
                    cr.commit()  # pylint: disable=invalid-commit
                    outcome[name] = "committed"
                except (
                    psycopg2.errors.SerializationFailure,
                    psycopg2.IntegrityError,
                    UserError,
                ) as error:
                    cr.rollback()
                    outcome[name] = type(error).__name__
                finally:
                    first_written.set()

        threads = [
            threading.Thread(target=run, args=(name,), name=name) for name in ("first", "second")
        ]
        with mute_logger("odoo.sql_db"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
        return outcome

    def _run_job(self):
        """The crediting job's run, in a transaction of its own, committed."""
        with self._connection() as cr:
            api.Environment(cr, SUPERUSER_ID, {})["crm.contribution.queue"]._process()

    def test_two_transactions_mark_the_same_deal_won(self):
        lead_id = self._make_lead()
        outcome = self._race(lambda env, lead: lead.write({"stage_id": self.stage_won_id}), lead_id)
        self.assertEqual(outcome["first"], "committed")
        self.assertEqual(outcome["second"], "SerializationFailure", outcome)
        # Odoo retries a serialization failure: the retry finds the deal won
        # already, and notes nothing more.
        with self._connection() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["crm.lead"].browse(lead_id).write({"stage_id": self.stage_won_id})
        self._run_job()
        self.assertEqual(self._credits(lead_id), [50_000])

    def test_two_jobs_share_the_notes_never_repeat_them(self):
        """Two runs of the crediting job at the same moment (a scheduled run
        and an administrator's "Credit Now"): the second skips the notes the
        first holds, so the deal is credited once."""
        lead_id = self._make_lead()
        with self._connection() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["crm.lead"].browse(lead_id).write({"stage_id": self.stage_won_id})
        outcome = self._race(lambda env, lead: env["crm.contribution.queue"]._process(), lead_id)
        self.assertEqual(outcome, {"first": "committed", "second": "committed"})
        self.assertEqual(self._credits(lead_id), [50_000])
        self._run_job()
        self.assertEqual(self._credits(lead_id), [50_000], "nothing was left to credit")

    def test_two_transactions_credit_the_same_deal_directly(self):
        """Without the lead's row lock (two jobs crediting a won deal), the
        unique index on the open credit refuses the second."""
        lead_id = self._make_lead(won=True)
        # Created won: only Credit Past Wins' path credits it, with a date.
        outcome = self._race(
            lambda env, lead: env["crm.contribution"]._credit_won_leads(
                lead, date=fields.Date.today()
            ),
            lead_id,
        )
        self.assertEqual(outcome["first"], "committed")
        self.assertEqual(outcome["second"], "UserError", outcome)
        self.assertEqual(self._credits(lead_id), [50_000])

    def test_lost_and_won_racing_leave_a_consistent_ledger(self):
        lead_id = self._make_lead()
        with self._connection() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["crm.lead"].browse(lead_id).write({"stage_id": self.stage_won_id})
        self._run_job()

        def lose_or_win(env, lead):
            if lead.active:
                lead.action_set_lost()

        outcome = self._race(lose_or_win, lead_id)
        self.assertEqual(outcome["first"], "committed")
        self.assertIn(outcome["second"], ("SerializationFailure", "committed"))
        self._run_job()
        self.assertEqual(sorted(self._credits(lead_id)), [-50_000, 50_000])

    # ------------------------------------------------------------------
    # PAYOUTS
    # ------------------------------------------------------------------

    def _entry(self, day, state):
        """A committed credit of the race's employee, as crediting writes it."""
        with self._connection() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            return (
                env["crm.contribution"]
                ._insert_entries(
                    [
                        {
                            "employee_id": self.employee_id,
                            "company_id": env.ref("base.main_company").id,
                            "rule_id": self.rule_id,
                            "trigger": "won",
                            "date": day,
                            "payable_date": day,
                            "basis_amount": 200_000,
                            "rate": 5,
                            "share": 1,
                            "amount": 10_000,
                            "wage_type": "incentive",
                            "credit_key": f"race:{uuid.uuid4().hex}",
                            "credit_sequence": 0,
                            "state": state,
                            "explanation": "競合テスト",
                        }
                    ]
                )
                .id
            )

    def _compute_payout(self, month):
        def compute(env, _record):
            payout = env["crm.contribution.payout"].create(
                {
                    "company_id": env.ref("base.main_company").id,
                    "date_from": f"2031-{month:02d}-01",
                    "date_to": f"2031-{month:02d}-28",
                }
            )
            payout.action_compute()

        return compute

    def _payouts(self, month):
        with self._connection() as cr:
            cr.execute(
                "SELECT id FROM crm_contribution_payout WHERE date_from = %s AND state != 'cancel'",
                (f"2031-{month:02d}-01",),
            )
            return [row[0] for row in cr.fetchall()]

    def _entry_state(self, entry_id):
        with self._connection() as cr:
            cr.execute(
                "SELECT state, link.payout_id FROM crm_contribution entry "
                "LEFT JOIN crm_contribution_payout_entry link ON link.entry_id = entry.id "
                "WHERE entry.id = %s",
                (entry_id,),
            )
            return cr.fetchone()

    def test_two_payouts_of_the_same_period(self):
        """Two administrators run the same month at once: the database lets
        one payout through; the other fails and can be retried, and finds
        the month paid."""
        entry_id = self._entry("2031-01-10", "approved")
        outcome = self._race(self._compute_payout(1), None)
        self.assertEqual(outcome["first"], "committed")
        self.assertIn(outcome["second"], ("ExclusionViolation", "SerializationFailure"), outcome)
        payouts = self._payouts(1)
        self.assertEqual(len(payouts), 1, "one payout for the month, never two")
        self.assertEqual(self._entry_state(entry_id), ("approved", payouts[0]))
        # The retry is refused with the reason, in the user's language.
        with self._connection() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            with self.assertRaises(UserError):
                self._compute_payout(1)(env, None)
            cr.rollback()

    def test_an_approval_racing_a_payout(self):
        """A manager approves a credit while the month is being computed:
        the payout does not take what it could not see approved; the credit
        waits, approved, for the next computation. Nothing is lost."""
        entry_id = self._entry("2031-02-10", "draft")

        def approve_or_compute(env, _record):
            if threading.current_thread().name == "first":
                admin = env(user=env.ref("base.user_admin").id)
                admin["crm.contribution"].browse(entry_id).action_approve()
            else:
                self._compute_payout(2)(env, None)

        outcome = self._race(approve_or_compute, None)
        self.assertEqual(outcome, {"first": "committed", "second": "committed"})
        self.assertEqual(self._entry_state(entry_id), ("approved", None))
        # Computing the draft payout again takes it.
        with self._connection() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["crm.contribution.payout"].browse(self._payouts(2)).action_compute()
        self.assertEqual(self._entry_state(entry_id), ("approved", self._payouts(2)[0]))
