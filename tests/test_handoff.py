from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import EveryoneSellsCase


@tagged("post_install", "-at_install")
class TestHandoff(EveryoneSellsCase):
    def test_handoff_creates_opportunity_with_origin(self):
        signal = self.log_signal(channel_id=self.channel_support.id, estimated_revenue=800_000)
        lead, action = self.hand_off(signal)
        self.assertEqual(action["res_model"], "crm.lead")
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(lead.name, signal.name)
        self.assertEqual(lead.partner_id, self.customer)
        self.assertEqual(lead.expected_revenue, 800_000)
        self.assertEqual(lead.team_id, self.team)
        self.assertEqual(lead.user_id, self.user_salesman)
        self.assertEqual(lead.origin_employee_id, self.employee_support)
        self.assertEqual(lead.origin_department_id, self.dept_support)
        self.assertEqual(lead.signal_channel_id, self.channel_support)
        self.assertEqual(lead.company_id, self.company)
        self.assertEqual(signal.lead_id, lead)
        self.assertEqual(signal.state, "handed_off")
        self.assertEqual(signal.user_id, self.user_salesman)
        self.assertEqual(signal.team_id, self.team)
        self.assertTrue(signal.handoff_date)
        self.assertEqual(lead.signal_ids, signal)
        self.assertEqual(lead.signal_count, 1)

    def test_originator_becomes_contributor(self):
        lead, _action = self.hand_off(self.log_signal())
        self.assertEqual(len(lead.contributor_ids), 1)
        self.assertEqual(lead.contributor_ids.employee_id, self.employee_support)
        self.assertEqual(lead.contributor_ids.role, "originator")
        self.assertEqual(lead.contributor_ids.department_id, self.dept_support)
        self.assertEqual(lead.contributor_ids.weight, 1)

    def test_customer_gets_origin_when_it_has_none(self):
        signal = self.log_signal(
            partner_id=self.customer_contact.id, channel_id=self.channel_visit.id
        )
        self.hand_off(signal)
        for partner in (self.customer_contact, self.customer):
            self.assertEqual(partner.origin_employee_id, self.employee_support)
            self.assertEqual(partner.origin_department_id, self.dept_support)
            self.assertEqual(partner.signal_channel_id, self.channel_visit)

    def test_customer_origin_is_never_overwritten(self):
        self.hand_off(self.log_signal())
        later = self.log_signal(user=self.user_engineer, name="増設の相談")
        later.duplicate_of_id = False
        self.hand_off(later)
        self.assertEqual(self.customer.origin_employee_id, self.employee_support)

    def test_handoff_without_customer_uses_contact_name(self):
        signal = self.log_signal(
            partner_id=False,
            contact_name="ひかり物産 木村様",
            email_from="kimura@hikari.example.jp",
            phone="03-1234-5678",
        )
        lead, _action = self.hand_off(signal)
        self.assertFalse(lead.partner_id)
        self.assertEqual(lead.contact_name, "ひかり物産 木村様")
        self.assertEqual(lead.email_from, "kimura@hikari.example.jp")
        self.assertEqual(lead.phone, "03-1234-5678")

    def test_typed_contact_follows_through_the_wizard_to_the_opportunity(self):
        # Issue 17.7: what the employee typed instead of a customer is shown
        # in the inbox and the wizard, and lands in the opportunity's
        # contact fields.
        signal = self.log_signal(partner_id=False, contact_name="東邦精工 購買部 小野様")
        inbox = self.env["crm.signal"].with_user(self.user_salesman)
        self.assertIn("contact_name", inbox.get_views([(False, "list")])["views"]["list"]["arch"])
        self.assertEqual(inbox.browse(signal.id).contact_name, "東邦精工 購買部 小野様")
        wizard = (
            self.env["crm.signal.handoff"]
            .with_user(self.user_salesman)
            .create({"signal_ids": [Command.set(signal.ids)], "team_id": self.team.id})
        )
        self.assertEqual(wizard.contact_name, "東邦精工 購買部 小野様")
        self.assertIn(
            'name="contact_name"', wizard.get_views([(False, "form")])["views"]["form"]["arch"]
        )
        wizard.write({"partner_name": "東邦精工株式会社", "contact_name": "購買部 小野様"})
        lead = self.env["crm.lead"].browse(wizard.action_apply()["res_id"])
        self.assertFalse(lead.partner_id)
        self.assertEqual(lead.partner_name, "東邦精工株式会社")
        self.assertEqual(lead.contact_name, "購買部 小野様")
        # On the opportunity's first tab, not only under Extra Information.
        form = lead.with_user(self.user_salesman).get_views([(False, "form")])["views"]["form"]
        self.assertIn('id="contact_name_everyone_sells"', form["arch"])

    def test_typed_contact_is_kept_as_typed_by_default(self):
        signal = self.log_signal(partner_id=False, contact_name="東邦精工 購買部 小野様")
        lead, _action = self.hand_off(signal)
        self.assertEqual(lead.contact_name, "東邦精工 購買部 小野様")

    def test_origin_is_the_originator_row(self):
        lead, _action = self.hand_off(self.log_signal())
        lead.contributor_ids.write({"role": "other"})
        self.assertFalse(lead.origin_employee_id)
        lead.contributor_ids = [
            Command.create({"employee_id": self.employee_engineer.id, "role": "originator"})
        ]
        self.assertEqual(lead.origin_employee_id, self.employee_engineer)
        self.assertEqual(lead.origin_department_id, self.dept_engineering)

    def test_a_signals_life_reads_on_the_signal(self):
        # The wizards only collect input: the same steps run on crm.signal.
        first = self.log_signal()
        second = self.log_signal(user=self.user_engineer, partner_id=self.customer_other.id)
        signals = (first | second).with_user(self.user_salesman)
        self.assertEqual(signals._first_signal(), first)
        lead = signals._create_lead({"name": "直接の引き渡し", "team_id": self.team.id})
        signals._hand_off(lead, "来週訪問します")
        self.assertEqual(lead.origin_employee_id, self.employee_support)
        self.assertTrue(all(signals.mapped("is_handed_off")))
        third = self.log_signal(name="別件", partner_id=False).with_user(self.user_salesman)
        with self.assertRaisesRegex(UserError, "note is required"):
            third._decline("other")
        third._decline("duplicate", "既に対応中")
        self.assertEqual(third.state, "declined")

    def test_link_to_existing_opportunity_keeps_its_origin(self):
        lead = self.env["crm.lead"].create(
            {
                "name": "既存の商談",
                "type": "opportunity",
                "user_id": self.user_salesman.id,
                "team_id": self.team.id,
                "company_id": self.company.id,
                # Who brought a deal is its originator contributor row.
                "contributor_ids": [
                    Command.create({"employee_id": self.employee_marketer.id, "role": "originator"})
                ],
            }
        )
        self.assertEqual(lead.origin_department_id, self.dept_marketing)
        signal = self.log_signal(user=self.user_engineer, partner_id=self.customer_other.id)
        linked, _action = self.hand_off(signal, mode="link", lead_id=lead.id)
        self.assertEqual(linked, lead)
        self.assertEqual(lead.origin_employee_id, self.employee_marketer)
        self.assertEqual(signal.lead_id, lead)
        self.assertEqual(signal.state, "handed_off")
        roles = {c.employee_id: c.role for c in lead.contributor_ids}
        self.assertEqual(
            roles, {self.employee_marketer: "originator", self.employee_engineer: "other"}
        )

    def test_link_sets_origin_when_opportunity_has_none(self):
        lead = self.env["crm.lead"].create(
            {
                "name": "営業発の商談",
                "type": "opportunity",
                "user_id": self.user_salesman.id,
                "company_id": self.company.id,
            }
        )
        signal = self.log_signal(channel_id=self.channel_visit.id)
        self.hand_off(signal, mode="link", lead_id=lead.id)
        self.assertEqual(lead.origin_employee_id, self.employee_support)
        self.assertEqual(lead.signal_channel_id, self.channel_visit)

    def test_several_signals_become_one_opportunity(self):
        first = self.log_signal(estimated_revenue=500_000)
        second = self.log_signal(
            user=self.user_engineer,
            partner_id=self.customer_other.id,
            estimated_revenue=300_000,
        )
        lead, _action = self.hand_off(first | second, partner_id=self.customer.id)
        self.assertEqual(lead.expected_revenue, 800_000)
        self.assertEqual((first | second).lead_id, lead)
        self.assertEqual(lead.origin_employee_id, self.employee_support)
        roles = {c.employee_id: c.role for c in lead.contributor_ids}
        self.assertEqual(
            roles, {self.employee_support: "originator", self.employee_engineer: "other"}
        )
        self.assertEqual(lead.signal_count, 2)

    def test_originator_is_told_and_follows_the_opportunity(self):
        signal = self.log_signal()
        lead, _action = self.hand_off(signal, note="来週訪問します")
        self.assertIn(self.user_support.partner_id, lead.message_partner_ids)
        told = signal.message_ids.filtered(lambda m: self.user_support.partner_id in m.partner_ids)
        self.assertTrue(told)
        self.assertIn(lead.name, told[0].body)
        self.assertIn("来週訪問します", told[0].body)
        self.assertTrue(lead.message_ids.filtered(lambda m: "来週訪問します" in (m.body or "")))

    def test_handoff_requires_new_signals(self):
        signal = self.log_signal()
        self.hand_off(signal)
        with self.assertRaisesRegex(UserError, "Only new signals"):
            self.hand_off(signal)

    def test_link_mode_requires_an_opportunity(self):
        with self.assertRaisesRegex(UserError, "Choose the opportunity"):
            self.hand_off(self.log_signal(), mode="link")

    def test_handoff_across_companies_is_refused(self):
        signal = self.log_signal()
        other = (
            self.env["crm.signal"]
            .with_company(self.other_company)
            .create(
                {
                    "name": "別会社",
                    "employee_id": self.employee_without_user.id,
                    "company_id": self.other_company.id,
                }
            )
        )
        wizard = self.env["crm.signal.handoff"].create(
            {"signal_ids": [Command.set((signal | other).ids)], "team_id": self.team.id}
        )
        with self.assertRaisesRegex(UserError, "different companies"):
            wizard.action_apply()
        self.assertEqual(signal.state, "new")

    def test_action_handoff_opens_wizard_with_signals(self):
        signal = self.log_signal()
        action = signal.with_user(self.user_salesman).action_handoff()
        self.assertEqual(action["res_model"], "crm.signal.handoff")
        self.assertEqual(action["context"]["default_signal_ids"], signal.ids)

    def test_wizard_defaults_from_signal(self):
        signal = self.log_signal(estimated_revenue=250_000)
        wizard = (
            self.env["crm.signal.handoff"]
            .with_user(self.user_salesman)
            .create({"signal_ids": [Command.set(signal.ids)]})
        )
        self.assertEqual(wizard.name, signal.name)
        self.assertEqual(wizard.partner_id, self.customer)
        self.assertEqual(wizard.expected_revenue, 250_000)
        self.assertEqual(wizard.user_id, self.user_salesman)
        self.assertEqual(wizard.team_id, self.team)


@tagged("post_install", "-at_install")
class TestDecline(EveryoneSellsCase):
    def _decline(self, signals, reason, note=False, user=None):
        wizard = (
            self.env["crm.signal.decline"]
            .with_user(user or self.user_salesman)
            .create({"signal_ids": [Command.set(signals.ids)], "reason": reason, "note": note})
        )
        return wizard.action_apply()

    def test_decline_with_reason_tells_the_originator(self):
        signal = self.log_signal()
        self._decline(signal, "in_progress", note="既に商談中です。ありがとうございます。")
        self.assertEqual(signal.state, "declined")
        self.assertEqual(signal.decline_reason, "in_progress")
        told = signal.message_ids.filtered(lambda m: self.user_support.partner_id in m.partner_ids)
        self.assertTrue(told)
        self.assertIn("Already in progress", told[0].body)
        self.assertIn("既に商談中です", told[0].body)

    def test_decline_other_needs_a_note(self):
        signal = self.log_signal()
        with self.assertRaisesRegex(UserError, "note is required"):
            self._decline(signal, "other")
        self.assertEqual(signal.state, "new")

    def test_declined_signal_is_read_only_for_its_author(self):
        signal = self.log_signal()
        self._decline(signal, "not_actionable")
        with self.assertRaises(AccessError):
            signal.with_user(self.user_support).write({"name": "再送"})
