from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import ContributionCase


@tagged("post_install", "-at_install")
class TestDisputes(ContributionCase):
    def setUp(self):
        super().setUp()
        self.lead = self.make_deal()
        self.mark_won(self.lead)
        self.entry = self.credits(self.lead)

    def _open(self, user, **values):
        return self.env["crm.contribution.dispute"].with_user(user).create(values)

    def test_employee_contests_own_credit(self):
        dispute = self._open(
            self.user_support, contribution_id=self.entry.id, reason="割合が違います"
        )
        self.assertEqual(dispute.employee_id, self.employee_support)
        self.assertEqual(dispute.lead_id, self.lead)
        self.assertEqual(dispute.state, "open")

    def test_i_helped_and_got_nothing(self):
        signal = self.log_signal(user=self.user_engineer, partner_id=self.customer_other.id)
        lead, _action = self.hand_off(signal)
        dispute = self._open(
            self.user_engineer, signal_id=signal.id, reason="技術デモを担当しました"
        )
        self.assertEqual(dispute.lead_id, lead)
        self.assertEqual(dispute.lead_name, lead.name)

    def test_manager_accepts_with_explained_adjustment(self):
        dispute = self._open(
            self.user_support, contribution_id=self.entry.id, reason="割合が違います"
        )
        action = dispute.with_user(self.user_manager).action_accept()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.user_manager)
            .with_context(**action["context"])
            .create({"amount": 5_000, "explanation": "技術支援の分を追加"})
        )
        wizard.action_apply()
        self.assertEqual(dispute.state, "accepted")
        adjustment = dispute.adjustment_id
        self.assertEqual(adjustment.amount, 5_000)
        self.assertEqual(adjustment.trigger, "adjustment")
        # Maker ≠ checker: the manager who entered it waits for another.
        self.assertEqual(adjustment.state, "draft")
        self.assertEqual(adjustment.maker_id, self.user_manager)
        with self.assertRaisesRegex(UserError, "made or caused by you"):
            adjustment.with_user(self.user_manager).action_approve()
        adjustment.with_user(self.user_admin).action_approve()
        self.assertEqual(adjustment.state, "approved")
        self.assertEqual(adjustment.approved_by_id, self.user_admin)
        self.assertEqual(adjustment.employee_id, self.employee_support)
        self.assertEqual(adjustment.explanation, "技術支援の分を追加")
        told = dispute.message_ids.filtered(lambda m: "技術支援" in (m.body or ""))
        self.assertIn(self.user_support.partner_id, told.partner_ids)
        self.assertIn(self.user_manager.partner_id, told.partner_ids)

    def test_manager_rejects_with_a_reason(self):
        dispute = self._open(self.user_support, contribution_id=self.entry.id, reason="少ない")
        with self.assertRaisesRegex(UserError, "resolution"):
            dispute.with_user(self.user_manager).action_reject()
        dispute.with_user(self.user_manager).resolution = "規程どおりの計算です"
        dispute.with_user(self.user_manager).action_reject()
        self.assertEqual(dispute.state, "rejected")
        self.assertTrue(dispute.message_ids.filtered(lambda m: "規程どおり" in (m.body or "")))

    def test_employee_cannot_resolve_a_dispute(self):
        dispute = self._open(self.user_support, contribution_id=self.entry.id, reason="少ない")
        with self.assertRaisesRegex(UserError, "Only contribution managers"):
            dispute.with_user(self.user_support).write({"state": "accepted"})
        with self.assertRaisesRegex(UserError, "Only contribution managers"):
            dispute.with_user(self.user_support).action_accept()

    def test_manager_cannot_resolve_own_dispute(self):
        lead = self.make_deal(
            signal_name="山本さんの件", contributors=[(self.employee_manager, 1, "originator")]
        )
        self.mark_won(lead)
        dispute = self._open(
            self.user_manager, contribution_id=self.credits(lead).id, reason="自分の件"
        )
        with self.assertRaisesRegex(UserError, "own dispute"):
            dispute.with_user(self.user_manager).action_accept()

    def test_employee_sees_only_own_disputes(self):
        mine = self._open(self.user_support, contribution_id=self.entry.id, reason="一")
        signal = self.log_signal(user=self.user_engineer, partner_id=self.customer_other.id)
        theirs = self._open(self.user_engineer, signal_id=signal.id, reason="二")
        visible = self.env["crm.contribution.dispute"].with_user(self.user_support).search([])
        self.assertEqual(visible, mine)
        with self.assertRaises(AccessError):
            theirs.with_user(self.user_support).read(["reason"])

    def test_nobody_contests_a_colleagues_credit(self):
        with self.assertRaisesRegex(ValidationError, "only your own"):
            self._open(self.user_engineer, contribution_id=self.entry.id, reason="他人の件")

    def test_reason_is_history_once_resolved(self):
        dispute = self._open(self.user_support, contribution_id=self.entry.id, reason="少ない")
        dispute.with_user(self.user_manager).resolution = "規程どおりです"
        dispute.with_user(self.user_manager).action_reject()
        with self.assertRaisesRegex(UserError, "history"):
            dispute.with_user(self.user_support).reason = "やっぱり違う"

    def test_a_dispute_needs_a_subject(self):
        with self.assertRaisesRegex(ValidationError, "Say what you contest"):
            self._open(self.user_support, reason="何か")
