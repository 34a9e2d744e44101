import math
import re
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import (
    clean_context,
    email_normalize,
    format_date,
    format_datetime,
    html2plaintext,
    plaintext2html,
)
from odoo.tools.mail import email_re, email_split_tuples

from odoo.addons.mail.tools.alias_error import AliasError

from ..core.bounds import DESCRIPTION_BYTES, TITLE_LENGTH, cut_title, cut_to_bytes
from ..core.money import format_points
from ..core.summary import signal_summary
from .boolean_search import searched_true
from .server_switches import (
    confirming,
    crediting_is_off,
    from_mail,
    importing,
    is_confirming,
    is_from_mail,
    is_importing,
)

# Amounts beyond this lose yen in floating point (Odoo stores money as
# double precision): no real deal comes near it.
MAX_AMOUNT = 10**14

# What separates words in a typed text, to find a company name in it.
COMPANY_NAME_SEPARATORS = re.compile(r"[\s,.;:/()\[\]「」『』（）、。，．：；／様]+")

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

# What the author of a signal may write, by state (whitelist): a New
# signal's description of the customer's words, nothing else ever. Who takes
# it, when it moved and what became of it are sales' or the system's.
AUTHOR_FIELDS = {
    "new": {
        "name",
        "description",
        "partner_id",
        "contact_name",
        "email_from",
        "phone",
        "signal_type_id",
        "channel_id",
        "estimated_revenue",
    },
}
# What the author gives when logging: the above, who logs it where, and the
# chatter message it was saved from (the rest of the source link is derived
# from that message on the server, whatever the caller sends).
AUTHOR_CREATE_FIELDS = AUTHOR_FIELDS["new"] | {"employee_id", "company_id", "source_message_id"}
SOURCE_DERIVED_FIELDS = ("source_model", "source_res_id", "source_name")

# Credits earned by someone else's act on a signal: its author never
# earns them by acting on their own signal, whatever the rule says.
NOT_BY_ONESELF = ("handed_off", "resolved", "insight_used")

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
        group_expand="_read_group_expand_state",
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
    duplicate_hint = fields.Char(
        compute="_compute_duplicate_hint",
        help="Who logged the earlier open signal about the same customer and when, "
        "shown while typing and on a duplicate; never what that signal says.",
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
        help="By when sales (or the receivers of a routed signal) should answer. "
        "Past it, the signal is overdue and shows in red in lists.",
    )
    response_deadline_label = fields.Char(
        string="Answer By",
        compute="_compute_response_deadline_label",
        help="The answer deadline as every screen and notice says it: the day and "
        "the time, in your language and time zone.",
    )
    confirmed_date = fields.Datetime(
        readonly=True,
        copy=False,
        help="When the employee confirmed a signal that arrived by e-mail in their "
        "name: sales' answer time starts then.",
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
    to_confirm = fields.Boolean(
        readonly=True,
        index=True,
        help="Arrived by e-mail: it goes to sales, and earns anything, only once "
        "its employee confirms in the app that they sent it.",
    )
    can_answer = fields.Boolean(
        compute="_compute_can_answer",
        help="Whether the current user may resolve or decline this routed signal: "
        "a receiver or a manager, never its author.",
    )
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

    @api.constrains("name", "description")
    def _check_text_size(self):
        for signal in self:
            if len(signal.name or "") > TITLE_LENGTH:
                raise ValidationError(
                    self.env._(
                        "A signal's summary is one line of at most %(limit)s characters: "
                        "put the rest in the details.",
                        limit=TITLE_LENGTH,
                    )
                )
            if len((signal.description or "").encode()) > DESCRIPTION_BYTES:
                raise ValidationError(
                    self.env._(
                        "A signal's details take at most %(limit)s KB: attach long "
                        "documents as files instead.",
                        limit=DESCRIPTION_BYTES // 1024,
                    )
                )

    @api.model
    def _fit_text(self, title, body):
        """``title`` and the HTML ``body`` cut to what a signal holds (for the
        mail gateway and the chat integration): returns ``(title,
        description, overflow)``, where ``overflow`` is the original, as one
        HTML document to keep as an attachment, or False when nothing was cut."""
        title = (title or "").strip()
        body = body or ""
        fitted_title = cut_title(title)
        description = body
        if len(body.encode()) > DESCRIPTION_BYTES:
            note = self.env._("(Cut to fit: the full text is attached.)")
            text = html2plaintext(body)
            # Escaping lengthens the text: cut again until it fits.
            budget = DESCRIPTION_BYTES - len(note.encode()) - 64
            while True:
                description = plaintext2html(cut_to_bytes(text, budget) + "\n\n" + note)
                size = len(description.encode())
                if size <= DESCRIPTION_BYTES or budget <= 0:
                    break
                budget -= size - DESCRIPTION_BYTES + 64
        if fitted_title == title and description == body:
            return title, body, False
        overflow = Markup(
            "<html><head><meta charset='utf-8'/></head><body><h1>%s</h1>%s</body></html>"
        ) % (
            title,
            Markup(body),
        )
        return fitted_title, description, str(overflow)

    def _keep_original(self, overflow):
        """Attach ``overflow`` (``_fit_text``'s original) to this signal, when
        something was cut."""
        if not overflow:
            return
        # sudo: the original is kept as it came, on the signal it made; the
        # attachment is readable exactly as the signal is.
        self.env["ir.attachment"].sudo().create(
            {
                "name": "original-message.html",
                "raw": overflow.encode(),
                "mimetype": "text/html",
                "res_model": self._name,
                "res_id": self.id,
            }
        )

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
        "estimated_revenue",
        "signal_type_id",
        "channel_id",
        "team_id",
        "employee_id",
        "company_id",
        "duplicate_of_id",
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
            if signal.duplicate_of_id:
                # First signal wins: the earlier one keeps the originator role.
                signal.whatif_amount = 0
                signal.whatif_explanation = self.env._(
                    "An earlier signal about this customer keeps the originator role: "
                    "a duplicate earns nothing."
                )
                continue
            events = ledger._whatif_events(signal, employee, today)
            lines = ledger._prepare_credits(events)
            signal.whatif_amount = sum(line["amount"] for line in lines)
            sentences = ledger._explain_values(lines)
            signal.whatif_explanation = "\n".join(
                signal._whatif_sentence(line, sentence)
                for line, sentence in zip(lines, sentences, strict=True)
            ) or (self.env._("No published rule pays for this signal yet."))

    def _whatif_sentence(self, line, sentence):
        """A points-only rule earns points, not "¥ 0": say so."""
        if line["amount"] or not line["points"]:
            return sentence
        points = format_points(line["points"])
        return self.env._(
            "%(points)s point(s), no money — rule %(rule)s",
            points=points,
            rule=self.env["crm.contribution.rule"].browse(line["rule_id"]).name,
        )

    @api.depends_context("uid")
    def _compute_is_mine(self):
        for signal in self:
            signal.is_mine = signal.employee_id.user_id == self.env.user

    @api.depends("state", "employee_id", "routed_department_id", "routed_employee_ids")
    @api.depends_context("uid")
    def _compute_can_answer(self):
        """The buttons show what ``_check_receiver`` would accept: nothing
        that will be refused is offered."""
        user = self.env.user
        manager = self.env.su or user.has_group("crm_everyone_sells.group_manager")
        for signal in self:
            signal.can_answer = (
                signal.state == "routed"
                and signal.employee_id.user_id != user
                and (manager or signal._is_receiver())
            )

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

    @api.depends(
        "state",
        "create_date",
        "routed_date",
        "to_confirm",
        "confirmed_date",
        "company_id.everyone_sells_response_hours",
        "company_id.resource_calendar_id",
    )
    def _compute_response_deadline(self):
        """The answer time counts working hours on the company's working
        calendar, in the calendar's own time zone and without its public
        holidays: a signal logged on Friday evening is not late on Monday
        morning. A company without a calendar counts clock hours. A signal
        that waits for its employee's confirmation is not with sales yet:
        its time starts when it is confirmed.

        This is the one deadline: the form, the lists, the notices and the
        receivers' activities all show it (``_deadline_text``)."""
        for signal in self:
            start = (
                signal.routed_date
                if signal.state == "routed"
                else signal.confirmed_date or signal.create_date
            )
            hours = signal.company_id.everyone_sells_response_hours
            if signal.state not in WAITING_STATES or not start or not hours or signal.to_confirm:
                signal.response_deadline = False
                continue
            calendar = signal.company_id.resource_calendar_id
            deadline = calendar and calendar.plan_hours(hours, start, compute_leaves=True)
            signal.response_deadline = deadline or start + timedelta(hours=hours)

    @api.depends("response_deadline")
    @api.depends_context("uid", "tz", "lang")
    def _compute_response_deadline_label(self):
        for signal in self:
            signal.response_deadline_label = signal._deadline_text()

    def _deadline_text(self, env=None, tz=None):
        """The answer deadline as people read it: day and time, no seconds,
        in ``env``'s language and ``tz`` (default: the reader's, else the
        company calendar's)."""
        self.ensure_one()
        env = env or self.env
        if not self.response_deadline:
            return False
        tz = (
            tz
            or env.context.get("tz")
            or env.user.tz
            or self.company_id.resource_calendar_id.tz
            or "UTC"
        )
        # A babel pattern, translated: 「12月14日(月) 17:00」 in Japanese.
        pattern = env._("MMM d (EEE) HH:mm")
        return format_datetime(env, self.response_deadline, tz=tz, dt_format=pattern)

    def _deadline_date(self, tz=None):
        """The deadline's day for an activity (activities have dates only)."""
        self.ensure_one()
        tz = tz or self.company_id.resource_calendar_id.tz or "UTC"
        return fields.Datetime.context_timestamp(
            self.with_context(tz=tz), self.response_deadline
        ).date()

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
            self._check_to_confirm_create(vals)
        if not (self.env.su or self._may_decide()):
            for vals in vals_list:
                # A kanban column's default state is not the author's to choose:
                # what they log is new until sales decides.
                vals.pop("state", None)
                self._check_sales_fields(vals)
                self._check_author_create(vals)
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
        self._prepare_sources(vals_list)
        signals = super().create(vals_list)
        signals._subscribe_originators()
        # Before routing: the author may still write the new signal.
        signals._link_sources()
        signals.filtered(lambda s: not s.to_confirm)._process_logged()
        return signals

    def _process_logged(self):
        """A signal its author stands behind: first-signal check, routing,
        and the credit for logging it."""
        signals = self
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

    def action_confirm_signal(self):
        """The author confirms a signal that arrived by e-mail in their name:
        only now does it go on, and earn."""
        others = self.filtered(lambda s: s.employee_id.user_id != self.env.user)
        if others:
            raise UserError(
                self.env._(
                    "Only the employee in whose name %(signal)s arrived can confirm it.",
                    signal=others[0].display_name,
                )
            )
        pending = self.filtered("to_confirm")
        # sudo: confirming is the author's one act on a signal they may not
        # otherwise move; who they are was checked above. The one write that
        # clears the flag (see _check_to_confirm_write).
        confirming(pending.sudo()).write(
            {"to_confirm": False, "confirmed_date": fields.Datetime.now()}
        )
        pending._process_logged()
        if not pending:
            return True
        # Say what happened, as the log form's Send does, and show the signal
        # as it now is (not the Send's fresh form: she is reading this one).
        action = pending[:1].action_send()
        action["params"]["next"] = {"type": "ir.actions.client", "tag": "soft_reload"}
        return action

    def _check_to_confirm_create(self, vals):
        """Only the mail gateway logs a signal waiting for confirmation."""
        if vals.get("to_confirm") and not is_from_mail(self.env):
            raise AccessError(
                self.env._("Only a signal that arrives by e-mail waits for confirmation.")
            )
        if not is_from_mail(self.env):
            vals.pop("to_confirm", None)

    def _check_to_confirm_write(self, vals):
        """The flag a signal by e-mail carries is cleared only by its employee's
        confirmation (action_confirm_signal), and set by nobody. Until then,
        sales decides nothing about it."""
        if "to_confirm" in vals and not (is_confirming(self.env) and not vals["to_confirm"]):
            raise AccessError(
                self.env._(
                    "Only the employee in whose name a signal arrived by e-mail confirms "
                    "it, with Confirm: nobody writes whether it waits for confirmation."
                )
            )
        if not self.env.su and SALES_FIELDS & set(vals):
            self._check_confirmed()

    def _check_confirmed(self):
        unconfirmed = self.filtered("to_confirm")
        if unconfirmed:
            raise UserError(
                self.env._(
                    "%(signal)s arrived by e-mail and waits for its employee to confirm it.",
                    signal=unconfirmed[0].display_name,
                )
            )

    def _check_author_create(self, vals):
        """An employee logs the customer's words; who takes the signal and
        what becomes of it is not theirs to set."""
        vals.pop("department_id", None)
        for name in SOURCE_DERIVED_FIELDS:
            vals.pop(name, None)
        refused = sorted(
            name for name, value in vals.items() if value and name not in AUTHOR_CREATE_FIELDS
        )
        if refused:
            raise AccessError(
                self.env._(
                    "When logging a signal you describe the customer's words; these "
                    "fields are set by sales or the system: %(fields)s.",
                    fields=", ".join(refused),
                )
            )

    def _changes_field(self, name, value):
        self.ensure_one()
        field = self._fields.get(name)
        if field is None or field.type in ("one2many", "many2many"):
            return True
        return field.convert_to_record(field.convert_to_cache(value, self), self) != self[name]

    def _check_author_write(self, vals):
        """Whitelist: what the author (not sales, not a manager) may write in
        each state; everything else is refused."""
        if self.env.su or self._may_decide():
            return
        names = {name for name in vals if not name.startswith(("message_", "activity_"))}
        for signal in self:
            allowed = AUTHOR_FIELDS.get(signal.state, set())
            # Writing a value unchanged (as a form save does) is no change.
            refused = sorted(
                name for name in names - allowed if signal._changes_field(name, vals[name])
            )
            if refused:
                raise AccessError(
                    self.env._(
                        "You can change only what the customer said on a new signal; "
                        "%(fields)s cannot be changed on %(signal)s.",
                        fields=", ".join(refused),
                        signal=signal.display_name,
                    )
                )

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
        self._check_source_fields(vals)
        self._check_to_confirm_write(vals)
        if self:
            self._check_sales_fields(vals)
            self._check_author_write(vals)
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

    @api.ondelete(at_uninstall=False)
    def _unlink_except_credited(self):
        """A signal whose credit was approved or paid is history: deleting it
        would leave a credit for nothing."""
        # sudo: the author may not read the ledger's approval state of others,
        # only their own; the check must see every credit of the signal.
        earned = self.sudo().contribution_ids.filtered(
            lambda e: e.amount and e.state in ("approved", "paid")
        )
        if earned:
            raise UserError(
                self.env._(
                    "%(signal)s earned a credit that was already approved or paid: it "
                    "cannot be deleted. Ask a manager to decline it instead.",
                    signal=earned[0].signal_id.display_name,
                )
            )

    def unlink(self):
        # The credits a deleted signal earned are reversed in the same
        # transaction: no credit outlives its signal.
        ledger = self.env["crm.contribution"]
        earned = (
            self.sudo()
            .contribution_ids.filtered(lambda e: not e.reversed_entry_id and not e.is_reversed)
            ._lock_for_workflow()
        )
        self._unlink_except_credited()
        ledger._reverse(earned, "deleted")
        return super().unlink()

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
        duplicate earns nothing for being logged or handed off. A signal
        waiting for its employee's confirmation earns nothing; nobody earns a
        hand-off, resolution or insight credit by acting on their own signal;
        a signal imported (``load``) earns nothing for being logged: it was
        not logged now."""
        ledger = self.env["crm.contribution"]
        if crediting_is_off(self.env) or (trigger == "signal_logged" and is_importing(self.env)):
            return ledger
        originals = self.filtered(
            lambda signal: not signal.duplicate_of_id and not signal.to_confirm
        )
        if trigger in NOT_BY_ONESELF:
            originals = originals.filtered(
                lambda signal: signal.employee_id.user_id != self.env.user
            )
        return ledger._credit(ledger._signal_events(originals, trigger))

    @api.model
    def load(self, fields, data):
        # Imported signals were logged earlier, elsewhere: no logging credit.
        # Server-side: the private switch cannot come from a client's context.
        return super(CrmSignal, importing(self)).load(fields, data)

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
                *self._competing_signals_domain(candidates.company_id, longest),
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

    @api.depends("partner_id", "email_from", "signal_type_id", "company_id", "duplicate_of_id")
    @api.depends_context("uid")
    def _compute_duplicate_hint(self):
        for signal in self:
            saved = bool(signal._origin.id)
            first = signal.sudo().duplicate_of_id if saved else signal._first_open_signal()
            if not first:
                signal.duplicate_hint = False
                continue
            # Whose, since when and why it matches, never what it says: the
            # reader may not be allowed to read the earlier signal.
            logged_on = fields.Datetime.context_timestamp(self, first.create_date).date()
            date = format_date(self.env, logged_on)
            employee = first.employee_id
            # The key it was matched on (the signal's own, or the first one's
            # when the signal was edited since).
            _company, kind, value = signal._customer_key() or first._customer_key()
            customer = (signal.partner_id or first.partner_id).commercial_partner_id
            match = (
                self.env._("the same customer, %(customer)s", customer=customer.display_name)
                if kind == "partner"
                else self.env._("the same e-mail address, %(email)s", email=value)
            )
            if employee.user_id == self.env.user:
                hint = (
                    self.env._(
                        "This signal repeats the signal you logged on %(date)s about "
                        "%(match)s: the first signal keeps the originator role.",
                        date=date,
                        match=match,
                    )
                    if saved
                    else self.env._(
                        "You logged an open signal about %(match)s on %(date)s. This one "
                        "would be kept as a duplicate: the first signal keeps the originator "
                        "role.",
                        date=date,
                        match=match,
                    )
                )
            else:
                hint = (
                    self.env._(
                        "This signal repeats the signal %(employee)s logged on %(date)s about "
                        "%(match)s: the first signal keeps the originator role.",
                        employee=employee.name,
                        date=date,
                        match=match,
                    )
                    if saved
                    else self.env._(
                        "%(employee)s logged an open signal about %(match)s on %(date)s. "
                        "You can still log yours: it is kept as a duplicate, and the first "
                        "signal keeps the originator role and what it earns.",
                        employee=employee.name,
                        date=date,
                        match=match,
                    )
                )
            signal.duplicate_hint = hint

    @api.model
    def _competing_signals_domain(self, companies, days):
        """Signals that compete to be first for their customer: open sales
        signals of ``companies`` logged in the last ``days``, not themselves
        duplicates."""
        return [
            ("company_id", "in", companies.ids),
            ("state", "in", OPEN_STATES),
            ("signal_type_id.is_sale", "=", True),
            ("duplicate_of_id", "=", False),
            ("to_confirm", "=", False),
            ("create_date", ">=", fields.Datetime.now() - timedelta(days=days)),
        ]

    def _first_open_signal(self):
        """The open signal that would make this (unsaved) one a duplicate,
        as ``_mark_duplicates`` decides it at creation: sudo, to be shown
        only by its author's name and date."""
        self.ensure_one()
        Signal = self.env["crm.signal"]
        key = self.signal_type_id.is_sale and self._customer_key()
        days = self.company_id.everyone_sells_protection_days
        if not key or days <= 0:
            return Signal
        _company, kind, value = key
        customer = (
            ("partner_id", "child_of", value)
            if kind == "partner"
            else ("email_normalized", "=", value)
        )
        # sudo: who came first is decided over all signals; the caller shows
        # only the author's name and the date, never the signal itself.
        return Signal.sudo().search(
            [*self._competing_signals_domain(self.company_id, days), customer],
            order="create_date, id",
            limit=1,
        )

    # ------------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------------

    def _check_new(self, action_label):
        self._check_confirmed()
        not_new = self.filtered(lambda s: s.state != "new")
        if not_new:
            raise UserError(
                self.env._(
                    "Only new signals can be %(action)s. Already processed: %(signals)s.",
                    action=action_label,
                    signals=", ".join(not_new.mapped("display_name")),
                )
            )

    @api.model
    def _read_group_expand_state(self, states, domain):
        """Kanban columns in workflow order, not alphabetical. With the context
        key ``everyone_sells_workflow_columns`` (My Signals), the main path
        New → Handed Off → Won → Lost shows even while a column is empty."""
        shown = set(states)
        if self.env.context.get("everyone_sells_workflow_columns"):
            shown |= {"new", "handed_off", "won", "lost"}
        return [state for state, _label in self._fields["state"].selection if state in shown]

    def action_send(self):
        """The log form's Send: say where the signal went and offer the next one."""
        self.ensure_one()
        if self.state == "routed":
            where = self.env._(
                "Sent to %(receivers)s.",
                receivers=", ".join(
                    filter(
                        None,
                        [self.routed_department_id.name, *self.routed_employee_ids.mapped("name")],
                    )
                ),
            )
        elif self.user_id or self.team_id:
            where = self.env._("Sent to %(sales)s.", sales=(self.user_id.name or self.team_id.name))
        else:
            where = self.env._("Sent to the sales inbox.")
        if self.response_deadline and self.state in WAITING_STATES:
            where += " " + self.env._(
                "Expect an answer by %(deadline)s.", deadline=self._deadline_text()
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Thank you: “%(signal)s”", signal=self.name),
                "message": where,
                "type": "success",
                # A fresh form for the next signal, without a trail of the
                # ones already sent in the breadcrumbs.
                "next": {
                    **self.env["ir.actions.act_window"]._for_xml_id(
                        "crm_everyone_sells.crm_signal_action_log"
                    ),
                    "target": "main",
                },
            },
        }

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
        acting = self.env.user.name

        def notice(env):
            # In the originator's language, not the acting salesperson's.
            text = Markup("<p>%s</p>") % env._(
                "Thank you! Your signal was handed off to %(user)s as the opportunity “%(lead)s”.",
                user=lead.user_id.name or lead.with_env(env).team_id.name or acting,
                lead=lead.name,
            )
            if note:
                text += Markup("<p>%s</p>") % note
            return text

        self._notify_originators(notice)
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
        routed.sudo()._close_receiver_activities()
        ledger = self.env["crm.contribution"]
        ledger._reverse(
            ledger._open_credits_for(signals=self, trigger="signal_logged"),
            "declined",
        )

        def notice(env):
            # In the originator's language, not the acting receiver's.
            label = dict(self._fields["decline_reason"]._description_selection(env))[reason]
            text = Markup("<p>%s</p>") % env._(
                "Your signal was declined: %(reason)s.", reason=label
            )
            if note:
                text += Markup("<p>%s</p>") % note
            return text

        self._notify_originators(notice)

    def _notify_originators(self, body):
        """Post ``body`` on each signal, addressed to the employee who logged it.

        ``body`` is Markup, or a function of an environment returning Markup:
        it is then written in the language of the employee who reads it, not
        of whoever acted."""
        for signal in self:
            partner = signal.employee_id.user_id.partner_id
            if callable(body):
                lang = partner.lang or signal.company_id.partner_id.lang or self.env.lang
                text = body(self.with_context(lang=lang).env)
            else:
                text = body
            signal.message_post(
                body=text,
                partner_ids=partner.ids,
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
            # The one deadline (working hours on the company's calendar), the
            # activity's day and its summary's time included.
            for user in signal._receiver_users():
                # In the receiver's language and time zone, not the author's.
                env = self.with_context(lang=user.lang or self.env.lang).env
                deadline = signal._deadline_text(env, tz=user.tz)
                signal.activity_schedule(
                    "mail.mail_activity_data_todo",
                    date_deadline=(
                        signal._deadline_date(user.tz) if signal.response_deadline else None
                    ),
                    summary=" ".join(
                        filter(
                            None,
                            [
                                env._("Customer signal to answer: %(name)s", name=signal.name),
                                deadline and f"({deadline})",
                            ],
                        )
                    ),
                    note=note or signal.description,
                    user_id=user.id,
                )
            author = signal.employee_id.user_id

            def body(env, signal=signal, author=author):
                text = Markup("<p>%s</p>") % env._(
                    "Your signal was sent to %(receivers)s, who will answer you here.",
                    receivers=", ".join(
                        filter(
                            None,
                            [
                                department.with_env(env).name,
                                *employees.with_env(env).mapped("name"),
                            ],
                        )
                    ),
                )
                if signal.response_deadline:
                    text += Markup("<p>%s</p>") % env._(
                        "Expect an answer by %(deadline)s.",
                        deadline=signal._deadline_text(env, tz=author.tz),
                    )
                if note:
                    text += Markup("<p>%s</p>") % note
                return text

            signal._notify_originators(body)

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
        self._check_not_own(action_label)
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

    def _check_not_own(self, action_label):
        """Nobody credits themselves by their own action: the author of a
        signal never resolves, declines or uses it."""
        own = self.filtered(lambda s: s.employee_id.user_id == self.env.user)
        if own:
            raise UserError(
                self.env._(
                    "You logged %(signal)s: a colleague must %(action)s it, so that "
                    "nobody earns a credit by their own action.",
                    signal=own[0].display_name,
                    action=action_label,
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
        signals._close_receiver_activities()
        signals._notify_originators(
            lambda env: (
                Markup("<p>%s</p><p>%s</p>")
                % (env._("Your signal was resolved. What was done:"), resolution)
            )
        )
        self._credit_signal_event("resolved")

    def _close_receiver_activities(self):
        """The acting receiver's to-do is done; the other receivers' are moot.

        What was done is said once, in the notice to the originator, not again
        in one "done" message per receiver."""
        mine = self.activity_ids.filtered(lambda a: a.user_id == self.env.user)
        (self.activity_ids - mine).unlink()
        mine.action_done()

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
        self._check_not_own(self.env._("mark as used"))
        fresh = self.filtered(lambda s: not s.used_by_id)
        # sudo: a salesperson may read an insight about their customer without
        # owning it; marking it used is the one change they make.
        fresh.sudo().write({"used_by_id": self.env.uid, "used_date": fields.Datetime.now()})
        fresh._notify_originators(
            lambda env: (
                Markup("<p>%s</p>")
                % env._(
                    "%(user)s used your insight to prepare a customer meeting. Thank you!",
                    user=self.env.user.name,
                )
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
        # work e-mails are HR data. Exact comparison of normalised addresses:
        # a pattern ("%@example.com") must never match someone.
        Employee = self.env["hr.employee"].sudo()
        by_work_email = Employee.search_fetch([("work_email", "!=", False)], ["work_email"])
        found = by_work_email.filtered(lambda e: email_normalize(e.work_email) == email)
        if not found:
            found = Employee.search([("user_id.email_normalized", "=", email)])
        # Two employees behind one address: nobody can tell whose signal it is.
        return found if len(found) == 1 else Employee

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
        # A long e-mail is cut to what a signal holds; the original is kept
        # as an attachment of the signal.
        title, description, overflow = self._fit_text(
            # Not cut here: _fit_text cuts it and keeps the original.
            signal_summary(
                msg_dict.get("subject"), html2plaintext(msg_dict.get("body") or ""), limit=None
            )
            or self.env._("Signal by e-mail"),
            msg_dict.get("body"),
        )
        values.update(
            {
                "name": title,
                "description": description,
                "employee_id": employee.id,
                "company_id": employee.company_id.id,
                # Anyone can write an employee's address in From: the
                # employee confirms in the app before it goes on or earns.
                "to_confirm": True,
            }
        )
        signal = super(CrmSignal, from_mail(self)).message_new(msg_dict, custom_values=values)
        signal._keep_original(overflow)
        return signal

    # ------------------------------------------------------------------
    # FROM ANYWHERE: signals saved from a chatter or Discuss message, and
    # the customer recognised from what the employee typed (issue 15)
    # ------------------------------------------------------------------

    source_message_id = fields.Many2one(
        "mail.message",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The chatter or Discuss message this signal was saved from. Set when "
        "the signal is logged, never afterwards.",
    )
    source_model = fields.Char(
        readonly=True,
        copy=False,
        help="Technical name of the model of the record the signal was saved from "
        "(for example res.partner, crm.lead, project.task or discuss.channel).",
    )
    source_res_id = fields.Many2oneReference(
        string="Source Record ID",
        model_field="source_model",
        readonly=True,
        copy=False,
        help="The record the signal was saved from, in the model above.",
    )
    source_name = fields.Char(
        string="Saved From",
        readonly=True,
        copy=False,
        help="The name of the record the signal was saved from. Only its name is "
        "kept on the signal: opening the record still needs the right to read it.",
    )
    source_readable = fields.Boolean(
        compute="_compute_source_readable",
        help="Whether the current user may open the record the signal was saved from.",
    )
    customer_hint = fields.Char(
        compute="_compute_customer_hint",
        help="Says when the customer was recognised from an e-mail address or a "
        "company name in what was typed.",
    )

    @api.depends("source_model", "source_res_id")
    @api.depends_context("uid")
    def _compute_source_readable(self):
        for signal in self:
            record = (
                self.env[signal.source_model].browse(signal.source_res_id).exists()
                if signal.source_model in self.env and signal.source_res_id
                else None
            )
            signal.source_readable = bool(record and record.has_access("read"))

    @api.model
    def _source_fields(self):
        return {"source_message_id", "source_model", "source_res_id", "source_name"}

    @api.model
    def action_prepare_from_message(self, message_id):
        """Open the ten-second form prefilled from a chatter or Discuss
        message the current user can read (the "Save as Signal" message
        action)."""
        message = self._source_message(message_id)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Save as Signal"),
            "res_model": "crm.signal",
            "views": [(self.env.ref("crm_everyone_sells.crm_signal_view_form_quick").id, "form")],
            "target": "new",
            "context": {"crm_signal_source_message_id": message.id},
        }

    @api.model
    def _source_message(self, message_id):
        """The message ``message_id`` and its record, if the current user may
        turn it into a signal; refused otherwise (portal, guests, a message or
        record they may not read)."""
        if not self.env.user._is_internal():
            raise AccessError(self.env._("Only employees can save a message as a customer signal."))
        self.check_access("create")
        try:
            message = self.env["mail.message"].browse(int(message_id)).exists()
        except (TypeError, ValueError):
            message = self.env["mail.message"]
        if not message or not message.model or not message.res_id:
            raise UserError(self.env._("This message no longer exists or belongs to no record."))
        if message.message_type in ("notification", "user_notification"):
            raise UserError(
                self.env._("Only what a person wrote can become a signal, not a notification.")
            )
        message.check_access("read")
        if message.model not in self.env:
            raise UserError(self.env._("The record of this message cannot be opened."))
        self.env[message.model].browse(message.res_id).check_access("read")
        return message

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        message_id = self.env.context.get("crm_signal_source_message_id")
        if message_id:
            prefill = self._prefill_from_message(self._source_message(message_id))
            values.update({k: v for k, v in prefill.items() if k in fields_list})
        return values

    @api.model
    def _prefill_from_message(self, message):
        """What the form shows for ``message``: a summary (its subject, or its
        first sentence that is not courtesy: ``core.summary``), its text as
        details, its sender as contact, the customer it speaks for, the
        channel guessed from where it was written."""
        text = html2plaintext(message.body or "").strip()
        record = self.env[message.model].browse(message.res_id)
        values = {
            "name": signal_summary(message.subject, text, record.display_name),
            "description": plaintext2html(text) if text else False,
            "source_name": self._source_label(record),
        }
        customer = self._customer_of_message(message, record)
        if customer:
            values["partner_id"] = customer.id
        if message.email_from and not message.author_id:
            # A sender with no contact yet stays on the signal as its contact:
            # sales need to know who spoke, not only for which company.
            values["email_from"] = message.email_from
            sender = email_split_tuples(message.email_from)
            if sender and sender[0][0]:
                values["contact_name"] = sender[0][0]
        code = (
            "other"
            if message.model == "discuss.channel"
            else "support"
            if message.message_type == "email"
            else False
        )
        if code:
            channel = self.env["crm.signal.channel"].search([("code", "=", code)], limit=1)
            if channel:
                values["channel_id"] = channel.id
        return values

    @api.model
    def _customer_of_message(self, message, record):
        """The customer (commercial entity) a message speaks for: its author
        when outside the company; for a sender with no contact, the company
        of the sender's mail domain when that domain is not the record
        partner's (a colleague of another company writing on this deal);
        else the partner of its record."""
        Partner = self.env["res.partner"]
        author = message.author_id
        own = self.env.companies.partner_id
        record_partner = Partner
        if record._name == "res.partner":
            record_partner = record.commercial_partner_id
        elif record._fields.get("partner_id") and (
            record._fields["partner_id"].comodel_name == "res.partner"
        ):
            record_partner = record.partner_id.commercial_partner_id
        customer = Partner
        if author and author.partner_share:
            customer = author.commercial_partner_id
        elif not author and message.email_from:
            email = email_normalize(message.email_from)
            if email:
                customer = Partner.search(
                    [("email_normalized", "=", email), ("partner_share", "=", True)], limit=1
                ).commercial_partner_id
                domain = email.rpartition("@")[2]
                if not customer and domain != self._mail_domain(record_partner):
                    customer = self._company_of_mail_domain(domain) - own
        if not customer:
            customer = record_partner
        if customer in own or not customer.has_access("read"):
            return Partner
        return customer

    @api.model
    def _mail_domain(self, partner):
        """The mail domain of ``partner`` (its company's address first)."""
        for address in (partner.commercial_partner_id.email_normalized, partner.email_normalized):
            if address:
                return address.rpartition("@")[2]
        return False

    @api.model
    def _company_of_mail_domain(self, domain):
        """The one company whose contacts write from ``domain``, if exactly
        one does (a free-mail domain shared by several companies names none).
        An exact comparison of the domain part: what a mail says is never a
        search pattern."""
        Partner = self.env["res.partner"]
        if not domain:
            return Partner
        Partner.flush_model(["email_normalized", "partner_share", "commercial_partner_id"])
        # The ORM has no operator for "the part after @ equals": split_part
        # compares the whole domain exactly, with the value as a parameter.
        self.env.cr.execute(
            """
            SELECT DISTINCT commercial_partner_id FROM res_partner
             WHERE split_part(email_normalized, '@', 2) = %s
               AND partner_share AND active AND commercial_partner_id IS NOT NULL
             LIMIT 2
            """,
            [domain],
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        # Read through the ORM: the user's record rules and companies apply.
        companies = Partner.search([("id", "in", ids)]) if len(ids) == 1 else Partner
        return companies

    @api.model
    def _source_label(self, record):
        description = self.env["ir.model"]._get(record._name).name
        return f"{description}: {record.display_name}"

    def _prepare_sources(self, vals_list):
        """Fill the source link from the message only, after checking that the
        author may read it and its record: the link never comes from the
        caller (a crafted RPC would otherwise copy attachments it may not
        read)."""
        default_message = self.env.context.get("crm_signal_source_message_id")
        for vals in vals_list:
            for fname in SOURCE_DERIVED_FIELDS:
                vals.pop(fname, None)
            message_id = vals.get("source_message_id") or default_message
            if not message_id:
                continue
            message = self._source_message(message_id)
            record = self.env[message.model].browse(message.res_id)
            vals.update(
                {
                    "source_message_id": message.id,
                    "source_model": message.model,
                    "source_res_id": message.res_id,
                    "source_name": self._source_label(record),
                }
            )

    def _link_sources(self):
        """Copy the source message's attachments and tell the source record."""
        # Defaults of the dialog (default_name…) must not leak into the
        # attachments and the note.
        signals = self.with_context(clean_context(self.env.context)).filtered("source_message_id")
        for signal in signals:
            # sudo: the author may read the message (checked in
            # _prepare_sources); the copies belong to their new signal.
            message = signal.sudo().source_message_id
            # Only what the author may open as themselves: a message can carry
            # attachments of records they may not read (a payroll workbook).
            readable = self.env["ir.attachment"]._filter_attachment_access(
                message.attachment_ids.ids
            )
            for attachment in readable.sudo():
                attachment.copy({"res_model": "crm.signal", "res_id": signal.id})
            record = signal.env[signal.source_model].browse(signal.source_res_id)
            # A Discuss conversation is not a record's history: nothing posted.
            if signal.source_model == "discuss.channel" or not hasattr(record, "message_post"):
                continue
            link = Markup('<a href="#" data-oe-model="crm.signal" data-oe-id="%s">%s</a>') % (
                signal.id,
                self.env._("customer signal"),
            )
            # One translatable sentence with the link inside (a QWeb template
            # would split it into fragments no Japanese word order fits).
            # sudo: reading the record is enough to save from it; the note is
            # internal (employees only) and names no more than the author.
            record.sudo().message_post(
                body=Markup("<p>%s</p>")
                % self.env._(
                    "Saved as a %(signal)s by %(author)s.",
                    signal=link,
                    author=signal.employee_id.name or self.env.user.name,
                ),
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )

    def _check_source_fields(self, vals):
        if not self.env.su and self._source_fields() & set(vals):
            raise UserError(
                self.env._("Where a signal was saved from is history: it cannot be changed.")
            )

    def action_open_source(self):
        """Open the record the signal was saved from, for whoever may read it."""
        self.ensure_one()
        if not self.source_model or self.source_model not in self.env:
            raise UserError(self.env._("This signal was not saved from a message."))
        record = self.env[self.source_model].browse(self.source_res_id).exists()
        if not record:
            raise UserError(self.env._("The record this signal was saved from no longer exists."))
        if not record.has_access("read"):
            raise AccessError(
                self.env._(
                    "You may not open %(record)s: only its name is shown on the signal.",
                    record=self.source_name,
                )
            )
        if self.source_model == "discuss.channel" and self.source_message_id:
            return {
                "type": "ir.actions.act_url",
                "url": f"/mail/message/{self.source_message_id.id}",
                "target": "self",
            }
        return {
            "type": "ir.actions.act_window",
            "res_model": self.source_model,
            "res_id": record.id,
            "views": [(False, "form")],
        }

    @api.onchange("email_from", "contact_name", "name", "description")
    def _onchange_suggest_customer(self):
        if self.partner_id or self._origin.id:
            return
        customer = self._suggest_customer()
        if customer:
            self.partner_id = customer

    @api.depends("partner_id", "email_from", "contact_name", "name", "description")
    def _compute_customer_hint(self):
        for signal in self:
            recognised = (
                not signal._origin.id
                and signal.partner_id
                and signal.partner_id == signal._suggest_customer()
            )
            signal.customer_hint = (
                self.env._(
                    "Customer recognised from what you typed: %(customer)s. Change it if it "
                    "is not the right one.",
                    customer=signal.partner_id.display_name,
                )
                if recognised
                else False
            )

    def _suggest_customer(self):
        """The one customer an e-mail address or a company name in the typed
        text points to. Exact matches only (normalised e-mail, whole company
        name): what a user types is never a search pattern."""
        self.ensure_one()
        Partner = self.env["res.partner"]
        texts = [
            self.email_from,
            self.contact_name,
            self.name,
            html2plaintext(self.description or "") if self.description else "",
        ]
        texts = [text for text in texts if text]
        if not texts:
            return Partner
        own = self.env.companies.partner_id
        emails = {
            email_normalize(address) for text in texts for address in email_re.findall(text)
        } - {False}
        if emails:
            customers = (
                Partner.search(
                    [("email_normalized", "in", sorted(emails)), ("partner_share", "=", True)],
                    limit=10,
                ).commercial_partner_id
                - own
            )
            if len(customers) == 1:
                return customers
        names = set()
        for text in texts:
            for token in COMPANY_NAME_SEPARATORS.split(text)[:100]:
                token = token.strip()
                if len(token) < 2:
                    continue
                names.add(token)
                if "株式会社" not in token:
                    names.update({f"株式会社{token}", f"{token}株式会社"})
        if not names:
            return Partner
        companies = (
            Partner.search([("is_company", "=", True), ("name", "in", sorted(names))], limit=2)
            - own
        )
        return companies if len(companies) == 1 else Partner
