from odoo import api, models
from odoo.tools import email_normalize, html2plaintext

from odoo.addons.mail.tools.alias_error import AliasError

from ..core.summary import signal_summary
from .server_switches import from_mail

# The mail gateway: a signal by e-mail from an employee, and the subtypes
# its state changes are tracked with.

STATE_SUBTYPES = {
    "handed_off": "crm_everyone_sells.mt_signal_handed_off",
    "won": "crm_everyone_sells.mt_signal_won",
    "lost": "crm_everyone_sells.mt_signal_lost",
    "declined": "crm_everyone_sells.mt_signal_declined",
    "routed": "crm_everyone_sells.mt_signal_routed",
    "resolved": "crm_everyone_sells.mt_signal_resolved",
}


class CrmSignal(models.Model):
    _inherit = "crm.signal"

    def _track_subtype(self, init_values):
        self.ensure_one()
        if "state" in init_values and self.state in STATE_SUBTYPES:
            return self.env.ref(STATE_SUBTYPES[self.state])
        return super()._track_subtype(init_values)

    @api.model
    def _employee_from_email(self, email_from):
        email = email_normalize(email_from or "")
        if not email:
            return self.env["hr.employee"]
        # sudo: the mail gateway must recognise any employee by address, while
        # work e-mails are HR data. Exact comparison of normalised addresses:
        # a pattern ("%@example.com") must never match someone.
        Employee = self.env["hr.employee"].sudo()
        by_work_email = Employee.search_fetch([("work_email", "!=", False)], ["work_email"])
        found = by_work_email.filtered(lambda e: email_normalize(e.work_email) == email)
        if not found:
            found = Employee.search([("user_id.email_normalized", "=", email)])
        # Two employees behind one address: nobody can tell whose signal it is.
        return found if len(found) == 1 else Employee

    def _alias_get_error(self, message, message_dict, alias):
        error = super()._alias_get_error(message, message_dict, alias)
        if error or self:
            return error
        if not self._employee_from_email(message_dict.get("email_from")):
            return AliasError(
                "error_everyone_sells_not_employee",
                self.env._("only employees can log signals by e-mail"),
            )
        return False

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        employee = self._employee_from_email(msg_dict.get("email_from"))
        if not employee:
            raise ValueError(self.env._("Signals by e-mail are accepted from employees only."))
        values = dict(custom_values or {})
        # A long e-mail is cut to what a signal holds; the original is kept
        # as an attachment of the signal.
        title, description, overflow = self._fit_text(
            # Not cut here: _fit_text cuts it and keeps the original.
            signal_summary(
                msg_dict.get("subject"), html2plaintext(msg_dict.get("body") or ""), limit=None
            )
            or self.env._("Signal by e-mail"),
            msg_dict.get("body"),
        )
        values.update(
            {
                "name": title,
                "description": description,
                "employee_id": employee.id,
                "company_id": employee.company_id.id,
                # Anyone can write an employee's address in From: the
                # employee confirms in the app before it goes on or earns.
                "to_confirm": True,
            }
        )
        signal = super(CrmSignal, from_mail(self)).message_new(msg_dict, custom_values=values)
        signal._keep_original(overflow)
        return signal
