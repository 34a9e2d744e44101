from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged, users
from odoo.tools import mute_logger

from .common import ContributionCase


@tagged("post_install", "-at_install")
class TestScoringRules(ContributionCase):
    def test_example_on_the_form(self):
        self.assertIn("50,000", self.rule_won.example_text)
        self.assertIn("35,000", self.rule_won.example_text)
        self.assertIn("15,000", self.rule_won.example_text)

    def test_rule_that_folds_overtime_pay_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "overtime"):
            self.make_rule(name="歩合給(残業代を含む)", percentage=5)
        with self.assertRaisesRegex(ValidationError, "overtime"):
            self.make_rule(
                name="Sales bonus",
                percentage=5,
                description="<p>The bonus minus overtime pay already paid.</p>",
            )

    def test_negative_amounts_are_refused(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.make_rule(name="マイナス", compute_method="fixed", fixed_amount=-100)

    def test_used_rule_cannot_change_what_it_pays(self):
        lead = self.make_deal()
        self.mark_won(lead)
        with self.assertRaisesRegex(UserError, "New Version"):
            self.rule_won.with_user(self.user_admin).percentage = 10
        with self.assertRaisesRegex(UserError, "New Version"):
            self.rule_won.with_user(self.user_admin).is_published = False
        # What does not change the pay stays editable.
        self.rule_won.with_user(self.user_admin).write({"sequence": 5, "date_to": "2099-12-31"})

    def test_new_version_ends_the_old_one(self):
        lead = self.make_deal()
        self.mark_won(lead)
        action = self.rule_won.with_user(self.user_admin).action_new_version()
        new_rule = self.env["crm.contribution.rule"].browse(action["res_id"])
        self.assertEqual(new_rule.previous_version_id, self.rule_won)
        self.assertTrue(self.rule_won.date_to)
        self.assertLess(self.rule_won.date_to, new_rule.date_from)
        new_rule.with_user(self.user_admin).percentage = 6
        self.assertEqual(self.credits(lead).amount, 50_000, "history is kept")

    def test_overlapping_version_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "overlaps"):
            self.make_rule(
                name="重複",
                percentage=6,
                previous_version_id=self.rule_won.id,
                date_from="2024-01-01",
            )

    def test_tiers_of_a_used_rule_are_history(self):
        rule = self.make_rule(
            name="段階",
            compute_method="tiered",
            tier_ids=[Command.create({"threshold": 0, "percentage": 5})],
        )
        self.mark_won(self.make_deal())
        with self.assertRaisesRegex(UserError, "New Version"):
            rule.tier_ids.with_user(self.user_admin).percentage = 8

    def test_tiered_rule_needs_tiers_and_percentage_at_most_100(self):
        with self.assertRaisesRegex(ValidationError, "no tier"):
            self.make_rule(name="段階なし", compute_method="tiered")
        with self.assertRaisesRegex(ValidationError, "100"):
            self.make_rule(name="過大", percentage=150)

    def test_rule_changes_are_tracked(self):
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.rule_won.with_user(self.user_admin).write({"date_to": "2030-12-31"})
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.rule_won.invalidate_recordset(["message_ids"])
        tracked = self.rule_won.sudo().message_ids.tracking_value_ids.field_id.mapped("name")
        self.assertIn("date_to", tracked)

    def test_award_rules_give_points_never_money(self):
        # A published rule fixes its criteria in advance: its money is wages
        # (昭22.9.13 発基17号), a fixed ¥30,000 included.
        with self.assertRaisesRegex(ValidationError, "wages"):
            self.make_rule(name="表彰", percentage=1, wage_type="award")
        with self.assertRaisesRegex(ValidationError, "wages"):
            self.make_rule(
                name="社長賞", compute_method="fixed", fixed_amount=30_000, wage_type="award"
            )
        rule = self.make_rule(name="表彰", compute_method="fixed", points=10, wage_type="award")
        with self.assertRaisesRegex(ValidationError, "wages"):
            rule.with_user(self.user_admin).write({"fixed_amount": 1_000})

    @users("es_support")
    def test_employees_read_published_rules_only(self):
        draft = self.make_rule(name="検討中の規程", percentage=9, is_published=False)
        visible = self.env["crm.contribution.rule"].search([])
        self.assertIn(self.rule_won, visible)
        self.assertNotIn(draft, visible)
        with self.assertRaises(AccessError):
            draft.with_user(self.env.user).read(["name"])
        with self.assertRaises(AccessError):
            self.rule_won.with_user(self.env.user).write({"percentage": 50})

    @users("es_manager")
    def test_managers_read_but_do_not_configure(self):
        self.env["crm.contribution.rule"].search([]).read(["name"])
        with self.assertRaises(AccessError):
            self.env["crm.contribution.rule"].create({"name": "勝手な規程"})


@tagged("post_install", "-at_install")
class TestOnlyPublishedRulesCredit(ContributionCase):
    def test_unpublished_rule_pays_nobody(self):
        self.make_rule(name="非公開の規程", percentage=10, is_published=False)
        lead = self.make_deal()
        self.mark_won(lead)
        self.assertEqual(self.credits(lead).rule_id, self.rule_won)


@tagged("post_install", "-at_install")
class TestWhatIf(ContributionCase):
    def test_signal_shows_what_the_employee_could_earn(self):
        signal = self.log_signal(estimated_revenue=2_000_000)
        signal = signal.with_user(self.user_support)
        self.assertEqual(signal.whatif_amount, 100_000)
        self.assertIn("100,000", signal.whatif_explanation)

    def test_unpublished_rules_do_not_count(self):
        self.rule_won.is_published = False
        signal = self.log_signal(estimated_revenue=2_000_000).with_user(self.user_support)
        self.assertEqual(signal.whatif_amount, 0)
        self.assertIn("No published rule", signal.whatif_explanation)

    def test_the_ledger_estimates_a_signal_without_writing_anything(self):
        self.make_rule(
            name="情報提供 500円", trigger="signal_logged", compute_method="fixed", fixed_amount=500
        )
        signal = self.log_signal(estimated_revenue=2_000_000)
        ledger = self.env["crm.contribution"].with_context(lang="en_US")
        before = ledger.search_count([])
        lines, sentences = ledger._estimate_signal_credits(
            signal, self.employee_support, signal.create_date.date()
        )
        self.assertEqual(ledger.search_count([]), before)
        self.assertEqual(
            sorted((line["trigger"], line["amount"]) for line in lines),
            [("signal_logged", 500), ("won", 100_000)],
        )
        self.assertEqual(len(sentences), len(lines))
        self.assertTrue(all(line["employee_id"] == self.employee_support.id for line in lines))
        self.assertTrue(any("100,000" in sentence for sentence in sentences))
        self.assertEqual(sum(line["amount"] for line in lines), signal.whatif_amount)


@tagged("post_install", "-at_install")
class TestCreditPastWins(ContributionCase):
    def test_imported_wins_are_credited_on_request_once(self):
        lead = self.make_deal()
        self.import_won(lead)
        self.assertFalse(self.credits(lead))
        wizard = (
            self.env["crm.contribution.credit.history"]
            .with_user(self.user_admin)
            .create(
                {
                    "lead_ids": [Command.set(lead.ids)],
                    "date": "2025-06-30",
                    "reason": "旧システムから移行した受注",
                }
            )
        )
        wizard.action_apply()
        entry = self.credits(lead)
        self.assertEqual(entry.amount, 50_000)
        self.assertEqual(str(entry.date), "2025-06-30")
        wizard.action_apply()
        self.assertEqual(len(self.credits(lead)), 1, "never twice")

    def test_only_admins_credit_past_wins(self):
        lead = self.make_deal()
        self.mark_won(lead)
        with self.assertRaises(AccessError):
            self.env["crm.contribution.credit.history"].with_user(self.user_manager).create(
                {"lead_ids": [Command.set(lead.ids)]}
            ).action_apply()
