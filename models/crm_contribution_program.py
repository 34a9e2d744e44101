from odoo import Command, api, fields, models
from odoo.exceptions import UserError

# Fields whose change widens or narrows who takes part: each one is logged.
SCOPE_FIELDS = {"state", "department_ids", "team_ids", "tag_ids"}

GOAL_DEFINITIONS = [
    # (xml id, monthly target)
    ("goal_definition_signals_logged", 3),
    ("goal_definition_signals_handed_off", 1),
    ("goal_definition_signals_won", 1),
    ("goal_definition_yen_credited", 10_000),
    ("goal_definition_assists", 1),
]


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
    currency_id = fields.Many2one(related="company_id.currency_id")
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("pilot", "Pilot"),
            ("rollout", "Rollout"),
            ("closed", "Closed"),
        ],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
        help="Pilot: only the departments in scope take part. Rollout: every "
        "department takes part. Closed: no new signals join the program.",
    )
    date_start = fields.Date(
        string="Start Date",
        default=fields.Date.context_today,
        tracking=True,
        help="The day the program starts (set when the pilot starts).",
    )
    date_rollout = fields.Date(
        string="Rollout Date",
        readonly=True,
        copy=False,
        help="The day the program was opened to every department.",
    )
    date_end = fields.Date(
        string="End Date", readonly=True, copy=False, help="The day the program was closed."
    )
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
    scope_log_ids = fields.One2many(
        "crm.contribution.program.scope.log",
        "program_id",
        string="Scope History",
        readonly=True,
        help="Every change of state or scope, dated, with who made it.",
    )
    rule_ids = fields.One2many(
        "crm.contribution.rule",
        "program_id",
        string="Rules",
        help="The scoring rules tied to this program.",
    )
    challenge_ids = fields.One2many(
        "gamification.challenge",
        "everyone_sells_program_id",
        string="Challenges",
        help="The monthly challenges created for the program's participants.",
    )
    challenge_count = fields.Integer(compute="_compute_challenge_count")
    success_story_ids = fields.One2many(
        "crm.contribution.success.story",
        "program_id",
        string="Success Stories",
        help="Won deals told as stories for every employee.",
    )
    # KPIs: figures of the program's own signals and of the deals they became.
    signal_count = fields.Integer(
        string="Signals",
        compute="_compute_kpis",
        help="Signals logged under the program.",
    )
    handoff_count = fields.Integer(
        string="Handed Off",
        compute="_compute_kpis",
        help="The program's signals that sales accepted and turned into an opportunity.",
    )
    won_count = fields.Integer(
        string="Won",
        compute="_compute_kpis",
        help="Won opportunities that came from the program's signals (each deal "
        "counted once, on its first signal).",
    )
    won_revenue = fields.Monetary(
        compute="_compute_kpis",
        help="Expected revenue of the won opportunities that came from the "
        "program's signals (each deal counted once).",
    )
    # What the program costs is pay: with few participants it tells each
    # one's incentive. Managers only (the screens hide it from the others).
    incentive_total = fields.Monetary(
        string="Incentive Cost",
        compute="_compute_kpis",
        groups="crm_everyone_sells.group_manager",
        help="Net credits (after reversals) earned on the program's signals and "
        "on the deals they became.",
    )
    conversion_rate = fields.Float(
        string="Conversion (%)",
        compute="_compute_kpis",
        digits=(16, 1),
        help="Share of the program's signals whose opportunity was won.",
    )
    handoff_rate = fields.Float(
        string="Hand-off Rate (%)",
        compute="_compute_kpis",
        digits=(16, 1),
        help="Share of the program's signals that sales accepted.",
    )
    revenue_per_incentive = fields.Float(
        string="Revenue per Yen of Incentive",
        compute="_compute_kpis",
        groups="crm_everyone_sells.group_manager",
        digits=(16, 1),
        help="Won revenue divided by the incentive cost.",
    )

    # ------------------------------------------------------------------
    # KPIs
    # ------------------------------------------------------------------

    def _compute_kpis(self):
        """The figures of the analysis report (crm.everyone.sells.report),
        summed per program: one definition of handed off, won and cost for
        both screens."""
        # sudo: the program's figures are aggregates every participant may
        # see, while each signal or credit is readable only by its owner.
        groups = (
            self.env["crm.everyone.sells.report"]
            .sudo()
            ._read_group(
                [("program_id", "in", self.ids)],
                ["program_id"],
                [
                    "signal_count:sum",
                    "handoff_count:sum",
                    "won_count:sum",
                    "won_revenue:sum",
                    "incentive_cost:sum",
                ],
            )
        )
        figures = {program.id: rest for program, *rest in groups}
        for program in self:
            signals, handed, won, revenue, incentive = figures.get(program.id, (0, 0, 0, 0.0, 0.0))
            program.signal_count = signals
            program.handoff_count = handed
            program.won_count = won
            program.won_revenue = revenue
            program.incentive_total = incentive
            program.conversion_rate = 100.0 * won / signals if signals else 0.0
            program.handoff_rate = 100.0 * handed / signals if signals else 0.0
            program.revenue_per_incentive = revenue / incentive if incentive > 0 else 0.0

    def _compute_challenge_count(self):
        counts = dict(
            self.env["gamification.challenge"]
            .sudo()
            ._read_group(
                [("everyone_sells_program_id", "in", self.ids)],
                ["everyone_sells_program_id"],
                ["__count"],
            )
        )
        for program in self:
            program.challenge_count = counts.get(program, 0)

    # ------------------------------------------------------------------
    # SCOPE
    # ------------------------------------------------------------------

    def _covers_department(self, department):
        """Whether a signal logged from ``department`` belongs to this program."""
        self.ensure_one()
        if self.state == "rollout":
            return True
        return self.state == "pilot" and department in self.department_ids

    @api.model_create_multi
    def create(self, vals_list):
        programs = super().create(vals_list)
        programs._log_scope()
        return programs

    def write(self, vals):
        result = super().write(vals)
        if SCOPE_FIELDS & set(vals):
            self._log_scope()
        return result

    def _log_scope(self):
        """A dated snapshot of who takes part, kept even when the scope
        changes again later."""
        # sudo: the log is history written by the system, never by hand.
        self.env["crm.contribution.program.scope.log"].sudo().create(
            [
                {
                    "program_id": program.id,
                    "state": program.state,
                    "department_ids": [Command.set(program.department_ids.ids)],
                    "team_ids": [Command.set(program.team_ids.ids)],
                    "user_id": self.env.uid,
                }
                for program in self
            ]
        )

    # ------------------------------------------------------------------
    # STATES
    # ------------------------------------------------------------------

    def _check_state(self, *states):
        wrong = self.filtered(lambda program: program.state not in states)
        if wrong:
            raise UserError(
                self.env._(
                    "The program %(program)s is %(state)s: this step is not possible from there.",
                    program=wrong[0].display_name,
                    state=dict(wrong[0]._fields["state"]._description_selection(self.env))[
                        wrong[0].state
                    ],
                )
            )

    def action_start_pilot(self):
        self._check_state("draft")
        no_scope = self.filtered(lambda program: not program.department_ids)
        if no_scope:
            raise UserError(
                self.env._(
                    "Choose the departments of the pilot on %(program)s first: a small "
                    "start means a few cooperative departments, not nobody.",
                    program=no_scope[0].display_name,
                )
            )
        today = fields.Date.context_today(self)
        for program in self:
            program.write({"state": "pilot", "date_start": program.date_start or today})
        return True

    def action_rollout(self):
        """Open the program to every department. Credits already written
        stay as they are: the wider scope applies to events from now on."""
        self._check_state("pilot")
        self.write({"state": "rollout", "date_rollout": fields.Date.context_today(self)})
        return True

    def action_close(self):
        self._check_state("pilot", "rollout")
        self.write({"state": "closed", "date_end": fields.Date.context_today(self)})
        return True

    # ------------------------------------------------------------------
    # GAMIFICATION
    # ------------------------------------------------------------------

    def _participant_domain(self):
        """The users taking part today, as a domain gamification can store."""
        self.ensure_one()
        domain = [
            ("share", "=", False),
            ("employee_ids.company_id", "=", self.company_id.id),
        ]
        if self.state != "rollout":
            domain.append(("employee_ids.department_id", "in", self.department_ids.ids))
        return domain

    def action_create_challenge(self):
        """Start a monthly challenge over the program's goals for its
        participants by department; the month's best earns 全員営業賞."""
        self.ensure_one()
        self._check_state("pilot", "rollout")
        lines = [
            Command.create(
                {
                    "definition_id": self.env.ref(f"crm_everyone_sells.{xmlid}").id,
                    "target_goal": target,
                }
            )
            for xmlid, target in GOAL_DEFINITIONS
        ]
        self.check_access("write")
        # sudo: program administrators run the program's challenge without
        # being gamification managers; what is created is fixed here, and
        # starting it creates goals for other users.
        challenge = (
            self.env["gamification.challenge"]
            .sudo()
            .create(
                {
                    "name": self.env._("%(program)s — monthly goals", program=self.name),
                    "description": self.env._(
                        "Bring what customers tell you to sales: every signal counts."
                    ),
                    "everyone_sells_program_id": self.id,
                    "period": "monthly",
                    "challenge_category": "hr",
                    "visibility_mode": "ranking",
                    "report_message_frequency": "never",
                    "user_domain": repr(self._participant_domain()),
                    "reward_first_id": self.env.ref("crm_everyone_sells.badge_everyone_sells").id,
                    "reward_failure": True,
                    "line_ids": lines,
                }
            )
        )
        challenge.action_start()
        return {
            "type": "ir.actions.act_window",
            "res_model": "gamification.challenge",
            "res_id": challenge.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def action_view_challenges(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Challenges"),
            "res_model": "gamification.challenge",
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [("everyone_sells_program_id", "=", self.id)],
            "context": {"default_everyone_sells_program_id": self.id},
        }

    # ------------------------------------------------------------------
    # LANDING
    # ------------------------------------------------------------------

    @api.model
    def _running_for(self, employee, company):
        """The program an employee takes part in today, if any."""
        # sudo: the landing screen looks up the running program whatever the
        # employee may read; only its message and figures are shown.
        programs = self.sudo().search(
            [("company_id", "=", company.id), ("state", "in", ("pilot", "rollout"))]
        )
        department = employee.department_id
        return next(
            (program for program in programs if program._covers_department(department)),
            programs[:1],
        )
