from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import psycopg2.errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, Query, format_amount

from ..core.crediting import apply_cap, rule_amount
from ..core.money import round_money, shares, split_amount
from .boolean_search import searched_true

# What may still change on an entry once written: its workflow, never its figures.
WORKFLOW_FIELDS = {"state", "approved_by_id", "approved_date", "payout_id"}

# The ledger's life: draft → approved (action_approve), approved → paid (the
# payout's action_done). Nothing else, whoever calls.
LEDGER_TRANSITIONS = {("draft", "approved"), ("approved", "paid")}

# Only the addon's own methods move an entry: they pass this object in the
# context. An RPC caller can put any JSON in its context, never this object.
_WORKFLOW_TOKEN = object()
_WORKFLOW_KEY = "everyone_sells_ledger_workflow"

# Which payout takes which entry (see crm.contribution.payout's _take_entries).
PAYOUT_ENTRY_TABLE = "crm_contribution_payout_entry"

TRIGGER_SELECTION = [
    ("signal_logged", "Signal logged"),
    ("handed_off", "Signal handed off"),
    ("won", "Opportunity won"),
    ("resolved", "Routed signal resolved"),
    ("insight_used", "Insight used by sales"),
    ("adjustment", "Adjustment"),
]


@dataclass
class CreditEvent:
    """One thing that happened and may earn credit: a won deal, a signal."""

    trigger: str
    key: str
    company: object
    date: object
    basis: float
    contributors: list  # [(employee, department, weight, role)]
    lead: object = None
    signal: object = None
    partner: object = None
    team: object = None
    channels: object = None
    signal_types: object = None
    reason: str = ""
    extra: dict = field(default_factory=dict)


class CrmContribution(models.Model):
    _name = "crm.contribution"
    _description = "Contribution Ledger Entry"
    _order = "date desc, id desc"
    _rec_name = "explanation"
    _check_company_auto = True

    employee_id = fields.Many2one("hr.employee", required=True, index=True, readonly=True)
    department_id = fields.Many2one(
        "hr.department",
        readonly=True,
        index=True,
        help="The contributor's department for this deal, as recorded when they were added.",
    )
    # No index on company_id: a company's share of the ledger is rarely small
    # enough for one to help, and every index is written on every row.
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    lead_id = fields.Many2one(
        "crm.lead",
        string="Opportunity",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
    )
    lead_name = fields.Char(
        string="Deal",
        readonly=True,
        help="The opportunity's name when credited; kept if it is merged or deleted.",
    )
    signal_id = fields.Many2one(
        "crm.signal", index="btree_not_null", ondelete="set null", readonly=True
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    rule_id = fields.Many2one(
        "crm.contribution.rule", index=True, ondelete="restrict", readonly=True
    )
    trigger = fields.Selection(TRIGGER_SELECTION, required=True, readonly=True)
    date = fields.Date(
        required=True,
        index=True,
        readonly=True,
        help="The date of the event: when the deal was won or the signal logged.",
    )
    payable_date = fields.Date(
        readonly=True,
        help="From this date the credit can be paid: the event date plus the "
        "company's hold period (cancellation window).",
    )
    basis_amount = fields.Monetary(
        string="Basis", readonly=True, help="The revenue the rule applied to."
    )
    rate = fields.Float(
        digits=(16, 4), readonly=True, help="The percentage applied, for percentage rules."
    )
    share = fields.Float(
        digits=(16, 4), readonly=True, help="This employee's share of the event (1 = 100 %)."
    )
    points = fields.Float(digits=(16, 2), readonly=True)
    amount = fields.Monetary(readonly=True)
    explanation = fields.Text(readonly=True)
    state = fields.Selection(
        [("draft", "To Approve"), ("approved", "Approved"), ("paid", "Paid")],
        default="draft",
        required=True,
        readonly=True,
    )
    wage_type = fields.Selection(
        [("incentive", "Incentive (wages)"), ("award", "Discretionary award")],
        required=True,
        default="incentive",
        readonly=True,
    )
    reversed_entry_id = fields.Many2one(
        "crm.contribution",
        string="Reverses",
        ondelete="restrict",
        readonly=True,
        help="On a reversal: the entry it cancels.",
    )
    reversal_entry_ids = fields.One2many("crm.contribution", "reversed_entry_id")
    is_reversed = fields.Boolean(
        string="Reversed",
        compute="_compute_is_reversed",
        search="_search_is_reversed",
        help="A later entry cancels this one.",
    )
    credit_key = fields.Char(
        readonly=True,
        help="Technical: the event this entry credits (for example won:lead:42).",
    )
    credit_sequence = fields.Integer(
        readonly=True,
        help="Technical: how many earlier credits the same event, employee and rule had.",
    )
    # The link to a payout lives in a narrow table of its own (two integers a
    # row, see _init_payout_links), not on the ledger's wide rows: taking
    # 100,000 entries into a payout inserts 100,000 small rows instead of
    # rewriting 100,000 ledger rows and a dozen index entries each.
    payout_id = fields.Many2one(
        "crm.contribution.payout",
        compute="_compute_payout_id",
        search="_search_payout_id",
        help="The monthly payout this entry is paid in.",
    )
    approved_by_id = fields.Many2one("res.users", readonly=True)
    approved_date = fields.Datetime(readonly=True)
    is_mine = fields.Boolean(string="Mine", compute="_compute_is_mine", search="_search_is_mine")

    def init(self):
        # The database itself guarantees "never twice": one open credit per
        # event, employee, rule and generation, and one reversal per entry.
        self.env.cr.execute(
            SQL(
                """
                CREATE UNIQUE INDEX IF NOT EXISTS crm_contribution_open_credit_uniq
                    ON crm_contribution (credit_key, employee_id, rule_id, credit_sequence)
                 WHERE reversed_entry_id IS NULL AND rule_id IS NOT NULL;
                CREATE UNIQUE INDEX IF NOT EXISTS crm_contribution_one_reversal_uniq
                    ON crm_contribution (reversed_entry_id)
                 WHERE reversed_entry_id IS NOT NULL;
                """
            )
        )
        self._init_payout_links()
        self._init_lean_indexes()

    def _init_payout_links(self):
        """The table linking payouts to the entries they take.

        Its primary key on entry_id is the database's "paid once": an entry
        belongs to one payout at most, whatever runs at the same time (a
        second run taking the same entry waits for the first, then fails).
        No foreign keys, on purpose and measured: each costs a trigger and a
        row lock per link (two foreign keys took 2.1 s of a 2.6 s take of
        100,000 entries). Ledger entries are never deleted, and a payout is
        deleted only after releasing its entries (see its unlink).
        Databases from before the table keep their links (moved from the
        old column).
        """
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                CREATE TABLE IF NOT EXISTS %(links)s (
                    entry_id integer PRIMARY KEY,
                    payout_id integer NOT NULL
                );
                CREATE INDEX IF NOT EXISTS crm_contribution_payout_entry_payout_index
                    ON %(links)s (payout_id);
                """,
                links=SQL.identifier(PAYOUT_ENTRY_TABLE),
            )
        )
        cr.execute(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = 'crm_contribution' AND column_name = 'payout_id'"
        )
        if cr.fetchone():
            cr.execute(
                SQL(
                    """
                    INSERT INTO %s (entry_id, payout_id)
                    SELECT id, payout_id FROM crm_contribution WHERE payout_id IS NOT NULL
                    ON CONFLICT DO NOTHING;
                    ALTER TABLE crm_contribution DROP COLUMN payout_id;
                    """,
                    SQL.identifier(PAYOUT_ENTRY_TABLE),
                )
            )

    def _init_lean_indexes(self):
        """Index what the screens and jobs read, and only where they read it.

        Every index of the ledger is written for every new entry and every
        payment: the indexes on status, company, payable date and credit key
        covered every row though only the unpaid ones are looked up by status
        (the approval queue, the payout's candidates), the company has no
        selectivity in a one-company database, and credit keys are looked up
        with the open-credit unique index. A partial index on what is not yet
        paid replaces them; paid history leaves it. It ends with (date, id),
        the ledger's order: the approval queue's first page reads 80 rows of
        it, not every credit waiting (80,000 at the bench's large profile).
        """
        self.env.cr.execute(
            """
            DROP INDEX IF EXISTS crm_contribution__company_id_index;
            DROP INDEX IF EXISTS crm_contribution__credit_key_index;
            DROP INDEX IF EXISTS crm_contribution__payable_date_index;
            DROP INDEX IF EXISTS crm_contribution__state_index;
            DROP INDEX IF EXISTS crm_contribution__reversed_entry_id_index;
            CREATE INDEX IF NOT EXISTS crm_contribution_unpaid_index
                ON crm_contribution (state, company_id, date, id)
             WHERE state != 'paid';
            """
        )

    def _compute_payout_id(self):
        links = {}
        if self.ids:
            self.env.cr.execute(
                SQL(
                    "SELECT entry_id, payout_id FROM %s WHERE entry_id = ANY(%s)",
                    SQL.identifier(PAYOUT_ENTRY_TABLE),
                    list(self.ids),
                )
            )
            links = dict(self.env.cr.fetchall())
        Payout = self.env["crm.contribution.payout"]
        for entry in self:
            entry.payout_id = Payout.browse(links.get(entry.id))

    def _search_payout_id(self, operator, value):
        """Entries by their payout, in SQL over the link table: ``=``/``!=``
        False (taken or not), ids, or a subquery (``payout_id.state`` in a
        record rule)."""
        links = SQL.identifier(PAYOUT_ENTRY_TABLE)
        if operator in ("=", "!=") and not value:
            taken = operator == "!="
            return [("id", "in" if taken else "not in", SQL("(SELECT entry_id FROM %s)", links))]
        if operator in ("=", "!="):
            operator, value = ("in" if operator == "=" else "not in"), [value]
        if operator not in ("in", "not in"):
            raise UserError(self.env._("Unsupported search on the payout of a credit."))
        if isinstance(value, Query):
            payouts = value.subselect()
        else:
            payouts = SQL("(%s)", tuple(value) or (None,))
        return [
            (
                "id",
                operator,
                SQL("(SELECT entry_id FROM %s WHERE payout_id IN %s)", links, payouts),
            )
        ]

    @api.depends("reversal_entry_ids")
    def _compute_is_reversed(self):
        for entry in self:
            entry.is_reversed = bool(entry.reversal_entry_ids)

    def _search_is_reversed(self, operator, value):
        reversed_wanted = searched_true(self, "is_reversed", operator, value)
        return [("reversal_entry_ids", "!=" if reversed_wanted else "=", False)]

    @api.depends_context("uid")
    def _compute_is_mine(self):
        for entry in self:
            entry.is_mine = entry.employee_id.user_id == self.env.user

    def _search_is_mine(self, operator, value):
        positive = searched_true(self, "is_mine", operator, value)
        return [("employee_id.user_id", "=" if positive else "!=", self.env.uid)]

    # ------------------------------------------------------------------
    # APPEND-ONLY
    # ------------------------------------------------------------------

    def write(self, vals):
        if set(vals) - WORKFLOW_FIELDS:
            raise UserError(
                self.env._(
                    "Ledger entries are never edited: write a correction (a reversal "
                    "or an adjustment) instead."
                )
            )
        if self.env.context.get(_WORKFLOW_KEY) is not _WORKFLOW_TOKEN:
            raise UserError(
                self.env._(
                    "A credit moves only through its actions: Approve (by another "
                    "manager than its employee), then the payout that pays it. Its "
                    "status, approver and payout cannot be written directly."
                )
            )
        self._check_transition(vals)
        context = dict(self.env.context)
        context.pop(_WORKFLOW_KEY)
        return super(CrmContribution, self.with_context(context)).write(vals)

    def _workflow(self):
        """These entries, allowed to move along the ledger's life (the addon's
        own approval and payment methods only)."""
        return self.with_context({_WORKFLOW_KEY: _WORKFLOW_TOKEN})

    def _check_transition(self, vals):
        """Even the addon's own code moves an entry only forward, one step."""
        if "state" in vals:
            for entry in self:
                if (entry.state, vals["state"]) not in LEDGER_TRANSITIONS:
                    raise UserError(
                        self.env._(
                            "A credit cannot go from %(from)s to %(to)s.",
                            **{"from": entry.state, "to": vals["state"]},
                        )
                    )
        if vals.get("state") == "approved" and vals.get("approved_by_id") != self.env.uid:
            raise UserError(self.env._("The approver of a credit is whoever approves it."))
        if vals.get("state") == "paid" and self.filtered(
            lambda e: not e.payout_id or e.payout_id.state != "confirmed"
        ):
            raise UserError(self.env._("Only a confirmed payout pays its credits."))
        if "payout_id" in vals:
            raise UserError(
                self.env._("Only a payout's computation links credits to it, in the database.")
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(
            self.env._(
                "Ledger entries are never deleted: write a correction (a reversal or "
                "an adjustment) instead."
            )
        )

    # ------------------------------------------------------------------
    # APPROVAL
    # ------------------------------------------------------------------

    def action_approve(self):
        """Approve what may be approved; say what was skipped and why.

        The approver is the acting user and never the credited employee. A
        credit and the reversal that cancels it are approved together: they
        settle together, a net zero never reaches payroll.
        """
        if not self.env.user.has_group("crm_everyone_sells.group_manager"):
            raise UserError(self.env._("Only contribution managers approve credits."))
        self.check_access("read")
        entries = self._with_draft_partners()._lock_for_workflow()
        skipped = {}
        mine = entries.filtered(lambda e: e.employee_id.user_id == self.env.user)
        if mine:
            skipped[self.env._("your own credits: another manager approves them")] = mine
        not_draft = (entries - mine).filtered(lambda e: e.state != "draft")
        if not_draft:
            skipped[self.env._("already approved or paid")] = not_draft
        to_approve = entries - mine - not_draft
        if not to_approve:
            raise UserError(
                self.env._(
                    "Nothing was approved: %(reasons)s.",
                    reasons="; ".join(
                        f"{reason} ({len(group)})" for reason, group in skipped.items()
                    ),
                )
            )
        # sudo: the ledger is written by the addon, never by a manager's
        # write; who may approve was checked above.
        to_approve.sudo()._workflow().write(
            {
                "state": "approved",
                "approved_by_id": self.env.uid,
                "approved_date": fields.Datetime.now(),
            }
        )
        if not skipped:
            return True
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("%(count)s credit(s) approved", count=len(to_approve)),
                "message": self.env._(
                    "Skipped: %(reasons)s.",
                    reasons="; ".join(
                        f"{reason} ({len(group)})" for reason, group in skipped.items()
                    ),
                ),
                "type": "warning",
                "sticky": True,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _with_draft_partners(self):
        """These entries and the draft credits or reversals that cancel them."""
        # sudo: a reversal is the same employee's entry as its credit.
        entries = self.sudo()
        partners = (entries.reversed_entry_id | entries.reversal_entry_ids).filtered(
            lambda e: e.state == "draft"
        )
        return (self | partners.with_env(self.env)).exists()

    def _lock_for_workflow(self):
        """Lock these rows before moving them: a concurrent approval, payment
        or reversal of the same entries waits, then fails on a
        serialization error (Odoo retries) instead of acting on stale rows."""
        if self.ids:
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM crm_contribution WHERE id IN %s ORDER BY id FOR UPDATE",
                    tuple(self.ids),
                )
            )
            self.invalidate_recordset(["state", "payout_id", "approved_by_id"])
        return self

    def _mark_paid(self, payout):
        """The payout ``payout`` was paid: its entries are paid (called by
        the payout's action_done only)."""
        entries = self.sudo()._lock_for_workflow()
        if entries.filtered(lambda e: e.payout_id != payout):
            raise UserError(self.env._("Only a payout's own credits are paid with it."))
        # sudo: paying is the payout's act, checked by its caller.
        entries._workflow().write({"state": "paid"})

    # ------------------------------------------------------------------
    # CREDITING ENGINE
    # ------------------------------------------------------------------

    @api.model
    def _crediting_off(self):
        """Crediting is off when asked (``everyone_sells_no_credit``), and for
        imports unless asked (``everyone_sells_credit_import``): importing
        past wins or signals must not pay them again."""
        context = self.env.context
        return bool(
            context.get("everyone_sells_no_credit")
            or (context.get("import_file") and not context.get("everyone_sells_credit_import"))
        )

    @api.model
    def _event_date(self, value):
        """The local calendar date of a datetime (a deal won at 08:00 in Tokyo
        counts for that day, not the previous one in UTC)."""
        if not value:
            return fields.Date.context_today(self)
        return fields.Datetime.context_timestamp(
            self.with_context(tz=self.env.context.get("tz") or self.env.user.tz or "Asia/Tokyo"),
            value,
        ).date()

    @api.model
    def _won_events(self, leads, date=None):
        events = []
        for lead in leads:
            contributors = [
                (c.employee_id, c.department_id, c.weight, c.role) for c in lead.contributor_ids
            ]
            if not contributors and lead.origin_employee_id:
                contributors = [
                    (lead.origin_employee_id, lead.origin_department_id, 1.0, "originator")
                ]
            if not contributors:
                continue
            events.append(
                CreditEvent(
                    trigger="won",
                    key=f"won:lead:{lead.id}",
                    company=lead.company_id or self.env.company,
                    date=date or self._event_date(lead.date_closed),
                    basis=lead.expected_revenue,
                    contributors=contributors,
                    lead=lead,
                    partner=lead.partner_id,
                    team=lead.team_id,
                    channels=lead.signal_channel_id,
                    signal_types=lead.signal_ids.signal_type_id,
                )
            )
        return events

    @api.model
    def _signal_events(self, signals, trigger):
        date_field = {
            "handed_off": "handoff_date",
            "resolved": "resolved_date",
            "insight_used": "used_date",
        }.get(trigger, "create_date")
        return [
            CreditEvent(
                trigger=trigger,
                key=f"{trigger}:signal:{signal.id}",
                company=signal.company_id,
                date=self._event_date(signal[date_field]),
                basis=signal.estimated_revenue,
                contributors=[(signal.employee_id, signal.department_id, 1.0, "originator")],
                lead=signal.lead_id,
                signal=signal,
                partner=signal.partner_id,
                team=signal.team_id,
                channels=signal.channel_id,
                signal_types=signal.signal_type_id,
            )
            for signal in signals
            if signal.employee_id
        ]

    @api.model
    def _matching_rules(self, events):
        """Rules by (company id, trigger), fetched once for the whole batch."""
        if not events:
            return {}
        companies = {event.company.id for event in events}
        triggers = {event.trigger for event in events}
        # Only published rules credit: a rule nobody can read is no fair rule.
        # sudo: whoever triggers the event (a salesperson winning a deal) may
        # not read the rules' configuration.
        rules = (
            self.env["crm.contribution.rule"]
            .sudo()
            .search(
                [
                    ("company_id", "in", list(companies)),
                    ("trigger", "in", list(triggers)),
                    ("active", "=", True),
                    ("is_published", "=", True),
                ],
                order="sequence, id",
            )
        )
        by_key = defaultdict(list)
        for rule in rules:
            by_key[rule.company_id.id, rule.trigger].append(rule)
        return by_key

    @api.model
    def _rule_applies(self, rule, event):
        if not rule._in_force(event.date):
            return False
        if rule.min_revenue and (event.basis or 0) < rule.min_revenue:
            return False
        if rule.channel_ids and not (event.channels & rule.channel_ids):
            return False
        if rule.signal_type_ids and not (event.signal_types & rule.signal_type_ids):
            return False
        return not (rule.team_ids and event.team not in rule.team_ids)

    @api.model
    def _sales_users(self):
        # sudo: who belongs to a sales team decides the "exclude sales" filter,
        # whoever marks the deal won.
        members = self.env["crm.team.member"].sudo().search_fetch([], ["user_id"])
        return members.user_id

    @api.model
    def _period_totals(self, rules, employees, dates):
        """What each (rule, employee, month) has already earned, in one query."""
        capped = [rule.id for rule in rules if rule.cap_per_period]
        if not capped or not dates:
            return {}
        start = min(dates).replace(day=1)
        end = max(dates)
        groups = self.sudo()._read_group(
            [
                ("rule_id", "in", capped),
                ("employee_id", "in", employees.ids),
                ("date", ">=", start),
                ("date", "<=", end + timedelta(days=31)),
            ],
            ["rule_id", "employee_id", "date:month"],
            ["amount:sum"],
        )
        return {
            (rule.id, employee.id, (month.year, month.month)): total
            for rule, employee, month, total in groups
        }

    @api.model
    def _prepare_credits(self, events, open_credits=None):
        """Ledger values for ``events``: the matching rules, split and capped.

        Pure bookkeeping over prefetched records: the number of queries does
        not depend on the number of events.
        """
        rules_by_key = self._matching_rules(events)
        if not rules_by_key:
            return []
        open_credits = open_credits if open_credits is not None else {}
        sales_users = self._sales_users()
        all_rules = [rule for rules in rules_by_key.values() for rule in rules]
        employees = self.env["hr.employee"].browse(
            {c[0].id for event in events for c in event.contributors}
        )
        period_totals = self._period_totals(all_rules, employees, [event.date for event in events])
        texts = _Explainer(self.env)
        values = []
        for event in events:
            currency = event.company.currency_id
            digits = currency.decimal_places
            hold = event.company.everyone_sells_hold_days
            for rule in rules_by_key.get((event.company.id, event.trigger), []):
                if not self._rule_applies(rule, event):
                    continue
                contributors = event.contributors
                if rule.split_method == "originator":
                    contributors = [c for c in contributors if c[3] == "originator"][:1]
                if not contributors:
                    continue
                weights = (
                    [1] * len(contributors)
                    if rule.split_method in ("equal", "originator")
                    else [c[2] for c in contributors]
                )
                if sum(weights) <= 0:
                    continue
                raw_total = rule_amount(
                    rule.compute_method,
                    event.basis or 0,
                    fixed_amount=rule.fixed_amount,
                    percentage=rule.percentage,
                    tiers=[(t.threshold, t.percentage) for t in rule.tier_ids],
                )
                total = round_money(apply_cap(raw_total, rule.cap_per_deal), digits)
                deal_capped = total < round_money(raw_total, digits)
                parts = split_amount(total, weights, digits)
                fractions = shares(weights)
                for (employee, department, _w, _role), part, fraction in zip(
                    contributors, parts, fractions, strict=True
                ):
                    if rule.exclude_sales and employee.user_id in sales_users:
                        continue
                    if not rule._covers_department(department):
                        continue
                    if (event.key, employee.id, rule.id) in open_credits:
                        continue
                    amount = part
                    period_capped = False
                    if rule.cap_per_period:
                        month_key = (rule.id, employee.id, (event.date.year, event.date.month))
                        already = period_totals.get(month_key, 0)
                        amount = apply_cap(part, rule.cap_per_period, already)
                        period_capped = amount < part
                        period_totals[month_key] = already + float(amount)
                    points = round(float(Decimal(str(rule.points)) * fraction), 2)
                    if not amount and not points:
                        continue
                    values.append(
                        {
                            "employee_id": employee.id,
                            "department_id": department.id,
                            "company_id": event.company.id,
                            "lead_id": event.lead.id if event.lead else False,
                            "lead_name": event.lead.name if event.lead else False,
                            "signal_id": event.signal.id if event.signal else False,
                            "partner_id": event.partner.id if event.partner else False,
                            "rule_id": rule.id,
                            "trigger": event.trigger,
                            "date": event.date,
                            "payable_date": event.date + timedelta(days=hold),
                            "basis_amount": event.basis or 0,
                            "rate": rule.percentage if rule.compute_method == "percentage" else 0,
                            "share": float(fraction),
                            "points": points,
                            "amount": float(amount),
                            "wage_type": rule.wage_type,
                            "credit_key": event.key,
                            "explanation": texts.credit(
                                employee,
                                rule,
                                event,
                                currency,
                                fraction,
                                amount,
                                deal_capped=deal_capped,
                                period_capped=period_capped,
                            ),
                        }
                    )
        return values

    @api.model
    def _credit(self, events):
        """Write the credits ``events`` earn, skipping what is already credited."""
        if not events:
            return self.browse()
        # sudo: crediting is the system's act on an event; salespeople and
        # employees may not write the ledger themselves.
        ledger = self.sudo()
        existing = ledger.search_fetch(
            [
                ("credit_key", "in", [event.key for event in events]),
                ("reversed_entry_id", "=", False),
                ("rule_id", "!=", False),
            ],
            ["credit_key", "employee_id", "rule_id", "credit_sequence", "is_reversed"],
        )
        open_credits = {}
        generations = defaultdict(int)
        for entry in existing:
            key = (entry.credit_key, entry.employee_id.id, entry.rule_id.id)
            generations[key] = max(generations[key], entry.credit_sequence + 1)
            if not entry.is_reversed:
                open_credits[key] = entry
        values = ledger._prepare_credits(events, open_credits)
        for vals in values:
            vals["credit_sequence"] = generations[
                vals["credit_key"], vals["employee_id"], vals["rule_id"]
            ]
        return ledger._insert_entries(values)

    @api.model
    def _reverse(self, entries, reason):
        """Cancel ``entries`` with negative, linked entries; ``reason`` is a
        code of ``_Explainer.reasons``, said in each employee's language."""
        entries = entries.sudo().filtered(lambda e: not e.is_reversed and not e.reversed_entry_id)
        if not entries:
            return self.browse()
        texts = _Explainer(self.env)
        values = [
            {
                "employee_id": entry.employee_id.id,
                "department_id": entry.department_id.id,
                "company_id": entry.company_id.id,
                "lead_id": entry.lead_id.id,
                "lead_name": entry.lead_name,
                "signal_id": entry.signal_id.id,
                "partner_id": entry.partner_id.id,
                "rule_id": entry.rule_id.id,
                "trigger": entry.trigger,
                "date": fields.Date.context_today(self),
                # Reversing a credit not yet paid is no deduction from wages:
                # it settles with its credit, on the credit's date, so the two
                # net out in the same payout (see the payout's _take_entries).
                "payable_date": fields.Date.context_today(self)
                if entry.state == "paid"
                else entry.payable_date or entry.date,
                "basis_amount": -entry.basis_amount,
                "rate": entry.rate,
                "share": entry.share,
                "points": -entry.points,
                "amount": -entry.amount,
                "wage_type": entry.wage_type,
                "credit_key": entry.credit_key,
                "credit_sequence": entry.credit_sequence,
                "reversed_entry_id": entry.id,
                # A reversal follows its credit: a draft credit's reversal waits
                # with it, an approved or paid one is booked at once.
                "state": "draft" if entry.state == "draft" else "approved",
                "explanation": texts.reversal(entry, reason),
            }
            for entry in entries
        ]
        return self.sudo()._insert_entries(values)

    @api.model
    def _column_converter(self, field):
        """How a value of ``field`` goes into the INSERT. Amounts arrive
        rounded by the crediting core, so no per-value currency lookup."""
        if field.type == "many2one":
            return lambda value: int(value) if value else None
        if field.type == "integer":
            return lambda value: int(value or 0)
        if field.type in ("float", "monetary"):
            return lambda value: float(value or 0.0)
        if field.type == "boolean":
            return bool
        return lambda value: value if value not in (False, "") else None

    @api.model
    def _default_state(self, vals):
        """Points-only entries (no money) need no approval: they are not
        wages, and would only clog the managers' queue."""
        return "approved" if not vals.get("amount") else "draft"

    @api.model
    def _insert_entries(self, values):
        """Append ledger lines in one INSERT, whatever their number.

        The ORM inserts 100 rows per query; crediting a thousand won deals
        would then cost queries in proportion. Ledger lines have no computed
        stored field, no tracking and no side effect to run, so one
        statement writes them all; the database checks the rest.
        """
        if not values:
            return self.browse()
        columns = sorted({name for vals in values for name in vals})
        audit = ["create_uid", "create_date", "write_uid", "write_date"]
        stamp = [self.env.uid, self.env.cr.now(), self.env.uid, self.env.cr.now()]
        columns = sorted(set(columns) | {"state"})
        converters = [self._column_converter(self._fields[name]) for name in columns]
        rows = SQL(", ").join(
            SQL(
                "%s",
                tuple(
                    convert(vals.get(name, self._default_state(vals)) if name == "state" else vals.get(name))
                    for name, convert in zip(columns, converters, strict=True)
                )
                + tuple(stamp),
            )
            for vals in values
        )
        # Pending writes first (the deal's own update takes its row lock
        # now): a concurrent transaction on the same deal then fails with a
        # serialization error, which Odoo retries, rather than on our index.
        self.env.flush_all()
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL(
                        "INSERT INTO crm_contribution (%s) VALUES %s RETURNING id",
                        SQL(", ").join(SQL.identifier(name) for name in columns + audit),
                        rows,
                    )
                )
                ids = [row[0] for row in self.env.cr.fetchall()]
        except psycopg2.errors.UniqueViolation as error:
            raise UserError(
                self.env._(
                    "Someone else credited the same deal at the same moment. Nothing "
                    "was credited twice: reload the page to see the credit."
                )
            ) from error
        entries = self.browse(ids)
        # What pointed at the ledger before (a deal's, a signal's or a
        # credit's lines) must be read again.
        self.invalidate_model(["reversal_entry_ids", "is_reversed"])
        self.env["crm.lead"].invalidate_model(["contribution_ids"])
        self.env["crm.signal"].invalidate_model(["contribution_ids"])
        return entries

    @api.model
    def _open_credits_for(self, leads=None, signals=None, trigger="won"):
        domain = [
            ("trigger", "=", trigger),
            ("reversed_entry_id", "=", False),
            ("is_reversed", "=", False),
            ("rule_id", "!=", False),
        ]
        if leads is not None:
            domain.append(("credit_key", "in", [f"won:lead:{lead.id}" for lead in leads]))
        if signals is not None:
            domain.append(
                ("credit_key", "in", [f"{trigger}:signal:{signal.id}" for signal in signals])
            )
        return self.sudo().search(domain)

    @api.model
    def _credit_won_leads(self, leads, date=None):
        return self._credit(self._won_events(leads, date=date))

    @api.model
    def _reverse_credits(self, leads, reason):
        return self._reverse(self._open_credits_for(leads=leads), reason)

    @api.model
    def _recredit_changed_leads(self, leads, reason="revenue"):
        """A won deal's revenue or contributors changed: reverse what no
        longer matches and credit again, so the ledger shows the difference."""
        events = self._won_events(leads)
        current = self._open_credits_for(leads=leads)
        if current:
            wanted = {
                (vals["credit_key"], vals["employee_id"], vals["rule_id"]): vals["amount"]
                for vals in self._prepare_credits(events)
            }
            stale = current.filtered(
                lambda e: wanted.get((e.credit_key, e.employee_id.id, e.rule_id.id)) != e.amount
            )
            self._reverse(stale, reason)
        return self._credit(events)

    @api.model
    def _whatif_events(self, signal, employee, date):
        """The events a signal would go through on its way to a won deal."""
        common = {
            "company": signal.company_id or self.env.company,
            "date": date,
            "basis": signal.estimated_revenue,
            "contributors": [
                (employee, signal.department_id or employee.department_id, 1.0, "originator")
            ],
            "signal": signal,
            "partner": signal.partner_id,
            "team": signal.team_id,
            "channels": signal.channel_id,
            "signal_types": signal.signal_type_id,
        }
        return [
            CreditEvent(trigger=trigger, key=f"whatif:{trigger}", **common)
            for trigger in ("signal_logged", "handed_off", "won")
        ]

    @api.model
    def _simulate(self, events):
        """What ``events`` would earn, without writing anything."""
        return self._prepare_credits(events)


class _Explainer:
    """One sentence per ledger line, in the language of the employee it is for."""

    def __init__(self, env):
        self.env = env
        self.default_lang = env.context.get("lang") or env.lang or "en_US"
        self._envs = {}
        self._formats = {}

    def _env_for(self, employee):
        lang = employee.user_id.lang or self.default_lang
        if lang not in self._envs:
            self._envs[lang] = self.env(context=dict(self.env.context, lang=lang))
        return self._envs[lang], lang

    def _money(self, env, lang, amount, currency):
        """format_amount, with the language's and currency's formats looked up
        once per batch: a batch writes thousands of sentences."""
        key = (lang, currency.id)
        if key not in self._formats:
            sample = format_amount(env, 1234567.0, currency, lang_code=lang)
            self._formats[key] = sample
        sample = self._formats[key]
        digits = currency.decimal_places
        reference = f"{1234567.0:,.{digits}f}"
        rounded = round(float(amount), digits)
        if rounded < 0 or reference not in sample:
            # Other separators, or a sign: let Odoo lay it out.
            return format_amount(env, float(amount), currency, lang_code=lang)
        return sample.replace(reference, f"{rounded:,.{digits}f}")

    def credit(self, employee, rule, event, currency, fraction, amount, **capped):
        env, lang = self._env_for(employee)
        money = lambda value: self._money(env, lang, value, currency)  # noqa: E731
        share = f"{float(fraction) * 100:.0f} %"
        rate = f"{rule.percentage:g} %"
        points = f"{rule.points * float(fraction):g}"
        if rule.compute_method == "percentage":
            base = env._("%(rate)s of %(basis)s", rate=rate, basis=money(event.basis or 0))
        elif rule.compute_method == "tiered":
            base = env._("the tiered rate on %(basis)s", basis=money(event.basis or 0))
        else:
            base = env._("%(amount)s per event", amount=money(rule.fixed_amount))
        sentence = env._(
            "%(base)s × your %(share)s share = %(amount)s — rule %(rule)s",
            base=base,
            share=share,
            amount=money(amount),
            rule=rule.with_context(lang=lang).name,
        )
        if capped.get("deal_capped"):
            sentence += env._(" (capped at %(cap)s per deal)", cap=money(rule.cap_per_deal))
        if capped.get("period_capped"):
            sentence += env._(
                " (limited by the monthly cap of %(cap)s)", cap=money(rule.cap_per_period)
            )
        if rule.points:
            sentence += env._(", %(points)s points", points=points)
        return sentence

    def reasons(self, env):
        return {
            "lost": env._("the deal was lost or archived"),
            "reopened": env._("the deal left the won stage"),
            "revenue": env._("the deal's revenue changed"),
            "contributors": env._("the deal's contributors changed"),
            "declined": env._("the signal was declined"),
            "deleted": env._("the signal was deleted"),
        }

    def reversal(self, entry, reason):
        env, _lang = self._env_for(entry.employee_id)
        return env._(
            "Reversal (%(reason)s) of: %(original)s",
            reason=self.reasons(env).get(reason, reason),
            original=entry.explanation,
        )
