from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import SQL

from ..models.ledger_audit import CHECKS
from .common import PayoutCase
from .test_background_jobs import JobsMixin


@tagged("post_install", "-at_install")
class TestLedgerAudit(JobsMixin, PayoutCase):
    """Each invariant of the ledger: a ledger state that breaks it (written
    in SQL, as no caller should manage to), found by the audit; a clean
    ledger, nothing found; a payout breaking one, not confirmed."""

    def setUp(self):
        super().setUp()
        self.Finding = self.env["crm.contribution.audit.finding"]

    # ------------------------------------------------------------------

    def sql(self, query, *args):
        self.env.flush_all()
        self.env.cr.execute(SQL(query, *args))
        self.env.invalidate_all()

    def found(self):
        """{(check, entry id, payout id)} the audit finds in our company."""
        return set(self.Finding._audit_rows(companies=self.company))

    def checks_found(self):
        return {check for check, _entry, _payout in self.found()}

    def paid_payout(self):
        """A month paid: a won credit approved by the administrator, paid."""
        lead, entries = self.won_and_approved()
        payout = self.payout()
        payout.action_compute()
        payout.line_ids.write({"worked_hours": 160})
        payout.action_confirm()
        payout.action_done()
        return lead, entries, payout

    # ------------------------------------------------------------------

    def test_every_check_has_a_query_and_labels(self):
        codes = [check.code for check in CHECKS]
        self.assertEqual(len(codes), len(set(codes)))
        for check in CHECKS:
            self.assertTrue(check.label and str(check.description))

    def test_clean_ledger_finds_nothing(self):
        lead, _entries, _payout = self.paid_payout()
        # Lost after payment: a clawback, settled by the next payout.
        lead.action_set_lost()
        self.run_crediting()
        following = self.payout(self.next_start, self.next_end)
        following.action_compute()
        self.assertTrue(following.line_ids.clawback_amount)
        following.line_ids.write({"worked_hours": 160})
        following.action_confirm()
        following.action_done()
        self.assertEqual(self.found(), set())
        self.assertFalse(self.Finding._run_audit(self.company))

    def test_paid_entry_without_a_line(self):
        _lead, entries, payout = self.paid_payout()
        self.sql("DELETE FROM crm_contribution_payout_line WHERE payout_id = %s", payout.id)
        self.assertEqual(
            self.found(), {("paid_by_a_line", entry.id, payout.id) for entry in entries}
        )

    def test_paid_entry_of_no_payout(self):
        """A paid payout's links gone: its entries read unpaid again (paid is
        the payout's), and the paid lines' totals have no entries behind
        them. An entry stored paid (older databases) in no payout is found
        too."""
        _lead, entries, payout = self.paid_payout()
        self.sql("DELETE FROM crm_contribution_payout_entry WHERE payout_id = %s", payout.id)
        self.assertEqual(set(entries.mapped("state")), {"approved"})
        self.assertIn("line_totals", self.checks_found())
        self.sql("UPDATE crm_contribution SET state = 'paid' WHERE id IN %s", tuple(entries.ids))
        self.assertIn("paid_by_a_line", self.checks_found())

    def test_line_total_differs_from_its_entries(self):
        _lead, entries, payout = self.paid_payout()
        self.sql(
            "UPDATE crm_contribution_payout_line SET incentive_amount = incentive_amount + 1,"
            " payable_amount = payable_amount + 1 WHERE payout_id = %s",
            payout.id,
        )
        self.assertEqual(self.found(), {("line_totals", entries.id, payout.id)})

    def test_line_pays_more_than_incentive_less_deduction(self):
        _lead, _entries, payout = self.paid_payout()
        self.sql(
            "UPDATE crm_contribution_payout_line SET payable_amount = payable_amount + 100"
            " WHERE payout_id = %s",
            payout.id,
        )
        self.assertEqual(self.checks_found(), {"line_totals"})

    def test_clawback_neither_deducted_nor_outstanding(self):
        lead, _entries, _payout = self.paid_payout()
        lead.action_set_lost()
        self.run_crediting()
        following = self.payout(self.next_start, self.next_end)
        following.action_compute()
        following.line_ids.write({"worked_hours": 160})
        following.action_confirm()
        following.action_done()
        self.assertEqual(self.found(), set())
        # The clawback forgotten: neither deducted nor outstanding.
        self.sql(
            "UPDATE crm_contribution_payout_line SET carry_out_amount = 0, deducted_amount = 0"
            " WHERE payout_id = %s",
            following.id,
        )
        self.assertIn("clawback_settled", self.checks_found())

    def test_reversal_of_paid_credit_waiting_for_approval(self):
        lead, _entries, _payout = self.paid_payout()
        lead.action_set_lost()
        self.run_crediting()
        reversal = self.env["crm.contribution"].search(
            [("lead_id", "=", lead.id), ("reversed_entry_id", "!=", False)]
        )
        self.sql("UPDATE crm_contribution SET state = 'draft' WHERE id = %s", reversal.id)
        self.assertEqual(self.found(), {("clawback_settled", reversal.id, False)})

    def test_credit_of_lost_deal_not_reversed(self):
        lead = self.make_deal()
        self.mark_won(lead)
        credit_entries = self.credits(lead)
        # Archived behind the ORM's back: nothing queued, nothing reversed.
        self.sql(
            "UPDATE crm_lead SET active = FALSE, everyone_sells_is_won = FALSE WHERE id = %s",
            lead.id,
        )
        self.assertEqual(
            self.found(), {("lost_deal_reversed", credit.id, False) for credit in credit_entries}
        )
        # Reversed once the crediting job looks at it again: nothing left.
        self.env["crm.contribution.queue"]._enqueue(lead.with_context(active_test=False))
        self.assertEqual(self.found(), set(), "a deal waiting in the queue is not yet due")
        self.run_crediting()
        self.assertEqual(self.found(), set())

    def test_credit_of_deleted_deal_not_reversed(self):
        lead = self.make_deal()
        self.mark_won(lead)
        credit_entries = self.credits(lead)
        self.sql(
            "UPDATE crm_contribution SET lead_id = NULL WHERE id IN %s", tuple(credit_entries.ids)
        )
        self.assertEqual(self.checks_found(), {"lost_deal_reversed"})

    def test_deleting_a_credited_deal_reverses_its_credits(self):
        """Found by the fuzzer: a sales manager deleted a won deal, its
        credits stayed open with no deal (then approved and paid)."""
        lead = self.make_deal()
        self.mark_won(lead)
        credit_entries = self.credits(lead)
        self.assertTrue(credit_entries)
        lead.with_user(self.user_sales_manager).unlink()
        self.run_crediting()
        reversals = self.env["crm.contribution"].search(
            [("reversed_entry_id", "in", credit_entries.ids)]
        )
        self.assertEqual(reversals.reversed_entry_id, credit_entries)
        self.assertEqual(sum((credit_entries | reversals).mapped("amount")), 0)
        self.assertEqual(self.found(), set())

    def test_merging_credited_deals_keeps_one_credit(self):
        first = self.make_deal(signal_name="統合元")
        second = self.make_deal(signal_name="統合先")
        self.mark_won(first)
        self.mark_won(second)
        merged = (first | second).with_user(self.user_sales_manager)._merge_opportunity()
        self.run_crediting()
        self.assertEqual(self.found(), set())
        open_credits = self.env["crm.contribution"]._open_credits_for(leads=merged)
        self.assertEqual(
            len(open_credits.filtered(lambda e: e.employee_id == self.employee_support)), 1
        )

    def test_approved_by_its_beneficiary(self):
        lead = self.make_deal()
        self.mark_won(lead)
        credit = self.credits(lead)
        self.sql(
            "UPDATE crm_contribution SET state = 'approved', approved_by_id = %s WHERE id = %s",
            self.user_support.id,
            credit.id,
        )
        self.assertEqual(self.found(), {("approved_by_another", credit.id, False)})

    def test_approved_by_its_maker(self):
        lead = self.make_deal()
        self.mark_won(lead)
        credit = self.credits(lead)
        credit.with_user(self.user_manager).action_approve()
        self.assertEqual(self.found(), set())
        self.sql(
            "UPDATE crm_contribution SET maker_id = %s WHERE id = %s",
            self.user_manager.id,
            credit.id,
        )
        self.assertEqual(self.found(), {("approved_by_another", credit.id, False)})
        if "approval_exception_reason" in credit._fields:
            self.sql(
                "UPDATE crm_contribution SET approval_exception_reason = 'pilot' WHERE id = %s",
                credit.id,
            )
            self.assertEqual(self.found(), set(), "a listed exception")

    def test_credit_dated_before_the_win(self):
        lead = self.make_deal()
        self.mark_won(lead)
        credit = self.credits(lead)
        self.sql(
            "UPDATE crm_contribution SET date = date - 10 WHERE id = %s",
            credit.id,
        )
        self.assertEqual(self.found(), {("dated_when_observed", credit.id, False)})

    def test_credit_past_wins_may_date_in_the_past(self):
        """Credit Past Wins, an administrator's act with a written reason,
        dates credits in the past: not a finding."""
        leads = self.imported_wins(count=1)
        self.company.everyone_sells_job_background_size = 0
        wizard = (
            self.env["crm.contribution.credit.history"]
            .with_user(self.user_admin)
            .create(
                {
                    "lead_ids": [Command.set(leads.ids)],
                    "date": fields.Date.today() - timedelta(days=40),
                    "reason": "導入前の受注",
                }
            )
        )
        wizard.action_apply()
        self.assertTrue(self.ledger(leads))
        self.assertEqual(self.found(), set())

    # ------------------------------------------------------------------
    # CONFIRMATION: that payout's entries only
    # ------------------------------------------------------------------

    def test_confirmation_refuses_a_line_removed(self):
        """Issue #21, 3: a line deleted from a draft payout, its credit paid
        with no line. The audit at Confirm refuses it."""
        _lead, entries = self.won_and_approved(
            contributors=[
                (self.employee_support, 1, "originator"),
                (self.employee_engineer, 1, "other"),
            ]
        )
        payout = self.payout()
        payout.action_compute()
        payout.line_ids.write({"worked_hours": 160})
        removed = self.line_of(payout, self.employee_support)
        removed.with_user(self.user_admin).unlink()
        orphan = entries.filtered(lambda e: e.employee_id == self.employee_support)
        if orphan.payout_id == payout:  # unless deleting the line released it
            self.assertEqual(
                set(self.Finding._audit_rows(payouts=payout)),
                {("paid_by_a_line", orphan.id, payout.id)},
            )
            with self.assertRaisesRegex(UserError, "Paid without a payout line"):
                payout.with_user(self.user_admin).action_confirm()
            self.assertEqual(payout.state, "draft")

    def test_confirmation_refuses_a_credit_lost_after_compute(self):
        """Issue #21, 10: a deal lost after Compute, before Confirm."""
        lead, entries = self.won_and_approved()
        payout = self.payout()
        payout.action_compute()
        payout.line_ids.write({"worked_hours": 160})
        lead.action_set_lost()
        self.run_crediting()
        self.assertEqual(
            set(self.Finding._audit_rows(payouts=payout)),
            {("reversal_in_its_payout", entries.id, payout.id)},
        )
        with self.assertRaises(UserError):
            payout.action_confirm()
        self.assertEqual(payout.state, "draft")

    def test_confirmation_names_what_breaks(self):
        _lead, entries = self.won_and_approved()
        payout = self.payout()
        payout.action_compute()
        payout.line_ids.write({"worked_hours": 160})
        self.sql(
            "UPDATE crm_contribution SET approved_by_id = %s WHERE id = %s",
            self.user_support.id,
            entries.id,
        )
        with self.assertRaisesRegex(
            UserError, "(?s)ledger audit refuses.*Approved by its beneficiary"
        ):
            payout.with_user(self.user_admin).action_confirm()
        self.assertEqual(payout.state, "draft")

    def test_confirmation_looks_at_its_own_payout_only(self):
        other_lead = self.make_deal(signal_name="別件")
        self.mark_won(other_lead)
        self.sql(
            "UPDATE crm_lead SET active = FALSE, everyone_sells_is_won = FALSE WHERE id = %s",
            other_lead.id,
        )
        self.assertIn("lost_deal_reversed", self.checks_found())
        self.won_and_approved()
        payout = self.payout()
        payout.action_compute()
        payout.line_ids.write({"worked_hours": 160})
        payout.with_user(self.user_admin).action_confirm()
        self.assertEqual(payout.state, "confirmed")

    # ------------------------------------------------------------------
    # FINDINGS, ACTIVITY, THE DAILY JOB
    # ------------------------------------------------------------------

    def test_daily_job_records_findings_and_notifies_the_administrators(self):
        lead = self.make_deal()
        self.mark_won(lead)
        credit = self.credits(lead)
        self.sql(
            "UPDATE crm_lead SET active = FALSE, everyone_sells_is_won = FALSE WHERE id = %s",
            lead.id,
        )
        self.env.ref("crm_everyone_sells.ir_cron_ledger_audit").method_direct_trigger()
        job = self.Job.search([("kind", "=", "ledger_audit"), ("company_id", "=", self.company.id)])
        self.assertEqual(len(job), 1)
        self.assertEqual(job.state, "queued")
        self.assertTrue(self.triggers(), "the job runner is woken at once")
        # Queued once while it waits.
        self.Finding._cron_queue_audit()
        self.assertEqual(
            self.Job.search_count(
                [("kind", "=", "ledger_audit"), ("company_id", "=", self.company.id)]
            ),
            1,
        )
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        findings = self.Finding.search([("company_id", "=", self.company.id)])
        self.assertEqual(findings.mapped("check"), ["lost_deal_reversed"])
        self.assertEqual(findings.entry_id, credit)
        self.assertEqual(findings.state, "open")
        self.assertTrue(findings.description)
        activities = findings.activity_ids
        self.assertIn(self.user_admin, activities.user_id)
        self.assertNotIn(self.user_manager, activities.user_id)
        self.assertIn("1", activities[0].summary)

        # Seen again: nothing new, no new activity.
        self.assertFalse(self.Finding._run_audit(self.company))
        self.assertEqual(len(findings.activity_ids), len(activities))

        # Fixed (the deal's credit reversed): the next run closes it.
        self.env["crm.contribution.queue"]._enqueue(lead.with_context(active_test=False))
        self.run_crediting()
        self.Finding._run_audit(self.company)
        self.assertEqual(findings.state, "resolved")
        self.assertTrue(findings.date_resolved)

    def test_findings_are_for_administrators_only(self):
        lead = self.make_deal()
        self.mark_won(lead)
        self.sql(
            "UPDATE crm_lead SET active = FALSE, everyone_sells_is_won = FALSE WHERE id = %s",
            lead.id,
        )
        finding = self.Finding._run_audit(self.company)
        self.assertTrue(finding)
        as_admin = finding.with_user(self.user_admin)
        self.assertEqual(as_admin.check, "lost_deal_reversed")
        with self.assertRaises(AccessError):
            as_admin.write({"state": "resolved"})
        with self.assertRaises(AccessError):
            as_admin.unlink()
        for user in (self.user_manager, self.user_support, self.user_salesman):
            with self.assertRaises(AccessError):
                finding.with_user(user).read(["check"])
        with self.assertRaises(UserError):
            self.Finding.with_user(self.user_manager).action_run_audit()
        self.Finding.with_user(self.user_admin).action_run_audit()

    def test_finding_resolves_itself_when_no_longer_found(self):
        _lead, entries, payout = self.paid_payout()
        self.sql(
            "UPDATE crm_contribution_payout_line SET payable_amount = payable_amount + 1"
            " WHERE payout_id = %s",
            payout.id,
        )
        finding = self.Finding._run_audit(self.company)
        self.assertEqual(finding.payout_id, payout)
        self.assertEqual(finding.entry_id, entries)
        self.sql(
            "UPDATE crm_contribution_payout_line SET payable_amount = payable_amount - 1"
            " WHERE payout_id = %s",
            payout.id,
        )
        self.Finding._run_audit(self.company)
        self.assertEqual(finding.state, "resolved")
        self.assertLessEqual(finding.date_resolved, fields.Datetime.now() + timedelta(seconds=1))

    # ------------------------------------------------------------------
    # EACH CHECK AT CONFIRM (the payouts' scope reads links, not companies)
    # ------------------------------------------------------------------

    def computed(self):
        """A draft payout computed, hours entered: a won credit approved."""
        lead, entries = self.won_and_approved()
        payout = self.payout()
        payout.action_compute()
        payout.line_ids.write({"worked_hours": 160})
        return lead, entries, payout

    def assertRefusedAtConfirm(self, payout, found, label):
        """The audit of ``payout`` alone finds ``found`` (a set of (check,
        entry, payout)) and refuses it, naming the check."""
        self.assertLessEqual(found, set(self.Finding._audit_rows(payouts=payout)))
        with self.assertRaisesRegex(UserError, label):
            self.Finding._check_payouts(payout)

    def test_at_confirm_money_without_a_line(self):
        _lead, entries, payout = self.computed()
        self.sql("DELETE FROM crm_contribution_payout_line WHERE payout_id = %s", payout.id)
        self.assertRefusedAtConfirm(
            payout,
            {("paid_by_a_line", entry.id, payout.id) for entry in entries},
            "Paid without a payout line",
        )

    def test_at_confirm_line_totals(self):
        _lead, entries, payout = self.computed()
        self.sql(
            "UPDATE crm_contribution_payout_line SET incentive_amount = incentive_amount + 1,"
            " payable_amount = payable_amount + 1 WHERE payout_id = %s",
            payout.id,
        )
        self.assertRefusedAtConfirm(
            payout,
            {("line_totals", entry.id, payout.id) for entry in entries},
            "Line totals differ from the entries",
        )

    def test_at_confirm_a_line_without_entries(self):
        _lead, _entries, payout = self.computed()
        line = payout.line_ids[:1]
        self.sql(
            "DELETE FROM crm_contribution_payout_entry WHERE payout_id = %s",
            payout.id,
        )
        self.assertTrue(line.incentive_amount)
        self.assertRefusedAtConfirm(
            payout, {("line_totals", False, payout.id)}, "a payout line without entries"
        )

    def test_at_confirm_clawback_settled(self):
        lead, _entries, _payout = self.paid_payout()
        lead.action_set_lost()
        self.run_crediting()
        following = self.payout(self.next_start, self.next_end)
        following.action_compute()
        reversal = self.env["crm.contribution"].search(
            [("lead_id", "=", lead.id), ("reversed_entry_id", "!=", False)]
        )
        self.assertEqual(reversal.payout_id, following)
        self.assertEqual(self.Finding._audit_rows(payouts=following), {})
        self.sql(
            "UPDATE crm_contribution_payout_line SET clawback_amount = 0, carry_out_amount = 0,"
            " deducted_amount = 0 WHERE payout_id = %s",
            following.id,
        )
        self.assertRefusedAtConfirm(
            following,
            {("clawback_settled", reversal.id, following.id)},
            "Clawback not settled",
        )

    def test_clawback_of_a_dispute_adjustment(self):
        """A dispute's negative adjustment of a paid credit is a clawback,
        as a reversal is: counted in the next payout's clawback, and found
        when its line forgets it."""
        _lead, entries, _payout = self.paid_payout()
        credit = entries.filtered(lambda entry: entry.employee_id == self.employee_support)[:1]
        dispute = (
            self.env["crm.contribution.dispute"]
            .with_user(self.user_support)
            .create({"contribution_id": credit.id, "reason": "重複しています"})
        )
        action = dispute.with_user(self.user_manager).action_accept()
        self.env[action["res_model"]].with_user(self.user_manager).with_context(
            **action["context"]
        ).create({"amount": -10_000, "explanation": "重複分を減額"}).action_apply()
        adjustment = dispute.adjustment_id
        adjustment.with_user(self.user_admin).action_approve()
        following = self.payout(self.next_start, self.next_end)
        following.action_compute()
        self.assertEqual(adjustment.payout_id, following)
        self.assertEqual(self.line_of(following, self.employee_support).clawback_amount, 10_000)
        self.assertEqual(self.Finding._audit_rows(payouts=following), {})
        self.sql(
            "UPDATE crm_contribution_payout_line SET clawback_amount = 0, carry_out_amount = 0,"
            " deducted_amount = 0 WHERE payout_id = %s",
            following.id,
        )
        found = self.Finding._audit_rows(payouts=following)
        self.assertIn(("clawback_settled", adjustment.id, following.id), found)
        self.assertIn(("line_totals", adjustment.id, following.id), found)

    def test_at_confirm_lost_deal_reversed(self):
        lead, entries, payout = self.computed()
        self.sql(
            "UPDATE crm_lead SET active = FALSE, everyone_sells_is_won = FALSE WHERE id = %s",
            lead.id,
        )
        self.assertRefusedAtConfirm(
            payout,
            {("lost_deal_reversed", entry.id, payout.id) for entry in entries},
            "Credit of a lost deal not reversed",
        )

    def test_at_confirm_approved_by_another(self):
        _lead, entries, payout = self.computed()
        self.sql(
            "UPDATE crm_contribution SET approved_by_id = %s WHERE id = %s",
            self.user_support.id,
            entries.id,
        )
        self.assertRefusedAtConfirm(
            payout,
            {("approved_by_another", entries.id, payout.id)},
            "Approved by its beneficiary or maker",
        )

    def test_at_confirm_dated_when_observed(self):
        _lead, entries, payout = self.computed()
        self.sql("UPDATE crm_contribution SET date = date - 10 WHERE id = %s", entries.id)
        self.assertRefusedAtConfirm(
            payout,
            {("dated_when_observed", entries.id, payout.id)},
            "Dated before the win was observed",
        )

    def test_at_confirm_only_the_payouts_own_rows(self):
        """Two payouts: the audit of one finds nothing of the other's."""
        _lead, entries, payout = self.computed()
        self.sql(
            "UPDATE crm_contribution SET approved_by_id = %s WHERE id = %s",
            self.user_support.id,
            entries.id,
        )
        other = self.payout(self.next_start, self.next_end)
        self.assertEqual(self.Finding._audit_rows(payouts=other), {})
        self.assertIn(
            ("approved_by_another", entries.id, payout.id),
            self.Finding._audit_rows(payouts=payout | other),
        )
