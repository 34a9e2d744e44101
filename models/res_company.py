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
    everyone_sells_hold_days = fields.Integer(
        string="Credit Hold Period (days)",
        default=30,
        help="A credit becomes payable only this many days after the win: a "
        "deal cancelled inside this window reverses a credit that was never "
        "paid, which is no deduction from wages.",
    )

    everyone_sells_response_hours = fields.Integer(
        string="Time to First Answer (hours)",
        default=48,
        help="Sales answers a new signal, and the receivers a routed one, within "
        "this many working hours of the company's working calendar; later, the "
        "signal shows as overdue and its author may send one reminder.",
    )
    everyone_sells_wage_deduction_agreement = fields.Boolean(
        string="Wage-Deduction Agreement (24協定)",
        help="A written labour-management agreement allows deducting reversed "
        "credits that were already paid from later incentives. Without one, "
        "nothing is deducted: the amount is shown as outstanding for HR.",
    )
    everyone_sells_payment_day = fields.Integer(
        string="Payday",
        default=25,
        help="Day of the month wages are paid; incentives are paid on the next "
        "payday after the month they were earned in.",
    )

    @api.constrains("everyone_sells_payment_day")
    def _check_everyone_sells_payment_day(self):
        for company in self:
            if not 1 <= company.everyone_sells_payment_day <= 31:
                raise ValidationError(self.env._("The payday is a day of the month, 1 to 31."))

    @api.constrains("everyone_sells_protection_days", "everyone_sells_hold_days")
    def _check_everyone_sells_days(self):
        for company in self:
            if company.everyone_sells_protection_days < 0:
                raise ValidationError(self.env._("The protection window cannot be negative."))
            if company.everyone_sells_hold_days < 0:
                raise ValidationError(self.env._("The hold period cannot be negative."))
