from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PayoutCase


@tagged("post_install", "-at_install")
class TestPayoutInBackground(PayoutCase):
    """Issue 16: a payout too large for one request computes and confirms in
    the background, as the user who started it, who is told when it ends."""

    def setUp(self):
        super().setUp()
        self.company.everyone_sells_payout_background_size = 1
        self.cron = self.env.ref("crm_everyone_sells.ir_cron_payout_background")
        # The job works in a cursor of its own: here, one over the test's
        # transaction (its commits are savepoints).
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)

    def two_credits(self):
        """Two approved credits: more than the company's background size (1)."""
        _lead, first = self.won_and_approved(name="大型案件 1")
        _lead, second = self.won_and_approved(name="大型案件 2")
        return first | second

    def _triggers(self):
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])

    def test_small_payouts_run_at_once(self):
        self.company.everyone_sells_payout_background_size = 20_000
        _lead, entries = self.won_and_approved()
        payout = self.payout()
        self.assertIs(payout.action_compute(), True)
        self.assertEqual(payout.entry_ids, entries)
        self.assertFalse(payout.background_state)

    def test_large_compute_runs_as_a_job_and_notifies_its_starter(self):
        entries = self.two_credits()
        payout = self.payout()
        triggers = self._triggers()
        result = payout.with_user(self.user_admin).action_compute()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(payout.background_state, "queued")
        self.assertEqual(payout.background_action, "compute")
        self.assertEqual(payout.background_user_id, self.user_admin)
        self.assertFalse(payout.line_ids, "nothing computed in the request")
        self.assertGreater(self._triggers(), triggers, "the job is woken at once")
        # While it waits, the payout's buttons say so instead of racing it.
        for action in ("action_compute", "action_confirm", "action_cancel"):
            with self.assertRaisesRegex(UserError, "background"):
                getattr(payout.with_user(self.user_admin), action)()
        self.env["crm.contribution.payout"]._cron_background()
        self.assertFalse(payout.background_state)
        self.assertEqual(payout.entry_ids, entries)
        self.assertTrue(payout.line_ids)
        message = payout.message_ids[:1]
        self.assertIn(self.user_admin.partner_id, message.partner_ids, "the starter is notified")
        self.assertIn("done", message.body)

    def test_large_confirm_runs_as_a_job(self):
        self.two_credits()
        payout = self.payout()
        self.company.everyone_sells_payout_background_size = 0  # compute now
        payout.action_compute()
        payout.line_ids.write({"worked_hours": 160})
        self.company.everyone_sells_payout_background_size = 1
        payout.with_user(self.user_admin).action_confirm()
        self.assertEqual(payout.state, "draft")
        self.assertEqual(payout.background_action, "confirm")
        self.env["crm.contribution.payout"]._cron_background()
        self.assertEqual(payout.state, "confirmed")
        self.assertFalse(payout.background_state)

    def test_large_mark_as_paid_runs_as_a_job(self):
        entries = self.two_credits()
        payout = self.payout()
        self.company.everyone_sells_payout_background_size = 0  # compute and confirm now
        payout.action_compute()
        payout.line_ids.write({"worked_hours": 160})
        payout.action_confirm()
        self.company.everyone_sells_payout_background_size = 1
        result = payout.with_user(self.user_admin).action_done()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(payout.state, "confirmed", "nothing paid in the request")
        self.assertEqual(payout.background_action, "done")
        self.assertEqual(set(entries.mapped("state")), {"approved"})
        self.env["crm.contribution.payout"]._cron_background()
        self.assertEqual(payout.state, "done")
        self.assertFalse(payout.background_state)
        entries.invalidate_recordset()
        self.assertEqual(set(entries.mapped("state")), {"paid"})

    def test_a_failed_job_says_why_and_can_be_retried(self):
        self.two_credits()
        payout = self.payout()
        self.company.everyone_sells_payout_background_size = 0
        payout.action_compute()
        self.company.everyone_sells_payout_background_size = 1
        payout.with_user(self.user_admin).action_confirm()  # no hours entered
        self.env["crm.contribution.payout"]._cron_background()
        self.assertEqual(payout.background_state, "failed")
        self.assertIn("hours", payout.background_error)
        self.assertEqual(payout.state, "draft")
        payout.line_ids.write({"worked_hours": 160})
        payout.with_user(self.user_admin).action_confirm()
        self.env["crm.contribution.payout"]._cron_background()
        self.assertEqual(payout.state, "confirmed")

    def test_the_job_fields_are_not_written_by_hand(self):
        payout = self.payout()
        for values in (
            {"background_state": "queued", "background_action": "confirm"},
            {"background_user_id": self.env.ref("base.user_root").id},
        ):
            with self.assertRaisesRegex(UserError, "buttons only"):
                payout.with_user(self.user_admin).write(values)
