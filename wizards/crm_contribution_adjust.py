from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..core.bounds import MAX_MONEY, plausible_money
from ..core.crediting import credit_key
from ..models.crm_contribution import WAGE_TYPES


class CrmContributionAdjust(models.TransientModel):
    _name = "crm.contribution.adjust"
    _description = "Adjust a Contribution"

    dispute_id = fields.Many2one("crm.contribution.dispute", required=True)
    currency_id = fields.Many2one(related="dispute_id.currency_id")
    amount = fields.Monetary(
        help="Positive to credit the employee, negative to take back an excess credit."
    )
    points = fields.Float(digits=(16, 2))
    wage_type = fields.Selection(
        WAGE_TYPES,
        required=True,
        default="incentive",
    )
    explanation = fields.Text(
        required=True,
        help="One sentence the employee reads on the ledger and the statement.",
    )

    def action_apply(self):
        self.ensure_one()
        dispute = self.dispute_id
        dispute._check_can_resolve()
        currency = dispute.currency_id
        if currency.is_zero(self.amount) and not self.points:
            raise UserError(
                self.env._("An adjustment needs an amount or points; to say no, reject instead.")
            )
        # sudo: the contested credit is the employee's; the manager reads its
        # state to know how a reduction settles.
        contested = dispute.contribution_id.sudo()
        amount = currency.round(self.amount)
        reduces = currency.compare_amounts(amount, 0) < 0
        if reduces and not contested:
            raise UserError(
                self.env._(
                    "A negative adjustment reduces a credit: this dispute contests none. "
                    "Only a contested credit can be reduced."
                )
            )
        if reduces and currency.compare_amounts(-amount, contested.amount) > 0:
            raise UserError(
                self.env._(
                    "A reduction takes back at most the credit it reduces (%(amount)s).",
                    amount=contested.amount,
                )
            )
        # sudo: managers correct the ledger only through this wizard, which
        # writes one explained adjustment and nothing else. It waits for
        # another manager's approval: whoever enters it is its maker.
        adjustment = (
            self.env["crm.contribution"]
            .sudo()
            .create(
                {
                    "employee_id": dispute.employee_id.id,
                    "department_id": contested.department_id.id
                    or dispute.employee_id.department_id.id,
                    "company_id": dispute.company_id.id,
                    "lead_id": dispute.lead_id.id,
                    "lead_name": dispute.lead_name,
                    "signal_id": dispute.signal_id.id or contested.signal_id.id,
                    "partner_id": contested.partner_id.id or dispute.lead_id.partner_id.id,
                    "trigger": "adjustment",
                    "date": fields.Date.context_today(self),
                    # A reduction follows its credit's state, as a reversal
                    # does: nets with an unpaid credit, is a clawback of a
                    # paid one (see the payout's _totals_sql).
                    "payable_date": contested._settling_date()
                    if reduces
                    else fields.Date.context_today(self),
                    "reduced_entry_id": contested.id if reduces else False,
                    "amount": amount,
                    "points": self.points,
                    "share": 1.0,
                    "wage_type": self.wage_type,
                    "credit_key": credit_key("adjustment", "dispute", dispute.id),
                    "note": self.explanation,
                    "state": "draft",
                    "maker_id": self.env.uid,
                }
            )
        )
        dispute.write(
            {
                "state": "accepted",
                "adjustment_id": adjustment.id,
                "resolution": dispute.resolution or self.explanation,
                "resolved_by_id": self.env.uid,
            }
        )
        dispute._notify_both(
            self.env._("Dispute accepted: %(explanation)s", explanation=self.explanation)
        )
        return {"type": "ir.actions.act_window_close"}

    @api.constrains("amount", "points")
    def _check_amount_bounds(self):
        # An adjustment's sign is the point (a negative one takes back an
        # excess credit); its size is bounded like any typed amount.
        for wizard in self:
            wizard._raise_amount_problem(wizard.amount, wizard.points)

    @api.model_create_multi
    def create(self, vals_list):
        # Before the ORM rounds them: NaN and infinity would fail there unsaid.
        for vals in vals_list:
            self._raise_amount_problem(vals.get("amount"), vals.get("points"))
        return super().create(vals_list)

    def write(self, vals):
        self._raise_amount_problem(vals.get("amount"), vals.get("points"))
        return super().write(vals)

    @api.model
    def _raise_amount_problem(self, amount, points):
        if not (plausible_money(amount, signed=True) and plausible_money(points, signed=True)):
            raise ValidationError(
                self.env._(
                    "An adjustment is below ¥%(limit)s (and %(limit)s points) either way.",
                    limit=format(MAX_MONEY, ","),
                )
            )
