from datetime import datetime, time

import pytz

from odoo import api, fields, models
from odoo.tools import SQL


class HrEmployee(models.Model):
    _inherit = "hr.employee"

    def _everyone_sells_lang(self, fallback):
        """The language Everyone Sells writes to this employee in (their
        statement, their lines' sentences in the payroll workbook): their
        user's, else their work contact's, else ``fallback`` (the statement:
        its company's language; the workbook: its export language)."""
        self.ensure_one()
        return self._everyone_sells_facts(fallback)[self.id][2]

    def _everyone_sells_facts(self, fallback):
        """{employee id: (name, user id or None, language)} of these
        employees, archived ones included, in one query (a payroll
        workbook writes to fifty thousand): the language as
        ``_everyone_sells_lang`` says, the one place it is decided.

        For a caller who may read these employees, or their public profiles
        (as the ORM reads them for a user without HR rights); their users'
        and work contacts' languages are read whoever asks, as the language
        to write to them in is all that is read of them."""
        readable = self if self.browse().has_access("read") else self.env["hr.employee.public"]
        readable.browse(self.ids).check_access("read")
        self.flush_model(["name", "user_id", "work_contact_id"])
        self.env["res.partner"].flush_model(["lang"])
        self.env["res.users"].flush_model(["partner_id"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT employee.id, employee.name, employee.user_id,
                       COALESCE(NULLIF(user_partner.lang, ''), NULLIF(contact.lang, ''))
                  FROM hr_employee employee
             LEFT JOIN res_users login ON login.id = employee.user_id
             LEFT JOIN res_partner user_partner ON user_partner.id = login.partner_id
             LEFT JOIN res_partner contact ON contact.id = employee.work_contact_id
                 WHERE employee.id = ANY(%s)
                """,
                list(self.ids),
            )
        )
        # A handful of languages: each one string, not one per employee.
        langs = {}
        return {
            employee_id: (name, user_id, langs.setdefault(lang or fallback, lang or fallback))
            for employee_id, name, user_id, lang in rows
        }

    # What payroll needs of an employee: the code its payroll product matches rows by, the pay
    # scheme and the workplace whose minimum wage applies.
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
