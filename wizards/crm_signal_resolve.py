from odoo import fields, models
from odoo.exceptions import UserError


class CrmSignalResolve(models.TransientModel):
    _name = "crm.signal.resolve"
    _description = "Resolve Routed Signals"

    signal_ids = fields.Many2many("crm.signal", string="Signals", required=True)
    resolution = fields.Text(
        required=True,
        help="What was done, in a sentence the originator reads (for example "
        "'added to the spring release').",
    )

    def action_apply(self):
        self.ensure_one()
        if not (self.resolution or "").strip():
            raise UserError(self.env._("Say what was done: the originator reads it."))
        self.signal_ids._check_receiver(self.env._("resolved"))
        self.signal_ids._resolve(self.resolution)
        return {"type": "ir.actions.act_window_close"}
