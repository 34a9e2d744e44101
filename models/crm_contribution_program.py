from odoo import fields, models


class CrmContributionProgram(models.Model):
    _name = "crm.contribution.program"
    _description = "Everyone Sells Program"
    _inherit = ["mail.thread"]
    _order = "date_start desc, id desc"

    name = fields.Char(required=True, translate=True, tracking=True)
    message = fields.Html(
        string="Why We Do This",
        translate=True,
        help="Top management's message to every employee: why the company "
        "sells together and what it hopes to achieve.",
    )
    sponsor_id = fields.Many2one(
        "hr.employee",
        tracking=True,
        help="The executive who stands behind the program.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("pilot", "Pilot"),
            ("rollout", "Rollout"),
            ("closed", "Closed"),
        ],
        default="draft",
        required=True,
        tracking=True,
        help="Pilot: only the departments in scope take part. Rollout: every "
        "department takes part. Closed: no new signals join the program.",
    )
    date_start = fields.Date(string="Start Date", default=fields.Date.context_today, tracking=True)
    department_ids = fields.Many2many(
        "hr.department",
        string="Departments in Scope",
        help="During the pilot, only employees of these departments take part.",
    )
    team_ids = fields.Many2many(
        "crm.team",
        string="Sales Teams in Scope",
        help="Sales teams that receive the program's signals.",
    )
    tag_ids = fields.Many2many(
        "crm.tag",
        string="Opportunity Tags",
        help="Product themes the program is about.",
    )

    def _covers_department(self, department):
        """Whether a signal logged from ``department`` belongs to this program."""
        self.ensure_one()
        if self.state == "rollout":
            return True
        return self.state == "pilot" and department in self.department_ids
