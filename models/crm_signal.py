import math
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import clean_context, email_normalize, html2plaintext

from odoo.addons.mail.tools.alias_error import AliasError

from .boolean_search import searched_true

# Amounts beyond this lose yen in floating point (Odoo stores money as
# double precision): no real deal comes near it.
MAX_AMOUNT = 10**14

# States in which a signal still competes for its customer (first signal wins).
OPEN_STATES = ("new", "handed_off")

DECLINE_REASONS = [
    ("duplicate", "Duplicate"),
    ("not_actionable", "Not actionable"),
    ("in_progress", "Already in progress"),
    ("other", "Other"),
]

# What only sales (or a manager) decides about a signal, never its author.
SALES_FIELDS = {
    "state",
    "routed_department_id",
    "routed_employee_ids",
    "resolution",
    "used_by_id",
    "nudge_date",
    "lead_id",
    "duplicate_of_id",
    "handoff_date",
    "program_id",
    "decline_reason",
    "decline_note",
}

# Signals waiting for a first answer, from sales or from the receivers.
WAITING_STATES = ("new", "routed")

STATE_SUBTYPES = {
    "handed_off": "crm_everyone_sells.mt_signal_handed_off",
    "won": "crm_everyone_sells.mt_signal_won",
    "lost": "crm_everyone_sells.mt_signal_lost",
    "declined": "crm_everyone_sells.mt_signal_declined",
    "routed": "crm_everyone_sells.mt_signal_routed",
    "resolved": "crm_everyone_sells.mt_signal_resolved",
}


class CrmSignal(models.Model):
    _name = "crm.signal"
    _description = "Customer Signal"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "create_date desc, id desc"
    # Originators follow and comment their signal after sales took it over.
    _mail_post_access = "read"

    name = fields.Char(
        string="Summary",
        required=True,
        tracking=True,
        help="What the customer said, in one line.",
    )
    description = fields.Html(
        string="Details",
        sanitize=True,
        help="Anything that helps sales: context, needs, timing, who decides. "
        "No sensitive personal data (health, beliefs, family).",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        tracking=True,
        index="btree_not_null",
        help="The customer the signal is about. Leave empty and type a contact "
        "name when the customer is not in Odoo yet.",
    )
    contact_name = fields.Char(
        help="Name of the person or company when the customer is not in Odoo.",
    )
    email_from = fields.Char(string="Customer E-mail")
    email_normalized = fields.Char(
        compute="_compute_email_normalized",
        store=True,
        index="btree_not_null",
        help="The customer e-mail, lower case and without name, to recognise the same customer.",
    )
    phone = fields.Char(string="Customer Phone")
    signal_type_id = fields.Many2one(
        "crm.signal.type",
        string="Type",
        required=True,
        tracking=True,
        default=lambda self: self._default_signal_type(),
        help="What kind of opportunity the customer's words point to.",
    )
    channel_id = fields.Many2one(
        "crm.signal.channel",
        help="Where you heard it.",
    )
    employee_id = fields.Many2one(
        "hr.employee",
        string="Logged By",
        required=True,
        index=True,
        default=lambda self: self.env.user.employee_id,
        help="The employee who brought the signal. Never changes afterwards.",
    )
    department_id = fields.Many2one(
        "hr.department",
        index=True,
        help="The originator's department on the day the signal was logged; "
        "a later transfer does not rewrite it.",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    estimated_revenue = fields.Monetary(
        currency_field="currency_id",
        help="Your rough guess of what the deal could be worth. Optional.",
    )
    state = fields.Selection(
        [
            ("new", "New"),
            ("handed_off", "Handed Off"),
            ("won", "Won"),
            ("lost", "Lost"),
            ("declined", "Declined"),
            ("routed", "Routed"),
            ("resolved", "Resolved"),
        ],
        required=True,
        index=True,
        tracking=True,
        compute="_compute_state",
        store=True,
        precompute=True,
        readonly=False,
        help="New: waiting for sales. Handed off: an opportunity exists. "
        "Won / lost: the opportunity's outcome. Declined: sales gave a reason "
        "not to pursue it.",
    )
    decline_reason = fields.Selection(DECLINE_REASONS, tracking=True)
    decline_note = fields.Text()
    duplicate_of_id = fields.Many2one(
        "crm.signal",
        index="btree_not_null",
        readonly=True,
        help="An earlier open signal about the same customer inside the "
        "protection window. The earlier signal keeps the originator role.",
    )
    lead_id = fields.Many2one(
        "crm.lead",
        string="Opportunity",
        index="btree_not_null",
        ondelete="set null",
        tracking=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        tracking=True,
        help="Who takes the signal over in sales.",
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", tracking=True)
    program_id = fields.Many2one(
        "crm.contribution.program",
        index="btree_not_null",
        help="The Everyone Sells program the signal was logged under.",
    )
    handoff_date = fields.Datetime(string="Handed Off On", readonly=True)
    is_handed_off = fields.Boolean(
        string="Accepted by Sales",
        compute="_compute_is_handed_off",
        store=True,
        help="Sales accepted the signal: it was handed off, or it belongs to an "
        "opportunity. The one definition reports, KPIs and goals share.",
    )
    contribution_ids = fields.One2many("crm.contribution", "signal_id", string="Credits")
    whatif_amount = fields.Monetary(
        string="You Could Earn",
        compute="_compute_whatif",
        currency_field="currency_id",
        help="What you would earn if this signal became a deal of its estimated "
        "revenue under today's published rules.",
    )
    whatif_explanation = fields.Text(string="How It Is Computed", compute="_compute_whatif")
    # Routing: what is not a sale goes to the department that can act on it.
    routed_department_id = fields.Many2one(
        "hr.department",
        string="Routed To",
        index="btree_not_null",
        tracking=True,
        help="The department the signal was sent to (for example improvement requests "
        "to the product team).",
    )
    routed_employee_ids = fields.Many2many(
        "hr.employee",
        "crm_signal_routed_employee_rel",
        "signal_id",
        "employee_id",
        string="Receivers",
        help="Named people the signal was sent to, if any.",
    )
    routed_date = fields.Datetime(readonly=True)
    resolution = fields.Text(
        tracking=True, help="What was done about it, in a sentence the originator reads."
    )
    resolved_date = fields.Datetime(readonly=True)
    # Service level: every signal gets a first answer in time.
    response_deadline = fields.Datetime(
        compute="_compute_response_deadline",
        store=True,
        help="By when sales (or the receivers of a routed signal) should answer.",
    )
    is_overdue = fields.Boolean(
        string="Overdue",
        compute="_compute_is_overdue",
        search="_search_is_overdue",
        help="Still waiting for an answer after the company's response time.",
    )
    nudge_date = fields.Datetime(
        readonly=True, help="When the originator reminded the receivers (once)."
    )
    used_by_id = fields.Many2one(
        "res.users",
        readonly=True,
        help="The salesperson who used this insight to prepare a meeting.",
    )
    used_date = fields.Datetime(readonly=True)
    is_mine = fields.Boolean(compute="_compute_is_mine")
    routed_to_me = fields.Boolean(
        string="Routed to Me",
        compute="_compute_routed_to_me",
        search="_search_routed_to_me",
        help="Routed to me by name or to my department.",
    )
    in_my_department = fields.Boolean(
        string="My Department",
        compute="_compute_in_my_department",
        search="_search_in_my_department",
        help="Logged from the department of the current user's employee.",
    )

    @api.model
    def _default_signal_type(self):
        types = self.env["crm.signal.type"]
        return types.search([("code", "=", "new_need")], limit=1) or types.search([], limit=1)

    @api.constrains("estimated_revenue")
    def _check_estimated_revenue(self):
        for signal in self:
            value = signal.estimated_revenue
            if not math.isfinite(value) or value < 0 or value >= MAX_AMOUNT:
                raise ValidationError(
                    self.env._(
                        "The estimated revenue of %(signal)s must be a plausible amount "
                        "of zero or more.",
                        signal=signal.display_name,
                    )
                )

    @api.depends("email_from")
    def _compute_email_normalized(self):
        for signal in self:
            signal.email_normalized = email_normalize(signal.email_from or "")

    @api.depends(
        "estimated_revenue", "signal_type_id", "channel_id", "team_id", "employee_id", "company_id"
    )
    def _compute_whatif(self):
        ledger = self.env["crm.contribution"]
        today = fields.Date.context_today(self)
        for signal in self:
            employee = signal.employee_id or self.env.user.employee_id
            if not employee:
                signal.whatif_amount = 0
                signal.whatif_explanation = False
                continue
            events = ledger._whatif_events(signal, employee, today)
            lines = ledger._prepare_credits(events)
            signal.whatif_amount = sum(line["amount"] for line in lines)
            signal.whatif_explanation = "\n".join(ledger._explain_values(lines)) or (
                self.env._("No published rule pays for this signal yet.")
            )

    @api.depends_context("uid")
    def _compute_is_mine(self):
        for signal in self:
            signal.is_mine = signal.employee_id.user_id == self.env.user

    @api.depends_context("uid")
    def _compute_routed_to_me(self):
        user = self.env.user
        for signal in self:
            signal.routed_to_me = bool(
                user in signal.routed_employee_ids.user_id
                or signal.routed_department_id & user.employee_ids.department_id
            )

    def _search_routed_to_me(self, operator, value):
        positive = searched_true(self, "routed_to_me", operator, value)
        mine = [
            "|",
            ("routed_employee_ids.user_id", "=", self.env.uid),
            ("routed_department_id", "in", self.env.user.employee_ids.department_id.ids),
        ]
        return mine if positive else ["!", *mine]

    @api.depends("state", "create_date", "routed_date", "company_id")
    def _compute_response_deadline(self):
        for signal in self:
            start = signal.routed_date if signal.state == "routed" else signal.create_date
            hours = signal.company_id.everyone_sells_response_hours
            signal.response_deadline = (
                start + timedelta(hours=hours)
                if signal.state in WAITING_STATES and start and hours
                else False
            )

    @api.depends("state", "response_deadline")
    def _compute_is_overdue(self):
        now = fields.Datetime.now()
        for signal in self:
            signal.is_overdue = bool(
                signal.state in WAITING_STATES
                and signal.response_deadline
                and signal.response_deadline < now
            )

    def _search_is_overdue(self, operator, value):
        positive = searched_true(self, "is_overdue", operator, value)
        overdue = [
            ("state", "in", WAITING_STATES),
            ("response_deadline", "<", fields.Datetime.now()),
        ]
        return overdue if positive else ["!", *overdue]

    def _compute_in_my_department(self):
        departments = self.env.user.employee_ids.department_id
        for signal in self:
            signal.in_my_department = signal.department_id in departments

    def _search_in_my_department(self, operator, value):
        positive = searched_true(self, "in_my_department", operator, value)
        departments = self.env.user.employee_ids.department_id
        return [("department_id", "in" if positive else "not in", departments.ids)]

    @api.depends("handoff_date", "lead_id")
    def _compute_is_handed_off(self):
        for signal in self:
            signal.is_handed_off = bool(signal.handoff_date or signal.lead_id)

    @api.depends("lead_id", "lead_id.active", "lead_id.everyone_sells_is_won")
    def _compute_state(self):
        for signal in self:
            if signal.lead_id:
                signal.state = signal.lead_id._everyone_sells_outcome()
            elif not signal.state:
                signal.state = "new"

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        # Access first: a user who may not log signals learns that, not that
        # they lack an employee.
        self.check_access("create")
        for vals in vals_list:
            self._check_finite_revenue(vals)
        if not (self.env.su or self._may_decide()):
            for vals in vals_list:
                # A kanban column's default state is not the author's to choose:
                # what they log is new until sales decides.
                vals.pop("state", None)
                self._check_sales_fields(vals)
                vals["state"] = "new"
        employee_ids = {vals["employee_id"] for vals in vals_list if vals.get("employee_id")}
        employees = self.env["hr.employee"].browse(employee_ids)
        default_employee = self.env.user.employee_id
        for vals in vals_list:
            if not vals.get("employee_id"):
                if not default_employee:
                    raise UserError(
                        self.env._(
                            "Your user %(user)s is not linked to an employee in "
                            "%(company)s, so the signal cannot be credited to "
                            "you. Ask your HR officer to set your user on your "
                            "employee record (Employees app), then log the "
                            "signal again.",
                            user=self.env.user.name,
                            company=self.env.company.name,
                        )
                    )
                vals["employee_id"] = default_employee.id
                employees |= default_employee
        employee_by_id = {employee.id: employee for employee in employees}
        for vals in vals_list:
            employee = employee_by_id[vals["employee_id"]]
            vals.setdefault("department_id", employee.department_id.id)
            vals.setdefault("company_id", employee.company_id.id or self.env.company.id)
        self._assign_program(vals_list)
        signals = super().create(vals_list)
        signals._subscribe_originators()
        signals._mark_duplicates()
        # What is not a sale goes straight to the department its type names:
        # the employee never has to know who is responsible.
        to_route = signals.filtered(
            lambda s: (
                s.state == "new"
                and not s.signal_type_id.is_sale
                and s.signal_type_id.route_department_id
            )
        )
        for department, group in to_route.grouped(
            lambda s: s.signal_type_id.route_department_id
        ).items():
            group._route(department, self.env["hr.employee"])
        signals._credit_signal_event("signal_logged")
        return signals

    def _may_decide(self):
        user = self.env.user
        return user.has_group("sales_team.group_sale_salesman") or user.has_group(
            "crm_everyone_sells.group_manager"
        )

    def _check_sales_fields(self, vals):
        if self.env.su or not SALES_FIELDS & set(vals):
            return
        if not self._may_decide():
            raise AccessError(
                self.env._(
                    "Only sales decides what becomes of a signal (hand-off, decline, "
                    "opportunity, duplicates)."
                )
            )

    def _check_finite_revenue(self, vals):
        """NaN or infinity (possible over RPC) would crash the rounding of the
        money field before any constraint speaks: refuse them clearly."""
        value = vals.get("estimated_revenue")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationError(
                self.env._("The estimated revenue must be a plausible amount of zero or more.")
            )

    def write(self, vals):
        self._check_finite_revenue(vals)
        if self:
            self._check_sales_fields(vals)
        history = {"employee_id", "department_id"} & set(vals)
        if history and not self.env.su:
            for signal in self:
                if any(signal[fname].id != vals[fname] for fname in history):
                    raise UserError(
                        self.env._(
                            "Who logged a signal and from which department is "
                            "history: it cannot be changed on %(signal)s.",
                            signal=signal.display_name,
                        )
                    )
        return super().write(vals)

    def _assign_program(self, vals_list):
        company_ids = {vals["company_id"] for vals in vals_list}
        # sudo: every employee's signal joins the running program, even though
        # only administrators may read program drafts.
        programs = (
            self.env["crm.contribution.program"]
            .sudo()
            .search(
                [("company_id", "in", list(company_ids)), ("state", "in", ("pilot", "rollout"))]
            )
        )
        if not programs:
            return
        departments = self.env["hr.department"].browse(
            [vals["department_id"] for vals in vals_list if vals.get("department_id")]
        )
        for vals in vals_list:
            if vals.get("program_id"):
                continue
            department = departments.browse(vals.get("department_id"))
            program = next(
                (
                    program
                    for program in programs
                    if program.company_id.id == vals["company_id"]
                    and program._covers_department(department)
                ),
                None,
            )
            if program:
                vals["program_id"] = program.id

    def _credit_signal_event(self, trigger):
        """Credit ``trigger`` for these signals. First signal wins: a
        duplicate earns nothing for being logged or handed off."""
        ledger = self.env["crm.contribution"]
        if ledger._crediting_off():
            return ledger
        originals = self.filtered(lambda signal: not signal.duplicate_of_id)
        return ledger._credit(ledger._signal_events(originals, trigger))

    def _subscribe_originators(self):
        for signal in self:
            partner = signal.employee_id.user_id.partner_id
            if partner and partner not in signal.message_partner_ids:
                signal.message_subscribe(partner_ids=partner.ids)

    # ------------------------------------------------------------------
    # DUPLICATES (first signal wins)
    # ------------------------------------------------------------------

    def _customer_key(self):
        self.ensure_one()
        if self.partner_id:
            return (self.company_id.id, "partner", self.partner_id.commercial_partner_id.id)
        email = self.email_normalized
        return (self.company_id.id, "email", email) if email else None

    def _mark_duplicates(self):
        candidates = self.filtered(
            lambda s: s.state in OPEN_STATES and s.signal_type_id.is_sale and s._customer_key()
        )
        if not candidates:
            return
        longest = max(candidates.company_id.mapped("everyone_sells_protection_days"))
        if longest <= 0:
            return
        partners = candidates.partner_id.commercial_partner_id
        emails = [e for e in candidates.mapped("email_normalized") if e]
        # sudo: an employee cannot read colleagues' signals, but who came first
        # must be decided over all of them; only the link is written.
        earlier = self.sudo().search(
            [
                ("company_id", "in", candidates.company_id.ids),
                ("state", "in", OPEN_STATES),
                ("signal_type_id.is_sale", "=", True),
                ("duplicate_of_id", "=", False),
                ("create_date", ">=", fields.Datetime.now() - timedelta(days=longest)),
                "|",
                ("partner_id", "child_of", partners.ids),
                ("email_normalized", "in", emails),
            ],
            order="create_date, id",
        )
        first_by_key = {}
        for signal in earlier:
            window = timedelta(days=signal.company_id.everyone_sells_protection_days)
            if signal.create_date >= fields.Datetime.now() - window:
                first_by_key.setdefault(signal._customer_key(), signal)
        for signal in candidates:
            first = first_by_key.get(signal._customer_key())
            if first and first != signal:
                signal.sudo().duplicate_of_id = first

    @api.onchange("partner_id", "email_from", "signal_type_id")
    def _onchange_warn_duplicate(self):
        if self._origin.id or not (self.partner_id or self.email_from):
            return None
        if not self.signal_type_id.is_sale:
            return None
        days = self.company_id.everyone_sells_protection_days
        if days <= 0:
            return None
        domain = [
            ("company_id", "=", self.company_id.id),
            ("state", "in", OPEN_STATES),
            ("signal_type_id.is_sale", "=", True),
            ("create_date", ">=", fields.Datetime.now() - timedelta(days=days)),
        ]
        if self.partner_id:
            domain.append(("partner_id", "child_of", self.partner_id.commercial_partner_id.id))
        else:
            domain.append(("email_normalized", "=", email_normalize(self.email_from)))
        # sudo: only a count is shown, never a colleague's signal.
        if not self.sudo().search_count(domain, limit=1):
            return None
        return {
            "warning": {
                "title": self.env._("Already signalled"),
                "message": self.env._(
                    "A colleague logged an open signal about this customer in "
                    "the last %(days)s days. You can still log yours: it is "
                    "kept as a duplicate and the first signal keeps the "
                    "originator role.",
                    days=days,
                ),
            }
        }

    # ------------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------------

    def _check_new(self, action_label):
        not_new = self.filtered(lambda s: s.state != "new")
        if not_new:
            raise UserError(
                self.env._(
                    "Only new signals can be %(action)s. Already processed: %(signals)s.",
                    action=action_label,
                    signals=", ".join(not_new.mapped("display_name")),
                )
            )

    def action_handoff(self):
        self._check_new(self.env._("handed off"))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Hand Off to Sales"),
            "res_model": "crm.signal.handoff",
            "view_mode": "form",
            "target": "new",
            "context": {"default_signal_ids": self.ids},
        }

    def action_decline(self):
        routed = self.filtered(lambda s: s.state == "routed")
        routed._check_receiver(self.env._("declined"))
        (self - routed)._check_new(self.env._("declined"))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Decline Signal"),
            "res_model": "crm.signal.decline",
            "view_mode": "form",
            "target": "new",
            "context": {"default_signal_ids": self.ids},
        }

    def action_open_lead(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.lead",
            "res_id": self.lead_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    # ------------------------------------------------------------------
    # HAND-OFF AND DECLINE: a signal's life with sales
    # ------------------------------------------------------------------

    def _first_signal(self):
        """The earliest of these signals: first signal wins, for the
        opportunity's defaults as for its originator."""
        return self.sorted(lambda s: (s.create_date or fields.Datetime.now(), s.id))[:1]

    def _originator_signal(self):
        """The signal whose employee brought the deal: the first one, a
        duplicate counting as the earlier signal it repeats."""
        # sudo: the earlier signal a duplicate points to may have gone to
        # another team; only its employee and origin are used.
        return self.sudo().mapped(lambda s: s.duplicate_of_id or s)._first_signal()

    def _check_hand_off(self, lead=None):
        if not self:
            raise UserError(self.env._("Select at least one signal to hand off."))
        self._check_new(self.env._("handed off"))
        if len(self.company_id) > 1:
            raise UserError(
                self.env._("Signals of different companies cannot go to one opportunity.")
            )
        if lead and lead.company_id not in (self.company_id, self.env["res.company"]):
            raise UserError(
                self.env._("The opportunity belongs to another company than the signals.")
            )

    def _prepare_lead_values(self, values):
        """A new opportunity for these signals: the salesperson's ``values``
        (title, customer, revenue, team, salesperson) completed from the first
        signal, whose typed contact follows when there is no customer."""
        first = self._first_signal()
        partner = self.env["res.partner"].browse(values.get("partner_id"))
        description = Markup("").join(
            Markup("<p><strong>%s</strong> (%s)</p>%s")
            % (signal.name, signal.employee_id.name, signal.description or "")
            for signal in self
        )
        return {
            "type": "opportunity",
            "contact_name": False if partner else first.contact_name,
            "email_from": partner.email or first.email_from,
            "phone": partner.phone or first.phone,
            "description": description,
            "company_id": self.company_id.id,
            **values,
        }

    def _create_lead(self, values):
        """Create the opportunity these signals are handed off to."""
        self._check_hand_off()
        # A clean context: a wizard's default_signal_ids must not become the
        # new opportunity's signals before the hand-off is written.
        return (
            self.env["crm.lead"]
            .with_context(clean_context(self.env.context))
            .create(self._prepare_lead_values(values))
        )

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
        for signal in self.filtered(lambda s: not s.duplicate_of_id):
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

    def _hand_off(self, lead, note=False):
        """Hand these new signals off to the opportunity ``lead``: its
        originator and contributors, the customer's origin, the credit of
        the hand-off, and a word on the deal and to each originator."""
        self._check_hand_off(lead)
        originator = self._originator_signal()
        lead._everyone_sells_set_origin(originator)
        commands = self._prepare_contributor_commands(lead, originator)
        if commands:
            lead.write({"contributor_ids": commands})
        self.write(
            {
                "lead_id": lead.id,
                "user_id": lead.user_id.id,
                "team_id": lead.team_id.id,
                "handoff_date": fields.Datetime.now(),
            }
        )
        self._credit_signal_event("handed_off")
        customer = lead.partner_id | lead.partner_id.commercial_partner_id
        customer._everyone_sells_set_origin(originator)
        # The originators follow the outcome only (won / lost), not the
        # opportunity's customer e-mails they are not allowed to open.
        originators = self.employee_id.user_id.partner_id
        outcome = self.env.ref("crm.mt_lead_won") | self.env.ref("crm.mt_lead_lost")
        lead.message_subscribe(partner_ids=originators.ids, subtype_ids=outcome.ids)
        lines = Markup("").join(
            Markup("<li>%s — %s</li>") % (signal.name, signal.employee_id.name) for signal in self
        )
        body = Markup("<p>%s</p><ul>%s</ul>") % (
            self.env._("Signals handed off to this opportunity:"),
            lines,
        )
        if note:
            body += Markup("<p>%s</p>") % note
        lead.message_post(body=body, subtype_xmlid="mail.mt_note")
        body = Markup("<p>%s</p>") % self.env._(
            "Thank you! Your signal was handed off to %(user)s as the opportunity “%(lead)s”.",
            user=lead.user_id.name or lead.team_id.name or self.env.user.name,
            lead=lead.name,
        )
        if note:
            body += Markup("<p>%s</p>") % note
        self._notify_originators(body)
        return lead

    def _decline(self, reason, note=False):
        """Decline these signals for ``reason`` (a code of DECLINE_REASONS):
        new ones by sales, routed ones by their receivers. What logging them
        earned is reversed, and each originator is told why."""
        routed = self.filtered(lambda s: s.state == "routed")
        routed._check_receiver(self.env._("declined"))
        (self - routed)._check_new(self.env._("declined"))
        if reason == "other" and not (note or "").strip():
            raise UserError(self.env._("Tell your colleague why: a note is required for 'Other'."))
        values = {
            "state": "declined",
            "decline_reason": reason,
            "decline_note": note,
            # Who declined stays visible, and keeps access to answer.
            "user_id": self.env.user.id,
        }
        # sudo for routed signals: their receivers decline a signal they do
        # not own (checked above); sales declines from the inbox itself.
        routed.sudo().write(values)
        (self - routed).write(values)
        routed.sudo().activity_ids.action_feedback(feedback=note or "")
        ledger = self.env["crm.contribution"]
        ledger._reverse(
            ledger._open_credits_for(signals=self, trigger="signal_logged"),
            "declined",
        )
        label = dict(self._fields["decline_reason"]._description_selection(self.env))[reason]
        body = Markup("<p>%s</p>") % self.env._(
            "Your signal was declined: %(reason)s.", reason=label
        )
        if note:
            body += Markup("<p>%s</p>") % note
        self._notify_originators(body)

    def _notify_originators(self, body):
        """Post ``body`` on each signal, addressed to the employee who logged it."""
        for signal in self:
            signal.message_post(
                body=body,
                partner_ids=signal.employee_id.user_id.partner_id.ids,
                subtype_xmlid="mail.mt_note",
            )

    # ------------------------------------------------------------------
    # ROUTING: hand-offs beyond sales
    # ------------------------------------------------------------------

    def _receiver_users(self):
        """Who acts on a routed signal: the named people, else the department's
        manager, else its members."""
        self.ensure_one()
        employees = self.routed_employee_ids
        if not employees and self.routed_department_id:
            department = self.routed_department_id
            employees = department.manager_id or department.member_ids
        return employees.user_id.filtered("active")

    def _is_receiver(self):
        self.ensure_one()
        user = self.env.user
        return user in self.sudo()._receiver_users() or bool(
            self.sudo().routed_department_id & user.employee_ids.department_id
        )

    def _route(self, department, employees, note=False):
        """Send these signals to ``department`` and/or ``employees``, with an
        activity for each receiver and a word to the originator."""
        hours = (self.company_id[:1] or self.env.company).everyone_sells_response_hours
        deadline = fields.Datetime.context_timestamp(
            self, fields.Datetime.now() + timedelta(hours=hours)
        ).date()
        # sudo: routing is the signal type's or sales' decision; the author
        # may not write a signal once it left their hands, and the receivers'
        # activities are created on their behalf.
        signals = self.sudo()
        signals.write(
            {
                "state": "routed",
                "routed_department_id": department.id,
                "routed_employee_ids": [Command.set(employees.ids)],
                "routed_date": fields.Datetime.now(),
            }
        )
        for signal in signals:
            for user in signal._receiver_users():
                signal.activity_schedule(
                    "mail.mail_activity_data_todo",
                    date_deadline=deadline,
                    summary=self.env._("Customer signal to answer: %(name)s", name=signal.name),
                    note=note or signal.description,
                    user_id=user.id,
                )
        body = Markup("<p>%s</p>") % self.env._(
            "Your signal was sent to %(receivers)s, who will answer you here.",
            receivers=", ".join(filter(None, [department.name, *employees.mapped("name")])),
        )
        if note:
            body += Markup("<p>%s</p>") % note
        signals._notify_originators(body)

    def action_resolve(self):
        self._check_receiver(self.env._("resolve"))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Resolve Signal"),
            "res_model": "crm.signal.resolve",
            "view_mode": "form",
            "target": "new",
            "context": {"default_signal_ids": self.ids},
        }

    def _check_receiver(self, action_label):
        not_routed = self.filtered(lambda s: s.state != "routed")
        if not_routed:
            raise UserError(
                self.env._(
                    "Only routed signals can be %(action)s: %(signals)s.",
                    action=action_label,
                    signals=", ".join(not_routed.mapped("display_name")),
                )
            )
        if self.env.su or self.env.user.has_group("crm_everyone_sells.group_manager"):
            return
        strangers = self.filtered(lambda s: not s._is_receiver())
        if strangers:
            raise AccessError(
                self.env._(
                    "%(signal)s was not routed to you or your department.",
                    signal=strangers[0].display_name,
                )
            )

    def _resolve(self, resolution):
        # sudo: the receivers answer a signal they do not own; they were
        # checked by _check_receiver.
        signals = self.sudo()
        signals.write(
            {
                "state": "resolved",
                "resolution": resolution,
                "resolved_date": fields.Datetime.now(),
            }
        )
        signals.activity_ids.action_feedback(feedback=resolution)
        signals._notify_originators(
            Markup("<p>%s</p><p>%s</p>")
            % (self.env._("Your signal was resolved. What was done:"), resolution)
        )
        self._credit_signal_event("resolved")

    def action_nudge(self):
        """The originator reminds whoever should answer, once."""
        for signal in self:
            if signal.employee_id.user_id != self.env.user:
                raise UserError(self.env._("Only the employee who logged it can send a reminder."))
            if signal.state not in WAITING_STATES:
                raise UserError(self.env._("This signal has been answered already."))
            if signal.nudge_date:
                raise UserError(self.env._("You already sent a reminder for this signal."))
            if not signal.is_overdue:
                raise UserError(
                    self.env._("Give them time: a reminder is possible once the answer is late.")
                )
        for signal in self:
            if signal.state == "routed":
                recipients = signal.sudo()._receiver_users().partner_id
            else:
                # A new signal has no salesperson yet: its team leader, else
                # the sales managers of its company answer for the inbox.
                users = signal.user_id | signal.team_id.user_id
                if not users:
                    company = signal.company_id
                    users = (
                        self.env.ref("sales_team.group_sale_manager")
                        .sudo()
                        .users.filtered(lambda u, company=company: company in u.company_ids)
                    )
                recipients = users.partner_id
            # sudo: the originator may no longer write the signal; the reminder
            # is the one thing they may add, once.
            signal.sudo().nudge_date = fields.Datetime.now()
            signal.message_post(
                body=Markup("<p>%s</p>")
                % self.env._(
                    "Reminder from %(employee)s: this customer signal is waiting for an answer.",
                    employee=signal.employee_id.name,
                ),
                partner_ids=recipients.ids,
                subtype_xmlid="mail.mt_comment",
            )
        return True

    def action_mark_used(self):
        """A salesperson used this insight to prepare a meeting: it counts for
        its author."""
        if not self.env.user.has_group("sales_team.group_sale_salesman"):
            raise UserError(self.env._("Only salespeople mark insights as used."))
        self.check_access("read")
        fresh = self.filtered(lambda s: not s.used_by_id)
        # sudo: a salesperson may read an insight about their customer without
        # owning it; marking it used is the one change they make.
        fresh.sudo().write({"used_by_id": self.env.uid, "used_date": fields.Datetime.now()})
        fresh._notify_originators(
            Markup("<p>%s</p>")
            % self.env._(
                "%(user)s used your insight to prepare a customer meeting. Thank you!",
                user=self.env.user.name,
            )
        )
        fresh._credit_signal_event("insight_used")
        return True

    # ------------------------------------------------------------------
    # MAIL
    # ------------------------------------------------------------------

    def _track_subtype(self, init_values):
        self.ensure_one()
        if "state" in init_values and self.state in STATE_SUBTYPES:
            return self.env.ref(STATE_SUBTYPES[self.state])
        return super()._track_subtype(init_values)

    @api.model
    def _employee_from_email(self, email_from):
        email = email_normalize(email_from or "")
        if not email:
            return self.env["hr.employee"]
        # sudo: the mail gateway must recognise any employee by address, while
        # work e-mails are HR data.
        Employee = self.env["hr.employee"].sudo()
        return Employee.search([("work_email", "=ilike", email)], limit=1) or Employee.search(
            [("user_id.email_normalized", "=", email)], limit=1
        )

    def _alias_get_error(self, message, message_dict, alias):
        error = super()._alias_get_error(message, message_dict, alias)
        if error or self:
            return error
        if not self._employee_from_email(message_dict.get("email_from")):
            return AliasError(
                "error_everyone_sells_not_employee",
                self.env._("only employees can log signals by e-mail"),
            )
        return False

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        employee = self._employee_from_email(msg_dict.get("email_from"))
        if not employee:
            raise ValueError(self.env._("Signals by e-mail are accepted from employees only."))
        values = dict(custom_values or {})
        values.update(
            {
                "name": msg_dict.get("subject")
                or html2plaintext(msg_dict.get("body") or "")[:80]
                or self.env._("Signal by e-mail"),
                "description": msg_dict.get("body"),
                "employee_id": employee.id,
                "company_id": employee.company_id.id,
            }
        )
        return super().message_new(msg_dict, custom_values=values)
