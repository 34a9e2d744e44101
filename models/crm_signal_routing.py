from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_datetime

from .boolean_search import searched_true

# Routing beyond sales, and response times.

# Signals waiting for a first answer, from sales or from the receivers.
WAITING_STATES = ("new", "routed")


class CrmSignal(models.Model):
    _inherit = "crm.signal"

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
