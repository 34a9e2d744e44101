"""Approve All Matching (issue 25): a Contribution Manager approves every
credit the list's search matches, however many, in the background, by the
Approve button's rules. Each test acts as the real users, calling the public
method with the context the web client sends (``active_domain``)."""

from datetime import date
from unittest.mock import patch

from odoo import SUPERUSER_ID, Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged, users

from ..models import crm_everyone_sells_job_approve as approve_job
from .common import CONTRIBUTION_MANAGER, EMPLOYEE, SALES_MANAGER, SALESPERSON, ContributionCase
from .test_background_jobs import JobsMixin

# The "To Approve" filter of the credits' search view, as the web client
# sends it (without "Not Mine": the manager's own credits are listed too).
TO_APPROVE = (
    ("state", "=", "draft"),
    ("is_reversed", "=", False),
    ("reversed_entry_id", "=", False),
)


@tagged("post_install", "-at_install")
class TestApproveAllMatching(JobsMixin, ContributionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Another manager: the one who approves what the first one may not.
        cls.user_manager2 = cls._make_user(
            "es_manager2", "木村 陽子", cls.dept_marketing, "crm_everyone_sells.group_manager"
        )

    def won(self, *employees):
        """One won deal per employee; their draft credits. Built as the
        system, whoever the test acts as (``@users``)."""
        acting, self.uid = self.uid, SUPERUSER_ID
        try:
            entries = self.env["crm.contribution"]
            for employee in employees:
                lead = self.make_deal(
                    signal_name=f"受注 {employee.name}", contributors=[(employee, 1, "originator")]
                )
                self.mark_won(lead)
                entries |= self.credits(lead)
        finally:
            self.uid = acting
        self.assertEqual(set(entries.mapped("state")), {"draft"})
        return entries

    def click(self, user, domain=TO_APPROVE, selected=None):
        """Approve All Matching pressed on the credits' list by ``user``:
        the button is called on the selection (maybe none) with the list's
        search in the context."""
        entries = (
            self.env["crm.contribution"]
            .with_user(user)
            .with_context(active_domain=domain, allowed_company_ids=self.company.ids)
        )
        return entries.browse(selected.ids if selected else []).action_approve_matching()

    def matching_jobs(self):
        return self.Job.search([("kind", "=", "approve_matching")])

    # ------------------------------------------------------------------

    def test_approves_every_matching_credit_in_batches_as_the_manager(self):
        entries = self.won(self.employee_support, self.employee_engineer, self.employee_marketer)
        # One credit selected: the search decides, not the selection.
        action = self.click(self.user_manager, selected=entries[:1])
        self.assertEqual(action["params"]["title"], "Running in the background")
        job = self.matching_jobs()
        self.assertEqual(len(job), 1)
        self.assertEqual(job.user_id, self.user_manager)
        self.assertEqual(job.company_id, self.company)
        self.assertEqual(job.progress_total, len(entries))
        self.assertGreaterEqual(job.approve_max_id, max(entries.ids))
        self.assertEqual(set(entries.mapped("state")), {"draft"}, "nothing before the job runs")
        with patch.object(approve_job, "APPROVE_BATCH", 2):
            self.run_step()  # queued → running
            self.run_step()
            self.assertEqual(job.progress_done, 2)
            self.assertEqual(job.state, "running")
            self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(set(entries.mapped("state")), {"approved"})
        self.assertEqual(entries.approved_by_id, self.user_manager)
        self.assertEqual(
            (job.approve_approved_count, job.approve_own_count, job.approve_done_count),
            (len(entries), 0, 0),
        )
        # The manager is told, with the counts.
        note = job.message_ids.filtered(
            lambda message: self.user_manager.partner_id in message.partner_ids
        )
        self.assertEqual(len(note), 1)
        self.assertIn(f"{len(entries)} approved", note.body)

    def test_the_managers_own_credits_and_what_she_made_are_skipped(self):
        others = self.won(self.employee_support)
        own = self.won(self.employee_manager)
        # An award the manager entered: she made it.
        action = (
            self.env["crm.contribution.award"]
            .with_user(self.user_manager)
            .create(
                {
                    "company_id": self.company.id,
                    "employee_id": self.employee_engineer.id,
                    "amount": 10_000,
                    "reason": "社長賞",
                }
            )
            .action_apply()
        )
        made = self.env["crm.contribution"].browse(action["res_id"])
        self.assertEqual(made.state, "draft")
        self.click(self.user_manager)
        self.run_jobs()
        job = self.matching_jobs()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(set(others.mapped("state")), {"approved"})
        self.assertEqual((own | made).mapped("state"), ["draft", "draft"])
        self.assertEqual(
            (job.approve_approved_count, job.approve_own_count, job.approve_done_count),
            (len(others), 2, 0),
        )
        # Another manager's Approve All Matching approves them.
        self.click(self.user_manager2)
        self.run_jobs()
        self.assertEqual((own | made).mapped("state"), ["approved", "approved"])
        self.assertEqual((own | made).approved_by_id, self.user_manager2)

    def test_credits_written_after_the_click_wait(self):
        before = self.won(self.employee_support)
        self.click(self.user_manager)
        after = self.won(self.employee_engineer)
        self.run_jobs()
        self.assertEqual(self.matching_jobs().state, "done")
        self.assertEqual(before.state, "approved")
        self.assertEqual(after.state, "draft")

    def test_a_credit_approved_meanwhile_is_counted_as_such(self):
        entries = self.won(self.employee_support, self.employee_engineer)
        # The list's search without the state: what another manager approves
        # after the click is still matched, and counted, not approved again.
        self.click(self.user_manager, domain=[("reversed_entry_id", "=", False)])
        entries[:1].with_user(self.user_admin).action_approve()
        self.run_jobs()
        job = self.matching_jobs()
        self.assertEqual((job.approve_approved_count, job.approve_done_count), (1, 1))
        self.assertEqual(entries[:1].approved_by_id, self.user_admin)
        self.assertEqual(entries[1:].approved_by_id, self.user_manager)

    def test_a_search_never_widens_what_the_manager_may_read(self):
        entries = self.won(self.employee_support)
        # A credit of a company the manager does not work in.
        stranger = self.env["hr.employee"].create(
            {"name": "別会社 社員", "company_id": self.other_company.id}
        )
        foreign = (
            self.env["crm.contribution"]
            .sudo()
            ._insert_entries(
                [
                    {
                        "employee_id": stranger.id,
                        "company_id": self.other_company.id,
                        "lead_name": "別会社の受注",
                        "trigger": "adjustment",
                        "date": date(2024, 5, 20),
                        "payable_date": date(2024, 5, 20),
                        "amount": 10_000,
                        "share": 1.0,
                        "wage_type": "incentive",
                        "credit_key": f"adjustment:approve-matching:{stranger.id}",
                        "state": "draft",
                        "explanation": "調整",
                    }
                ]
            )
        )
        # A search that names the other company, or matches everything.
        with self.assertRaisesRegex(UserError, "No credit waiting"):
            self.click(self.user_manager, domain=[("company_id", "=", self.other_company.id)])
        self.click(self.user_manager, domain=["|", ("id", ">", 0), ("company_id", "!=", False)])
        # A context that names the other company is refused by Odoo.
        with self.assertRaises(AccessError):
            self.env["crm.contribution"].with_user(self.user_manager).with_context(
                active_domain=[], allowed_company_ids=[self.other_company.id]
            ).action_approve_matching()
        self.run_jobs()
        self.assertEqual(self.matching_jobs().state, "done")
        self.assertEqual(entries.state, "approved")
        self.assertEqual(foreign.with_env(self.env).state, "draft")

    def test_the_job_runs_with_the_managers_rights_at_run_time(self):
        entries = self.won(self.employee_support)
        self.click(self.user_manager)
        # She is no longer a Contribution Manager when the job runs.
        self.user_manager.write(
            {"groups_id": [Command.unlink(self.env.ref("crm_everyone_sells.group_manager").id)]}
        )
        self.run_jobs()
        job = self.matching_jobs()
        self.assertEqual(job.state, "failed")
        self.assertIn("Only contribution managers", job.error)
        self.assertEqual(entries.state, "draft")

    def test_a_search_that_is_not_one_is_refused(self):
        self.won(self.employee_support)
        for domain in (
            None,
            "[(1, '=', 1)]",
            [("no_such_field", "=", 1)],
            [("state", "=", "draft"), "|"],
            [("id", "in", list(range(5000)))],
        ):
            with self.subTest(domain=str(domain)[:40]), self.assertRaises(UserError):
                self.click(self.user_manager, domain=domain)
        self.assertFalse(self.matching_jobs())

    def test_nothing_waiting_is_said_at_once(self):
        with self.assertRaisesRegex(UserError, "No credit waiting"):
            self.click(self.user_manager)
        self.assertFalse(self.matching_jobs())

    def test_the_approval_queue_shows_the_button_to_managers(self):
        action = self.env.ref("crm_everyone_sells.crm_contribution_action_approval")
        list_view = next(view for view, mode in action.views if mode == "list")
        arch = (
            self.env["crm.contribution"]
            .with_user(self.user_manager)
            .get_views([(list_view, "list")])["views"]["list"]["arch"]
        )
        self.assertIn("action_approve_matching", arch)
        # Elsewhere, the ledger's list has no such button.
        ledger = self.env.ref("crm_everyone_sells.crm_contribution_view_list")
        arch = (
            self.env["crm.contribution"]
            .with_user(self.user_manager)
            .get_views([(ledger.id, "list")])["views"]["list"]["arch"]
        )
        self.assertNotIn("action_approve_matching", arch)

    @users(EMPLOYEE, SALESPERSON, SALES_MANAGER)
    def test_only_contribution_managers_run_it(self):
        with self.assertRaisesRegex(UserError, "Only contribution managers"):
            self.env["crm.contribution"].with_context(
                active_domain=TO_APPROVE
            ).action_approve_matching()
        # Nobody creates a job by hand either.
        with self.assertRaises(AccessError):
            self.env["crm.everyone.sells.job"].create(
                {"kind": "approve_matching", "company_id": self.company.id}
            )
        self.assertFalse(self.matching_jobs())

    @users(CONTRIBUTION_MANAGER)
    def test_an_rpc_caller_passes_the_domain_as_an_argument(self):
        entries = self.won(self.employee_support)
        self.env["crm.contribution"].action_approve_matching(TO_APPROVE)
        self.run_jobs()
        self.assertEqual(entries.state, "approved")
