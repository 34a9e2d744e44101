from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import clean_context


class CrmSignalHandoff(models.TransientModel):
    _name = "crm.signal.handoff"
    _description = "Hand Off Signals"

    signal_ids = fields.Many2many("crm.signal", string="Signals", required=True)
    company_id = fields.Many2one("res.company", compute="_compute_company_id")
    currency_id = fields.Many2one(related="company_id.currency_id")
    mode = fields.Selection(
        [
            ("create", "Create a new opportunity"),
            ("link", "Add to an existing opportunity"),
            ("route", "Send to another department"),
        ],
        required=True,
        compute="_compute_mode",
        store=True,
        readonly=False,
        precompute=True,
        help="Not a sale (an improvement request, a question for the product "
        "team)? Send it to the department that can act on it.",
    )
    route_department_id = fields.Many2one(
        "hr.department",
        compute="_compute_route_department_id",
        store=True,
        readonly=False,
        help="Defaults to the route of the signal type.",
    )
    route_employee_ids = fields.Many2many(
        "hr.employee",
        string="Receivers",
        help="Named people, if the department's manager is not the right one.",
    )
    lead_id = fields.Many2one(
        "crm.lead",
        string="Opportunity",
        domain="[('type', '=', 'opportunity'), ('company_id', 'in', [company_id, False])]",
        help="The opportunity the signals are added to.",
    )
    name = fields.Char(
        string="Opportunity Title",
        compute="_compute_name",
        store=True,
        readonly=False,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        compute="_compute_partner_id",
        store=True,
        readonly=False,
        help="Leave empty to create the opportunity for the contact named on the signal.",
    )
    expected_revenue = fields.Monetary(
        compute="_compute_expected_revenue",
        store=True,
        readonly=False,
        currency_field="currency_id",
        help="Starts from the employees' estimates.",
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        compute="_compute_team_id",
        store=True,
        readonly=False,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        compute="_compute_user_id",
        store=True,
        readonly=False,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
    )
    note = fields.Text(
        help="A word for the originator and the salesperson, posted on both.",
    )
    duplicate_warning = fields.Char(compute="_compute_duplicate_warning")

    @api.depends("signal_ids")
    def _compute_company_id(self):
        for wizard in self:
            wizard.company_id = wizard.signal_ids.company_id[:1] or self.env.company

    @api.depends("signal_ids")
    def _compute_mode(self):
        for wizard in self:
            types = wizard.signal_ids.signal_type_id
            wizard.mode = "route" if types and not any(types.mapped("is_sale")) else "create"

    @api.depends("signal_ids")
    def _compute_route_department_id(self):
        for wizard in self:
            wizard.route_department_id = wizard.signal_ids.signal_type_id.route_department_id[:1]

    def _first_signal(self):
        return self.signal_ids.sorted(lambda s: (s.create_date or fields.Datetime.now(), s.id))[:1]

    # One compute per field: a value given for one of them must not stop the
    # others from following the signals.
    @api.depends("signal_ids")
    def _compute_name(self):
        for wizard in self:
            wizard.name = wizard._first_signal().name

    @api.depends("signal_ids")
    def _compute_partner_id(self):
        for wizard in self:
            wizard.partner_id = wizard._first_signal().partner_id

    @api.depends("signal_ids")
    def _compute_expected_revenue(self):
        for wizard in self:
            wizard.expected_revenue = sum(wizard.signal_ids.mapped("estimated_revenue"))

    @api.depends("signal_ids")
    def _compute_team_id(self):
        for wizard in self:
            wizard.team_id = wizard._first_signal().team_id or self.env.user.sale_team_id

    @api.depends("signal_ids")
    def _compute_user_id(self):
        is_salesman = self.env.user.has_group("sales_team.group_sale_salesman")
        for wizard in self:
            wizard.user_id = wizard._first_signal().user_id or (
                self.env.user if is_salesman else False
            )

    @api.depends("signal_ids")
    def _compute_duplicate_warning(self):
        for wizard in self:
            duplicates = wizard.signal_ids.filtered("duplicate_of_id")
            wizard.duplicate_warning = (
                self.env._(
                    "%(count)s signal(s) repeat an earlier one: the earlier "
                    "signal's employee stays the originator.",
                    count=len(duplicates),
                )
                if duplicates
                else False
            )

    def _originator_signal(self):
        """The first signal wins: the earliest root among the handed-off ones."""
        # sudo: the earlier signal a duplicate points to may have gone to
        # another team; only its employee and origin are used.
        roots = self.signal_ids.sudo().mapped(lambda s: s.duplicate_of_id or s)
        return roots.sorted(lambda s: (s.create_date, s.id))[:1]

    def _check_signals(self):
        signals = self.signal_ids
        if not signals:
            raise UserError(self.env._("Select at least one signal to hand off."))
        signals._check_new(self.env._("handed off"))
        if len(signals.company_id) > 1:
            raise UserError(
                self.env._("Signals of different companies cannot go to one opportunity.")
            )
        if self.mode == "route" and not (self.route_department_id or self.route_employee_ids):
            raise UserError(self.env._("Choose the department or the people to send it to."))
        if self.mode == "link" and not self.lead_id:
            raise UserError(self.env._("Choose the opportunity to add the signals to."))
        if self.mode == "create" and not self.name:
            raise UserError(self.env._("Give the new opportunity a title."))
        if self.mode == "link" and self.lead_id.company_id not in (
            signals.company_id,
            self.env["res.company"],
        ):
            raise UserError(
                self.env._("The opportunity belongs to another company than the signals.")
            )

    def _prepare_lead_values(self, originator):
        signals = self.signal_ids
        first = signals.sorted(lambda s: (s.create_date, s.id))[:1]
        description = Markup("").join(
            Markup("<p><strong>%s</strong> (%s)</p>%s")
            % (signal.name, signal.employee_id.name, signal.description or "")
            for signal in signals
        )
        return {
            "name": self.name,
            "type": "opportunity",
            "partner_id": self.partner_id.id,
            "contact_name": False if self.partner_id else first.contact_name,
            "email_from": self.partner_id.email or first.email_from,
            "phone": self.partner_id.phone or first.phone,
            "team_id": self.team_id.id,
            "user_id": self.user_id.id,
            "expected_revenue": self.expected_revenue,
            "description": description,
            "company_id": signals.company_id.id,
            "origin_employee_id": originator.employee_id.id,
            "origin_department_id": originator.department_id.id,
            "signal_channel_id": originator.channel_id.id,
        }

    def _prepare_contributor_commands(self, lead, originator):
        """Originator first (if the deal has none), then other non-duplicate
        employees as plain contributors; a duplicate earns no role."""
        listed = lead.contributor_ids.employee_id
        commands = []
        has_originator = lead.contributor_ids.filtered(lambda c: c.role == "originator")
        if not has_originator and originator.employee_id not in listed:
            commands.append(
                Command.create(
                    {
                        "employee_id": originator.employee_id.id,
                        "department_id": originator.department_id.id,
                        "role": "originator",
                    }
                )
            )
            listed |= originator.employee_id
        for signal in self.signal_ids.filtered(lambda s: not s.duplicate_of_id):
            if signal.employee_id not in listed:
                commands.append(
                    Command.create(
                        {
                            "employee_id": signal.employee_id.id,
                            "department_id": signal.department_id.id,
                            "role": "other",
                        }
                    )
                )
                listed |= signal.employee_id
        return commands

    def action_apply(self):
        self.ensure_one()
        self._check_signals()
        if self.mode == "route":
            self.signal_ids._route(self.route_department_id, self.route_employee_ids, self.note)
            return {"type": "ir.actions.act_window_close"}
        originator = self._originator_signal()
        if self.mode == "create":
            # A clean context: the wizard's default_signal_ids must not become
            # the new opportunity's signals before the hand-off is written.
            lead = (
                self.env["crm.lead"]
                .with_context(clean_context(self.env.context))
                .create(self._prepare_lead_values(originator))
            )
        else:
            lead = self.lead_id
            lead._everyone_sells_set_origin(originator)
        commands = self._prepare_contributor_commands(lead, originator)
        if commands:
            lead.write({"contributor_ids": commands})
        self.signal_ids.write(
            {
                "lead_id": lead.id,
                "user_id": lead.user_id.id,
                "team_id": lead.team_id.id,
                "handoff_date": fields.Datetime.now(),
            }
        )
        self.signal_ids._credit_signal_event("handed_off")
        customer = lead.partner_id | lead.partner_id.commercial_partner_id
        customer._everyone_sells_set_origin(originator)
        # The originators follow the outcome only (won / lost), not the
        # opportunity's customer e-mails they are not allowed to open.
        originators = self.signal_ids.employee_id.user_id.partner_id
        outcome = self.env.ref("crm.mt_lead_won") | self.env.ref("crm.mt_lead_lost")
        lead.message_subscribe(partner_ids=originators.ids, subtype_ids=outcome.ids)
        lead.message_post(
            body=self._handoff_body_for_lead(),
            subtype_xmlid="mail.mt_note",
        )
        self.signal_ids._notify_originators(
            lambda env: self.with_env(env)._handoff_body_for_originator(lead.with_env(env))
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.lead",
            "res_id": lead.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    def _handoff_body_for_lead(self):
        lines = Markup("").join(
            Markup("<li>%s — %s</li>") % (signal.name, signal.employee_id.name)
            for signal in self.signal_ids
        )
        body = Markup("<p>%s</p><ul>%s</ul>") % (
            self.env._("Signals handed off to this opportunity:"),
            lines,
        )
        if self.note:
            body += Markup("<p>%s</p>") % self.note
        return body

    def _handoff_body_for_originator(self, lead):
        body = Markup("<p>%s</p>") % self.env._(
            "Thank you! Your signal was handed off to %(user)s as the opportunity “%(lead)s”.",
            user=lead.user_id.name or lead.team_id.name or self.env.user.name,
            lead=lead.name,
        )
        if self.note:
            body += Markup("<p>%s</p>") % self.note
        return body
