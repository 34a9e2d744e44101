from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import EveryoneSellsCase


@tagged("post_install", "-at_install")
class TestSignal(EveryoneSellsCase):
    def test_defaults_come_from_the_current_employee(self):
        signal = self.log_signal()
        self.assertEqual(signal.employee_id, self.employee_support)
        self.assertEqual(signal.department_id, self.dept_support)
        self.assertEqual(signal.company_id, self.company)
        self.assertEqual(signal.currency_id, self.jpy)
        self.assertEqual(signal.state, "new")
        self.assertEqual(signal.signal_type_id, self.type_new_need)

    def test_department_snapshot_survives_a_transfer(self):
        signal = self.log_signal()
        self.employee_support.department_id = self.dept_marketing
        signal.invalidate_recordset()
        self.assertEqual(signal.department_id, self.dept_support)
        later = self.log_signal(partner_id=self.customer_other.id)
        self.assertEqual(later.department_id, self.dept_marketing)

    def test_originator_and_department_are_history(self):
        signal = self.log_signal()
        with self.assertRaisesRegex(UserError, "history"):
            signal.with_user(self.user_manager).employee_id = self.employee_engineer
        with self.assertRaisesRegex(UserError, "history"):
            signal.with_user(self.user_manager).department_id = self.dept_sales
        # Writing the same value (as a form save does) is harmless.
        signal.with_user(self.user_support).write({"employee_id": self.employee_support.id})

    def test_user_without_employee_is_told_what_to_do(self):
        with self.assertRaisesRegex(UserError, "not linked to an employee"):
            self.log_signal(user=self.user_no_employee)

    def test_ten_second_form(self):
        """The quick form needs only what the customer said and who."""
        form = Form(
            self.env["crm.signal"].with_user(self.user_engineer),
            view="crm_everyone_sells.crm_signal_view_form_quick",
        )
        form.name = "保守契約の更新時期を相談したい"
        form.contact_name = "ひかり物産 購買部 木村様"
        signal = form.save()
        self.assertEqual(signal.employee_id, self.employee_engineer)
        self.assertEqual(signal.department_id, self.dept_engineering)
        self.assertEqual(signal.signal_type_id, self.type_new_need)

    def test_signal_types_and_channels_are_shipped(self):
        codes = set(self.env["crm.signal.type"].search([]).mapped("code"))
        self.assertTrue(
            {"new_need", "upsell", "improvement", "churn_risk", "referral", "other"} <= codes
        )
        channels = set(self.env["crm.signal.channel"].search([]).mapped("code"))
        self.assertTrue(
            {
                "support",
                "visit",
                "event",
                "exhibition",
                "website",
                "social",
                "cs_meeting",
                "other",
            }
            <= channels
        )
        self.assertFalse(self.env.ref("crm_everyone_sells.signal_type_improvement").is_sale)

    def test_originator_follows_own_signal(self):
        signal = self.log_signal()
        self.assertIn(self.user_support.partner_id, signal.message_partner_ids)

    def test_signal_logged_by_manager_for_colleague_is_followed_by_colleague(self):
        signal = self.log_signal(user=self.user_manager, employee_id=self.employee_engineer.id)
        self.assertEqual(signal.department_id, self.dept_engineering)
        self.assertIn(self.user_engineer.partner_id, signal.message_partner_ids)

    def test_employee_edits_own_new_signal(self):
        signal = self.log_signal()
        signal.with_user(self.user_support).write({"estimated_revenue": 1_200_000})
        self.assertEqual(signal.estimated_revenue, 1_200_000)

    def test_description_is_sanitized(self):
        signal = self.log_signal(
            description='<p>要望です</p><script>alert("x")</script><img src=x onerror="alert(1)">'
        )
        self.assertNotIn("<script", signal.description)
        self.assertNotIn("onerror", signal.description)
        self.assertIn("要望です", signal.description)

    def test_my_department_filter(self):
        mine = self.log_signal()
        colleague = self.log_signal(user=self.user_engineer, partner_id=self.customer_other.id)
        found = (
            self.env["crm.signal"]
            .with_user(self.user_manager)
            .search([("in_my_department", "=", True), ("id", "in", (mine | colleague).ids)])
        )
        self.assertEqual(found, mine)

    def test_program_joined_inside_pilot_scope_only(self):
        program = self.env["crm.contribution.program"].create(
            {
                "name": "全員営業 パイロット",
                "company_id": self.company.id,
                "state": "pilot",
                "department_ids": [Command.set(self.dept_support.ids)],
            }
        )
        inside = self.log_signal()
        outside = self.log_signal(user=self.user_engineer, partner_id=self.customer_other.id)
        self.assertEqual(inside.program_id, program)
        self.assertFalse(outside.program_id)
        program.state = "rollout"
        widened = self.log_signal(user=self.user_engineer, name="別件の要望")
        self.assertEqual(widened.program_id, program)

    def test_handoff_and_decline_refuse_processed_signals(self):
        signal = self.log_signal()
        signal.state = "declined"
        with self.assertRaisesRegex(UserError, "Only new signals"):
            signal.with_user(self.user_salesman).action_handoff()
        with self.assertRaisesRegex(UserError, "Only new signals"):
            signal.with_user(self.user_salesman).action_decline()

    def test_protection_days_cannot_be_negative(self):
        with self.assertRaisesRegex(ValidationError, "negative"):
            self.company.everyone_sells_protection_days = -1
