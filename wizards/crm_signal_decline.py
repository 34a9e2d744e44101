from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import UserError

from ..models.crm_signal import DECLINE_REASONS


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
        signals = self.signal_ids
        routed = signals.filtered(lambda s: s.state == "routed")
        routed._check_receiver(self.env._("declined"))
        (signals - routed)._check_new(self.env._("declined"))
        if self.reason == "other" and not (self.note or "").strip():
            raise UserError(self.env._("Tell your colleague why: a note is required for 'Other'."))
        values = {
            "state": "declined",
            "decline_reason": self.reason,
            "decline_note": self.note,
            # Who declined stays visible, and keeps access to answer.
            "user_id": self.env.user.id,
        }
        # sudo for routed signals: their receivers decline a signal they do
        # not own (checked above); sales declines from the inbox itself.
        routed.sudo().write(values)
        (signals - routed).write(values)
        routed.sudo()._close_receiver_activities()
        ledger = self.env["crm.contribution"]
        ledger._reverse(
            ledger._open_credits_for(signals=signals, trigger="signal_logged"),
            "declined",
        )

        def body(env):
            reason = dict(self._fields["reason"]._description_selection(env))[self.reason]
            text = Markup("<p>%s</p>") % env._(
                "Your signal was declined: %(reason)s.", reason=reason
            )
            if self.note:
                text += Markup("<p>%s</p>") % self.note
            return text

        signals._notify_originators(body)
        return {"type": "ir.actions.act_window_close"}
