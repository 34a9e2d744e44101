from odoo import fields, models

from ..models.crm_signal_handoff import DECLINE_REASONS


class CrmSignalDecline(models.TransientModel):
    _name = "crm.signal.decline"
    _description = "Decline Signals"

    signal_ids = fields.Many2many("crm.signal", string="Signals", required=True)
    reason = fields.Selection(DECLINE_REASONS, required=True, default="not_actionable")
    note = fields.Text(
        help="Explain to your colleague why; required for the reason 'Other'.",
    )

    def action_apply(self):
        self.ensure_one()
        self.signal_ids._decline(self.reason, self.note)
        return {"type": "ir.actions.act_window_close"}
