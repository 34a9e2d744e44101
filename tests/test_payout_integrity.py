"""Paid means a line paid it (issue 21, items 3, 10 and 13).

Confirming refuses a payout whose entries changed since Compute (a deal
lost, a credit added, a line deleted) and says what changed; Compute again
shows the difference and nets a loss before payment. A deleted draft line
releases its credits; Mark as Paid pays exactly the credits of the lines; a
payout is born a draft.
"""

import xmlrpc.client

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import SQL

from .common import PayoutCase
from .test_background_jobs import JobsMixin


class IntegrityCase(PayoutCase):
    def two_deals(self):
        """Sato's (support) and Suzuki's (engineer) approved credits."""
        lead_sato, sato = self.won_and_approved(name="佐藤さんの件")
        lead_suzuki, suzuki = self.won_and_approved(
            contributors=[(self.employee_engineer, 1, "originator")], name="鈴木さんの件"
        )
        self.assertTrue(sato and suzuki)
        return lead_sato, sato, lead_suzuki, suzuki

    def delete_line_in_sql(self, payout, employee):
        """``employee``'s line of ``payout`` gone by SQL, its credits still
        taken: however a line went missing, not through the ORM."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "DELETE FROM crm_contribution_payout_line WHERE id = %s",
                self.line_of(payout, employee).id,
            )
        )
        self.env.invalidate_all()

    def confirm(self, payout):
        payout.line_ids.filtered("incentive_amount").write({"worked_hours": 160})
        payout.action_confirm()


@tagged("post_install", "-at_install")
class TestPaidMeansALinePaidIt(IntegrityCase):
    def test_a_deleted_line_releases_its_credits_and_confirm_says_so(self):
        _lead, sato, _lead2, suzuki = self.two_deals()
        payout = self.payout()
        payout.action_compute()
        self.line_of(payout, self.employee_engineer).with_user(self.user_admin).unlink()
        # Back in the pool: no payout holds them.
        self.assertFalse(suzuki.payout_id)
        self.assertEqual(sato.payout_id, payout)
        self.assertEqual(payout.removed_employee_ids, self.employee_engineer)
        with self.assertRaisesRegex(UserError, "Lines were deleted since Compute.*鈴木"):
            self.confirm(payout)
        self.assertEqual(payout.state, "draft")
        # Compute again: the line is back, the payout pays both.
        payout.action_compute()
        self.assertFalse(payout.removed_employee_ids)
        self.assertEqual(self.line_of(payout, self.employee_engineer).incentive_amount, 50_000)
        self.confirm(payout)
        payout.action_done()
        self.assertEqual(set((sato | suzuki).mapped("state")), {"paid"})

    def test_the_lines_are_theirs_to_delete_only_in_a_draft(self):
        self.two_deals()
        payout = self.payout()
        payout.action_compute()
        self.confirm(payout)
        line = self.line_of(payout, self.employee_engineer)
        with self.assertRaisesRegex(UserError, "payroll history"):
            line.with_user(self.user_admin).unlink()
        self.assertEqual(line.entry_ids.payout_id, payout, "nothing was released")

    def test_a_deal_lost_after_compute_is_refused_then_netted(self):
        lead_sato, sato, _lead2, suzuki = self.two_deals()
        payout = self.payout()
        payout.action_compute()
        lead_sato.action_set_lost()
        self.run_crediting()
        reversal = self.env["crm.contribution"].search([("reversed_entry_id", "in", sato.ids)])
        self.assertTrue(reversal)
        with self.assertRaisesRegex(UserError, "reversed since Compute.*佐藤"):
            self.confirm(payout)
        self.assertEqual(payout.state, "draft")
        payout.action_compute()
        # Netted before payment: Sato is paid nothing, and owes nothing back.
        sato_line = self.line_of(payout, self.employee_support)
        self.assertEqual(sum(sato_line.mapped("payable_amount")), 0)
        self.assertEqual(sum(sato_line.mapped("clawback_amount")), 0)
        note = payout.message_ids.filtered(lambda m: "Computed again" in (m.body or ""))
        self.assertIn("50,000", note.body)
        self.confirm(payout)
        payout.action_done()
        self.assertEqual(suzuki.state, "paid")
        # Whatever of Sato's the payout took, it took both halves, with a line.
        taken = (sato | reversal).filtered("payout_id")
        self.assertIn(len(taken), (0, 2))
        if taken:
            self.assertTrue(sato_line)
            self.assertEqual(set(taken.mapped("state")), {"paid"})

    def test_a_credit_approved_after_compute_is_refused(self):
        self.two_deals()
        payout = self.payout()
        payout.action_compute()
        late = self.make_deal(
            signal_name="後からの承認", contributors=[(self.employee_marketer, 1, "originator")]
        )
        self.mark_won(late)
        self.credits(late).with_user(self.user_admin).action_approve()
        with self.assertRaisesRegex(UserError, "became payable.*高橋"):
            self.confirm(payout)
        payout.action_compute()
        self.assertEqual(self.line_of(payout, self.employee_marketer).incentive_amount, 50_000)
        self.confirm(payout)
        self.assertEqual(payout.state, "confirmed")

    def test_a_reduction_after_compute_is_refused(self):
        """A dispute's negative adjustment of a credit the payout took,
        entered after Compute: Confirm says so (a reduction follows its
        credit as a reversal does)."""
        _lead, sato, _lead2, _suzuki = self.two_deals()
        payout = self.payout()
        payout.action_compute()
        dispute = (
            self.env["crm.contribution.dispute"]
            .with_user(self.user_support)
            .create({"contribution_id": sato[:1].id, "reason": "重複しています"})
        )
        action = dispute.with_user(self.user_manager).action_accept()
        self.env[action["res_model"]].with_user(self.user_manager).with_context(
            **action["context"]
        ).create({"amount": -10_000, "explanation": "重複分を減額"}).action_apply()
        self.assertEqual(dispute.adjustment_id.reduced_entry_id, sato[:1])
        with self.assertRaisesRegex(UserError, "reversed since Compute.*佐藤"):
            self.confirm(payout)
        self.assertEqual(payout.state, "draft")

    def test_credits_taken_for_an_employee_without_a_line_are_refused(self):
        self.two_deals()
        payout = self.payout()
        payout.action_compute()
        # However a line went missing (here: by SQL), its credits still taken.
        self.delete_line_in_sql(payout, self.employee_engineer)
        with self.assertRaisesRegex(UserError, "employees without a line: 鈴木"):
            self.confirm(payout)
        self.assertEqual(payout.state, "draft")

    def test_mark_as_paid_pays_only_the_credits_of_lines(self):
        _lead, sato, _lead2, suzuki = self.two_deals()
        payout = self.payout()
        payout.action_compute()
        self.confirm(payout)
        # However a line went missing (here: by SQL), its credits are not paid.
        self.delete_line_in_sql(payout, self.employee_engineer)
        payout.action_done()
        self.assertEqual(set(sato.mapped("state")), {"paid"})
        self.assertEqual(set(suzuki.mapped("state")), {"approved"})

    def test_a_payout_is_born_a_draft(self):
        Payout = self.env["crm.contribution.payout"].with_user(self.user_admin)
        values = {
            "company_id": self.company.id,
            "date_from": self.month_start,
            "date_to": self.month_end,
        }
        for extra, context in (
            ({"state": "done"}, {}),
            ({"state": "confirmed"}, {}),
            ({}, {"default_state": "done"}),
            ({"removed_employee_ids": [(6, 0, self.employee_support.ids)]}, {}),
            ({"background_job_state": "running"}, {}),
        ):
            with (
                self.subTest(extra=extra, context=context),
                self.assertRaisesRegex(UserError, "draft|never given"),
            ):
                Payout.with_context(**context).create({**values, **extra})
        self.assertFalse(Payout.search([("date_from", "=", self.month_start)]))
        payout = Payout.create({**values, "state": "draft"})
        self.assertEqual(payout.state, "draft")
        with self.assertRaisesRegex(UserError, "buttons"):
            payout.write({"state": "done"})

    def test_confirm_and_pay_in_queries_that_do_not_grow_with_employees(self):
        def run(employees):
            self.win_and_approve_each(employees)
            payout = self.payout()
            payout.action_compute()
            payout.line_ids.write({"worked_hours": 160})
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            changes = payout._changes_since_compute()
            checked = self.env.cr.sql_log_count - before
            self.assertFalse(changes)
            payout.action_confirm()
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            payout.action_done()
            self.env.flush_all()
            paid = self.env.cr.sql_log_count - before
            # Leave the period free for the next run.
            self.env.cr.execute(
                SQL("UPDATE crm_contribution_payout SET state = 'cancel' WHERE id = %s", payout.id)
            )
            self.env.invalidate_all()
            return checked, paid

        run(self.employee_marketer)  # warm the caches
        few = run(self.employee_support)
        many = run(self.employee_engineer | self.employee_manager | self.employee_without_user)
        self.assertLessEqual(many[0], few[0], (few, many))
        self.assertLessEqual(many[1], few[1], (few, many))


@tagged("post_install", "-at_install")
class TestPaidMeansALinePaidItInBackground(JobsMixin, IntegrityCase):
    """The same guarantees when Confirm runs as a background job."""

    def test_a_deal_lost_before_the_job_runs_fails_it_and_says_why(self):
        lead_sato, _sato, _lead2, suzuki = self.two_deals()
        payout = self.payout()
        payout.action_compute()
        payout.line_ids.write({"worked_hours": 160})
        self.company.everyone_sells_payout_background_size = 1
        payout.with_user(self.user_admin).action_confirm()
        job = payout.background_job_id
        self.assertEqual(job.kind, "payout_confirm")
        lead_sato.action_set_lost()
        self.run_crediting()
        self.run_jobs()
        self.assertEqual(job.state, "failed")
        self.assertEqual(payout.background_job_state, "failed")
        self.assertIn("reversed since Compute", job.error)
        self.assertEqual(payout.state, "draft")
        self.company.everyone_sells_payout_background_size = 0
        payout.action_compute()
        payout.line_ids.filtered("incentive_amount").write({"worked_hours": 160})
        payout.action_confirm()
        payout.action_done()
        self.assertEqual(suzuki.state, "paid")
        self.assertEqual(
            sum(self.line_of(payout, self.employee_support).mapped("payable_amount")), 0
        )


@tagged("post_install", "-at_install")
class TestPayoutIntegrityOverXmlRpc(HttpCase, IntegrityCase):
    """Items 3 and 13 the way they were done: the administrator over XML-RPC."""

    def rpc(self, model, method, args, **kwargs):
        uid = self.xmlrpc_common.authenticate(self.env.cr.dbname, "es_admin", "es_admin", {})
        self.assertEqual(uid, self.user_admin.id)
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, uid, "es_admin", model, method, args, kwargs
        )

    def test_a_deleted_line_is_never_paid(self):
        _lead, sato, _lead2, suzuki = self.two_deals()
        payout_id = self.rpc(
            "crm.contribution.payout",
            "create",
            [
                {
                    "company_id": self.company.id,
                    "date_from": str(self.month_start),
                    "date_to": str(self.month_end),
                }
            ],
        )
        self.rpc("crm.contribution.payout", "action_compute", [[payout_id]])
        payout = self.env["crm.contribution.payout"].browse(payout_id)
        line = self.line_of(payout, self.employee_engineer)
        self.rpc("crm.contribution.payout.line", "unlink", [line.ids])
        self.rpc(
            "crm.contribution.payout.line",
            "write",
            [payout.line_ids.ids, {"worked_hours": 160}],
        )
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            self.rpc("crm.contribution.payout", "action_confirm", [[payout_id]])
        self.assertIn("Lines were deleted since Compute", caught.exception.faultString)
        with self.assertRaises(xmlrpc.client.Fault):
            self.rpc("crm.contribution.payout", "action_done", [[payout_id]])
        self.env.invalidate_all()
        self.assertEqual(payout.state, "draft")
        self.assertEqual(set(suzuki.mapped("state")), {"approved"})
        self.assertFalse(suzuki.payout_id)
        # Computed again, Suzuki is paid by a line of his own.
        self.rpc("crm.contribution.payout", "action_compute", [[payout_id]])
        self.env.invalidate_all()
        self.rpc(
            "crm.contribution.payout.line",
            "write",
            [payout.line_ids.ids, {"worked_hours": 160}],
        )
        self.rpc("crm.contribution.payout", "action_confirm", [[payout_id]])
        self.rpc("crm.contribution.payout", "action_done", [[payout_id]])
        self.env.invalidate_all()
        self.assertEqual(set((sato | suzuki).mapped("state")), {"paid"})
        self.assertEqual(
            self.line_of(payout, self.employee_engineer).entry_ids, suzuki, "paid by his line"
        )

    def test_a_payout_created_paid_is_refused(self):
        self.two_deals()
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            self.rpc(
                "crm.contribution.payout",
                "create",
                [
                    {
                        "company_id": self.company.id,
                        "date_from": str(self.month_start),
                        "date_to": str(self.month_end),
                        "state": "done",
                    }
                ],
            )
        self.assertIn("created as a draft", caught.exception.faultString)
        self.assertFalse(
            self.env["crm.contribution.payout"].search([("date_from", "=", self.month_start)])
        )
