from odoo import api, fields, models
from odoo.exceptions import UserError


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
    contact_name = fields.Char(
        compute="_compute_contact_name",
        store=True,
        readonly=False,
        help="The contact the employee typed when the customer is not in Odoo yet: "
        "it becomes the opportunity's contact.",
    )
    partner_name = fields.Char(
        string="Company Name",
        help="The customer's company when it is not in Odoo yet: the opportunity "
        "keeps it for creating the customer later.",
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

    # One compute per field: a value given for one of them must not stop the
    # others from following the signals.
    @api.depends("signal_ids")
    def _compute_name(self):
        for wizard in self:
            wizard.name = wizard.signal_ids._first_signal().name

    @api.depends("signal_ids")
    def _compute_partner_id(self):
        for wizard in self:
            wizard.partner_id = wizard.signal_ids._first_signal().partner_id

    @api.depends("signal_ids")
    def _compute_contact_name(self):
        for wizard in self:
            wizard.contact_name = wizard.signal_ids._first_signal().contact_name

    @api.depends("signal_ids")
    def _compute_expected_revenue(self):
        for wizard in self:
            wizard.expected_revenue = sum(wizard.signal_ids.mapped("estimated_revenue"))

    @api.depends("signal_ids")
    def _compute_team_id(self):
        for wizard in self:
            wizard.team_id = wizard.signal_ids._first_signal().team_id or self.env.user.sale_team_id

    @api.depends("signal_ids")
    def _compute_user_id(self):
        is_salesman = self.env.user.has_group("sales_team.group_sale_salesman")
        for wizard in self:
            wizard.user_id = wizard.signal_ids._first_signal().user_id or (
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

    def action_apply(self):
        self.ensure_one()
        signals = self.signal_ids
        signals._check_hand_off()
        if self.mode == "route" and not (self.route_department_id or self.route_employee_ids):
            raise UserError(self.env._("Choose the department or the people to send it to."))
        if self.mode == "link" and not self.lead_id:
            raise UserError(self.env._("Choose the opportunity to add the signals to."))
        if self.mode == "create" and not self.name:
            raise UserError(self.env._("Give the new opportunity a title."))
        if self.mode == "route":
            signals._route(self.route_department_id, self.route_employee_ids, self.note)
            return {"type": "ir.actions.act_window_close"}
        lead = self.lead_id if self.mode == "link" else signals._create_lead(self._lead_values())
        signals._hand_off(lead, self.note)
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.lead",
            "res_id": lead.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    def _lead_values(self):
        """What the salesperson chose for the new opportunity."""
        values = {
            "name": self.name,
            "partner_id": self.partner_id.id,
            "team_id": self.team_id.id,
            "user_id": self.user_id.id,
            "expected_revenue": self.expected_revenue,
        }
        if not self.partner_id:
            # What the employee typed follows to the opportunity's contact.
            values.update(contact_name=self.contact_name, partner_name=self.partner_name)
        return values
