"""Maker ≠ checker ≠ beneficiary, and reductions that follow the money's
state (issue 21, reproductions 4 and 5; issue 22, item 1).

Every test acts as the named users, the way an RPC caller would: direct
``create``/``write`` and public methods."""

import xmlrpc.client

from odoo import SUPERUSER_ID, Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, tagged, users

from .common import CONTRIBUTION_MANAGER, PayoutCase


class MakerCheckerCase(PayoutCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A third manager: the one who may approve what the other two made.
        cls.user_manager2 = cls._make_user(
            "es_manager2", "木村 陽子", cls.dept_marketing, "crm_everyone_sells.group_manager"
        )

    def approve(self, entries, user):
        return entries.with_user(user).action_approve()

    def dispute(self, user, **values):
        return self.env["crm.contribution.dispute"].with_user(user).create(values)

    def adjust(self, dispute, user, amount, explanation="調整"):
        wizard = (
            self.env["crm.contribution.adjust"]
            .with_user(user)
            .create({"dispute_id": dispute.id, "amount": amount, "explanation": explanation})
        )
        wizard.action_apply()
        return dispute.adjustment_id

    def won_credit(self, revenue=1_000_000, approve=True):
        """A won deal's credit of 佐藤 (5 % of ``revenue``)."""
        lead = self.make_deal(revenue=revenue)
        self.mark_won(lead)
        credit = self.credits(lead, self.employee_support)
        if approve:
            self.approve(credit, self.user_admin)
        return lead, credit


@tagged("post_install", "-at_install")
class TestDisputesOnBehalf(MakerCheckerCase):
    def test_reproduction_4_manager_opens_in_anothers_name_and_adjusts(self):
        _lead, credit = self.won_credit()
        # 山本 (manager) opens a dispute in 佐藤's name: it waits for 佐藤.
        dispute = self.dispute(
            self.user_manager,
            employee_id=self.employee_support.id,
            contribution_id=credit.id,
            reason="重複計上の疑い",
        )
        self.assertTrue(dispute.to_confirm)
        self.assertEqual(dispute.opened_by_id, self.user_manager)
        for user in (self.user_manager, self.user_admin):
            with self.assertRaisesRegex(UserError, "confirms it"):
                dispute.with_user(user).action_accept()
            with self.assertRaisesRegex(UserError, "confirms it"):
                self.adjust(dispute, user, -50_000)
        # Nobody writes the flag, the employee included: only her action.
        for user in (self.user_manager, self.user_admin, self.user_support):
            with self.subTest(user=user.login), self.assertRaises(UserError):
                dispute.with_user(user).write({"to_confirm": False})
        with self.assertRaisesRegex(UserError, "Only the employee"):
            dispute.with_user(self.user_manager).action_confirm_dispute()
        dispute.with_user(self.user_support).action_confirm_dispute()
        self.assertFalse(dispute.to_confirm)
        # The manager who opened it neither resolves it nor adjusts on it.
        with self.assertRaisesRegex(UserError, "You opened this dispute"):
            self.adjust(dispute, self.user_manager, -50_000)
        with self.assertRaisesRegex(UserError, "You opened this dispute"):
            dispute.with_user(self.user_manager).write({"state": "rejected"})
        # Another manager enters the −¥50,000: it waits for a third.
        adjustment = self.adjust(dispute, self.user_admin, -50_000, "重複分を減額")
        self.assertEqual(adjustment.state, "draft")
        self.assertEqual(adjustment.maker_id, self.user_admin)
        self.assertEqual(adjustment.reduced_entry_id, credit)
        for user, reason in (
            (self.user_admin, "made or caused by you"),
            (self.user_manager, "made or caused by you"),
        ):
            with self.subTest(user=user.login), self.assertRaisesRegex(UserError, reason):
                self.approve(adjustment, user)
        with self.assertRaisesRegex(UserError, "Only contribution managers"):
            self.approve(adjustment, self.user_support)
        self.assertEqual(adjustment.state, "draft")
        self.approve(adjustment, self.user_manager2)
        self.assertEqual(adjustment.state, "approved")
        self.assertEqual(
            (adjustment.maker_id, adjustment.approved_by_id), (self.user_admin, self.user_manager2)
        )

    def test_employee_opens_a_dispute_from_my_disputes_new(self):
        _lead, credit = self.won_credit()
        Dispute = self.env["crm.contribution.dispute"].with_user(self.user_support)
        with Form(Dispute) as form:
            form.contribution_id = credit
            form.reason = "技術デモの分が入っていません"
        dispute = form.record
        self.assertEqual(dispute.employee_id, self.employee_support)
        self.assertEqual(dispute.state, "open")
        self.assertFalse(dispute.to_confirm, "opened by its employee: nothing to confirm")
        self.assertEqual(dispute.opened_by_id, self.user_support)
        dispute.with_env(self.env).with_user(self.user_manager).action_accept()

    def test_refusals_say_field_labels_not_names(self):
        _lead, credit = self.won_credit()
        with self.assertRaises(UserError) as caught:
            self.dispute(
                self.user_support,
                contribution_id=credit.id,
                reason="少ない",
                state="accepted",
                resolved_by_id=self.user_support.id,
            )
        message = str(caught.exception)
        self.assertIn("Resolved By", message)
        self.assertNotIn("resolved_by_id", message)
        self.assertNotIn("state", message)

    def test_a_manager_opens_disputes_undecided(self):
        _lead, credit = self.won_credit()
        for values in ({"state": "rejected"}, {"resolution": "却下"}):
            with self.subTest(values=values), self.assertRaisesRegex(UserError, "undecided"):
                self.dispute(
                    self.user_manager,
                    employee_id=self.employee_support.id,
                    contribution_id=credit.id,
                    reason="代理",
                    **values,
                )

    def test_an_employee_opens_disputes_only_in_her_own_name(self):
        signal = self.log_signal(user=self.user_engineer)
        with self.assertRaisesRegex(UserError, "own name"):
            self.dispute(
                self.user_support,
                employee_id=self.employee_engineer.id,
                signal_id=signal.id,
                reason="代理で",
            )

    def test_nobody_sets_to_confirm_or_opened_by_at_creation(self):
        _lead, credit = self.won_credit()
        dispute = self.dispute(
            self.user_manager,
            employee_id=self.employee_support.id,
            contribution_id=credit.id,
            reason="代理",
            to_confirm=False,
            opened_by_id=self.user_admin.id,
        )
        self.assertTrue(dispute.to_confirm)
        self.assertEqual(dispute.opened_by_id, self.user_manager)

    def test_an_adjustment_needs_a_contested_credit_to_reduce(self):
        signal = self.log_signal()
        dispute = self.dispute(self.user_support, signal_id=signal.id, reason="計上漏れ")
        with self.assertRaisesRegex(UserError, "contests none"):
            self.adjust(dispute, self.user_manager, -1_000)
        _lead, credit = self.won_credit()
        dispute = self.dispute(self.user_support, contribution_id=credit.id, reason="多すぎ")
        with self.assertRaisesRegex(UserError, "at most the credit"):
            self.adjust(dispute, self.user_manager, -(credit.amount + 1))


@tagged("post_install", "-at_install")
class TestMakersOfCredits(MakerCheckerCase):
    def test_reproduction_5_signal_logged_in_anothers_name_and_resolved(self):
        self.make_rule(
            name="ログ", trigger="signal_logged", compute_method="fixed", fixed_amount=1_000
        )
        self.make_rule(name="解決", trigger="resolved", compute_method="fixed", fixed_amount=5_000)
        improvement = self.env.ref("crm_everyone_sells.signal_type_improvement")
        improvement.route_department_id = self.dept_support
        signal = self.log_signal(
            user=self.user_manager,
            employee_id=self.employee_engineer.id,
            name="CSVの一括取込が欲しい",
            signal_type_id=improvement.id,
        )
        self.assertEqual(signal.state, "routed")
        self.env["crm.signal.resolve"].with_user(self.user_manager).create(
            {"signal_ids": [Command.set(signal.ids)], "resolution": "対応しました"}
        ).action_apply()
        earned = self.env["crm.contribution"].search([("signal_id", "=", signal.id)])
        self.assertEqual(sorted(earned.mapped("amount")), [1_000, 5_000])
        self.assertEqual(earned.employee_id, self.employee_engineer)
        self.assertEqual(earned.maker_id, self.user_manager)
        with self.assertRaisesRegex(UserError, "made or caused by you"):
            self.approve(earned, self.user_manager)
        self.assertEqual(set(earned.mapped("state")), {"draft"})
        self.approve(earned, self.user_admin)
        self.assertEqual(set(earned.mapped("state")), {"approved"})
        self.assertEqual(earned.approved_by_id, self.user_admin)

    def test_reproduction_5_award_entered_and_approved_by_the_same_manager(self):
        action = (
            self.env["crm.contribution.award"]
            .with_user(self.user_manager)
            .create(
                {
                    "company_id": self.company.id,
                    "employee_id": self.employee_engineer.id,
                    "amount": 30_000,
                    "reason": "大雪の日の出荷対応",
                }
            )
            .action_apply()
        )
        award = self.env["crm.contribution"].browse(action["res_id"])
        self.assertEqual((award.state, award.maker_id), ("draft", self.user_manager))
        with self.assertRaisesRegex(UserError, "made or caused by you"):
            self.approve(award, self.user_manager)
        self.approve(award, self.user_admin)
        self.assertEqual(award.approved_by_id, self.user_admin)

    def test_whoever_set_the_contributors_makes_the_won_credits(self):
        lead = self.make_deal()
        # The manager changes the weights, then sales wins the deal.
        lead.contributor_ids.with_user(self.user_admin).write({"weight": 2})
        self.assertEqual(lead.everyone_sells_contributors_by_id, self.user_admin)
        lead.with_user(self.user_salesman).write({"stage_id": self.stage_won.id})
        credit = self.credits(lead)
        self.assertEqual(credit.maker_id, self.user_admin)
        with self.assertRaisesRegex(UserError, "made or caused by you"):
            self.approve(credit, self.user_admin)
        self.approve(credit, self.user_manager)
        # Nobody writes who set them, over RPC or otherwise.
        with self.assertRaises(UserError):
            lead.with_user(self.user_admin).write(
                {"everyone_sells_contributors_by_id": self.user_manager2.id}
            )

    def test_whoever_hands_off_makes_the_hand_off_credit_and_sets_the_contributors(self):
        self.make_rule(
            name="引き継ぎ", trigger="handed_off", compute_method="fixed", fixed_amount=2_000
        )
        signal = self.log_signal()
        lead, _action = self.hand_off(signal, user=self.user_salesman)
        entry = signal.contribution_ids.filtered(lambda e: e.trigger == "handed_off")
        self.assertEqual((entry.employee_id, entry.amount), (self.employee_support, 2_000))
        self.assertEqual(entry.maker_id, self.user_salesman)
        self.assertEqual(lead.everyone_sells_contributors_by_id, self.user_salesman)

    def test_the_system_makes_reversals_and_points(self):
        lead, credit = self.won_credit()
        lead.with_user(self.user_salesman).action_set_lost()
        self.run_crediting()
        reversal = credit.reversal_entry_ids
        self.assertEqual(reversal.maker_id.id, SUPERUSER_ID)
        self.make_rule(name="ポイント", trigger="signal_logged", compute_method="fixed", points=3)
        points = self.log_signal(name="別の要望").contribution_ids
        self.assertEqual(points.maker_id.id, SUPERUSER_ID)
        self.assertEqual(points.state, "approved", "no money, nothing to approve")


@tagged("post_install", "-at_install")
class TestSingleManagerException(MakerCheckerCase):
    def award_by_admin(self, employee=None):
        action = (
            self.env["crm.contribution.award"]
            .with_user(self.user_admin)
            .create(
                {
                    "company_id": self.company.id,
                    "employee_id": (employee or self.employee_support).id,
                    "amount": 10_000,
                    "reason": "社長賞",
                }
            )
            .action_apply()
        )
        return self.env["crm.contribution"].browse(action["res_id"])

    def leave_one_manager(self):
        """A pilot with one manager: the administrator."""
        manager = self.env.ref("crm_everyone_sells.group_manager")
        for user in (self.user_manager, self.user_manager2):
            user.write({"groups_id": [Command.unlink(manager.id)]})
        self.assertFalse(user.has_group("crm_everyone_sells.group_manager"))

    def test_with_another_manager_the_exception_is_refused(self):
        award = self.award_by_admin()
        with self.assertRaisesRegex(UserError, "another manager of the company"):
            award.with_user(self.user_admin).action_approve_exception("一人で運用中")
        self.assertEqual(award.state, "draft")

    def test_without_a_reason_the_exception_is_refused(self):
        self.leave_one_manager()
        award = self.award_by_admin()
        with self.assertRaisesRegex(UserError, "made or caused by you"):
            self.approve(award, self.user_admin)
        for reason in (False, "", "   "):
            with self.subTest(reason=reason), self.assertRaisesRegex(UserError, "Write why"):
                award.with_user(self.user_admin).action_approve_exception(reason)
        self.assertEqual(award.state, "draft")

    def test_with_a_reason_the_administrator_approves_what_they_made(self):
        self.leave_one_manager()
        award = self.award_by_admin()
        wizard = (
            self.env["crm.contribution.approve.exception"]
            .with_user(self.user_admin)
            .with_context(active_model="crm.contribution", active_ids=award.ids)
            .create({"reason": "試行期間は管理者が一人のため"})
        )
        self.assertEqual(wizard.entry_ids, award)
        wizard.action_apply()
        self.assertEqual(award.state, "approved")
        self.assertEqual(award.approved_by_id, self.user_admin)
        self.assertEqual(award.maker_id, self.user_admin)
        self.assertEqual(award.approval_exception_reason, "試行期間は管理者が一人のため")

    def test_never_their_own_credit_even_with_a_reason(self):
        self.leave_one_manager()
        admin_employee = self._employee_of(self.user_admin)
        lead = self.make_deal(contributors=[(admin_employee, 1, "originator")])
        self.mark_won(lead)
        own = self.credits(lead, admin_employee)
        with self.assertRaisesRegex(UserError, "your own credits"):
            own.with_user(self.user_admin).action_approve_exception("一人で運用中")
        self.assertEqual(own.state, "draft")

    @users(CONTRIBUTION_MANAGER)
    def test_only_administrators_approve_as_an_exception(self):
        award = self.award_by_admin()
        with self.assertRaisesRegex(UserError, "administrators"):
            award.action_approve_exception("理由")
        with self.assertRaises(AccessError):
            self.env["crm.contribution.approve.exception"].create({"reason": "理由"})


@tagged("post_install", "-at_install")
class TestReductionsFollowTheMoney(MakerCheckerCase):
    def reduce(self, credit, amount):
        """佐藤 contests; 山本 enters the reduction; the administrator approves."""
        dispute = self.dispute(self.user_support, contribution_id=credit.id, reason="確認依頼")
        adjustment = self.adjust(dispute, self.user_manager, amount, "重複分の減額")
        self.approve(adjustment, self.user_admin)
        return adjustment

    def pay(self, start=None, end=None):
        payout = self.payout(start, end)
        payout.action_compute()
        payout.line_ids.write({"worked_hours": 160})
        payout.action_confirm()
        payout.action_done()
        return payout

    def test_reduction_of_an_unpaid_credit_nets_in_the_next_payout(self):
        _lead, credit = self.won_credit(revenue=2_000_000)  # ¥100,000, not yet paid
        reduction = self.reduce(credit, -60_000)
        self.assertEqual(reduction.payable_date, credit.payable_date, "settles with its credit")
        payout = self.payout()
        payout.action_compute()
        line = self.line_of(payout, self.employee_support)
        self.assertEqual(line.incentive_amount, 40_000)
        self.assertEqual(line.clawback_amount, 0)
        self.assertFalse(line.warning and "24協定" in line.warning)
        self.assertIn(reduction, payout.entry_ids)

    def test_a_lost_deal_takes_the_reductions_of_its_credit_with_it(self):
        lead, credit = self.won_credit(revenue=2_000_000)
        reduction = self.reduce(credit, -60_000)
        lead.with_user(self.user_salesman).action_set_lost()
        self.run_crediting()
        self.assertTrue(credit.is_reversed)
        self.assertTrue(reduction.is_reversed, "nothing is owed back for money never paid")
        self.assertEqual(reduction.reversal_entry_ids.maker_id.id, SUPERUSER_ID)
        payout = self.payout()
        payout.action_compute()
        # Paid means a line paid it: the credit, its reduction and both
        # reversals are paid on one line, which nets to zero.
        line = self.line_of(payout, self.employee_support)
        self.assertEqual(line.incentive_amount, 0, "it all nets to zero")
        self.assertEqual(line.payable_amount, 0)
        self.assertFalse(line.clawback_amount, "nothing is owed back")

    def test_a_pending_reduction_holds_its_unpaid_credit(self):
        _lead, credit = self.won_credit(revenue=2_000_000)
        dispute = self.dispute(self.user_support, contribution_id=credit.id, reason="確認")
        self.adjust(dispute, self.user_manager, -60_000)  # waits for approval
        payout = self.payout()
        payout.action_compute()
        self.assertNotIn(credit, payout.entry_ids, "paid together with its reduction or not")

    def test_reproduction_4_reduction_of_a_paid_credit_without_agreement(self):
        _lead, credit = self.won_credit(revenue=2_000_000)  # ¥100,000
        self.pay()
        self.assertEqual(credit.state, "paid")
        self.reduce(credit, -60_000)
        self.won_and_approved(revenue=2_000_000, name="翌月の受注")  # ¥100,000 next month
        following = self.payout(self.next_start, self.next_end)
        following.action_compute()
        line = self.line_of(following, self.employee_support)
        self.assertEqual(line.incentive_amount, 100_000, "not netted silently")
        self.assertEqual(line.clawback_amount, 60_000)
        self.assertEqual(line.deducted_amount, 0)
        self.assertEqual(line.payable_amount, 100_000)
        self.assertEqual(line.carry_out_amount, 60_000, "outstanding for HR")
        self.assertIn("24協定", line.warning)

    def test_reduction_of_a_paid_credit_with_agreement_is_deducted_within_the_limit(self):
        self.company.write(
            {
                "everyone_sells_wage_deduction_agreement": True,
                "everyone_sells_wage_deduction_date_from": "2020-01-01",
            }
        )
        _lead, credit = self.won_credit(revenue=2_000_000)
        self.pay()
        self.reduce(credit, -60_000)
        self.won_and_approved(revenue=2_000_000, name="翌月の受注")
        following = self.payout(self.next_start, self.next_end)
        following.action_compute()
        line = self.line_of(following, self.employee_support)
        self.assertEqual(line.clawback_amount, 60_000)
        line.write({"net_wage_amount": 200_000})  # the limit: ¼ of net pay, ¥50,000
        self.assertEqual(line.deducted_amount, 50_000)
        self.assertEqual(line.payable_amount, 50_000)
        self.assertEqual(line.carry_out_amount, 10_000)


@tagged("post_install", "-at_install")
class TestMakerCheckerOverXmlRpc(HttpCase, MakerCheckerCase):
    """Reproductions 4 and 5 the way they were done: a Contribution Manager
    over XML-RPC ``execute_kw``, against the real server."""

    def call(self, login, model, method, args, kwargs=None):
        uid = self.xmlrpc_common.authenticate(self.env.cr.dbname, login, login, {})
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, uid, login, model, method, args, kwargs or {}
        )

    def assertRefused(self, text, *call):
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            self.call(*call)
        self.assertIn(text, caught.exception.faultString)

    def test_reproduction_4_over_xmlrpc(self):
        _lead, credit = self.won_credit()
        dispute_id = self.call(
            "es_manager",
            "crm.contribution.dispute",
            "create",
            [
                {
                    "employee_id": self.employee_support.id,
                    "contribution_id": credit.id,
                    "reason": "代理",
                }
            ],
        )
        wizard_id = self.call(
            "es_manager",
            "crm.contribution.adjust",
            "create",
            [{"dispute_id": dispute_id, "amount": -50_000, "explanation": "減額"}],
        )
        self.assertRefused(
            "confirms it", "es_manager", "crm.contribution.adjust", "action_apply", [[wizard_id]]
        )
        self.assertRefused(
            "set by the system",
            "es_manager",
            "crm.contribution.dispute",
            "write",
            [[dispute_id], {"to_confirm": False}],
        )
        self.assertFalse(
            self.env["crm.contribution"].search([("reduced_entry_id", "=", credit.id)]),
            "no reduction was written",
        )

    def test_reproduction_5_over_xmlrpc(self):
        self.make_rule(
            name="ログ", trigger="signal_logged", compute_method="fixed", fixed_amount=6_000
        )
        signal_id = self.call(
            "es_manager",
            "crm.signal",
            "create",
            [
                {
                    "name": "代理で登録",
                    "partner_id": self.customer.id,
                    "employee_id": self.employee_engineer.id,
                }
            ],
        )
        earned = self.env["crm.contribution"].search([("signal_id", "=", signal_id)])
        self.assertEqual((earned.amount, earned.maker_id), (6_000, self.user_manager))
        self.assertRefused(
            "made or caused by you",
            "es_manager",
            "crm.contribution",
            "action_approve",
            [earned.ids],
        )
        award_id = self.call(
            "es_manager",
            "crm.contribution.award",
            "create",
            [
                {
                    "company_id": self.company.id,
                    "employee_id": self.employee_engineer.id,
                    "amount": 30_000,
                    "reason": "表彰",
                }
            ],
        )
        action = self.call("es_manager", "crm.contribution.award", "action_apply", [[award_id]])
        self.assertRefused(
            "made or caused by you",
            "es_manager",
            "crm.contribution",
            "action_approve",
            [[action["res_id"]]],
        )
        earned.invalidate_recordset()
        self.assertEqual(earned.state, "draft")
        self.assertEqual(self.env["crm.contribution"].browse(action["res_id"]).state, "draft")
