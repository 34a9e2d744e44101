from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    everyone_sells_protection_days = fields.Integer(
        string="Signal Protection Window (days)",
        default=90,
        help="A later signal about the same customer while an earlier one is "
        "still open inside this many days is marked as its duplicate: the "
        "first signal keeps the originator role.",
    )

    @api.constrains("everyone_sells_protection_days")
    def _check_everyone_sells_protection_days(self):
        if any(company.everyone_sells_protection_days < 0 for company in self):
            raise ValidationError(self.env._("The protection window cannot be negative."))
