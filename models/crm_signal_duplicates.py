from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import format_date

# Duplicates: first signal wins. A later open signal about the same customer
# inside the company's protection window is kept as a duplicate of the first.

# States in which a signal still competes for its customer (first signal wins).
OPEN_STATES = ("new", "handed_off")


class CrmSignal(models.Model):
    _inherit = "crm.signal"

    duplicate_of_id = fields.Many2one(
        "crm.signal",
        index="btree_not_null",
        readonly=True,
        help="An earlier open signal about the same customer inside the "
        "protection window. The earlier signal keeps the originator role.",
    )
    duplicate_hint = fields.Char(
        compute="_compute_duplicate_hint",
        help="Who logged the earlier open signal about the same customer and when, "
        "shown while typing and on a duplicate; never what that signal says.",
    )

    def _customer_key(self):
        self.ensure_one()
        if self.partner_id:
            return (self.company_id.id, "partner", self.partner_id.commercial_partner_id.id)
        email = self.email_normalized
        return (self.company_id.id, "email", email) if email else None

    def _mark_duplicates(self):
        candidates = self.filtered(
            lambda s: s.state in OPEN_STATES and s.signal_type_id.is_sale and s._customer_key()
        )
        if not candidates:
            return
        longest = max(candidates.company_id.mapped("everyone_sells_protection_days"))
        if longest <= 0:
            return
        partners = candidates.partner_id.commercial_partner_id
        emails = [e for e in candidates.mapped("email_normalized") if e]
        # sudo: an employee cannot read colleagues' signals, but who came first
        # must be decided over all of them; only the link is written.
        earlier = self.sudo().search(
            [
                *self._competing_signals_domain(candidates.company_id, longest),
                "|",
                ("partner_id", "child_of", partners.ids),
                ("email_normalized", "in", emails),
            ],
            order="create_date, id",
        )
        first_by_key = {}
        for signal in earlier:
            window = timedelta(days=signal.company_id.everyone_sells_protection_days)
            if signal.create_date >= fields.Datetime.now() - window:
                first_by_key.setdefault(signal._customer_key(), signal)
        for signal in candidates:
            first = first_by_key.get(signal._customer_key())
            if first and first != signal:
                signal.sudo().duplicate_of_id = first

    @api.depends("partner_id", "email_from", "signal_type_id", "company_id", "duplicate_of_id")
    @api.depends_context("uid")
    def _compute_duplicate_hint(self):
        for signal in self:
            saved = bool(signal._origin.id)
            first = signal.sudo().duplicate_of_id if saved else signal._first_open_signal()
            if not first:
                signal.duplicate_hint = False
                continue
            # Whose, since when and why it matches, never what it says: the
            # reader may not be allowed to read the earlier signal.
            logged_on = fields.Datetime.context_timestamp(self, first.create_date).date()
            date = format_date(self.env, logged_on)
            employee = first.employee_id
            # The key it was matched on (the signal's own, or the first one's
            # when the signal was edited since).
            _company, kind, value = signal._customer_key() or first._customer_key()
            customer = (signal.partner_id or first.partner_id).commercial_partner_id
            match = (
                self.env._("the same customer, %(customer)s", customer=customer.display_name)
                if kind == "partner"
                else self.env._("the same e-mail address, %(email)s", email=value)
            )
            if employee.user_id == self.env.user:
                hint = (
                    self.env._(
                        "This signal repeats the signal you logged on %(date)s about "
                        "%(match)s: the first signal keeps the originator role.",
                        date=date,
                        match=match,
                    )
                    if saved
                    else self.env._(
                        "You logged an open signal about %(match)s on %(date)s. This one "
                        "would be kept as a duplicate: the first signal keeps the originator "
                        "role.",
                        date=date,
                        match=match,
                    )
                )
            else:
                hint = (
                    self.env._(
                        "This signal repeats the signal %(employee)s logged on %(date)s about "
                        "%(match)s: the first signal keeps the originator role.",
                        employee=employee.name,
                        date=date,
                        match=match,
                    )
                    if saved
                    else self.env._(
                        "%(employee)s logged an open signal about %(match)s on %(date)s. "
                        "You can still log yours: it is kept as a duplicate, and the first "
                        "signal keeps the originator role and what it earns.",
                        employee=employee.name,
                        date=date,
                        match=match,
                    )
                )
            signal.duplicate_hint = hint

    @api.model
    def _competing_signals_domain(self, companies, days):
        """Signals that compete to be first for their customer: open sales
        signals of ``companies`` logged in the last ``days``, not themselves
        duplicates."""
        return [
            ("company_id", "in", companies.ids),
            ("state", "in", OPEN_STATES),
            ("signal_type_id.is_sale", "=", True),
            ("duplicate_of_id", "=", False),
            ("to_confirm", "=", False),
            ("create_date", ">=", fields.Datetime.now() - timedelta(days=days)),
        ]

    def _first_open_signal(self):
        """The open signal that would make this (unsaved) one a duplicate,
        as ``_mark_duplicates`` decides it at creation: sudo, to be shown
        only by its author's name and date."""
        self.ensure_one()
        Signal = self.env["crm.signal"]
        key = self.signal_type_id.is_sale and self._customer_key()
        days = self.company_id.everyone_sells_protection_days
        if not key or days <= 0:
            return Signal
        _company, kind, value = key
        customer = (
            ("partner_id", "child_of", value)
            if kind == "partner"
            else ("email_normalized", "=", value)
        )
        # sudo: who came first is decided over all signals; the caller shows
        # only the author's name and the date, never the signal itself.
        return Signal.sudo().search(
            [*self._competing_signals_domain(self.company_id, days), customer],
            order="create_date, id",
            limit=1,
        )
