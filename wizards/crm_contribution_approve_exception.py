from odoo import api, fields, models


class CrmContributionApproveException(models.TransientModel):
    """A company with no second approver (a pilot with one manager): its
    administrator approves what they made, with a written reason kept on
    each entry (see crm.contribution.action_approve_exception)."""

    _name = "crm.contribution.approve.exception"
    _description = "Approve as an Exception"

    entry_ids = fields.Many2many("crm.contribution", string="Entries", readonly=True)
    reason = fields.Text(
        required=True,
        help="Why you approve what you made yourself: kept on each entry, listed by the "
        "ledger audit.",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if "entry_ids" in fields_list and context.get("active_model") == "crm.contribution":
            # Only which entries the form shows: the approval checks them again.
            values["entry_ids"] = [fields.Command.set(context.get("active_ids") or [])]
        return values

    def action_apply(self):
        self.ensure_one()
        return self.entry_ids.action_approve_exception(self.reason)
