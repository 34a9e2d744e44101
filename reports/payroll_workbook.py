"""The payroll workbook of a payout: what payroll imports without touching it.

One sheet per employee line (with how payroll must treat each amount), one
per ledger entry, and the rules in force. Written with the addon's own
SpreadsheetML writer (:mod:`..core.xlsx`): yen as ``¥#,##0``, hours with two
decimals, hourly bases with three, dates as dates.
"""

from odoo import api, models
from odoo.tools import SQL

from ..core.xlsx import write_workbook
from ..models.crm_contribution_payroll_format import prefecture_label
from ..models.payout_entry_table import PAYOUT_ENTRY_TABLE

PAYROLL_FORMATS = [
    "text",  # employee ID
    "text",  # employee
    "text",  # department
    "text",  # workplace prefecture
    "date",  # period start
    "date",  # period end
    "date",  # payment date
    "yen",  # incentive
    "text",  # withholding treatment
    "text",  # social insurance treatment
    "hours",  # worked
    "hours",  # overtime
    "hours",  # late night
    "hours",  # legal holiday
    "rate",  # hourly base
    "yen",  # premium
    "yen",  # carried in
    "yen",  # deducted
    "yen",  # payable
    "yen",  # outstanding
    "yen",  # discretionary award
    "text",  # award treatment
    "text",  # warnings
]
ENTRY_FORMATS = [
    "date",
    "text",
    "text",
    "text",
    "text",
    "text",
    "yen",
    "decimal",
    "text",
    "text",
]
RULE_FORMATS = [
    "text",
    "text",
    "text",
    "decimal",
    "yen",
    "text",
    "yen",
    "yen",
    "text",
    "date",
    "date",
]


class CrmContributionPayrollWorkbook(models.AbstractModel):
    _name = "crm.contribution.payroll.workbook"
    _description = "Payroll Workbook of a Contribution Payout"

    @api.model
    def _write(self, payout, stream):
        """Write ``payout``'s workbook to ``stream`` in the environment's language."""
        write_workbook(stream, self._sheets(payout), properties=self._properties(payout))

    @api.model
    def _properties(self, payout):
        company = payout.company_id
        return {
            "title": payout.name,
            "subject": f"{payout.date_from:%Y-%m-%d} – {payout.date_to:%Y-%m-%d}",
            "creator": company.name,
            "company": company.name,
            "keywords": f"{payout.date_from:%Y-%m-%d} {payout.date_to:%Y-%m-%d}",
            "description": self.env._(
                "Incentives of %(start)s – %(end)s, paid on %(payday)s.",
                start=payout.date_from,
                end=payout.date_to,
                payday=payout.payment_date,
            ),
        }

    @api.model
    def _treatments(self):
        """How payroll treats each kind of amount (LEGAL-JP §1): money a
        published rule computes is wages, paid monthly with the salary."""
        return {
            "withholding": self.env._("Salary (給与): monthly table (月額表), with the salary"),
            "social_insurance": self.env._("Remuneration (報酬)"),
            "award": self.env._("Bonus (賞与) candidate"),
            "incentive_entry": self.env._("Salary (給与) / remuneration (報酬)"),
        }

    @api.model
    def _employee_identities(self, employee_ids):
        """{employee id: (employee key, name)}. The key is the payroll file's
        (the company's default payroll file format says which field, the
        payroll employee code without one), the same whoever exports: the
        right to export the payout decides, checked by ``_sheets``. Empty
        when HR has not filled it in; never Odoo's id or a national ID."""
        ids = list(employee_ids)
        # fetch, not read: the same access checks, without read()'s dict per
        # record (ten thousand employees in a large payout).
        public = self.env["hr.employee.public"].with_context(active_test=False).browse(ids)
        public.fetch(["name"])
        names = {employee.id: employee.name for employee in public}
        employees = self.env["hr.employee"].browse(ids)
        formats = self.env["crm.contribution.payroll.format"]
        keys = formats._default_for(self.env.company)._keys_of(employees)
        return {
            employee_id: (keys.get(employee_id) or "", names.get(employee_id))
            for employee_id in ids
        }

    @api.model
    def _identities_of(self, employee_ids, known):
        """``_employee_identities``, reading only the employees not in ``known``
        (which it completes)."""
        missing = set(employee_ids) - set(known)
        if missing:
            known.update(self._employee_identities(missing))
        return known

    @api.model
    def _sheets(self, payout):
        # Ten thousand lines and as many entries: read as plain values in a
        # few queries, not value by value through records (the ORM spent
        # more than the whole workbook on it). The caller may write this
        # payout (an administrator of its company, checked here), and every
        # line and entry read belongs to it.
        payout.check_access("write")
        # The employee keys follow the payout's company's payroll file format.
        workbook = self.with_company(payout.company_id)
        # Both sheets name the same employees: their identities read once.
        identities = {}
        return [
            workbook._payroll_sheet(payout, identities),
            workbook._entry_sheet(payout, identities),
            workbook._rule_sheet(payout),
        ]

    @api.model
    def _payroll_sheet(self, payout, identities):
        for model in ("crm.contribution.payout.line", "crm.contribution", "hr.employee"):
            self.env[model].flush_model()
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT line.employee_id, line.department_id, line.workplace_state_id,
                       COALESCE(line.incentive_amount, 0),
                       COALESCE(line.worked_hours, 0), COALESCE(line.overtime_hours, 0),
                       COALESCE(line.late_night_hours, 0), COALESCE(line.holiday_hours, 0),
                       COALESCE(line.hourly_base, 0), COALESCE(line.overtime_premium_amount, 0),
                       COALESCE(line.carry_in_amount, 0), COALESCE(line.deducted_amount, 0),
                       COALESCE(line.payable_amount, 0), COALESCE(line.carry_out_amount, 0),
                       COALESCE(line.award_amount, 0), line.warning
                  FROM crm_contribution_payout_line line
             LEFT JOIN hr_department department ON department.id = line.department_id
                 WHERE line.payout_id = %s
              ORDER BY department.name NULLS FIRST, line.id
                """,
                payout.id,
            )
        )
        lines = cr.fetchall()
        departments = {
            department.id: department.name
            for department in self.env["hr.department"]
            .with_context(active_test=False)
            .browse({line[1] for line in lines if line[1]})
        }
        prefectures = {
            state.id: prefecture_label(state)
            for state in self.env["res.country.state"].browse(
                {line[2] for line in lines if line[2]}
            )
        }
        employees = self._identities_of({line[0] for line in lines}, identities)
        treatment = self._treatments()
        period = (payout.date_from, payout.date_to, payout.payment_date)
        headers = [
            self.env._("Employee ID"),
            self.env._("Employee"),
            self.env._("Department"),
            self.env._("Workplace prefecture"),
            self.env._("Period start"),
            self.env._("Period end"),
            self.env._("Payment date"),
            self.env._("Incentive (歩合給, wages)"),
            self.env._("Incentive: withholding"),
            self.env._("Incentive: social insurance"),
            self.env._("Hours worked"),
            self.env._("Statutory overtime hours"),
            self.env._("Late-night hours"),
            self.env._("Legal holiday hours"),
            self.env._("Hourly base (incentive ÷ hours worked)"),
            self.env._("Overtime premium on incentive"),
            self.env._("Carried in"),
            self.env._("Deducted"),
            self.env._("Payable"),
            self.env._("Outstanding (for HR)"),
            self.env._("Discretionary award"),
            self.env._("Discretionary award: withholding"),
            self.env._("Warnings"),
        ]
        rows = (
            [
                *employees[employee_id],
                departments.get(department_id),
                prefectures.get(state_id),
                *period,
                incentive,
                treatment["withholding"] if incentive else None,
                treatment["social_insurance"] if incentive else None,
                worked,
                overtime,
                late_night,
                holiday,
                round(base, 3),
                premium,
                carried,
                deducted,
                payable,
                outstanding,
                award,
                treatment["award"] if award else None,
                warning or "",
            ]
            for (
                employee_id,
                department_id,
                state_id,
                incentive,
                worked,
                overtime,
                late_night,
                holiday,
                base,
                premium,
                carried,
                deducted,
                payable,
                outstanding,
                award,
                warning,
            ) in lines
        )
        return (self.env._("Payroll"), headers, rows, PAYROLL_FORMATS)

    @api.model
    def _entry_sheet(self, payout, identities):
        cr = self.env.cr
        headers = [
            self.env._("Date"),
            self.env._("Employee ID"),
            self.env._("Employee"),
            self.env._("Deal"),
            self.env._("Rule"),
            self.env._("Type"),
            self.env._("Amount"),
            self.env._("Points"),
            self.env._("Payroll treatment"),
            self.env._("Explanation"),
        ]
        wage_types = dict(
            self.env["crm.contribution"]._fields["wage_type"]._description_selection(self.env)
        )
        treatment = self._treatments()
        treatments = {"incentive": treatment["incentive_entry"], "award": treatment["award"]}
        cr.execute(
            SQL(
                """
                SELECT date, employee_id, lead_name, rule_id, wage_type, amount, points, id
                  FROM crm_contribution
                 WHERE id IN (SELECT entry_id FROM %s WHERE payout_id = %s)
              ORDER BY employee_id, date, id
                """,
                SQL.identifier(PAYOUT_ENTRY_TABLE),
                payout.id,
            )
        )
        entries = cr.fetchall()
        employees = self._identities_of({entry[1] for entry in entries}, identities)
        # Each sentence in its employee's language, written from the figures.
        explanations = (
            self.env["crm.contribution"]
            .browse([entry[7] for entry in entries])
            ._explained_for_employees()
        )
        rule_names = {
            rule.id: rule.name
            for rule in self.env["crm.contribution.rule"]
            .with_context(active_test=False)
            .browse({entry[3] for entry in entries if entry[3]})
        }
        rows = (
            [
                day,
                *employees[employee_id],
                lead_name or "",
                rule_names.get(rule_id) or "",
                wage_types.get(wage_type, ""),
                amount,
                points,
                treatments.get(wage_type, "") if amount else "",
                explanations.get(entry_id) or "",
            ]
            for day, employee_id, lead_name, rule_id, wage_type, amount, points, entry_id in (
                entries
            )
        )
        return (self.env._("Entries"), headers, rows, ENTRY_FORMATS)

    @api.model
    def _rule_sheet(self, payout):
        headers = [
            self.env._("Rule"),
            self.env._("Trigger"),
            self.env._("Method"),
            self.env._("Percentage"),
            self.env._("Fixed amount"),
            self.env._("Split"),
            self.env._("Cap per deal"),
            self.env._("Cap per month"),
            self.env._("Wage type"),
            self.env._("Valid from"),
            self.env._("Valid until"),
        ]
        rules = (
            self.env["crm.contribution.rule"]
            .with_context(active_test=False)
            .search(
                [
                    ("company_id", "=", payout.company_id.id),
                    ("date_from", "<=", payout.date_to),
                    "|",
                    ("date_to", "=", False),
                    ("date_to", ">=", payout.date_from),
                ]
            )
        )
        selection = {
            fname: dict(rules._fields[fname]._description_selection(self.env))
            for fname in ("trigger", "compute_method", "split_method", "wage_type")
        }
        rows = (
            [
                rule.name,
                selection["trigger"][rule.trigger],
                selection["compute_method"][rule.compute_method],
                rule.percentage,
                rule.fixed_amount,
                selection["split_method"][rule.split_method],
                rule.cap_per_deal,
                rule.cap_per_period,
                selection["wage_type"][rule.wage_type],
                rule.date_from,
                rule.date_to or None,
            ]
            for rule in rules
        )
        return (self.env._("Rules in force"), headers, rows, RULE_FORMATS)
