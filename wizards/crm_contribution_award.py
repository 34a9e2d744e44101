import uuid
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..core.bounds import MAX_MONEY, plausible_money
from ..core.crediting import credit_key
from ..core.wage import period_containing, period_end_of


class CrmContributionAward(models.TransientModel):
    """A discretionary cash award (恩恵的表彰): decided by a manager case by
    case, with no criteria promised beforehand, so outside every published
    rule (a rule's money is wages, LSA art. 11). It is paid with the next
    payout, kept out of the overtime base, and exported as a bonus (賞与)
    candidate for withholding."""

    _name = "crm.contribution.award"
    _description = "Discretionary Award"

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
    employee_id = fields.Many2one(
        "hr.employee",
        required=True,
        domain="[('company_id', 'in', (company_id, False))]",
        help="Who receives the award.",
    )
    amount = fields.Monetary(required=True, help="The cash award, in yen.")
    date = fields.Date(
        required=True,
        default=fields.Date.context_today,
        help="The day the award was decided; it is paid with the payout of that period.",
    )
    reason = fields.Text(
        required=True,
        help="Why this award, decided case by case: the employee reads it on "
        "the ledger and the statement, payroll in the workbook.",
    )

    @api.depends("company_id")
    def _compute_currency_id(self):
        # The company field is hidden in a single-company database.
        for wizard in self:
            wizard.currency_id = (wizard.company_id or self.env.company).currency_id

    def action_apply(self):
        self.ensure_one()
        company = self.company_id or self.env.company
        currency = company.currency_id
        if currency.compare_amounts(self.amount, 0) <= 0:
            raise UserError(self.env._("A discretionary award is a positive amount."))
        if not (self.reason or "").strip():
            raise UserError(self.env._("Say why this award is given."))
        employee = self.employee_id
        if employee.company_id and employee.company_id != company:
            raise UserError(
                self.env._("%(employee)s works for another company.", employee=employee.name)
            )
        if employee.user_id == self.env.user:
            raise UserError(
                self.env._("Nobody enters an award for themselves: another manager enters yours.")
            )
        # sudo: the ledger is append-only and written by no user directly;
        # this wizard (Contribution Managers only, by its access rights)
        # writes one explained award entry and nothing else. It waits for
        # another manager's approval: whoever enters it is its maker.
        entry = (
            self.env["crm.contribution"]
            .sudo()
            .create(
                {
                    "employee_id": employee.id,
                    "department_id": employee.department_id.id,
                    "company_id": company.id,
                    "trigger": "adjustment",
                    "date": self.date,
                    "payable_date": self.date,
                    "amount": currency.round(self.amount),
                    "points": 0.0,
                    "share": 1.0,
                    "wage_type": "award",
                    "credit_key": credit_key("award", uuid.uuid4()),
                    "explanation": self.reason.strip(),
                    "state": "draft",
                    "maker_id": self.env.uid,
                }
            )
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.contribution",
            "res_id": entry.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    # ------------------------------------------------------------------
    # BOUNDS: what a manager types, within reason (for every caller)
    # ------------------------------------------------------------------

    @api.constrains("amount")
    def _check_amount_bounds(self):
        for wizard in self:
            wizard._raise_amount_problem(wizard.amount)

    @api.model_create_multi
    def create(self, vals_list):
        # Before the ORM rounds it: NaN and infinity would fail there unsaid.
        for vals in vals_list:
            if "amount" in vals:
                self._raise_amount_problem(vals["amount"])
        return super().create(vals_list)

    def write(self, vals):
        if "amount" in vals:
            self._raise_amount_problem(vals["amount"])
        return super().write(vals)

    @api.model
    def _raise_amount_problem(self, amount):
        if not plausible_money(amount) or not amount:
            raise ValidationError(
                self.env._(
                    "A discretionary award is a positive amount below ¥%(limit)s.",
                    limit=format(MAX_MONEY, ","),
                )
            )

    @api.constrains("date", "company_id")
    def _check_date_in_open_period(self):
        for wizard in self:
            start, end = wizard._open_dates()
            if not (start <= wizard.date <= end):
                raise ValidationError(
                    self.env._(
                        "An award is dated in the current or the next unpaid wage period: "
                        "from %(start)s to %(end)s.",
                        start=start,
                        end=end,
                    )
                )

    def _open_dates(self):
        """The first and last day an award may be dated: from the first day
        no confirmed payout covers (at the earliest the previous wage period,
        whose payout may still be open) to the end of the next wage period."""
        company = self.company_id or self.env.company
        closing_day = company.everyone_sells_closing_day
        today = fields.Date.context_today(self)
        current_start, current_end = period_containing(today, closing_day)
        previous_start = period_containing(current_start - timedelta(days=1), closing_day)[0]
        next_end = period_end_of(current_end + timedelta(days=1), closing_day)
        # sudo: which periods are paid is read whoever enters the award.
        paid = (
            self.env["crm.contribution.payout"]
            .sudo()
            .search(
                [("company_id", "=", company.id), ("state", "in", ("confirmed", "done"))],
                order="date_to desc",
                limit=1,
            )
        )
        start = previous_start
        if paid:
            start = max(start, paid.date_to + timedelta(days=1))
        return start, max(start, next_end)
