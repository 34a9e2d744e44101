from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CrmContributionPayrollFormatColumn(models.Model):
    _name = "crm.contribution.payroll.format.column"
    _description = "Payroll File Column"
    _order = "format_id, sequence, id"
    _check_company_auto = True

    format_id = fields.Many2one(
        "crm.contribution.payroll.format", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="format_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=10)
    kind = fields.Selection(
        [
            ("employee_key", "Employee key"),
            ("employee_name", "Employee name"),
            ("department", "Department"),
            ("workplace_prefecture", "Workplace prefecture"),
            ("constant", "Fixed text"),
            ("incentive", "Incentive (歩合給)"),
            ("overtime_premium", "Overtime premium on incentive (歩合給の割増賃金)"),
            ("deduction", "Deduction (控除)"),
            ("award", "Discretionary award (賞与 candidate)"),
            ("worked_hours", "Hours worked"),
            ("overtime_hours", "Statutory overtime hours"),
            ("late_night_hours", "Late-night hours"),
            ("holiday_hours", "Legal holiday hours"),
        ],
        string="Item",
        required=True,
        help="The payout figure the column holds. Incentive, award and deduction "
        "are separate items: payroll imports each into its own.",
    )
    header = fields.Char(
        required=True,
        help="The header text the payroll product expects: the item's name on its screen.",
    )
    value = fields.Char(string="Fixed Text", help="Written on every row of a fixed-text column.")

    @api.constrains("kind", "format_id")
    def _check_one_column_per_item(self):
        for column in self:
            if column.kind == "constant":
                continue
            if len(column.format_id.column_ids.filtered(lambda c, k=column.kind: c.kind == k)) > 1:
                raise ValidationError(
                    self.env._(
                        "%(format)s has two columns for the same item: each figure "
                        "is written once.",
                        format=column.format_id.name,
                    )
                )
