from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..core.bounds import MAX_WAGE_RATE, MIN_WAGE_RATE, plausible_wage_rate
from ..core.wage import latest_revision_due


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
    # Minimum wages are set in yen by law: shown with ¥ and whole yen.
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id")

    _sql_constraints = [
        (
            "state_date_uniq",
            "unique(state_id, date_from)",
            "This prefecture already has a minimum wage from this date.",
        ),
        ("amount_positive", "CHECK(hourly_amount > 0)", "A minimum wage is positive."),
    ]

    @api.constrains("hourly_amount")
    def _check_hourly_amount(self):
        for row in self:
            row._raise_rate_problem(row.hourly_amount, row.state_id)

    @api.model_create_multi
    def create(self, vals_list):
        self.browse().check_access("create")  # who may, before what
        for vals in vals_list:
            if "hourly_amount" in vals:
                self._raise_rate_problem(
                    vals["hourly_amount"],
                    self.env["res.country.state"].browse(vals.get("state_id")),
                )
        return super().create(vals_list)

    def write(self, vals):
        if "hourly_amount" in vals:
            self.check_access("write")  # who may, before what
            for row in self:
                row._raise_rate_problem(vals["hourly_amount"], row.state_id)
        return super().write(vals)

    @api.model
    def _raise_rate_problem(self, rate, state):
        if not plausible_wage_rate(rate):
            raise ValidationError(
                self.env._(
                    "A minimum wage is between ¥%(low)s and ¥%(high)s an hour (%(prefecture)s).",
                    low=MIN_WAGE_RATE,
                    high=format(MAX_WAGE_RATE, ","),
                    prefecture=state._everyone_sells_name() if state else "",
                )
            )

    def _compute_currency_id(self):
        self.currency_id = self.env.ref("base.JPY")

    @api.model
    def _minimum_for(self, state, date, date_from=None):
        """The minimum wage of ``state`` in force on ``date``, if known.

        With ``date_from``, the highest row in force on any day from
        ``date_from`` to ``date``: a period that straddles a revision is
        checked against the higher rate (the pay of the whole period is one
        figure, so the days after the revision cannot be told apart).
        """
        if not state or not date:
            return self.browse()
        # sudo: the rate table is public law, read by any payout check.
        rates = self.sudo()
        in_force = rates.search(
            [("state_id", "=", state.id), ("date_from", "<=", date_from or date)],
            order="date_from desc",
            limit=1,
        )
        if date_from:
            in_force |= rates.search(
                [
                    ("state_id", "=", state.id),
                    ("date_from", ">", date_from),
                    ("date_from", "<=", date),
                ]
            )
        return in_force.sorted("hourly_amount")[-1:] if in_force else in_force

    @api.model
    def _is_stale(self, state, date):
        """True when the table has no row of ``state`` from the latest October
        on or before ``date``: minimum wages are revised every autumn, and a
        table without the last revision must say so rather than pass."""
        if not state or not date:
            return False
        # A revision decided in the summer takes effect from October, in some
        # prefectures as late as the next March: any row dated from that
        # October on (even in the future) means the revision is in the table.
        # sudo: the rate table is public law, read by any payout check.
        return not self.sudo().search_count(
            [("state_id", "=", state.id), ("date_from", ">=", latest_revision_due(date))],
            limit=1,
        )

    @api.model
    def _load_records_create(self, vals_list):
        """A row is one prefecture from one date: importing a row whose
        prefecture and date are already in the table corrects its rate
        instead of failing on the unique key. So the import template (no
        ids: ids with this module's prefix cannot be created by an import)
        imports back as it is, and a new year is the same file with new
        dates and rates."""
        keys = [
            (vals.get("state_id"), fields.Date.to_date(vals.get("date_from"))) for vals in vals_list
        ]
        states = [state_id for state_id, _day in keys if state_id]
        existing = {
            (row.state_id.id, row.date_from): row
            for row in self.search([("state_id", "in", states)])
            if (row.state_id.id, row.date_from) in set(keys)
        }
        created = super()._load_records_create(
            [vals for vals, key in zip(vals_list, keys, strict=True) if key not in existing]
        )
        created_ids = iter(created.ids)
        # One record per row, in the rows' order (the import maps them back).
        ids = []
        for vals, key in zip(vals_list, keys, strict=True):
            row = existing.get(key)
            if row:
                row.write({k: v for k, v in vals.items() if k not in ("state_id", "date_from")})
                ids.append(row.id)
            else:
                ids.append(next(created_ids))
        return self.browse(ids)

    @api.model
    def get_import_templates(self):
        return [
            {
                "label": self.env._("Minimum wages (current rows, CSV)"),
                "template": "/crm_everyone_sells/static/csv/minimum_wage_template.csv",
            }
        ]
