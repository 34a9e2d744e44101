from odoo import api, models


class ReportPayoutStatement(models.AbstractModel):
    """The statement speaks its employee's language, whoever prints it."""

    _name = "report.crm_everyone_sells.report_payout_statement"
    _description = "Contribution Statement"

    @api.model
    def _get_report_values(self, docids, data=None):
        lines = self.env["crm.contribution.payout.line"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "crm.contribution.payout.line",
            "docs": lines,
            "statement_langs": self._statement_langs(lines),
        }

    @api.model
    def _statement_langs(self, lines):
        """{line id: language code}: the employee's user's language, else their
        work contact's, else the company's."""
        installed = dict(self.env["res.lang"].get_installed())
        langs = {}
        # sudo: the printer (payroll, or the employee for their own line) need
        # not read hr.employee or its user; only the language code leaves here.
        for line in lines.sudo():
            employee = line.employee_id
            candidates = (
                employee.user_id.lang,
                employee.work_contact_id.lang,
                line.company_id.partner_id.lang,
                self.env.lang,
            )
            langs[line.id] = next((lang for lang in candidates if lang in installed), "en_US")
        return langs
