import base64
import io

from odoo import Command, fields, models

from ..core.xlsx import write_workbook
from ..models.crm_contribution_evaluation_report import SUMS


class CrmContributionEvaluationExport(models.TransientModel):
    _name = "crm.contribution.evaluation.export"
    _description = "Export the Contribution Evaluation"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    date_from = fields.Date(
        string="Period Start",
        required=True,
        default=lambda self: fields.Date.context_today(self).replace(month=1, day=1),
    )
    date_to = fields.Date(string="Period End", required=True, default=fields.Date.context_today)
    department_ids = fields.Many2many(
        "hr.department",
        string="Departments",
        help="Only these departments (empty: every department you may see).",
    )
    xlsx_file = fields.Binary(string="Workbook", readonly=True, attachment=False)
    xlsx_filename = fields.Char(readonly=True)

    def _rows(self):
        self.ensure_one()
        domain = self._period_domain()
        # As the user: record rules keep an employee to their own figures.
        groups = self.env["crm.contribution.evaluation.report"]._read_group(
            domain,
            ["department_id", "employee_id"],
            list(SUMS),
            order="department_id, employee_id",
        )
        for department, employee, *figures in groups:
            yield (
                employee.name or "",
                department.name or "",
                self.date_from,
                self.date_to,
                *figures,
            )

    def action_export_xlsx(self):
        self.ensure_one()
        background = self._maybe_in_background()
        if background:
            return background
        content, filename, _rows = self._workbook()
        self.write({"xlsx_file": base64.b64encode(content), "xlsx_filename": filename})
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/xlsx_file/{self.xlsx_filename}"
            "?download=true",
            "target": "self",
        }

    def _maybe_in_background(self):
        """Above the company's Background Job Size, counted in ledger entries
        of the period (what the evaluation sums), queue a job and say so;
        False: export now."""
        company = self.company_id or self.env.company
        size = self.env["crm.contribution"].search_count(self._period_domain())
        Job = self.env["crm.everyone.sells.job"]
        if not Job._is_large(company, size):
            return False
        return Job._queue(
            "evaluation_export",
            company,
            {
                "date_from": self.date_from,
                "date_to": self.date_to,
                "department_ids": [Command.set(self.department_ids.ids)],
            },
        )

    def _period_domain(self):
        """The company, period and departments: of the evaluation's rows and
        of the ledger entries they sum (both have these fields)."""
        domain = [
            ("company_id", "=", (self.company_id or self.env.company).id),
            ("date", ">=", self.date_from),
            ("date", "<=", self.date_to),
        ]
        if self.department_ids:
            domain.append(("department_id", "in", self.department_ids.ids))
        return domain

    def _workbook(self):
        """(xlsx bytes, file name, number of rows): the evaluation as the user sees it."""
        self.ensure_one()
        headers = [
            self.env._("Employee"),
            self.env._("Department"),
            self.env._("From"),
            self.env._("To"),
            self.env._("Information provided"),
            self.env._("Accepted"),
            self.env._("Won"),
            self.env._("Revenue influenced"),
            self.env._("Points"),
            self.env._("Credit"),
        ]
        written = 0

        def rows():  # streamed to the workbook, counted on the way
            nonlocal written
            for row in self._rows():
                written += 1
                yield row

        stream = io.BytesIO()
        write_workbook(stream, [(self.env._("Evaluation"), headers, rows())])
        filename = f"everyone_sells_evaluation_{self.date_from:%Y%m%d}_{self.date_to:%Y%m%d}.xlsx"
        return stream.getvalue(), filename, written
