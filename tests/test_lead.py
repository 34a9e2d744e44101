from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import EveryoneSellsCase


@tagged("post_install", "-at_install")
class TestOpportunityFollowsSignal(EveryoneSellsCase):
    def setUp(self):
        super().setUp()
        self.signal = self.log_signal()
        self.lead, _action = self.hand_off(self.signal)
        self.lead.stage_id = self.stage_new

    def test_won_by_stage_marks_signal_won(self):
        self.mark_won(self.lead)
        self.assertEqual(self.signal.state, "won")

    def test_won_button_marks_signal_won(self):
        self.lead.with_user(self.user_salesman).action_set_won()
        self.assertEqual(self.signal.state, "won")

    def test_lost_marks_signal_lost_and_reopen_hands_it_back(self):
        self.lead.with_user(self.user_salesman).action_set_lost()
        self.assertEqual(self.signal.state, "lost")
        self.lead.with_user(self.user_salesman).toggle_active()
        self.assertEqual(self.signal.state, "handed_off")

    def test_moving_out_of_won_stage_reopens_signal(self):
        self.mark_won(self.lead)
        self.lead.write({"stage_id": self.stage_new.id})
        self.assertEqual(self.signal.state, "handed_off")

    def test_state_change_is_tracked_for_the_originator(self):
        # As if the hand-off had been committed: Odoo does not track changes
        # to records created in the same transaction.
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.mark_won(self.lead)
        self.env.flush_all()
        self.env.cr.precommit.run()  # tracking messages are written at commit
        self.signal.invalidate_recordset(["message_ids"])
        won_subtype = self.env.ref("crm_everyone_sells.mt_signal_won")
        self.assertTrue(self.signal.message_ids.filtered(lambda m: m.subtype_id == won_subtype))

    def test_deleted_opportunity_leaves_signal_history(self):
        self.mark_won(self.lead)
        self.lead.unlink()
        self.assertFalse(self.signal.lead_id)
        self.assertEqual(self.signal.state, "won")


@tagged("post_install", "-at_install")
class TestOriginSurvives(EveryoneSellsCase):
    def test_lead_to_opportunity_conversion_keeps_origin(self):
        signal = self.log_signal()
        lead, _action = self.hand_off(signal)
        lead.type = "lead"
        wizard = (
            self.env["crm.lead2opportunity.partner"]
            .with_user(self.user_salesman)
            .with_context(active_model="crm.lead", active_id=lead.id, active_ids=lead.ids)
            .create({"name": "convert", "action": "exist", "partner_id": self.customer.id})
        )
        wizard.action_apply()
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(lead.origin_employee_id, self.employee_support)
        self.assertEqual(lead.signal_ids, signal)
        self.assertEqual(lead.contributor_ids.employee_id, self.employee_support)

    def test_merge_keeps_origin_signals_and_contributors(self):
        first = self.log_signal()
        lead_a, _action = self.hand_off(first)
        second = self.log_signal(user=self.user_engineer, partner_id=self.customer_other.id)
        lead_b, _action = self.hand_off(second)
        lead_b.contributor_ids = [
            Command.create({"employee_id": self.employee_support.id, "role": "technical"})
        ]
        lead_plain = self.env["crm.lead"].create(
            {"name": "営業の商談", "type": "opportunity", "company_id": self.company.id}
        )
        merged = (
            (lead_plain | lead_a | lead_b)
            .with_user(self.user_sales_manager)
            ._merge_opportunity(auto_unlink=True, max_length=None)
        )
        self.assertEqual(merged.signal_ids, first | second)
        self.assertTrue(merged.origin_employee_id)
        self.assertEqual(
            merged.contributor_ids.employee_id, self.employee_support | self.employee_engineer
        )
        self.assertEqual(merged.signal_count, 2)

    def test_merge_into_an_opportunity_without_contributors_keeps_one_line_each(self):
        """佐藤 helped on two of the merged opportunities, the survivor has
        nobody: she is on it once, and it has one originator (on a database
        with demo data Odoo's stages made this case happen by itself)."""
        lead_a, _action = self.hand_off(self.log_signal())
        lead_b, _action = self.hand_off(
            self.log_signal(user=self.user_engineer, partner_id=self.customer_other.id)
        )
        lead_b.contributor_ids = [
            Command.create({"employee_id": self.employee_support.id, "role": "technical"})
        ]
        proposal = self.env["crm.stage"].create({"name": "提案", "sequence": 50})
        survivor = self.env["crm.lead"].create(
            {
                "name": "営業の商談",
                "type": "opportunity",
                "company_id": self.company.id,
                "stage_id": proposal.id,
            }
        )
        merged = (
            (survivor | lead_a | lead_b)
            .with_user(self.user_sales_manager)
            ._merge_opportunity(auto_unlink=True, max_length=None)
        )
        self.assertEqual(merged, survivor)
        support = merged.contributor_ids.filtered(lambda c: c.employee_id == self.employee_support)
        self.assertEqual(len(support), 1)
        self.assertEqual(len(merged.contributor_ids.filtered(lambda c: c.role == "originator")), 1)

    def test_one_originator_per_opportunity(self):
        lead, _action = self.hand_off(self.log_signal())
        with self.assertRaisesRegex(ValidationError, "already has an originator"):
            lead.contributor_ids = [
                Command.create({"employee_id": self.employee_engineer.id, "role": "originator"})
            ]

    def test_contributor_weight_cannot_be_negative(self):
        lead, _action = self.hand_off(self.log_signal())
        with self.assertRaisesRegex(ValidationError, "negative"):
            lead.contributor_ids.weight = -1

    def test_partner_counts_signals_of_its_contacts(self):
        self.log_signal()
        self.log_signal(user=self.user_engineer, partner_id=self.customer_contact.id)
        customer = self.customer.with_user(self.user_sales_manager)
        self.assertEqual(customer.signal_count, 2)
        action = customer.action_view_signals()
        self.assertEqual(self.env["crm.signal"].search_count(action["domain"]), 2)


@tagged("post_install", "-at_install")
class TestSignalCreatedWithOpportunity(EveryoneSellsCase):
    def test_state_follows_the_opportunity_from_creation(self):
        """An import or API call may create a signal already linked."""
        lead = self.env["crm.lead"].create(
            {"name": "取込済みの商談", "type": "opportunity", "company_id": self.company.id}
        )
        signal = self.env["crm.signal"].create(
            {"name": "取込", "employee_id": self.employee_support.id, "lead_id": lead.id}
        )
        self.assertEqual(signal.state, "handed_off")
        lead.action_set_lost()
        self.assertEqual(signal.state, "lost")
