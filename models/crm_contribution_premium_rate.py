from decimal import Decimal

from odoo import api, fields, models

from ..core.wage import PremiumRates


class CrmContributionPremiumRate(models.Model):
    _name = "crm.contribution.premium.rate"
    _description = "Overtime Premium Rates"
    _order = "company_id, date_from desc"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    date_from = fields.Date(
        string="Valid From", required=True, help="Pay periods ending on or after this date."
    )
    overtime_rate = fields.Float(
        string="Overtime (%)", default=25, help="Statutory overtime up to the threshold."
    )
    overtime_over_threshold_rate = fields.Float(
        string="Overtime Beyond Threshold (%)",
        default=50,
        help="Statutory overtime above the monthly threshold (60 hours).",
    )
    threshold_hours = fields.Float(string="Monthly Threshold (hours)", default=60)
    holiday_rate = fields.Float(string="Legal Holiday (%)", default=35)
    late_night_rate = fields.Float(string="Late Night (%)", default=25)

    _sql_constraints = [
        (
            "rates_not_below_law",
            "CHECK(overtime_rate >= 25 AND overtime_over_threshold_rate >= 50 AND "
            "holiday_rate >= 35 AND late_night_rate >= 25 AND threshold_hours > 0 AND "
            "threshold_hours <= 60)",
            "Premium rates cannot be below the legal minimums (25 %, 50 % beyond 60 "
            "hours, 35 % on legal holidays, 25 % late at night).",
        ),
        (
            "company_date_uniq",
            "unique(company_id, date_from)",
            "The company already has rates from this date.",
        ),
    ]

    @api.model
    def _rates_for(self, company, date):
        """The rates in force for ``company`` on ``date`` (the legal minimums
        when the company has none)."""
        rate = self.sudo().search(
            [("company_id", "=", company.id), ("date_from", "<=", date)],
            order="date_from desc",
            limit=1,
        )
        if not rate:
            return PremiumRates()
        return PremiumRates(
            overtime=Decimal(str(rate.overtime_rate)),
            overtime_over_threshold=Decimal(str(rate.overtime_over_threshold_rate)),
            holiday=Decimal(str(rate.holiday_rate)),
            late_night=Decimal(str(rate.late_night_rate)),
            threshold_hours=Decimal(str(rate.threshold_hours)),
        )
