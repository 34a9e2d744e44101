from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    everyone_sells_protection_days = fields.Integer(
        related="company_id.everyone_sells_protection_days",
        readonly=False,
    )
    everyone_sells_hold_days = fields.Integer(
        related="company_id.everyone_sells_hold_days",
        readonly=False,
    )
    everyone_sells_payout_background_size = fields.Integer(
        related="company_id.everyone_sells_payout_background_size",
        readonly=False,
    )
    everyone_sells_job_background_size = fields.Integer(
        related="company_id.everyone_sells_job_background_size",
        readonly=False,
    )
    everyone_sells_wage_deduction_agreement = fields.Boolean(
        related="company_id.everyone_sells_wage_deduction_agreement",
        readonly=False,
    )
    everyone_sells_wage_deduction_date_from = fields.Date(
        related="company_id.everyone_sells_wage_deduction_date_from",
        readonly=False,
    )
    everyone_sells_wage_deduction_date_to = fields.Date(
        related="company_id.everyone_sells_wage_deduction_date_to",
        readonly=False,
    )
    everyone_sells_payment_day = fields.Integer(
        related="company_id.everyone_sells_payment_day",
        readonly=False,
    )
    everyone_sells_closing_day = fields.Integer(
        related="company_id.everyone_sells_closing_day",
        readonly=False,
    )
    everyone_sells_response_hours = fields.Integer(
        related="company_id.everyone_sells_response_hours",
        readonly=False,
    )
    everyone_sells_alias_email = fields.Char(
        string="Signal E-mail Address",
        compute="_compute_everyone_sells_alias_email",
        help="Employees forward customer e-mails here to log a signal.",
    )

    def _compute_everyone_sells_alias_email(self):
        alias = self.env.ref("crm_everyone_sells.mail_alias_crm_signal", raise_if_not_found=False)
        for settings in self:
            # Without a mail domain the alias is a bare name nobody can write to.
            settings.everyone_sells_alias_email = (
                alias.alias_full_name if alias and alias.alias_domain_id else False
            )
