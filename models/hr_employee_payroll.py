from datetime import datetime, time

import pytz

from odoo import api, fields, models


class HrEmployee(models.Model):
    """What payroll needs of an employee: the code its payroll product
    matches rows by, the pay scheme and the workplace whose minimum wage
    applies."""

    _inherit = "hr.employee"

    everyone_sells_payroll_code = fields.Char(
        string="Payroll Employee Code (社員番号)",
        groups="hr.group_hr_user",
        copy=False,
        help="The code the payroll product knows this employee by (社員番号, "
        "従業員コード): the payroll file's key. Filled in or imported by HR; "
        "never the My Number or another national ID.",
    )
    everyone_sells_results_only = fields.Boolean(
        string="Paid by Results Only (歩合給のみ)",
        groups="hr.group_hr_user",
        help="No fixed wage at all (完全歩合制): the minimum-wage check divides "
        "the incentive by all hours worked and the guaranteed pay (Art. 27) "
        "warning runs. Copied to each payout line.",
    )
    everyone_sells_workplace_state_id = fields.Many2one(
        "res.country.state",
        string="Minimum Wage Prefecture",
        compute="_compute_everyone_sells_workplace_state_id",
        groups="hr.group_hr_user",
        help="The prefecture whose minimum wage the payout checks: the work "
        "address's, else the company's. Payroll may correct it on a draft "
        "payout line.",
    )

    _sql_constraints = [
        (
            "everyone_sells_payroll_code_uniq",
            "unique(company_id, everyone_sells_payroll_code)",
            "Two employees of a company cannot share a payroll employee code.",
        ),
    ]

    @api.depends("address_id.state_id", "company_id.state_id")
    def _compute_everyone_sells_workplace_state_id(self):
        for employee in self:
            employee.everyone_sells_workplace_state_id = employee._everyone_sells_workplace_state(
                employee.company_id
            )

    def _everyone_sells_workplace_state(self, company):
        """The workplace's prefecture (労働者が働く事業場): the work address's,
        else ``company``'s (also for no employee: a line being created)."""
        return self[:1].address_id.state_id or company.state_id

    @api.model
    def _everyone_sells_yearly_hours(self, calendar, year):
        """Working hours of ``calendar`` over ``year``, its holidays off."""
        if not calendar:
            return 0.0
        tz = pytz.timezone(calendar.tz or "Asia/Tokyo")
        start = tz.localize(datetime.combine(datetime(year, 1, 1), time.min))
        end = tz.localize(datetime.combine(datetime(year + 1, 1, 1), time.min))
        return calendar.get_work_hours_count(start, end, compute_leaves=True)
