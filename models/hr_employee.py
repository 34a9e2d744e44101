from odoo import models


class HrEmployee(models.Model):
    _inherit = "hr.employee"

    def _everyone_sells_lang(self, fallback):
        """The language Everyone Sells writes to this employee in (their
        statement, their lines' sentences in the payroll workbook): their
        user's, else their work contact's, else ``fallback`` (the statement:
        its company's language; the workbook: its export language)."""
        self.ensure_one()
        return self.user_id.lang or self.work_contact_id.lang or fallback
