from odoo import api, fields, models


class CrmContributionMinimumWage(models.Model):
    _name = "crm.contribution.minimum.wage"
    _description = "Regional Minimum Wage"
    _order = "state_id, date_from desc"
    _rec_name = "state_id"

    state_id = fields.Many2one(
        "res.country.state",
        string="Prefecture",
        required=True,
        index=True,
        domain="[('country_id.code', '=', 'JP')]",
    )
    date_from = fields.Date(string="Effective From", required=True)
    hourly_amount = fields.Float(
        string="Hourly Minimum (¥)", required=True, help="地域別最低賃金(時間額)."
    )

    _sql_constraints = [
        (
            "state_date_uniq",
            "unique(state_id, date_from)",
            "This prefecture already has a minimum wage from this date.",
        ),
        ("amount_positive", "CHECK(hourly_amount > 0)", "A minimum wage is positive."),
    ]

    @api.model
    def _minimum_for(self, state, date):
        """The minimum wage of ``state`` in force on ``date``, if known."""
        if not state or not date:
            return self.browse()
        return self.sudo().search(
            [("state_id", "=", state.id), ("date_from", "<=", date)],
            order="date_from desc",
            limit=1,
        )
