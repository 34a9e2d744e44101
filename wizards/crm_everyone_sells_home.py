from odoo import api, fields, models

LEADERBOARD_SIZE = 10


class CrmEveryoneSellsHome(models.TransientModel):
    _name = "crm.everyone.sells.home"
    _description = "Everyone Sells Home"

    # The reader, as a default: the web client opens Home as a new record,
    # and its figures are computed on the server's first onchange because
    # they depend on this field. They are computed for the current user
    # (self.env.user), whatever value a client sends here.
    user_id = fields.Many2one("res.users", default=lambda self: self.env.user)
    employee_id = fields.Many2one("hr.employee", compute="_compute_home")
    company_id = fields.Many2one("res.company", compute="_compute_home")
    currency_id = fields.Many2one(related="company_id.currency_id")
    program_id = fields.Many2one(
        "crm.contribution.program",
        compute="_compute_home",
        help="The running program you take part in.",
    )
    program_name = fields.Char(compute="_compute_home")
    program_message = fields.Html(related="program_id.message")
    my_signal_count = fields.Integer(
        string="My Signals", compute="_compute_home", help="Signals you logged, ever."
    )
    my_open_signal_count = fields.Integer(
        string="Waiting for Sales", compute="_compute_home", help="Your signals still new."
    )
    my_won_signal_count = fields.Integer(
        string="Won", compute="_compute_home", help="Your signals whose deal was won."
    )
    my_credit_month = fields.Monetary(
        string="My Credit This Month",
        compute="_compute_home",
        help="Your net credit dated this month, approved or not.",
    )
    my_points_month = fields.Float(
        string="My Points This Month", compute="_compute_home", digits=(16, 2)
    )
    my_signal_ids = fields.Many2many(
        "crm.signal",
        string="My Latest Signals",
        compute="_compute_home",
        help="The last five signals you logged.",
    )
    rule_ids = fields.Many2many(
        "crm.contribution.rule",
        string="Published Rules",
        compute="_compute_home",
        help="The rules that credit contributions in your company, as published.",
    )
    leaderboard = fields.Json(
        compute="_compute_home",
        help="This month's points: rank, employee and points of the top ten.",
    )

    @api.depends("program_name")
    def _compute_display_name(self):
        # The breadcrumb's title: the program's name, else the app's.
        for home in self:
            home.display_name = home.program_name or self.env._("Everyone Sells")

    @api.model
    @api.readonly
    def action_open(self):
        """The landing screen: the menu's window action, which opens Home as
        a record never saved (its figures are computed when read), so a visit
        writes nothing and ``/odoo/everyone-sells`` reloads with the app's
        menus."""
        return self.env["ir.actions.act_window"]._for_xml_id(
            "crm_everyone_sells.crm_everyone_sells_home_action_window"
        )

    @api.readonly
    def onchange(self, values, field_names, fields_spec):
        # How the web client reads Home (a new record): it only computes, so
        # Odoo may serve it from a read replica like web_read.
        return super().onchange(values, field_names, fields_spec)

    def _month_range(self):
        today = fields.Date.context_today(self)
        return today.replace(day=1), today

    @api.depends("user_id")
    def _compute_home(self):
        user = self.env.user
        company = self.env.company
        employee = (
            user.employee_ids.filtered(lambda e: e.company_id == company)[:1]
            or (user.employee_ids[:1])
        )
        program = self.env["crm.contribution.program"]._running_for(employee, company)
        month_start, _today = self._month_range()
        Signal = self.env["crm.signal"]
        mine = [("employee_id.user_id", "=", user.id)]
        state_counts = dict(Signal._read_group(mine, ["state"], ["__count"]))
        ledger = self.env["crm.contribution"]._read_group(
            [*mine, ("date", ">=", month_start)], [], ["amount:sum", "points:sum"]
        )
        amount, points = ledger[0]
        values = {
            "employee_id": employee.id,
            "company_id": company.id,
            "program_id": program.id,
            "program_name": program.name or False,
            "my_signal_count": sum(state_counts.values()),
            "my_open_signal_count": state_counts.get("new", 0),
            "my_won_signal_count": state_counts.get("won", 0),
            "my_credit_month": amount or 0,
            "my_points_month": points or 0,
            "my_signal_ids": Signal.search(mine, limit=5).ids,
            "rule_ids": self.env["crm.contribution.rule"]
            .search([("is_published", "=", True), ("company_id", "=", company.id)])
            .ids,
            "leaderboard": self._leaderboard(company, program, month_start),
        }
        for home in self:
            home.update(values)

    def _leaderboard(self, company, program, month_start):
        """Rank, name and points of the month's top participants, as data:
        the view renders them (static/src/home/)."""
        # sudo: the leaderboard shows every participant's points of the month
        # (names and points only); each ledger line stays private.
        domain = [("company_id", "=", company.id), ("date", ">=", month_start)]
        if program and program.state == "pilot":
            domain.append(("department_id", "in", program.department_ids.ids))
        board = (
            self.env["crm.contribution"]
            .sudo()
            ._read_group(
                domain,
                ["employee_id"],
                ["points:sum"],
                order="points:sum desc",
                limit=LEADERBOARD_SIZE,
            )
        )
        return [
            {"rank": rank, "employee_id": employee.id, "name": employee.name, "points": total}
            for rank, (employee, total) in enumerate(
                ((employee, total) for employee, total in board if total), start=1
            )
        ]
