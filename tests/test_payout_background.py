from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PayoutCase
from .test_background_jobs import JobsMixin


@tagged("post_install", "-at_install")
class TestPayoutInBackground(JobsMixin, PayoutCase):
    """Issue 16, then 24: a payout too large for one request computes,
    confirms and is marked paid as a background job (crm.everyone.sells.job),
    as the user who pressed the button, who is told when it ends; meanwhile
    nobody computes, confirms, changes or cancels it."""

    def setUp(self):
        super().setUp()
        self.company.everyone_sells_payout_background_size = 1

    def two_approved_credits(self):
        """Two approved credits: more than the company's background size (1)."""
        _lead, first = self.won_and_approved(name="大型案件 1")
        _lead, second = self.won_and_approved(name="大型案件 2")
        return first | second

    def computed(self):
        """A payout computed at once, hours entered; then back to the size of 1."""
        entries = self.two_approved_credits()
        payout = self.payout()
        self.company.everyone_sells_payout_background_size = 0
        payout.action_compute()
        payout.line_ids.write({"worked_hours": 160})
        self.company.everyone_sells_payout_background_size = 1
        return payout, entries

    def payout_jobs(self, payout):
        return self.Job.search([("payout_id", "=", payout.id)])

    def test_small_payouts_run_at_once(self):
        self.company.everyone_sells_payout_background_size = 20_000
        _lead, entries = self.won_and_approved()
        payout = self.payout()
        self.assertIs(payout.action_compute(), True)
        self.assertEqual(payout.entry_ids, entries)
        self.assertFalse(payout.background_job_id)
        self.assertFalse(self.payout_jobs(payout))

    def test_large_compute_runs_as_a_job_and_notifies_its_starter(self):
        entries = self.two_approved_credits()
        payout = self.payout()
        triggers = self.triggers()
        result = payout.with_user(self.user_admin).action_compute()
        self.assertEqual(result["tag"], "display_notification")
        job = self.payout_jobs(payout)
        self.assertEqual(len(job), 1)
        self.assertEqual(job.kind, "payout_compute")
        self.assertEqual(job.user_id, self.user_admin)
        self.assertEqual(job.state, "queued")
        self.assertEqual(result["params"]["links"][0]["url"], job._url())
        self.assertEqual(payout.background_job_id, job)
        self.assertEqual(payout.background_job_state, "queued")
        self.assertFalse(payout.line_ids, "nothing computed in the request")
        self.assertGreater(self.triggers(), triggers, "the one job runner is woken at once")
        self.run_jobs()
        self.assertEqual(job.state, "done")
        self.assertEqual(payout.background_job_state, "done")
        self.assertEqual(payout.entry_ids, entries)
        self.assertTrue(payout.line_ids)
        self.assertEqual(payout.line_ids.create_uid, self.user_admin, "run as its starter")
        message = job.message_ids[:1]
        self.assertIn(self.user_admin.partner_id, message.partner_ids, "the starter is notified")
        self.assertIn("done", message.body)
        self.assertIn(f"/odoo/crm.contribution.payout/{payout.id}", message.body)

    def test_nobody_races_a_waiting_or_running_job(self):
        self.two_approved_credits()
        payout = self.payout()
        payout.with_user(self.user_admin).action_compute()
        other_admin = self._make_user(
            "es_admin_other", "井上 学", self.dept_sales, "crm_everyone_sells.group_admin"
        )
        for state in ("queued", "running"):
            if state == "running":
                self.run_step()  # the first step only marks the job running
                self.assertEqual(payout.background_job_state, "running")
            for user in (self.user_admin, other_admin):
                mine = payout.with_user(user)
                for attempt in (
                    mine.action_compute,
                    mine.action_confirm,
                    mine.action_cancel,
                    mine.unlink,
                    lambda mine=mine: mine.write({"payment_date": self.month_end}),
                ):
                    with (
                        self.subTest(state=state, user=user.login, attempt=attempt),
                        self.assertRaisesRegex(UserError, "background"),
                    ):
                        attempt()
        self.assertEqual(len(self.payout_jobs(payout)), 1, "no second job")
        self.run_jobs()
        self.assertTrue(payout.line_ids)
        payout.with_user(self.user_admin).write({"payment_date": self.month_end})

    def test_large_confirm_runs_as_a_job(self):
        payout, _entries = self.computed()
        payout.with_user(self.user_admin).action_confirm()
        self.assertEqual(payout.state, "draft")
        self.assertEqual(payout.background_job_id.kind, "payout_confirm")
        self.run_jobs()
        self.assertEqual(payout.state, "confirmed")
        self.assertEqual(payout.background_job_state, "done")

    def test_large_mark_as_paid_runs_as_a_job(self):
        payout, entries = self.computed()
        self.company.everyone_sells_payout_background_size = 0
        payout.action_confirm()
        self.company.everyone_sells_payout_background_size = 1
        result = payout.with_user(self.user_admin).action_done()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(payout.state, "confirmed", "nothing paid in the request")
        self.assertEqual(payout.background_job_id.kind, "payout_done")
        self.assertEqual(set(entries.mapped("state")), {"approved"})
        self.run_jobs()
        self.assertEqual(payout.state, "done")
        self.assertEqual(set(entries.mapped("state")), {"paid"})

    def test_a_failed_job_says_why_and_is_retried_by_its_starter(self):
        payout, _entries = self.computed()
        payout.line_ids.write({"worked_hours": 0})
        payout.with_user(self.user_admin).action_confirm()  # no hours entered
        self.run_jobs()
        job = payout.background_job_id
        self.assertEqual(job.state, "failed")
        self.assertEqual(payout.background_job_state, "failed")
        self.assertIn("hours", job.error)
        self.assertEqual(payout.state, "draft")
        self.assertIn(self.user_admin.partner_id, job.message_ids[:1].partner_ids)
        payout.line_ids.write({"worked_hours": 160})
        job.with_user(self.user_admin).action_retry()
        payout.invalidate_recordset()  # as the form reads it again
        self.assertEqual(payout.background_job_state, "queued")
        self.run_jobs()
        self.assertEqual(job.state, "done")
        self.assertEqual(payout.state, "confirmed")

    def test_a_failed_job_is_not_retried_while_another_works_on_the_payout(self):
        payout, _entries = self.computed()
        payout.line_ids.write({"worked_hours": 0})
        payout.with_user(self.user_admin).action_confirm()
        self.run_jobs()
        failed = payout.background_job_id
        payout.line_ids.write({"worked_hours": 160})
        payout.with_user(self.user_admin).action_compute()  # a new job, queued
        self.assertNotEqual(payout.background_job_id, failed)
        with self.assertRaisesRegex(UserError, "background"):
            failed.with_user(self.user_admin).action_retry()
        self.assertEqual(failed.state, "failed")

    def test_the_job_needs_its_starters_rights_when_it_runs(self):
        payout, _entries = self.computed()
        payout.with_user(self.user_admin).action_confirm()
        # Administrator no longer: the job, run as them, may not confirm.
        self.user_admin.groups_id -= self.env.ref("crm_everyone_sells.group_admin")
        self.run_jobs()
        self.assertEqual(payout.background_job_state, "failed")
        self.assertEqual(payout.state, "draft")

    def test_the_job_fields_are_not_written_by_hand(self):
        self.two_approved_credits()
        payout = self.payout()
        payout.action_compute()
        job = payout.background_job_id
        for values in (
            {"background_job_state": "done"},
            {"background_job_id": False},
        ):
            with self.assertRaisesRegex(UserError, "buttons only"):
                payout.with_user(self.user_admin).write(values)
        self.assertEqual(job.state, "queued")
        # A client's context key does not run the work in the request either.
        with self.assertRaisesRegex(UserError, "background"):
            payout.with_user(self.user_admin).with_context(
                everyone_sells_payout_job=True
            ).action_compute()

    def test_the_payouts_own_scheduled_action_is_gone(self):
        self.assertFalse(
            self.env.ref("crm_everyone_sells.ir_cron_payout_background", raise_if_not_found=False)
        )
        self.assertFalse(
            self.env["ir.cron"].search_count([("code", "=", "model._cron_background()")])
        )
        self.assertNotIn("background_state", self.env["crm.contribution.payout"]._fields)
