from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged, users

from .common import EMPLOYEE, SALESPERSON, ContributionCase


@tagged("post_install", "-at_install")
class TestAutomaticCredit(ContributionCase):
    def test_won_by_stage_credits_the_originator(self):
        lead = self.make_deal()
        self.mark_won(lead)
        entry = self.credits(lead)
        self.assertEqual(len(entry), 1)
        self.assertEqual(entry.employee_id, self.employee_support)
        self.assertEqual(entry.department_id, self.dept_support)
        self.assertEqual(entry.amount, 50_000)
        self.assertEqual(entry.basis_amount, 1_000_000)
        self.assertEqual(entry.rate, 5)
        self.assertEqual(entry.share, 1)
        self.assertEqual(entry.state, "draft")
        self.assertEqual(entry.trigger, "won")
        self.assertEqual(entry.wage_type, "incentive")
        self.assertEqual(entry.rule_id, self.rule_won)
        self.assertEqual(entry.partner_id, self.customer)
        self.assertIn("受注貢献 5 %", entry.explanation)
        self.assertIn("50,000", entry.explanation)

    def test_won_button_credits(self):
        lead = self.make_deal()
        lead.with_user(self.user_salesman).action_set_won()
        self.assertEqual(self.credits(lead).amount, 50_000)

    def test_created_won_through_api_waits_for_credit_past_wins(self):
        lead = self.env["crm.lead"].create(
            {
                "name": "API経由の受注",
                "type": "opportunity",
                "company_id": self.company.id,
                "expected_revenue": 2_000_000,
                "stage_id": self.stage_won.id,
                "probability": 100,
                "contributor_ids": [
                    Command.create({"employee_id": self.employee_engineer.id, "role": "originator"})
                ],
            }
        )
        # The server never saw it win: listed for Credit Past Wins, not credited.
        self.assertFalse(self.credits(lead))
        self.assertTrue(lead.everyone_sells_past_win)
        wizard = (
            self.env["crm.contribution.credit.history"]
            .with_user(self.user_admin)
            .create(
                {
                    "lead_ids": [Command.set(lead.ids)],
                    "date": fields.Date.today(),
                    "reason": "API で登録された受注",
                }
            )
        )
        wizard.action_apply()
        self.assertEqual(self.credits(lead).amount, 100_000)
        lead.invalidate_recordset()
        self.assertFalse(lead.everyone_sells_past_win)

    def test_server_action_credits(self):
        lead = self.make_deal()
        action = self.env["ir.actions.server"].create(
            {
                "name": "受注にする",
                "model_id": self.env.ref("crm.model_crm_lead").id,
                "state": "code",
                "code": "records.action_set_won()",
            }
        )
        action.with_context(active_model="crm.lead", active_ids=lead.ids).run()
        self.assertEqual(self.credits(lead).amount, 50_000)

    def test_import_lists_wins_for_credit_past_wins(self):
        lead = self.make_deal()
        self.import_won(lead)
        self.assertFalse(self.credits(lead))
        self.assertTrue(lead.everyone_sells_past_win)
        self.assertFalse(lead.everyone_sells_won_date)

    def test_no_context_key_turns_crediting_off(self):
        for key in ("everyone_sells_no_credit", "import_file", "everyone_sells_crediting_switch"):
            with self.subTest(key=key):
                lead = self.make_deal(signal_name=f"要望 {key}")
                lead.with_context(**{key: True}).write({"stage_id": self.stage_won.id})
                self.assertEqual(self.credits(lead).amount, 50_000)

    def test_lost_reverses_and_won_again_credits_again(self):
        lead = self.make_deal()
        self.mark_won(lead)
        lead.action_set_lost()
        entries = self.credits(lead)
        self.assertEqual(len(entries), 2)
        credit = entries.filtered(lambda e: e.amount > 0)
        reversal = entries - credit
        self.assertEqual(reversal.reversed_entry_id, credit)
        self.assertEqual(reversal.amount, -50_000)
        self.assertTrue(credit.is_reversed)
        self.assertIn("Reversal", reversal.explanation)
        self.assertEqual(sum(entries.mapped("amount")), 0)
        lead.toggle_active()
        self.mark_won(lead)
        entries = self.credits(lead)
        self.assertEqual(len(entries), 3)
        self.assertEqual(sum(entries.mapped("amount")), 50_000)

    def test_moving_back_to_a_normal_stage_reverses(self):
        lead = self.make_deal()
        self.mark_won(lead)
        lead.stage_id = self.stage_new
        self.assertEqual(sum(self.credits(lead).mapped("amount")), 0)

    def test_archiving_a_won_deal_reverses(self):
        lead = self.make_deal()
        self.mark_won(lead)
        lead.action_archive()
        self.assertEqual(sum(self.credits(lead).mapped("amount")), 0)

    def test_revenue_change_on_won_deal_writes_the_difference(self):
        lead = self.make_deal()
        self.mark_won(lead)
        lead.expected_revenue = 3_000_000
        entries = self.credits(lead)
        self.assertEqual(len(entries), 3)
        self.assertEqual(sum(entries.mapped("amount")), 150_000)
        self.assertEqual(len(entries.filtered("reversed_entry_id")), 1)

    def test_rewinning_twice_never_double_counts(self):
        lead = self.make_deal()
        for _round in range(3):
            self.mark_won(lead)
            self.mark_won(lead)
            lead.write({"stage_id": self.stage_won.id, "probability": 100})
        self.assertEqual(sum(self.credits(lead).mapped("amount")), 50_000)
        self.assertEqual(len(self.credits(lead)), 1)

    def test_many_sequences_net_to_at_most_one_credit(self):
        lead = self.make_deal()
        steps = [
            lambda: self.mark_won(lead),
            lambda: lead.write({"stage_id": self.stage_new.id}),
            lambda: self.mark_won(lead),
            lambda: lead.action_set_lost(),
            lambda: lead.toggle_active(),
            lambda: self.mark_won(lead),
            lambda: lead.write({"expected_revenue": 2_000_000}),
            lambda: self.mark_won(lead),
        ]
        for step in steps:
            step()
            net = sum(self.credits(lead).mapped("amount"))
            self.assertIn(net, (0, 50_000, 100_000))
        self.assertEqual(sum(self.credits(lead).mapped("amount")), 100_000)

    def test_deleted_opportunity_keeps_its_ledger(self):
        lead = self.make_deal()
        self.mark_won(lead)
        entry = self.credits(lead)
        name = lead.name
        lead.unlink()
        self.assertTrue(entry.exists())
        self.assertFalse(entry.lead_id)
        self.assertEqual(entry.lead_name, name)

    def test_merged_opportunity_keeps_its_ledger(self):
        lead = self.make_deal()
        self.mark_won(lead)
        entry = self.credits(lead)
        other = self.make_deal(signal_name="同じ顧客の別件")
        (other | lead)._merge_opportunity(auto_unlink=True, max_length=None)
        self.assertTrue(entry.exists())
        self.assertEqual(entry.amount, 50_000)

    def test_payable_after_hold_period(self):
        lead = self.make_deal()
        self.mark_won(lead)
        entry = self.credits(lead)
        self.assertEqual((entry.payable_date - entry.date).days, 30)


@tagged("post_install", "-at_install")
class TestSplitsAndRules(ContributionCase):
    def test_weight_split_sums_exactly(self):
        lead = self.make_deal(
            revenue=1_000_001,
            contributors=[
                (self.employee_support, 1, "originator"),
                (self.employee_engineer, 1, "technical"),
                (self.employee_marketer, 1, "other"),
            ],
        )
        self.mark_won(lead)
        amounts = self.credits(lead).mapped("amount")
        self.assertEqual(sum(amounts), 50_000)  # 5 % of 1,000,001 rounds to 50,000
        self.assertEqual(sorted(amounts), [16_666, 16_667, 16_667])

    def test_seventy_thirty_explained(self):
        lead = self.make_deal(
            contributors=[
                (self.employee_support, 7, "originator"),
                (self.employee_engineer, 3, "technical"),
            ]
        )
        self.mark_won(lead)
        support = self.credits(lead, self.employee_support)
        self.assertEqual(support.amount, 35_000)
        self.assertAlmostEqual(support.share, 0.7)
        self.assertIn("70 %", support.explanation)
        self.assertIn("35,000", support.explanation)
        self.assertEqual(self.credits(lead, self.employee_engineer).amount, 15_000)

    def test_equal_and_originator_splits(self):
        self.rule_won.active = False
        self.make_rule(name="均等", percentage=6, split_method="equal")
        self.make_rule(
            name="発案者のみ",
            compute_method="fixed",
            fixed_amount=10_000,
            split_method="originator",
        )
        lead = self.make_deal(
            contributors=[
                (self.employee_support, 9, "originator"),
                (self.employee_engineer, 1, "technical"),
            ]
        )
        self.mark_won(lead)
        self.assertEqual(sum(self.credits(lead, self.employee_support).mapped("amount")), 40_000)
        self.assertEqual(sum(self.credits(lead, self.employee_engineer).mapped("amount")), 30_000)

    def test_tiered_rule_marginal(self):
        self.rule_won.active = False
        self.make_rule(
            name="段階 5 % / 3 %",
            compute_method="tiered",
            tier_ids=[
                Command.create({"threshold": 0, "percentage": 5}),
                Command.create({"threshold": 1_000_000, "percentage": 3}),
            ],
        )
        lead = self.make_deal(revenue=3_000_000)
        self.mark_won(lead)
        self.assertEqual(self.credits(lead).amount, 110_000)

    def test_cap_per_deal(self):
        self.rule_won.active = False
        self.make_rule(name="上限付き", percentage=10, cap_per_deal=30_000)
        lead = self.make_deal(revenue=1_000_000)
        self.mark_won(lead)
        entry = self.credits(lead)
        self.assertEqual(entry.amount, 30_000)
        self.assertIn("capped", entry.explanation)

    def test_cap_per_period_per_employee(self):
        self.rule_won.active = False
        self.make_rule(name="月上限", percentage=5, cap_per_period=80_000)
        first = self.make_deal(signal_name="一件目")
        second = self.make_deal(signal_name="二件目")
        self.mark_won(first)
        self.mark_won(second)
        self.assertEqual(self.credits(first).amount, 50_000)
        self.assertEqual(self.credits(second).amount, 30_000)
        self.assertIn("monthly cap", self.credits(second).explanation)

    def test_cap_per_period_inside_one_batch(self):
        self.rule_won.active = False
        self.make_rule(name="月上限", percentage=5, cap_per_period=80_000)
        leads = self.make_deal(signal_name="一件目") | self.make_deal(signal_name="二件目")
        leads.write({"stage_id": self.stage_won.id})
        self.run_crediting()
        total = sum(
            self.env["crm.contribution"].search([("lead_id", "in", leads.ids)]).mapped("amount")
        )
        self.assertEqual(total, 80_000)

    def test_points_rule(self):
        self.make_rule(name="受注ポイント", compute_method="fixed", fixed_amount=0, points=10)
        lead = self.make_deal(
            contributors=[
                (self.employee_support, 1, "originator"),
                (self.employee_engineer, 1, "technical"),
            ]
        )
        self.mark_won(lead)
        points = self.credits(lead).filtered(lambda e: e.points)
        self.assertEqual(sorted(points.mapped("points")), [5, 5])
        self.assertEqual(sum(points.mapped("amount")), 0)

    def test_exclude_sales_team_members(self):
        lead = self.make_deal(
            contributors=[
                (self.employee_support, 1, "originator"),
                (self.employee_salesman, 1, "presales"),
            ]
        )
        self.mark_won(lead)
        self.assertEqual(self.credits(lead).employee_id, self.employee_support)
        self.assertEqual(self.credits(lead).amount, 25_000)

    def test_sales_included_when_rule_allows(self):
        self.rule_won.exclude_sales = False
        lead = self.make_deal(contributors=[(self.employee_salesman, 1, "originator")])
        self.mark_won(lead)
        self.assertEqual(self.credits(lead).amount, 50_000)

    def test_department_filter(self):
        self.rule_won.department_ids = self.dept_engineering
        lead = self.make_deal(
            contributors=[
                (self.employee_support, 1, "originator"),
                (self.employee_engineer, 1, "technical"),
            ]
        )
        self.mark_won(lead)
        self.assertEqual(self.credits(lead).employee_id, self.employee_engineer)

    def test_channel_type_team_and_minimum_filters(self):
        self.rule_won.channel_ids = self.channel_visit
        lead = self.make_deal()
        self.mark_won(lead)
        self.assertFalse(self.credits(lead))
        self.rule_won.write(
            {"channel_ids": [Command.clear()], "signal_type_ids": self.type_upsell.ids}
        )
        lead2 = self.make_deal(signal_name="二件目")
        self.mark_won(lead2)
        self.assertFalse(self.credits(lead2))
        self.rule_won.write({"signal_type_ids": [Command.clear()], "team_ids": self.team_other.ids})
        lead3 = self.make_deal(signal_name="三件目")
        self.mark_won(lead3)
        self.assertFalse(self.credits(lead3))
        self.rule_won.write({"team_ids": [Command.clear()], "min_revenue": 2_000_000})
        lead4 = self.make_deal(signal_name="四件目")
        self.mark_won(lead4)
        self.assertFalse(self.credits(lead4))

    def test_rule_in_force_on_the_event_date(self):
        self.rule_won.date_to = "2020-12-31"
        new_version = self.make_rule(name="受注貢献 6 %", percentage=6, date_from="2021-01-01")
        lead = self.make_deal()
        self.mark_won(lead)
        self.assertEqual(self.credits(lead).rule_id, new_version)
        self.assertEqual(self.credits(lead).amount, 60_000)

    def test_signal_logged_and_handed_off_rules(self):
        self.make_rule(
            name="情報提供",
            trigger="signal_logged",
            compute_method="fixed",
            fixed_amount=500,
            points=1,
        )
        self.make_rule(
            name="引き継ぎ", trigger="handed_off", compute_method="fixed", fixed_amount=1_000
        )
        signal = self.log_signal()
        self.assertEqual(signal.contribution_ids.mapped("amount"), [500])
        self.hand_off(signal)
        signal.invalidate_recordset(["contribution_ids"])
        self.assertEqual(sorted(signal.contribution_ids.mapped("amount")), [500, 1_000])
        duplicate = self.log_signal(user=self.user_engineer)
        self.assertTrue(duplicate.duplicate_of_id)
        self.assertFalse(duplicate.contribution_ids, "first signal wins: a duplicate earns nothing")

    def test_duplicates_earn_no_handoff_credit(self):
        self.make_rule(
            name="引き継ぎ", trigger="handed_off", compute_method="fixed", fixed_amount=1_000
        )
        self.log_signal()
        duplicate = self.log_signal(user=self.user_engineer, name="重複")
        self.hand_off(duplicate)
        self.assertFalse(duplicate.contribution_ids)

    def test_imported_signals_earn_nothing_unless_asked(self):
        self.make_rule(
            name="情報提供", trigger="signal_logged", compute_method="fixed", fixed_amount=500
        )
        result = self.env["crm.signal"].load(
            ["name", "employee_id/.id"], [["過去の記録", str(self.employee_support.id)]]
        )
        signal = self.env["crm.signal"].browse(result["ids"])
        self.assertTrue(signal)
        self.assertFalse(signal.contribution_ids)
        # A context key is no import: a signal logged now earns.
        logged = (
            self.env["crm.signal"]
            .with_context(import_file=True)
            .create({"name": "今の記録", "employee_id": self.employee_support.id})
        )
        self.assertEqual(logged.contribution_ids.amount, 500)

    def test_contributors_changed_on_a_won_deal_are_recredited(self):
        lead = self.make_deal()
        self.mark_won(lead)
        lead.contributor_ids = [
            Command.create({"employee_id": self.employee_engineer.id, "role": "technical"})
        ]
        self.assertEqual(sum(self.credits(lead, self.employee_support).mapped("amount")), 25_000)
        self.assertEqual(self.credits(lead, self.employee_engineer).amount, 25_000)
        lead.contributor_ids.filtered(lambda c: c.role == "technical").unlink()
        self.assertEqual(sum(self.credits(lead, self.employee_support).mapped("amount")), 50_000)
        self.assertEqual(sum(self.credits(lead, self.employee_engineer).mapped("amount")), 0)
        self.assertEqual(sum(self.credits(lead).mapped("amount")), 50_000)

    def test_declined_signal_reverses_its_logging_credit(self):
        self.make_rule(
            name="情報提供", trigger="signal_logged", compute_method="fixed", fixed_amount=500
        )
        signal = self.log_signal()
        wizard = (
            self.env["crm.signal.decline"]
            .with_user(self.user_salesman)
            .create({"signal_ids": [Command.set(signal.ids)], "reason": "not_actionable"})
        )
        wizard.action_apply()
        signal.invalidate_recordset(["contribution_ids"])
        self.assertEqual(sum(signal.contribution_ids.mapped("amount")), 0)

    def test_pilot_program_rule_credits_only_in_scope(self):
        program = self.env["crm.contribution.program"].create(
            {
                "name": "パイロット",
                "company_id": self.company.id,
                "state": "pilot",
                "department_ids": [Command.set(self.dept_support.ids)],
            }
        )
        self.rule_won.program_id = program
        lead = self.make_deal(
            contributors=[
                (self.employee_support, 1, "originator"),
                (self.employee_engineer, 1, "technical"),
            ]
        )
        self.mark_won(lead)
        self.assertEqual(self.credits(lead).employee_id, self.employee_support)
        program.state = "rollout"
        lead2 = self.make_deal(
            signal_name="二件目",
            contributors=[(self.employee_engineer, 1, "originator")],
        )
        self.mark_won(lead2)
        self.assertEqual(self.credits(lead2).employee_id, self.employee_engineer)
        self.assertEqual(len(self.credits(lead)), 1, "rollout does not touch past credits")


@tagged("post_install", "-at_install")
class TestLedgerIsAppendOnly(ContributionCase):
    def setUp(self):
        super().setUp()
        self.lead = self.make_deal()
        self.mark_won(self.lead)
        self.entry = self.credits(self.lead)

    def test_entries_are_never_edited(self):
        with self.assertRaisesRegex(UserError, "never edited"):
            self.entry.write({"amount": 99_999})
        self.entry.with_user(self.user_manager).action_approve()
        with self.assertRaisesRegex(UserError, "never edited"):
            self.entry.sudo().write({"explanation": "書き換え"})

    def test_entries_are_never_deleted(self):
        with self.assertRaisesRegex(UserError, "never deleted"):
            self.entry.unlink()

    def test_manager_approves_in_bulk_but_never_own(self):
        other = self.make_deal(
            signal_name="山本さんの件", contributors=[(self.employee_manager, 1, "originator")]
        )
        self.mark_won(other)
        own = self.credits(other)
        with self.assertRaisesRegex(UserError, "your own credits"):
            own.with_user(self.user_manager).action_approve()
        # A selection with an own credit: the rest is approved, the own one
        # skipped, and the manager is told which and why.
        action = (self.entry | own).with_user(self.user_manager).action_approve()
        self.assertIn("your own credits", action["params"]["message"])
        self.assertEqual(self.entry.state, "approved")
        self.assertEqual(own.state, "draft")
        self.assertEqual(self.entry.approved_by_id, self.user_manager)
        own.with_user(self.user_admin).action_approve()
        self.assertEqual(own.state, "approved")

    def test_a_selection_is_confirmed_with_its_count(self):
        # Larger than the web client's select-all: Approve All Matching
        # (tests/test_approve_matching.py).
        third = self.make_deal(
            signal_name="三件目", contributors=[(self.employee_engineer, 1, "originator")]
        )
        self.mark_won(third)
        action = self.credits(third).with_user(self.user_manager).action_approve()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn(str(len(self.credits(third))), action["params"]["title"])
        self.assertEqual(set(self.credits(third).mapped("state")), {"approved"})

    @users(EMPLOYEE, SALESPERSON)
    def test_employee_and_salesman_cannot_approve(self):
        with self.assertRaisesRegex(UserError, "Only contribution managers"):
            self.entry.with_env(self.env).action_approve()
        self.assertEqual(self.entry.state, "draft")

    def test_reversal_of_approved_credit_is_booked_at_once(self):
        self.entry.with_user(self.user_manager).action_approve()
        self.lead.action_set_lost()
        self.run_crediting()
        reversal = self.entry.reversal_entry_ids
        self.assertEqual(reversal.state, "approved")
        self.assertEqual(reversal.amount, -50_000)

    def test_employee_reads_only_own_entries(self):
        other = self.make_deal(
            signal_name="鈴木さんの件", contributors=[(self.employee_engineer, 1, "originator")]
        )
        self.mark_won(other)
        visible = self.env["crm.contribution"].with_user(self.user_support).search([])
        self.assertEqual(visible, self.entry)
        with self.assertRaises(AccessError):
            self.credits(other).with_user(self.user_support).read(["amount"])

    def test_salesman_reads_only_own_credits(self):
        self.assertFalse(self.env["crm.contribution"].with_user(self.user_salesman).search([]))
        with self.assertRaises(AccessError):
            self.entry.with_user(self.user_salesman).read(["amount"])

    def test_manager_sees_company_ledger(self):
        visible = self.env["crm.contribution"].with_user(self.user_manager).search([])
        self.assertIn(self.entry, visible)
