from markupsafe import Markup

from odoo import api, fields, models

LEADERBOARD_SIZE = 10


class CrmEveryoneSellsHome(models.TransientModel):
    _name = "crm.everyone.sells.home"
    _description = "Everyone Sells Home"

    employee_id = fields.Many2one("hr.employee", compute="_compute_home")
    company_id = fields.Many2one("res.company", compute="_compute_home")
    currency_id = fields.Many2one(related="company_id.currency_id")
    program_id = fields.Many2one(
        "crm.contribution.program",
        compute="_compute_home",
        help="The running program you take part in.",
    )
    program_name = fields.Char(compute="_compute_home")
    program_message = fields.Html(compute="_compute_home", sanitize=False)
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
        string="My Points This Month", compute="_compute_home", digits=(16, 1)
    )
    my_signals_html = fields.Html(compute="_compute_home", sanitize=False)
    rules_html = fields.Html(compute="_compute_home", sanitize=False)
    leaderboard_html = fields.Html(compute="_compute_home", sanitize=False)

    def _compute_display_name(self):
        for home in self:
            home.display_name = self.env._("Home")

    @api.model
    def action_open(self):
        """The landing screen, fresh each time it is opened."""
        home = self.create({})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Everyone Sells"),
            "res_model": self._name,
            "res_id": home.id,
            "view_mode": "form",
            "views": [
                (self.env.ref("crm_everyone_sells.crm_everyone_sells_home_view_form").id, "form")
            ],
            "target": "current",
        }

    def _month_range(self):
        today = fields.Date.context_today(self)
        return today.replace(day=1), today

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
            "program_message": program.message or False,
            "my_signal_count": sum(state_counts.values()),
            "my_open_signal_count": state_counts.get("new", 0),
            "my_won_signal_count": state_counts.get("won", 0),
            "my_credit_month": amount or 0,
            "my_points_month": points or 0,
            "my_signals_html": self._my_signals_html(Signal.search(mine, limit=5)),
            "rules_html": self._rules_html(company),
            "leaderboard_html": self._leaderboard_html(company, program, month_start),
        }
        for home in self:
            home.update(values)

    def _html_table(self, headers, rows, empty):
        if not rows:
            return Markup("<p class='text-muted'>%s</p>") % empty
        head = Markup("").join(Markup("<th>%s</th>") % header for header in headers)
        body = Markup("").join(
            Markup("<tr>%s</tr>") % Markup("").join(Markup("<td>%s</td>") % cell for cell in row)
            for row in rows
        )
        return Markup(
            "<table class='table table-sm o_everyone_sells_home_table'>"
            "<thead><tr>%s</tr></thead><tbody>%s</tbody></table>"
        ) % (head, body)

    def _my_signals_html(self, signals):
        states = dict(signals._fields["state"]._description_selection(self.env))
        return self._html_table(
            [self.env._("Signal"), self.env._("Customer"), self.env._("Status")],
            [
                (
                    signal.name,
                    signal.partner_id.display_name or signal.contact_name or "",
                    states.get(signal.state, signal.state),
                )
                for signal in signals
            ],
            self.env._("No signal yet: what did a customer tell you this week?"),
        )

    def _rules_html(self, company):
        rules = self.env["crm.contribution.rule"].search(
            [("is_published", "=", True), ("company_id", "=", company.id)]
        )
        triggers = dict(rules._fields["trigger"]._description_selection(self.env))
        return self._html_table(
            [self.env._("Rule"), self.env._("When")],
            [(rule.name, triggers.get(rule.trigger, "")) for rule in rules],
            self.env._("No rule is published yet."),
        )

    def _leaderboard_html(self, company, program, month_start):
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
        return self._html_table(
            ["#", self.env._("Employee"), self.env._("Points")],
            [
                (rank, employee.name, f"{total:g}")
                for rank, (employee, total) in enumerate(board, start=1)
                if total
            ],
            self.env._("Nobody has points this month yet: be the first."),
        )
