from odoo import fields, models


class CrmSignalType(models.Model):
    _name = "crm.signal.type"
    _description = "Signal Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="Stable technical code used by integrations and imports.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(
        translate=True,
        help="Shown to employees to help them pick the right kind of signal.",
    )
    is_sale = fields.Boolean(
        string="Sales Opportunity",
        default=True,
        help="Signals of this kind are meant for sales. Untick for kinds such "
        "as improvement requests that go to another department.",
    )
    route_department_id = fields.Many2one(
        "hr.department",
        string="Default Route",
        help="Department that receives signals of this kind by default when "
        "they are not a sale (for example improvement requests go to the "
        "product team).",
    )
    company_id = fields.Many2one(
        "res.company",
        help="Leave empty to share this kind with every company.",
    )

    _sql_constraints = [
        (
            "code_company_uniq",
            "unique(code, company_id)",
            "A signal type with this code already exists.",
        ),
    ]
