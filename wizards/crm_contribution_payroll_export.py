import base64

from odoo import api, fields, models


class CrmContributionPayrollExport(models.TransientModel):
    """The Payroll File button's question: in which format? Then the file."""

    _name = "crm.contribution.payroll.export"
    _description = "Payroll File of a Payout"

    payout_id = fields.Many2one("crm.contribution.payout", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="payout_id.company_id")
    format_id = fields.Many2one(
        "crm.contribution.payroll.format",
        required=True,
        compute="_compute_format_id",
        store=True,
        readonly=False,
        precompute=True,
        domain="[('company_id', '=', company_id)]",
    )
    layout_confirmed = fields.Boolean(related="format_id.layout_confirmed")
    reference = fields.Char(related="format_id.reference")
    import_screen = fields.Char(related="format_id.import_screen")
    file = fields.Binary(readonly=True, attachment=False)
    file_name = fields.Char(readonly=True)
    replaced_warning = fields.Text(readonly=True)

    @api.depends("payout_id")
    def _compute_format_id(self):
        formats = self.env["crm.contribution.payroll.format"]
        for wizard in self:
            if not wizard.format_id and wizard.payout_id:
                wizard.format_id = formats._default_for(wizard.payout_id.company_id)

    def action_export(self):
        """Write the file; download it, or show which rows had a character
        replaced before it is downloaded."""
        self.ensure_one()
        file_name, content, replaced = self.payout_id._payroll_file(self.format_id)
        values = {"file": base64.b64encode(content), "file_name": file_name}
        if replaced:
            message = self.payout_id._replaced_message(self.format_id, replaced)
            self.payout_id.message_post(body=message)
            values["replaced_warning"] = message
        self.write(values)
        if replaced:
            return {
                "type": "ir.actions.act_window",
                "res_model": self._name,
                "res_id": self.id,
                "view_mode": "form",
                "target": "new",
                "name": self.env._("Payroll File"),
            }
        return self._download()

    def action_download(self):
        self.ensure_one()
        return self._download()

    def _download(self):
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/file/{self.file_name}?download=true",
            "target": "self",
        }
