from odoo import fields, models


class CrmContributionProgramScopeLog(models.Model):
    _name = "crm.contribution.program.scope.log"
    _description = "Program Scope Change"
    _order = "date desc, id desc"

    program_id = fields.Many2one(
        "crm.contribution.program", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True)
    date = fields.Datetime(
        required=True,
        default=fields.Datetime.now,
        readonly=True,
        help="When the scope changed.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Changed By",
        required=True,
        default=lambda self: self.env.user,
        readonly=True,
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("pilot", "Pilot"),
            ("rollout", "Rollout"),
            ("closed", "Closed"),
        ],
        required=True,
        readonly=True,
        help="The program's state after the change.",
    )
    department_ids = fields.Many2many(
        "hr.department",
        "crm_contribution_program_scope_log_department_rel",
        string="Departments in Scope",
        readonly=True,
        help="The departments in scope after the change (a snapshot).",
    )
    team_ids = fields.Many2many(
        "crm.team",
        "crm_contribution_program_scope_log_team_rel",
        string="Sales Teams in Scope",
        readonly=True,
        help="The sales teams in scope after the change (a snapshot).",
    )
