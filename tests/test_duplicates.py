from odoo.tests import Form, tagged

from .common import EveryoneSellsCase


@tagged("post_install", "-at_install")
class TestFirstSignalWins(EveryoneSellsCase):
    def test_later_signal_inside_window_is_a_duplicate(self):
        first = self.log_signal()
        second = self.log_signal(user=self.user_engineer, name="同じ顧客の別の声")
        self.assertFalse(first.duplicate_of_id)
        self.assertEqual(second.duplicate_of_id, first)

    def test_contact_of_the_same_company_is_the_same_customer(self):
        first = self.log_signal()
        second = self.log_signal(user=self.user_marketer, partner_id=self.customer_contact.id)
        self.assertEqual(second.duplicate_of_id, first)

    def test_same_email_without_customer_is_the_same_customer(self):
        first = self.log_signal(partner_id=False, contact_name="木村様", email_from="kimura@x.jp")
        second = self.log_signal(
            user=self.user_engineer, partner_id=False, email_from="Kimura <KIMURA@x.jp>"
        )
        self.assertEqual(second.duplicate_of_id, first)

    def test_signal_outside_window_is_not_a_duplicate(self):
        first = self.log_signal()
        self.backdate(first, "create_date", days=91)
        second = self.log_signal(user=self.user_engineer)
        self.assertFalse(second.duplicate_of_id)

    def test_window_follows_company_setting(self):
        self.company.everyone_sells_protection_days = 200
        first = self.log_signal()
        self.backdate(first, "create_date", days=150)
        self.assertEqual(self.log_signal(user=self.user_engineer).duplicate_of_id, first)
        self.company.everyone_sells_protection_days = 0
        self.assertFalse(self.log_signal(user=self.user_marketer).duplicate_of_id)

    def test_closed_signal_does_not_protect(self):
        first = self.log_signal()
        first.state = "declined"
        self.assertFalse(self.log_signal(user=self.user_engineer).duplicate_of_id)

    def test_other_customer_is_not_a_duplicate(self):
        self.log_signal()
        other = self.log_signal(user=self.user_engineer, partner_id=self.customer_other.id)
        self.assertFalse(other.duplicate_of_id)

    def test_same_batch_first_one_wins(self):
        Signal = self.env["crm.signal"].with_context(allowed_company_ids=self.company.ids)
        first, second = Signal.create(
            [
                {
                    "name": "一件目",
                    "partner_id": self.customer.id,
                    "employee_id": self.employee_support.id,
                },
                {
                    "name": "二件目",
                    "partner_id": self.customer.id,
                    "employee_id": self.employee_engineer.id,
                },
            ]
        )
        self.assertFalse(first.duplicate_of_id)
        self.assertEqual(second.duplicate_of_id, first)

    def test_handing_off_the_duplicate_keeps_the_first_originator(self):
        first = self.log_signal()
        second = self.log_signal(user=self.user_engineer, name="後から来た声")
        lead, _action = self.hand_off(second)
        self.assertEqual(lead.origin_employee_id, self.employee_support)
        originator = lead.contributor_ids.filtered(lambda c: c.role == "originator")
        self.assertEqual(originator.employee_id, self.employee_support)
        self.assertNotIn(self.employee_engineer, lead.contributor_ids.employee_id)
        self.assertEqual(first.state, "new")

    def test_form_warns_about_an_open_signal(self):
        self.log_signal()
        form = Form(
            self.env["crm.signal"].with_user(self.user_engineer),
            view="crm_everyone_sells.crm_signal_view_form_quick",
        )
        form.name = "別の声"
        form.partner_id = self.customer
        self.assertIn(self.employee_support.name, form.duplicate_hint)
