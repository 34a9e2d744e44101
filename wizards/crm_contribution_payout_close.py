from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_amount

from ..core.wage import last_complete_period, payday_after

# Employees listed by name in the preview; the others are counted.
PREVIEW_ROWS = 100


def _default_period(wizard):
    """The last complete wage period of the user's company (締め日)."""
    return last_complete_period(
        fields.Date.context_today(wizard), wizard.env.company.everyone_sells_closing_day
    )


class CrmContributionPayoutClose(models.TransientModel):
    _name = "crm.contribution.payout.close"
    _description = "Close a Month of Contributions"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    # The default reaches the form when the company field is hidden (a
    # single-company database): the form then sends no company to compute from.
    currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_currency_id",
        default=lambda self: self.env.company.currency_id,
    )
    date_from = fields.Date(
        string="Period Start",
        required=True,
        default=lambda self: _default_period(self)[0],
    )
    date_to = fields.Date(
        string="Period End",
        required=True,
        default=lambda self: _default_period(self)[1],
    )
    payment_date = fields.Date(
        compute="_compute_payment_date",
        store=True,
        readonly=False,
        required=True,
        precompute=True,
    )
    preview = fields.Html(compute="_compute_preview", sanitize=False)
    preview_total = fields.Monetary(compute="_compute_preview")

    def _company(self):
        """The wizard's company; the environment's while the field is hidden
        (a single-company database shows no company field, so the form sends
        none until the record is saved)."""
        return self.company_id or self.env.company

    @api.depends("company_id")
    def _compute_currency_id(self):
        for wizard in self:
            wizard.currency_id = wizard._company().currency_id

    @api.depends("date_to", "company_id")
    def _compute_payment_date(self):
        for wizard in self:
            if wizard.date_to:
                wizard.payment_date = payday_after(
                    wizard._company().everyone_sells_payment_day, wizard.date_to
                )

    def _payable_domain(self):
        return self.env["crm.contribution"]._payable_domain(self._company(), self.date_to)

    @api.depends("date_from", "date_to", "company_id")
    def _compute_preview(self):
        for wizard in self:
            if not wizard.date_to:
                wizard.preview = False
                wizard.preview_total = 0
                continue
            groups = self.env["crm.contribution"]._read_group(
                wizard._payable_domain(),
                ["employee_id", "wage_type"],
                ["amount:sum", "__count"],
                order="employee_id",  # by name, in SQL
            )
            by_employee = {}
            for employee, wage_type, amount, count in groups:
                row = by_employee.setdefault(employee, {"incentive": 0.0, "award": 0.0, "n": 0})
                row[wage_type] += amount
                row["n"] += count
            # Points are not money: as the payout makes no ¥0 line for
            # points only, the preview does not count those employees.
            by_employee = {
                employee: row
                for employee, row in by_employee.items()
                if row["incentive"] or row["award"]
            }
            currency = wizard._company().currency_id
            wizard.preview_total = sum(r["incentive"] + r["award"] for r in by_employee.values())
            if not by_employee:
                wizard.preview = Markup("<p class='text-muted'>%s</p>") % self.env._(
                    "No approved credit is payable in this period yet."
                )
                continue
            # A dialog stays readable and quick: the first employees by name,
            # then the count of the others and the totals (the payout lists
            # every line).
            shown = self.env["hr.employee"].browse([e.id for e in list(by_employee)[:PREVIEW_ROWS]])
            shown.fetch(["name", "department_id"])
            rows = Markup("").join(
                Markup(
                    "<tr><td>%s</td><td>%s</td><td class='text-end'>%s</td>"
                    "<td class='text-end'>%s</td><td class='text-end'>%s</td></tr>"
                )
                % (
                    employee.name,
                    employee.department_id.name or "",
                    by_employee[employee]["n"],
                    format_amount(self.env, by_employee[employee]["incentive"], currency),
                    format_amount(self.env, by_employee[employee]["award"], currency),
                )
                for employee in shown
            )
            # Counts formatted outside _(): Babel cannot extract an f-string there.
            others = f"{len(by_employee) - len(shown):,}"
            employees = f"{len(by_employee):,}"
            if len(by_employee) > len(shown):
                rows += Markup("<tr><td colspan='5' class='text-muted'>%s</td></tr>") % self.env._(
                    "… and %(count)s more employees: the payout lists every one.",
                    count=others,
                )
            footer = Markup(
                "<tr class='fw-bold'><td>%s</td><td></td><td class='text-end'>%s</td>"
                "<td class='text-end'>%s</td><td class='text-end'>%s</td></tr>"
            ) % (
                self.env._("Total: %(count)s employees", count=employees),
                f"{sum(r['n'] for r in by_employee.values()):,}",
                format_amount(
                    self.env, sum(r["incentive"] for r in by_employee.values()), currency
                ),
                format_amount(self.env, sum(r["award"] for r in by_employee.values()), currency),
            )
            wizard.preview = Markup(
                "<table class='table table-sm'><thead><tr><th>%s</th><th>%s</th>"
                "<th class='text-end'>%s</th><th class='text-end'>%s</th>"
                "<th class='text-end'>%s</th></tr></thead><tbody>%s</tbody>"
                "<tfoot>%s</tfoot></table>"
            ) % (
                self.env._("Employee"),
                self.env._("Department"),
                self.env._("Entries"),
                self.env._("Incentive (wages)"),
                self.env._("Discretionary award"),
                rows,
                footer,
            )

    def action_apply(self):
        self.ensure_one()
        payout = self.env["crm.contribution.payout"].create(
            {
                "company_id": self._company().id,
                "date_from": self.date_from,
                "date_to": self.date_to,
                "payment_date": self.payment_date,
            }
        )
        payout.action_compute()
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.contribution.payout",
            "res_id": payout.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }
