import math

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import email_normalize, html2plaintext, plaintext2html

from ..core.bounds import DESCRIPTION_BYTES, TITLE_LENGTH, cut_title, cut_to_bytes
from ..core.money import format_points
from .server_switches import (
    confirming,
    crediting_is_off,
    importing,
    is_confirming,
    is_from_mail,
    is_importing,
)

# The signal is one model reopened once per concern (as mail.thread is split
# in Odoo): this file is the model, its fields, guards, CRUD, state, what-if
# estimate, program and credits; crm_signal_duplicates, _handoff, _routing,
# _mail and _from_message (models/__init__.py's order) add one concern each.

# Amounts beyond this lose yen in floating point (Odoo stores money as
# double precision): no real deal comes near it.
MAX_AMOUNT = 10**14

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
    contribution_ids = fields.One2many("crm.contribution", "signal_id", string="Credits")
    whatif_amount = fields.Monetary(
        string="You Could Earn",
        compute="_compute_whatif",
        currency_field="currency_id",
        help="What you would earn if this signal became a deal of its estimated "
        "revenue under today's published rules.",
    )
    whatif_explanation = fields.Text(string="How It Is Computed", compute="_compute_whatif")
    is_mine = fields.Boolean(compute="_compute_is_mine")
    to_confirm = fields.Boolean(
        readonly=True,
        index=True,
        help="Arrived by e-mail: it goes to sales, and earns anything, only once "
        "its employee confirms in the app that they sent it.",
    )
    confirmed_date = fields.Datetime(
        readonly=True,
        copy=False,
        help="When the employee confirmed a signal that arrived by e-mail in their "
        "name: sales' answer time starts then.",
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
            lines, sentences = ledger._estimate_signal_credits(signal, employee, today)
            signal.whatif_amount = sum(line["amount"] for line in lines)
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

    @api.depends("lead_id", "lead_id.active", "lead_id.everyone_sells_is_won")
    def _compute_state(self):
        for signal in self:
            if signal.lead_id:
                signal.state = signal.lead_id._everyone_sells_outcome()
            elif not signal.state:
                signal.state = "new"

    @api.model
    def _read_group_expand_state(self, states, domain):
        """Kanban columns in workflow order, not alphabetical. With the context
        key ``everyone_sells_workflow_columns`` (My Signals), the main path
        New → Handed Off → Won → Lost shows even while a column is empty."""
        shown = set(states)
        if self.env.context.get("everyone_sells_workflow_columns"):
            shown |= {"new", "handed_off", "won", "lost"}
        return [state for state, _label in self._fields["state"].selection if state in shown]

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
