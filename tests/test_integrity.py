"""Payroll-grade integrity (issue 11): each reproduction of the issue, done
as the hostile user would over RPC (``with_user``, direct ``write``,
public methods), must fail."""

from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger
from odoo.tools.safe_eval import safe_eval

from .common import ContributionCase, PayoutCase, month_bounds
from .test_mail_gateway import SignalMailCase


def figures(payout):
    """Every stored figure of a payout and its lines, read from the database."""
    payout.env.flush_all()
    payout.env.cr.execute(
        """
        SELECT employee_id, incentive_amount, award_amount, clawback_amount,
               carry_in_amount, deducted_amount, payable_amount, carry_out_amount,
               hourly_base, overtime_premium_amount, warning, deduction_allowed
          FROM crm_contribution_payout_line WHERE payout_id = %s ORDER BY employee_id
        """,
        [payout.id],
    )
    lines = payout.env.cr.fetchall()
    payout.env.cr.execute(
        "SELECT name, date_from, date_to, payment_date, state FROM crm_contribution_payout"
        " WHERE id = %s",
        [payout.id],
    )
    return lines, payout.env.cr.fetchall()


@tagged("post_install", "-at_install")
class TestLedgerStateMachine(PayoutCase):
    """Items 1 and 2: nobody moves a credit by writing it."""

    def _own_draft_credit_of_manager(self):
        lead = self.make_deal(
            signal_name="山本さんの件", contributors=[(self.employee_manager, 1, "originator")]
        )
        self.mark_won(lead)
        return self.credits(lead)

    def test_forged_self_approval_by_write_is_refused(self):
        own = self._own_draft_credit_of_manager()
        self.assertEqual(own.state, "draft")
        for user in (self.user_manager, self.user_admin):
            with self.subTest(user=user.login), self.assertRaises(UserError):
                own.with_user(user).write(
                    {"state": "approved", "approved_by_id": self.user_admin.id}
                )
        # Not even the superuser's write: only action_approve moves it.
        with self.assertRaisesRegex(UserError, "only through its actions"):
            own.sudo().write({"state": "approved", "approved_by_id": self.user_admin.id})
        self.assertEqual(own.state, "draft")
        self.assertFalse(own.approved_by_id)

    def test_approver_is_the_acting_user(self):
        own = self._own_draft_credit_of_manager()
        with self.assertRaisesRegex(UserError, "your own credits"):
            own.with_user(self.user_manager).action_approve()
        own.with_user(self.user_admin).action_approve()
        self.assertEqual(own.approved_by_id, self.user_admin)

    def test_detach_from_a_confirmed_payout_is_refused(self):
        _lead, entries = self.won_and_approved()
        payout = self.payout()
        payout.action_compute()
        # Not through the payout's one2many either.
        with self.assertRaises(UserError):
            payout.write({"entry_ids": [Command.unlink(entries[0].id)]})
        payout.line_ids.write({"worked_hours": 160})
        payout.action_confirm()
        for values in ({"payout_id": False}, {"state": "draft"}):
            with self.subTest(values=values), self.assertRaises(UserError):
                entries.with_user(self.user_admin).write(values)
            with self.subTest(values=values, sudo=True), self.assertRaises(UserError):
                entries.sudo().write(values)
        payout.action_done()
        with self.assertRaises(UserError):
            entries.sudo().write({"payout_id": False})
        following = self.payout(self.next_start, self.next_end)
        following.action_compute()
        self.assertFalse(following.entry_ids, "paid once, never twice")
        self.assertEqual(set(entries.mapped("state")), {"paid"})

    def test_no_transition_but_the_workflow(self):
        lead = self.make_deal()
        self.mark_won(lead)
        draft = self.credits(lead)
        with self.assertRaises(UserError):
            draft.sudo().write({"state": "paid"})
        draft.with_user(self.user_manager).action_approve()
        with self.assertRaises(UserError):
            draft.sudo().write({"state": "draft"})
        # Even the addon's own path refuses a step backwards.
        with self.assertRaisesRegex(UserError, "cannot go from"):
            draft.sudo()._workflow().write({"state": "draft"})
        # Paid is read from the payout, never written, even by the addon.
        with self.assertRaisesRegex(UserError, "cannot go from"):
            draft.sudo()._workflow().write({"state": "paid"})

    def test_bulk_approval_skips_own_and_says_why(self):
        own = self._own_draft_credit_of_manager()
        lead = self.make_deal(signal_name="佐藤さんの件")
        self.mark_won(lead)
        other = self.credits(lead)
        action = (own | other).with_user(self.user_manager).action_approve()
        self.assertEqual(other.state, "approved")
        self.assertEqual(own.state, "draft")
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("your own credits", action["params"]["message"])
        self.assertIn("(1)", action["params"]["message"])

    def test_own_credits_are_hidden_from_the_queue_by_default(self):
        own = self._own_draft_credit_of_manager()
        action = self.env.ref("crm_everyone_sells.crm_contribution_action_approval")
        self.assertIn("search_default_not_mine", action.context)
        queue = (
            self.env["crm.contribution"]
            .with_user(self.user_manager)
            .search([("state", "=", "draft"), ("is_mine", "=", False)])
        )
        self.assertNotIn(own, queue)

    def test_points_only_entries_need_no_approval(self):
        self.make_rule(
            name="記録ポイント",
            trigger="signal_logged",
            compute_method="fixed",
            fixed_amount=0,
            points=5,
        )
        signal = self.log_signal(name="ポイントだけの信号")
        entry = signal.contribution_ids
        self.assertEqual(entry.points, 5)
        self.assertEqual(entry.state, "approved", "no money, nothing to approve")

    def test_managers_have_no_write_access_on_the_ledger(self):
        lead = self.make_deal()
        self.mark_won(lead)
        entry = self.credits(lead)
        self.assertFalse(entry.with_user(self.user_manager).has_access("write"))

    def test_payout_state_and_confirmed_payouts_are_frozen(self):
        self.won_and_approved()
        payout = self.payout()
        payout.action_compute()
        line = payout.line_ids
        with self.assertRaisesRegex(UserError, "amounts come from the ledger"):
            line.write({"incentive_amount": 9_999_999})
        with self.assertRaisesRegex(UserError, "only through its buttons"):
            payout.write({"state": "confirmed"})
        # A re-imported hours template writes the employee column unchanged.
        line.write({"worked_hours": 160, "employee_id": line.employee_id.id})
        with self.assertRaisesRegex(UserError, "amounts come from the ledger"):
            line.write({"employee_id": self.employee_engineer.id})
        payout.action_confirm()
        for values in (
            {"date_to": self.month_end - timedelta(days=1)},
            {"payment_date": self.today},
        ):
            with self.subTest(values=values), self.assertRaisesRegex(UserError, "wage record"):
                payout.sudo().write(values)
        with self.assertRaises(UserError):
            payout.sudo().write({"state": "draft"})
        with self.assertRaisesRegex(UserError, "payroll history"):
            line.sudo().write({"worked_hours": 100})
        with self.assertRaisesRegex(UserError, "payroll history"):
            line.sudo().unlink()
        with self.assertRaisesRegex(UserError, "payroll history"):
            self.env["crm.contribution.payout.line"].create(
                {"payout_id": payout.id, "employee_id": self.employee_engineer.id}
            )


@tagged("post_install", "-at_install")
class TestSignalsByEmailAreConfirmed(SignalMailCase, ContributionCase):
    """Item 3: no pattern matches a sender; an e-mail earns nothing unconfirmed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule_logged = cls.make_rule(
            name="記録 1,000円",
            trigger="signal_logged",
            compute_method="fixed",
            fixed_amount=1_000,
        )

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_pattern_in_from_matches_nobody(self):
        for sender in (
            "<%@mirai-seisakusho.example.jp>",
            "<%@%>",
            "<_s_support@mirai-seisakusho.example.jp>",
            "ES_SUPPORT@mirai-seisakusho.example.jp.evil.example",
        ):
            with self.subTest(sender=sender):
                self.assertFalse(self._receive(sender, f"なりすまし {sender}"))
        self.assertFalse(
            self.env["crm.contribution"].search([("rule_id", "=", self.rule_logged.id)])
        )

    def test_exact_address_in_another_case_still_matches(self):
        signal = self._receive("Sato <ES_SUPPORT@Mirai-Seisakusho.example.jp>", "大文字の差出人")
        self.assertEqual(signal.employee_id, self.employee_support)

    def test_signal_by_email_earns_only_once_confirmed(self):
        signal = self._receive(self.user_support.email, "メールで届いた要望")
        self.assertTrue(signal.to_confirm)
        self.assertFalse(signal.contribution_ids, "nothing earned before confirmation")
        with self.assertRaisesRegex(UserError, "waits for its employee"):
            signal.with_user(self.user_salesman).action_handoff()
        inbox = self.env.ref("crm_everyone_sells.crm_signal_action_inbox")
        self.assertNotIn(
            signal,
            self.env["crm.signal"]
            .with_user(self.user_salesman)
            .search([*safe_eval(inbox.domain), ("state", "=", "new")]),
            "not in the sales inbox before confirmation",
        )
        mine = (
            self.env["crm.signal"]
            .with_user(self.user_support)
            .search([("to_confirm", "=", True), ("employee_id.user_id", "=", self.user_support.id)])
        )
        self.assertEqual(mine, signal, "My Signals lists it under To Confirm")
        with self.assertRaisesRegex(UserError, "Only the employee"):
            signal.with_user(self.user_engineer).action_confirm_signal()
        signal.with_user(self.user_support).action_confirm_signal()
        self.assertFalse(signal.to_confirm)
        self.assertEqual(signal.contribution_ids.amount, 1_000)
        with self.assertRaises(AccessError):
            signal.with_user(self.user_support).write({"to_confirm": True})


@tagged("post_install", "-at_install")
class TestWhitelistsAndSubjects(ContributionCase):
    """Items 4 and 7: what an employee may write, and what they may contest."""

    def test_dispute_about_a_deal_of_others_is_refused_without_its_name(self):
        lead = self.env["crm.lead"].create(
            {"name": "極秘の大型商談", "type": "opportunity", "company_id": self.company.id}
        )
        other_company_lead = self.env["crm.lead"].create(
            {"name": "他社の極秘商談", "type": "opportunity", "company_id": self.other_company.id}
        )
        Dispute = self.env["crm.contribution.dispute"].with_user(self.user_support)
        for target in (lead, other_company_lead):
            with self.subTest(lead=target.name):
                with self.assertRaises(ValidationError) as caught:
                    Dispute.create({"lead_id": target.id, "reason": "x"}).read(["lead_id"])
                self.assertNotIn(target.name, str(caught.exception))

    def test_dispute_about_a_deal_the_employee_brought_is_allowed(self):
        lead = self.make_deal()
        dispute = (
            self.env["crm.contribution.dispute"]
            .with_user(self.user_support)
            .create({"lead_id": lead.id, "reason": "貢献者に入っていません"})
        )
        self.assertEqual(dispute.lead_id, lead)

    def test_author_cannot_move_a_dispute_to_a_colleague(self):
        lead = self.make_deal()
        self.mark_won(lead)
        dispute = (
            self.env["crm.contribution.dispute"]
            .with_user(self.user_support)
            .create({"contribution_id": self.credits(lead).id, "reason": "少ない"})
        )
        for values in (
            {"employee_id": self.employee_engineer.id},
            {"company_id": self.other_company.id},
            {"state": "accepted"},
        ):
            with self.subTest(values=values), self.assertRaises(UserError):
                dispute.with_user(self.user_support).write(values)
        dispute.with_user(self.user_support).write({"reason": "やはり少ない"})
        self.assertEqual(dispute.employee_id, self.employee_support)

    def test_author_of_a_new_signal_writes_only_the_customers_words(self):
        signal = self.log_signal()
        as_author = signal.with_user(self.user_support)
        for values in (
            {"user_id": self.user_support.id},
            {"team_id": self.team.id},
            {"used_date": fields.Datetime.now()},
            {"routed_date": fields.Datetime.now()},
            {"resolved_date": fields.Datetime.now()},
            {"to_confirm": True},
        ):
            with self.subTest(values=values), self.assertRaises(AccessError):
                as_author.write(values)
        as_author.write({"name": "API連携オプション (追記)", "estimated_revenue": 500_000})
        with self.assertRaises(AccessError):
            self.env["crm.signal"].with_user(self.user_support).create(
                {"name": "チーム指定", "team_id": self.team.id}
            )


@tagged("post_install", "-at_install")
class TestNobodyCreditsThemselves(ContributionCase):
    """Item 5: no resolving, declining or using one's own signal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.type_improvement = cls.env.ref("crm_everyone_sells.signal_type_improvement")
        # The author's own department is the default route.
        cls.type_improvement.route_department_id = cls.dept_support
        cls.make_rule(
            name="解決 3,000円", trigger="resolved", compute_method="fixed", fixed_amount=3_000
        )
        cls.make_rule(
            name="活用 2,000円", trigger="insight_used", compute_method="fixed", fixed_amount=2_000
        )

    def test_author_cannot_resolve_or_decline_own_routed_signal(self):
        signal = self.log_signal(
            user=self.user_manager, signal_type_id=self.type_improvement.id, name="改善要望"
        )
        self.assertEqual(signal.state, "routed")
        as_author = signal.with_user(self.user_manager)
        with self.assertRaisesRegex(UserError, "nobody earns a credit by their own action"):
            as_author.action_resolve()
        wizard = (
            self.env["crm.signal.resolve"]
            .with_user(self.user_manager)
            .create({"signal_ids": [Command.set(signal.ids)], "resolution": "自分で対応"})
        )
        with self.assertRaisesRegex(UserError, "a colleague must"):
            wizard.action_apply()
        with self.assertRaisesRegex(UserError, "a colleague must"):
            as_author.action_decline()
        self.assertFalse(signal.contribution_ids.filtered(lambda e: e.trigger == "resolved"))
        # A colleague of the department resolves it, and the author earns.
        signal.with_user(self.user_support).action_resolve()

    def test_salesperson_cannot_mark_own_insight_used(self):
        signal = self.log_signal(user=self.user_salesman, name="自分の気づき")
        with self.assertRaisesRegex(UserError, "You logged"):
            signal.with_user(self.user_salesman).action_mark_used()
        self.assertFalse(signal.used_by_id)
        signal.with_user(self.user_salesman_other).action_mark_used()
        self.assertEqual(signal.used_by_id, self.user_salesman_other)


@tagged("post_install", "-at_install")
class TestDeletingACreditedSignal(ContributionCase):
    """Item 6: no credit outlives its signal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_rule(
            name="記録 1,000円", trigger="signal_logged", compute_method="fixed", fixed_amount=1_000
        )

    def test_deleting_reverses_unpaid_credits(self):
        signal = self.log_signal(name="すぐ消す信号")
        credit = signal.contribution_ids
        self.assertEqual(credit.amount, 1_000)
        signal.with_user(self.user_support).unlink()
        self.assertTrue(credit.is_reversed)
        self.assertEqual(sum(credit.reversal_entry_ids.mapped("amount")), -1_000)
        self.assertEqual(credit.reversal_entry_ids.state, "draft")

    def test_deleting_is_refused_once_approved(self):
        signal = self.log_signal(name="承認済みの信号")
        credit = signal.contribution_ids
        credit.with_user(self.user_manager).action_approve()
        with self.assertRaisesRegex(UserError, "already approved or paid"):
            signal.with_user(self.user_support).unlink()
        self.assertTrue(signal.exists())
        self.assertFalse(credit.is_reversed)


@tagged("post_install", "-at_install")
class TestMoneyAndWageLaw(PayoutCase):
    """Items 8 to 11."""

    def _agreement(self, start="2020-01-01", end=False):
        self.company.write(
            {
                "everyone_sells_wage_deduction_agreement": True,
                "everyone_sells_wage_deduction_date_from": start,
                "everyone_sells_wage_deduction_date_to": end,
            }
        )

    def _pay_then_lose(self):
        lead, entries = self.won_and_approved()
        first = self.payout()
        first.action_compute()
        first.line_ids.write({"worked_hours": 160})
        first.action_confirm()
        first.action_done()
        lead.action_set_lost()
        self.run_crediting()
        return entries

    def test_won_and_lost_inside_the_hold_never_goes_negative(self):
        # 40 days: past the end of the credit's month, whatever its day.
        self.company.everyone_sells_hold_days = 40
        lead = self.make_deal(signal_name="保留中に失注")
        self.mark_won(lead)
        credit = self.credits(lead)
        credit.with_user(self.user_admin).action_approve()
        lead.action_set_lost()
        self.run_crediting()
        reversal = credit.reversal_entry_ids
        self.assertEqual(reversal.payable_date, credit.payable_date, "settles with its credit")
        payout = self.payout(*month_bounds(credit.date))
        payout.action_compute()
        self.assertFalse(payout.entry_ids, "neither is payable before the credit's date")
        self.assertFalse(payout.line_ids.filtered(lambda line: line.payable_amount < 0))
        payout.action_cancel()
        later = self.payout(*month_bounds(credit.payable_date))
        later.action_compute()
        self.assertEqual(later.entry_ids, credit | reversal, "taken together")
        line = self.line_of(later, self.employee_support)
        self.assertEqual((line.incentive_amount, line.payable_amount), (0, 0))

    def test_a_reversal_waits_for_its_credit(self):
        """A credit approved and payable, its reversal not yet approved: the
        credit waits too, so payroll never pays what is cancelled."""
        lead = self.make_deal(signal_name="承認前に失注")
        self.mark_won(lead)
        credit = self.credits(lead)
        lead.action_set_lost()
        self.run_crediting()
        self.assertEqual(credit.reversal_entry_ids.state, "draft")
        credit.with_user(self.user_admin).action_approve()
        self.assertEqual(credit.reversal_entry_ids.state, "approved", "approved together")

    def test_without_agreement_what_is_owed_stays_outstanding(self):
        self._pay_then_lose()
        following = self.payout(self.next_start, self.next_end)
        following.action_compute()
        line = self.line_of(following, self.employee_support)
        self.assertEqual(line.clawback_amount, 50_000)
        self.assertEqual((line.deducted_amount, line.payable_amount), (0, 0))
        self.assertEqual(line.carry_out_amount, 50_000)

    def test_confirmed_payout_never_changes(self):
        self._pay_then_lose()
        self.won_and_approved(revenue=400_000, name="翌月の受注")
        following = self.payout(self.next_start, self.next_end)
        following.action_compute()
        following.line_ids.write({"worked_hours": 170, "overtime_hours": 10})
        following.action_confirm()
        before = figures(following)
        line = self.line_of(following, self.employee_support)
        self.assertEqual((line.deducted_amount, line.payable_amount), (0, 20_000))
        # Every setting, rate and rule the figures came from changes.
        self._agreement()
        self.company.everyone_sells_payment_day = 10
        self.company.everyone_sells_hold_days = 60
        self.env["crm.contribution.premium.rate"].create(
            {"company_id": self.company.id, "date_from": "2020-01-01", "overtime_rate": 40}
        )
        self.rule_won.with_user(self.user_admin).write({"active": False})
        self.make_rule(name="受注貢献 9 %", percentage=9)
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(figures(following), before)

    def test_agreement_deducts_only_inside_its_validity(self):
        self._pay_then_lose()
        self.won_and_approved(revenue=400_000, name="翌月の受注")
        following = self.payout(self.next_start, self.next_end)
        # The agreement starts after this payout's payday: no deduction.
        self._agreement(start=following.payment_date + timedelta(days=1))
        following.action_compute()
        line = self.line_of(following, self.employee_support)
        self.assertEqual(line.deducted_amount, 0)
        self.assertFalse(line.deduction_allowed)
        # In force on the payday, but the debt arose before it: no deduction.
        self._agreement(start=following.payment_date - timedelta(days=1))
        following.action_compute()
        line = self.line_of(following, self.employee_support)
        self.assertTrue(line.deduction_allowed)
        self.assertEqual(line.deducted_amount, 0, "the debt arose before the agreement")
        # In force when the debt arose: deducted (the net wage known).
        self._agreement()
        following.action_compute()
        line = self.line_of(following, self.employee_support)
        line.net_wage_amount = 400_000
        self.assertEqual(line.deducted_amount, 20_000)

    def test_deduction_limit_follows_the_net_wage(self):
        self._agreement()
        self._pay_then_lose()
        self.won_and_approved(revenue=2_000_000, name="大型の受注")
        following = self.payout(self.next_start, self.next_end)
        following.action_compute()
        line = self.line_of(following, self.employee_support)
        # Without the net wage: nothing deducted, carried forward, payroll warned.
        self.assertEqual(line.deducted_amount, 0)
        self.assertEqual(line.carry_out_amount, 50_000)
        self.assertIn("手取り額が未入力", line.warning)
        # Net ¥180,000: ¾ protected, at most ¥45,000 deducted.
        line.write({"net_wage_amount": 180_000, "worked_hours": 160})
        self.assertEqual(line.deducted_amount, 45_000)
        self.assertEqual(line.payable_amount, 55_000)
        self.assertEqual(line.carry_out_amount, 5_000)
        self.assertNotIn("手取り額が未入力", line.warning or "")

    def test_confirmation_needs_the_hours(self):
        self.won_and_approved()
        payout = self.payout()
        payout.action_compute()
        with self.assertRaisesRegex(UserError, "hours worked before confirming"):
            payout.action_confirm()
        self.assertEqual(payout.state, "draft")

    def test_article_41_exempts_overtime_and_holiday_not_late_night(self):
        self.won_and_approved(revenue=1_200_000)  # 60,000 of incentive
        payout = self.payout()
        payout.action_compute()
        line = payout.line_ids
        line.write(
            {"worked_hours": 188, "overtime_hours": 20, "late_night_hours": 5, "holiday_hours": 8}
        )
        self.assertEqual(line.overtime_premium_amount, 2_888)
        line.write({"overtime_exempt": True})
        # 60,000 / 188 × 5 h × 0.25 = 398.94 → 399
        self.assertEqual(line.overtime_premium_amount, 399)
