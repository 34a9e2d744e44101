from odoo import models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..core.payroll_file import write_payroll_file
from .crm_contribution_payroll_format import prefecture_label

# The line's records a payroll file names (after its employee).
LINE_ID_COLUMNS = ("department_id", "workplace_state_id")
# A payroll file's figure kinds (column kinds) and the line field each reads.
PAYROLL_FILE_FIGURES = {
    "incentive": "incentive_amount",
    "overtime_premium": "overtime_premium_amount",
    "deduction": "deducted_amount",
    "award": "award_amount",
    "worked_hours": "worked_hours",
    "overtime_hours": "overtime_hours",
    "late_night_hours": "late_night_hours",
    "holiday_hours": "holiday_hours",
}


class CrmContributionPayout(models.Model):
    """The payout's payroll import file: the figures of its lines in the
    layout a payroll product imports as it is."""

    _inherit = "crm.contribution.payout"

    def payroll_export(self, export_format):
        """``(file name, bytes)`` of this payout in ``export_format``.

        Payroll rights (writing the payout) decide whether the export is
        allowed; the employee key is then the same whoever exports. An
        employee without a key stops the export before anything is written.
        A character the encoding cannot hold is replaced by the format's
        rule and the rows are listed in a note on the payout."""
        file_name, content, replaced = self._payroll_file(export_format)
        if replaced:
            self.message_post(body=self._replaced_message(export_format, replaced))
        return file_name, content

    def _payroll_file(self, export_format):
        """``(file name, bytes, keys of the rows with a replaced character)``."""
        self.ensure_one()
        self.check_access("write")
        self._check_state("confirmed", "done")
        export_format.ensure_one()
        export_format.check_access("read")
        if export_format.company_id != self.company_id:
            raise UserError(
                self.env._(
                    "%(format)s belongs to another company than %(payout)s.",
                    format=export_format.display_name,
                    payout=self.display_name,
                )
            )
        missing = []  # employees without a key, in the lines' order
        result = write_payroll_file(
            export_format._column_specs(),
            self._payroll_file_rows(export_format, missing),
            encoding=export_format.encoding,
            delimiter=export_format.delimiter,
            line_ending=export_format.line_ending,
            header=export_format.header_row,
            hours_style=export_format.hours_format,
            replacement=export_format.replacement_char,
        )
        if missing:
            # Nothing was written: the file existed only in this call.
            raise UserError(
                self.env._(
                    "These employees have no %(key)s, which the payroll product matches "
                    "rows by: ask HR to fill it in on the employee (HR Settings), then "
                    "export again. %(employees)s",
                    key=dict(
                        export_format._fields["employee_key"]._description_selection(self.env)
                    )[export_format.employee_key],
                    employees=", ".join(
                        self.env["hr.employee"].browse(missing).sudo().mapped("name")
                    ),
                )
            )
        preset = export_format.preset if export_format.preset != "custom" else "payroll"
        file_name = f"{preset}_{self.date_to:%Y_%m}.csv"
        return file_name, result.content, list(result.replaced_keys)

    def _replaced_message(self, export_format, keys):
        return self.env._(
            "Payroll file %(format)s: characters the encoding cannot hold were written "
            "as %(char)s in the rows of these employee keys; correct them in the payroll "
            "product: %(keys)s",
            format=export_format.display_name,
            char=export_format.replacement_char,
            keys=", ".join(keys),
        )

    def action_open_payroll_file(self):
        """The Payroll File button: choose the format, download the file."""
        self.ensure_one()
        self.check_access("write")
        self._check_state("confirmed", "done")
        if not self.env["crm.contribution.payroll.format"]._default_for(self.company_id):
            raise UserError(
                self.env._(
                    "No payroll file format yet: add your payroll product's in "
                    "Configuration → Payroll File Formats, then try again."
                )
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Payroll File"),
            "res_model": "crm.contribution.payroll.export",
            "view_mode": "form",
            "target": "new",
            "context": {"default_payout_id": self.id},
        }

    def _payroll_file_rows(self, export_format, missing):
        """The figures of each line by column kind, in the lines' order, as
        the file's writer asks for them: read from a server-side cursor a
        batch at a time (a payout of fifty thousand lines is never held).
        Incentive, award and deduction stay apart: there is no "payable"
        column. The employees without a key are added to ``missing`` (in
        order, once each) and their rows left out."""
        Line = self.env["crm.contribution.payout.line"]
        Line.flush_model()
        # In the lines' order, as line_ids reads them.
        query = Line._search([("payout_id", "=", self.id)], order=Line._order)
        query = query.select(
            *(SQL.identifier(query.table, fname) for fname in ("employee_id", *LINE_ID_COLUMNS)),
            *(
                SQL("COALESCE(%s, 0)", SQL.identifier(query.table, fname))
                for fname in PAYROLL_FILE_FIGURES.values()
            ),
        )
        workbook = self.env["crm.contribution.payroll.workbook"]
        # sudo: the name and department of the employees of a payout the
        # user may export, as the workbook shows them.
        as_payroll = workbook.sudo()
        departments, prefectures = {}, {}
        missing_seen = set()
        for lines in workbook._batches(query):
            employee_ids = {line[0] for line in lines}
            keys = export_format._keys_of(self.env["hr.employee"].browse(employee_ids))
            names = as_payroll._names_of("hr.employee", employee_ids, {})
            as_payroll._names_of("hr.department", {line[1] for line in lines}, departments)
            # The file is read by a Japanese payroll product: Japanese names.
            workbook._names_of(
                "res.country.state",
                {line[2] for line in lines},
                prefectures,
                lambda state: prefecture_label(state, "ja_JP"),
            )
            for employee_id, department_id, state_id, *figures in lines:
                key = keys.get(employee_id)
                if not key:
                    if employee_id not in missing_seen:
                        missing_seen.add(employee_id)
                        missing.append(employee_id)
                    continue
                yield {
                    "employee_key": key,
                    "employee_name": names.get(employee_id),
                    "department": departments.get(department_id) or "",
                    "workplace_prefecture": prefectures.get(state_id, ""),
                    **{
                        kind: float(figure)
                        for kind, figure in zip(PAYROLL_FILE_FIGURES, figures, strict=True)
                    },
                }
