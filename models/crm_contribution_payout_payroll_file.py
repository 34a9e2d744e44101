from odoo import models
from odoo.exceptions import UserError

from ..core.payroll_file import write_payroll_file
from .crm_contribution_payroll_format import prefecture_label


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
        lines = self.line_ids
        keys = export_format._keys_of(lines.employee_id)
        missing = lines.filtered(lambda line: not keys.get(line.employee_id.id))
        if missing:
            raise UserError(
                self.env._(
                    "These employees have no %(key)s, which the payroll product matches "
                    "rows by: ask HR to fill it in on the employee (HR Settings), then "
                    "export again. %(employees)s",
                    key=dict(
                        export_format._fields["employee_key"]._description_selection(self.env)
                    )[export_format.employee_key],
                    employees=", ".join(missing.employee_id.sudo().mapped("name")),
                )
            )
        rows = [line._payroll_file_values(keys) for line in lines]
        result = write_payroll_file(
            export_format._column_specs(),
            rows,
            encoding=export_format.encoding,
            delimiter=export_format.delimiter,
            line_ending=export_format.line_ending,
            header=export_format.header_row,
            hours_style=export_format.hours_format,
            replacement=export_format.replacement_char,
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


class CrmContributionPayoutLine(models.Model):
    _inherit = "crm.contribution.payout.line"

    def _payroll_file_values(self, keys):
        """The line's figures by column kind. Incentive, award and deduction
        stay apart: there is no "payable" column."""
        self.ensure_one()
        # sudo: the name and department of the employees of a payout the
        # user may export, as the workbook shows them.
        employee = self.employee_id.sudo()
        return {
            "employee_key": keys.get(self.employee_id.id),
            "employee_name": employee.name,
            "department": self.department_id.sudo().name or "",
            "workplace_prefecture": prefecture_label(self.workplace_state_id),
            "incentive": self.incentive_amount,
            "overtime_premium": self.overtime_premium_amount,
            "deduction": self.deducted_amount,
            "award": self.award_amount,
            "worked_hours": self.worked_hours,
            "overtime_hours": self.overtime_hours,
            "late_night_hours": self.late_night_hours,
            "holiday_hours": self.holiday_hours,
        }
