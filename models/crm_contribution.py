import logging
from collections import defaultdict, namedtuple
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import psycopg2.errors

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, Query, format_amount

from ..core.crediting import apply_cap
from ..core.money import format_points
from .boolean_search import searched_true
from .payout_entry_table import PAYOUT_ENTRY_TABLE, init_payout_entry_table
from .server_switches import in_workflow, is_in_workflow, out_of_workflow

_logger = logging.getLogger(__name__)

# What may still change on an entry once written: its workflow, never its figures.
WORKFLOW_FIELDS = {
    "state",
    "approved_by_id",
    "approved_date",
    "approval_exception_reason",
    "payout_id",
}

# The ledger's life: draft → approved (action_approve), approved → paid (the
# payout's action_done). Nothing else, whoever calls.
LEDGER_TRANSITIONS = {("draft", "approved"), ("approved", "paid")}

TRIGGER_SELECTION = [
    ("signal_logged", "Signal logged"),
    ("handed_off", "Signal handed off"),
    ("won", "Opportunity won"),
    ("resolved", "Routed signal resolved"),
    ("insight_used", "Insight used by sales"),
    ("adjustment", "Adjustment"),
]

# A ledger line's status, and how payroll treats its money: one list each,
# for the ledger, the rules, the adjustments and the analysis.
LEDGER_STATES = [("draft", "To Approve"), ("approved", "Approved"), ("paid", "Paid")]
WAGE_TYPES = [("incentive", "Incentive (wages)"), ("award", "Discretionary award")]

REVERSAL_REASONS = [
    ("lost", "Deal lost or archived"),
    ("reopened", "Deal left the won stage"),
    ("revenue", "Deal revenue changed"),
    ("contributors", "Deal contributors changed"),
    ("declined", "Signal declined"),
]


# Who shares an event's credit: the employee, their department as recorded
# on the deal or signal, their weight, and their role (originator...).
Contributor = namedtuple("Contributor", "employee department weight role")


@dataclass
class CreditEvent:
    """One thing that happened and may earn credit: a won deal, a signal."""

    trigger: str
    key: str
    company: object
    date: object
    basis: float
    contributors: list  # [Contributor]
    lead: object = None
    signal: object = None
    partner: object = None
    team: object = None
    channels: object = None
    signal_types: object = None
    reason: str = ""
    extra: dict = field(default_factory=dict)
    # The entries' date when it is not the rules' date: a correction of a won
    # deal is booked on the day the server observed the change.
    booked: object = None
    # Set by Credit Past Wins only: why the administrator dated the credit.
    backdate_reason: str = None
    # Whose act caused the event's credits (res.users); None: the acting user.
    maker: object = None


class CrmContribution(models.Model):
    _name = "crm.contribution"
    _description = "Contribution Ledger Entry"
    _order = "date desc, id desc"
    _rec_name = "explanation"
    _rec_names_search = ["lead_name", "employee_id", "rule_id", "note"]
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
    # The entry stores figures; its sentence is written when read, in the
    # reader's language (see _Explainer).
    explanation = fields.Text(
        compute="_compute_explanation",
        search="_search_explanation",
        help="How the amount was computed, in one sentence: rule, basis, rate, share, "
        "cap → amount.",
    )
    note = fields.Text(
        readonly=True,
        help="The words of the manager who wrote an adjustment: why it was written.",
    )
    deal_capped = fields.Boolean(readonly=True, help="The rule's cap per deal reduced this credit.")
    period_capped = fields.Boolean(
        readonly=True, help="The rule's monthly cap per employee reduced this credit."
    )
    reversal_reason = fields.Selection(
        REVERSAL_REASONS,
        readonly=True,
        help="On a reversal: why the credit it cancels no longer holds.",
    )
    state = fields.Selection(
        LEDGER_STATES,
        default="draft",
        required=True,
        readonly=True,
    )
    wage_type = fields.Selection(
        WAGE_TYPES,
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
    # Maker ≠ checker ≠ beneficiary: the person whose act caused the entry
    # never approves it (see action_approve); OdooBot when the system wrote
    # it by a published rule with nobody's act behind it.
    maker_id = fields.Many2one(
        "res.users",
        string="Made by",
        readonly=True,
        help="Whose act caused this entry (logged a signal on someone's behalf, resolved, "
        "handed off, set the deal's contributors, entered an adjustment or an award, ran "
        "Credit Past Wins). OdooBot when the system wrote it by a published rule. The "
        "maker never approves it.",
    )
    backdate_reason = fields.Text(
        string="Why Dated in the Past",
        readonly=True,
        help="Set only on credits Credit Past Wins dated before the day they were written: "
        "the administrator's reason for the date (the administrator is the entry's maker). "
        "Every other entry is dated the day the server observed its event.",
    )
    approved_by_id = fields.Many2one("res.users", readonly=True)
    approved_date = fields.Datetime(readonly=True)
    approval_exception_reason = fields.Text(
        string="Approval Exception",
        readonly=True,
        help="Approved by the administrator who made it, because the company had no "
        "other approver: their written reason. The ledger audit lists these entries.",
    )
    reduced_entry_id = fields.Many2one(
        "crm.contribution",
        string="Reduces",
        index="btree_not_null",
        ondelete="restrict",
        readonly=True,
        help="On a negative adjustment: the credit it reduces. A reduction follows its "
        "credit's state, as a reversal does: of a credit not yet paid it nets in the "
        "payout that pays the credit; of a paid credit it is a clawback (deducted only "
        "under a wage-deduction agreement, else outstanding for HR).",
    )
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
        init_payout_entry_table(self.env.cr)
        self._init_lean_indexes()

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
            if operator == "!=":
                return [("id", "in", SQL("(SELECT entry_id FROM %s)", links))]
            # Not taken: an anti-join, not "NOT IN (all links)", which
            # PostgreSQL can hash only while the links fit in work_mem (at a
            # million links it compares row by row, for minutes).
            return [
                (
                    "id",
                    "in",
                    SQL(
                        "(SELECT entry.id FROM crm_contribution entry"
                        " WHERE NOT EXISTS (SELECT 1 FROM %s link WHERE link.entry_id = entry.id))",
                        links,
                    ),
                )
            ]
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

    @api.depends_context("lang", "uid", "everyone_sells_to_employee")
    @api.depends(
        "rule_id",
        "basis_amount",
        "rate",
        "share",
        "amount",
        "points",
        "deal_capped",
        "period_capped",
        "reversal_reason",
        "reversed_entry_id",
        "note",
        "employee_id",
    )
    def _compute_explanation(self):
        texts = _Explainer(self.env)
        for entry in self:
            entry.explanation = texts.entry(entry)

    def _search_explanation(self, operator, value):
        # The sentence exists only when read: search what it is made of.
        if operator not in ("ilike", "not ilike", "=", "!="):
            return NotImplemented
        positive = operator in ("ilike", "=")
        fields_searched = ["note", "lead_name", "rule_id.name", "employee_id.name"]
        domain = ["|"] * (len(fields_searched) - 1) + [
            (fname, "ilike" if operator in ("ilike", "not ilike") else "=", value)
            for fname in fields_searched
        ]
        return domain if positive else ["!", *domain]

    def _explained_for_employees(self):
        """{entry id: sentence} in each entry's employee's language, as a
        third party reads it (the payroll workbook).

        The workbook reads ten thousand lines of a few hundred employees:
        their figures in one query, the employees' names and languages once,
        and one explainer per language fills the sentences it translated
        once, where reading ``explanation`` line by line went through the
        ORM field by field (twice the workbook's time)."""
        self.check_access("read")
        lines = self._explanation_lines(self.ids)
        # The credits that reversals cancel, when not among these lines.
        while (
            missing := {line.reversed_entry_id for line in lines.values() if line.reversed_entry_id}
            - lines.keys()
        ):
            lines.update(self._explanation_lines(missing))
        fallback = self.env.lang or "en_US"
        # Only the columns the sentences need, not every column of a few
        # thousand employees, users and partners.
        employees = self.env["hr.employee"].browse({line.employee_id for line in lines.values()})
        employees.fetch(["name", "user_id", "work_contact_id"])
        employees.user_id.fetch(["lang"])
        employees.work_contact_id.fetch(["lang"])
        lang_of = {}
        facts = {}
        for employee in employees:
            lang_of[employee.id] = employee._everyone_sells_lang(fallback)
            facts[employee.id] = (employee.name, employee.user_id.id)
        explainers = {}
        sentences = {}
        for entry_id in self.ids:
            line = lines[entry_id]
            lang = lang_of.get(line.employee_id, fallback)
            explainer = explainers.get(lang)
            if explainer is None:
                explainer = explainers[lang] = _Explainer(self.with_context(lang=lang).env)
                explainer.know_employees(facts)
            sentences[entry_id] = explainer.line(line, lines)
        return sentences

    def _explanation_lines(self, ids):
        """{id: _Line} of the ledger lines ``ids``, read as plain values."""
        self.flush_model(_LINE_COLUMNS[1:])
        rows = self.env.execute_query(
            SQL(
                "SELECT %s FROM crm_contribution WHERE id = ANY(%s)",
                SQL(", ").join(SQL.identifier(column) for column in _LINE_COLUMNS),
                list(ids),
            )
        )
        return {row[0]: _Line(*row) for row in rows}

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

    @api.model_create_multi
    def create(self, vals_list):  # pylint: disable=method-required-super
        # One write path: the ORM's create checks access and fills the
        # defaults, then appends through _insert_entries like the crediting
        # job, with the same checks (no super(): its per-row INSERTs are the
        # path _insert_entries replaces).
        self.check_access("create")
        return self._insert_entries([self._add_missing_default_values(vals) for vals in vals_list])

    def write(self, vals):
        if set(vals) - WORKFLOW_FIELDS:
            raise UserError(
                self.env._(
                    "Ledger entries are never edited: write a correction (a reversal "
                    "or an adjustment) instead."
                )
            )
        if not is_in_workflow(self.env):
            raise UserError(
                self.env._(
                    "A credit moves only through its actions: Approve (by another "
                    "manager than its employee), then the payout that pays it. Its "
                    "status, approver and payout cannot be written directly."
                )
            )
        self._check_transition(vals)
        return super(CrmContribution, out_of_workflow(self)).write(vals)

    def _workflow(self):
        """These entries, allowed to move along the ledger's life (the addon's
        own approval and payment methods only)."""
        return in_workflow(self)

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

        Maker ≠ checker ≠ beneficiary, whoever calls: the approver is the
        acting user, never the credited employee, and never whoever caused
        the entry (its maker; for an adjustment on a dispute opened on an
        employee's behalf, also the manager who opened it). A credit and the
        reversal that cancels it are approved together: they settle
        together, a net zero never reaches payroll.
        """
        return self._approve()

    def action_approve_exception(self, reason):
        """Approve, as an administrator, entries they made or caused, in a
        company with no other approver (a pilot with one manager), with a
        written ``reason`` kept on each entry for the ledger audit. Never
        their own credit, whatever the reason."""
        if not self.env.user.has_group("crm_everyone_sells.group_admin"):
            raise UserError(
                self.env._(
                    "Only contribution administrators approve what they made, and only "
                    "when no other manager can."
                )
            )
        reason = (reason or "").strip() if isinstance(reason, str) else ""
        if not reason:
            raise UserError(
                self.env._(
                    "Write why you approve what you made yourself: the reason is kept on "
                    "the entry and listed by the ledger audit."
                )
            )
        return self._approve(exception_reason=reason)

    def _causers(self):
        """{entry id: the users whose act caused it}: its maker, and for an
        adjustment written on a dispute opened on the employee's behalf,
        the manager who opened it."""
        # sudo: who opened a dispute decides who may approve its adjustment,
        # whether or not the approver may read that dispute.
        disputes = (
            self.env["crm.contribution.dispute"]
            .sudo()
            .search_fetch([("adjustment_id", "in", self.ids)], ["adjustment_id", "opened_by_id"])
        )
        openers = defaultdict(lambda: self.env["res.users"])
        for dispute in disputes:
            openers[dispute.adjustment_id.id] |= dispute.opened_by_id
        # sudo: the maker is read whoever approves (a reversal's credit too).
        ledger = self.sudo()
        own = {entry.id: entry.maker_id | openers[entry.id] for entry in ledger}
        # A credit and its reversal are approved together: whoever caused
        # one may approve neither.
        causers = dict(own)
        for entry in ledger:
            for partner in entry.reversed_entry_id | entry.reversal_entry_ids:
                if partner.id in own:
                    causers[entry.id] = causers[entry.id] | own[partner.id]
        return causers

    def _other_approvers(self, entry, causers):
        """Who else could approve ``entry``: active contribution managers of
        its company, other than the acting user, its employee and whoever
        caused it."""
        # sudo: who holds the manager role is read to know if another exists.
        managers = self.env.ref("crm_everyone_sells.group_manager").sudo().users
        return managers.filtered(
            lambda user: (
                user.active
                and not user.share
                and entry.company_id in user.company_ids
                and user != self.env.user
                and user != entry.sudo().employee_id.user_id
                and user not in causers
            )
        )

    def _approve(self, exception_reason=None):
        if not self.env.user.has_group("crm_everyone_sells.group_manager"):
            raise UserError(self.env._("Only contribution managers approve credits."))
        self.check_access("read")
        entries = self._with_draft_partners()._lock_for_workflow()
        skipped = {}
        # sudo: whose credit it is, read whoever approves.
        mine = entries.browse(
            [entry.id for entry in entries.sudo() if entry.employee_id.user_id == self.env.user]
        )
        if mine:
            skipped[self.env._("your own credits: another manager approves them")] = mine
        not_draft = (entries - mine).filtered(lambda e: e.state != "draft")
        if not_draft:
            skipped[self.env._("already approved or paid")] = not_draft
        causers = (entries - mine - not_draft)._causers()
        made = (entries - mine - not_draft).filtered(lambda e: self.env.user in causers[e.id])
        exceptions = self.browse()
        if made and exception_reason:
            exceptions = made.filtered(lambda e: not self._other_approvers(e, causers[e.id]))
            if made - exceptions:
                skipped[
                    self.env._(
                        "made or caused by you, and another manager of the company can approve them"
                    )
                ] = made - exceptions
        elif made:
            skipped[
                self.env._(
                    "made or caused by you (entered, logged on someone's behalf, resolved, "
                    "handed off or set the contributors): another manager approves them"
                )
            ] = made
        to_approve = entries - mine - not_draft - made
        # Outside _(): Babel cannot extract a call holding an f-string.
        reasons = "; ".join(f"{reason} ({len(group)})" for reason, group in skipped.items())
        if not (to_approve or exceptions):
            raise UserError(self.env._("Nothing was approved: %(reasons)s.", reasons=reasons))
        approval = {
            "state": "approved",
            "approved_by_id": self.env.uid,
            "approved_date": fields.Datetime.now(),
        }
        # sudo: the ledger is written by the addon, never by a manager's
        # write; who may approve was checked above.
        if to_approve:
            to_approve.sudo()._workflow().write(approval)
        if exceptions:
            exceptions.sudo()._workflow().write(
                dict(approval, approval_exception_reason=exception_reason)
            )
        to_approve |= exceptions
        # The web client sends at most this many ids of a "select all" (Odoo's
        # web.active_ids_limit): a larger queue is approved in several clicks.
        limit = int(
            self.env["ir.config_parameter"].sudo().get_param("web.active_ids_limit", "20000")
        )
        capped = len(self) >= limit
        if not skipped and not capped:
            # The manager sees what their click did.
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "title": self.env._("%(count)s credit(s) approved", count=len(to_approve)),
                    "message": self.env._("They are paid with the payout of their period."),
                    "type": "success",
                    "next": {"type": "ir.actions.client", "tag": "soft_reload"},
                },
            }
        messages = []
        if skipped:
            messages.append(self.env._("Skipped: %(reasons)s.", reasons=reasons))
        if capped:
            messages.append(
                self.env._(
                    "Odoo acts on at most %(limit)s selected records at once: if you selected "
                    "more, the others are still waiting. Select them again to approve them.",
                    limit=limit,
                )
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("%(count)s credit(s) approved", count=len(to_approve)),
                "message": " ".join(messages),
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

    @api.model
    def _mark_paid(self, payout):
        """The payout ``payout`` was paid: the entries it pays (its
        _entries_of_lines_sql) are paid, in one UPDATE (called by the
        payout's action_done only). Only a confirmed payout pays, and each
        entry moves only from approved to paid: if any is not approved,
        none moves."""
        payout.ensure_one()
        if payout.state != "confirmed":
            raise UserError(self.env._("Only a confirmed payout pays its credits."))
        self.env.flush_all()
        # The UPDATE runs only when no entry is in another state; a
        # concurrent change of one of them fails this transaction (repeatable
        # read), which Odoo retries.
        [(wrong, _moved)] = self.env.execute_query(
            SQL(
                """
                WITH paid AS (%(paid)s), wrong AS (
                    SELECT entry.state
                      FROM paid JOIN crm_contribution entry ON entry.id = paid.entry_id
                     WHERE entry.state != 'approved'
                     LIMIT 1
                ), moved AS (
                    UPDATE crm_contribution entry
                       SET state = 'paid', write_uid = %(uid)s, write_date = %(now)s
                      FROM paid
                     WHERE entry.id = paid.entry_id
                       AND NOT EXISTS (SELECT 1 FROM wrong)
                 RETURNING entry.id
                )
                SELECT (SELECT state FROM wrong), (SELECT count(*) FROM moved)
                """,
                paid=payout._entries_of_lines_sql(),
                uid=self.env.uid,
                now=self.env.cr.now(),
            )
        )
        if wrong:
            raise UserError(
                self.env._(
                    "A credit cannot go from %(from)s to %(to)s.",
                    **{"from": wrong, "to": "paid"},
                )
            )
        self.invalidate_model(["state", "write_uid", "write_date"])

    @api.model
    def _payable_domain(self, company, date_to):
        """What a payout of ``company`` ending on ``date_to`` pays: approved
        entries in no payout yet, of events up to that day and payable by
        then (entries without a payable date are payable at once). The close
        wizard's preview and the payout's own SQL both read it."""
        return [
            ("company_id", "=", company.id),
            ("state", "=", "approved"),
            ("payout_id", "=", False),
            ("date", "<=", date_to),
            "|",
            ("payable_date", "=", False),
            ("payable_date", "<=", date_to),
        ]

    # ------------------------------------------------------------------
    # CREDITING ENGINE
    # ------------------------------------------------------------------

    @api.model
    def _company_tz(self, company=None):
        """The time zone that dates a company's events: its working calendar's,
        else the company's own, else UTC. Never the caller's ``tz`` context nor
        their preference: a credit's date is no one's choice."""
        # sudo: the company's calendar decides dates for every user, whatever
        # they may read of it.
        company = (company or self.env.company).sudo()
        return company.resource_calendar_id.tz or company.partner_id.tz or "UTC"

    @api.model
    def _event_date(self, value, company=None):
        """The company's calendar date of a moment the server recorded (a deal
        won at 08:00 in Tokyo counts for that day, not the previous one in
        UTC). Without ``value``: the company's today."""
        value = value or fields.Datetime.now()
        tz = self._company_tz(company)
        return fields.Datetime.context_timestamp(self.with_context(tz=tz), value).date()

    @api.model
    def _company_today(self, company=None):
        return self._event_date(fields.Datetime.now(), company)

    @api.model
    def _win_dates(self, leads):
        """{lead id: the date whose rules apply to its win}: the day the server
        observed it enter a won stage, in its company's time zone. A won deal
        the server never saw winning (created won, imported) has none unless
        Credit Past Wins credited it: then the date of its open credits, as the
        administrator chose it. Deals without either are left for Credit Past
        Wins. Never ``date_closed``: anyone who edits the deal can write it."""
        dates = {}
        unobserved = leads.browse()
        for lead in leads:
            if lead.everyone_sells_won_date:
                dates[lead.id] = self._event_date(lead.everyone_sells_won_date, lead.company_id)
            else:
                unobserved |= lead
        if unobserved:
            open_credits = self._open_credits_for(leads=unobserved)
            for key, entries in open_credits.grouped("credit_key").items():
                dates[int(key.rsplit(":", 1)[1])] = min(entries.mapped("date"))
        return dates

    @api.model
    def _won_events(self, leads, date=None, booked=None, backdate_reason=None, dates=None):
        """Credit events of won ``leads``. The rules in force on ``date``
        (Credit Past Wins) or on the observed win (``_win_dates``) apply; a
        deal with neither makes no event. The entries are dated ``date``, else
        on ``booked`` ({lead id: the moment the server observed the change}),
        else on the observed win."""
        if date:
            dates = dict.fromkeys(leads.ids, date)
        elif dates is None:
            dates = self._win_dates(leads)
        events = []
        for lead in leads:
            if lead.id not in dates:
                continue
            contributors = [
                Contributor(c.employee_id, c.department_id, c.weight, c.role)
                for c in lead.contributor_ids
            ]
            if not contributors:
                continue
            company = lead.company_id or self.env.company
            observed = (booked or {}).get(lead.id)
            events.append(
                CreditEvent(
                    trigger="won",
                    key=f"won:lead:{lead.id}",
                    company=company,
                    date=dates[lead.id],
                    booked=self._event_date(observed, company) if observed else None,
                    backdate_reason=backdate_reason,
                    basis=lead.expected_revenue,
                    contributors=contributors,
                    lead=lead,
                    partner=lead.partner_id,
                    team=lead.team_id,
                    channels=lead.signal_channel_id,
                    signal_types=lead.signal_ids.signal_type_id,
                    # sudo: who set the contributors is the system's record.
                    maker=lead.sudo().everyone_sells_contributors_by_id or None,
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
                date=self._event_date(signal[date_field], signal.company_id),
                basis=signal.estimated_revenue,
                contributors=[
                    Contributor(signal.employee_id, signal.department_id, 1.0, "originator")
                ],
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
    def _period_totals(self, rules, employees, dates, recomputed_keys=()):
        """What each (rule, employee, month) has already earned, in one query;
        without the events ``recomputed_keys``, whose credit is computed anew."""
        capped = [rule.id for rule in rules if rule.cap_per_period]
        if not capped or not dates:
            return {}
        start = min(dates).replace(day=1)
        end = max(dates)
        domain = [
            ("rule_id", "in", capped),
            ("employee_id", "in", employees.ids),
            ("date", ">=", start),
            ("date", "<=", end + timedelta(days=31)),
        ]
        if recomputed_keys:
            domain.append(("credit_key", "not in", list(recomputed_keys)))
        groups = self.sudo()._read_group(
            domain,
            ["rule_id", "employee_id", "date:month"],
            ["amount:sum"],
        )
        return {
            (rule.id, employee.id, (month.year, month.month)): total
            for rule, employee, month, total in groups
        }

    @api.model
    def _prepare_credits(self, events, open_credits=None, recompute=False):
        """Ledger values for ``events``: the matching rules, split and capped;
        what is in ``open_credits`` is skipped. With ``recompute``, the
        events' whole credit is computed anew, as if nothing were credited.

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
            {c.employee.id for event in events for c in event.contributors}
        )
        period_totals = self._period_totals(
            all_rules,
            employees,
            [event.booked or event.date for event in events],
            recomputed_keys={event.key for event in events} if recompute else (),
        )
        values = []
        for event in events:
            currency = event.company.currency_id
            digits = currency.decimal_places
            hold = event.company.everyone_sells_hold_days
            booked = event.booked or event.date
            # Credit Past Wins is the one way to date a credit before today;
            # its entries say who chose the date (the maker) and why.
            backdated = bool(event.backdate_reason) and booked < self._company_today(event.company)
            for rule in rules_by_key.get((event.company.id, event.trigger), []):
                if not self._rule_applies(rule, event):
                    continue
                contributors = event.contributors
                if rule.split_method == "originator":
                    contributors = [c for c in contributors if c.role == "originator"][:1]
                if not contributors:
                    continue
                weights = (
                    [1] * len(contributors)
                    if rule.split_method in ("equal", "originator")
                    else [c.weight for c in contributors]
                )
                if sum(weights) <= 0:
                    continue
                credit = rule._deal_credit(event.basis or 0, weights, digits)
                deal_capped = credit.capped
                for (employee, department, _w, _role), part, fraction in zip(
                    contributors, credit.parts, credit.shares, strict=True
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
                        month_key = (rule.id, employee.id, (booked.year, booked.month))
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
                            "date": booked,
                            "payable_date": booked + timedelta(days=hold),
                            "basis_amount": event.basis or 0,
                            "rate": rule.percentage if rule.compute_method == "percentage" else 0,
                            "share": float(fraction),
                            "points": points,
                            "amount": float(amount),
                            "wage_type": rule.wage_type,
                            "credit_key": event.key,
                            "deal_capped": deal_capped,
                            "period_capped": period_capped,
                            # Points alone are no money and need no
                            # approval: the system writes them by the rule.
                            "maker_id": (event.maker.id if event.maker else self.env.uid)
                            if amount
                            else SUPERUSER_ID,
                        }
                    )
                    if backdated:
                        values[-1]["backdate_reason"] = event.backdate_reason
        return values

    @api.model
    def _explain_values(self, values):
        """The sentences of ledger values not written (what a signal could
        earn), as the entries would say them."""
        texts = _Explainer(self.env)
        # sudo: the rules that matched are published; their figures are read
        # whoever asks (the engine read them already, as the system).
        rules = self.env["crm.contribution.rule"].sudo()
        return [
            texts.credit(
                rules.browse(vals["rule_id"]),
                self.env["hr.employee"].browse(vals["employee_id"]),
                self.env["res.company"].browse(vals["company_id"]).currency_id,
                basis=vals["basis_amount"],
                share=vals["share"],
                amount=vals["amount"],
                points=vals["points"],
                deal_capped=vals["deal_capped"],
                period_capped=vals["period_capped"],
            )
            for vals in values
        ]

    @api.model
    def _credit(self, events, reason=None, keys=None):
        """Write the credits ``events`` earn, in one pass.

        Without ``reason``, what is credited already stays as it is. With
        ``reason`` (a won deal that changed), the events' credit is computed
        anew: open credits of ``keys`` (default: the events') that no longer
        match are reversed for that reason, and the difference credited.
        """
        keys = [event.key for event in events] if keys is None else keys
        if not keys:
            return self.browse()
        # sudo: crediting is the system's act on an event; salespeople and
        # employees may not write the ledger themselves.
        ledger = self.sudo()
        existing = ledger.search_fetch(
            [
                ("credit_key", "in", keys),
                ("reversed_entry_id", "=", False),
                ("rule_id", "!=", False),
            ],
            ["credit_key", "employee_id", "rule_id", "credit_sequence", "amount", "is_reversed"],
        )
        open_credits = {}
        generations = defaultdict(int)
        for entry in existing:
            key = (entry.credit_key, entry.employee_id.id, entry.rule_id.id)
            generations[key] = max(generations[key], entry.credit_sequence + 1)
            if not entry.is_reversed:
                open_credits[key] = entry
        if reason is None:
            values = ledger._prepare_credits(events, open_credits)
        else:
            values = ledger._prepare_credits(events, recompute=True) if events else []
            wanted = {
                (vals["credit_key"], vals["employee_id"], vals["rule_id"]): vals["amount"]
                for vals in values
            }
            stale = {key for key, entry in open_credits.items() if wanted.get(key) != entry.amount}
            ledger._reverse(
                ledger.browse([open_credits[key].id for key in stale]), reason, reductions=False
            )
            values = [
                vals
                for vals in values
                if (vals["credit_key"], vals["employee_id"], vals["rule_id"]) not in open_credits
                or (vals["credit_key"], vals["employee_id"], vals["rule_id"]) in stale
            ]
        for vals in values:
            vals["credit_sequence"] = generations[
                vals["credit_key"], vals["employee_id"], vals["rule_id"]
            ]
        return ledger._insert_entries(values)

    @api.model
    def _reverse(self, entries, reason, reductions=True):
        """Cancel ``entries`` with negative, linked entries; ``reason`` is a
        code of REVERSAL_REASONS, said in the reader's language.

        A credit cancelled for good takes its reductions (negative
        adjustments) with it: a reduction of nothing would be owed back for
        money never paid. A credit reversed to be credited anew
        (``reductions=False``: its deal's revenue or contributors changed)
        keeps them: the dispute's decision still reduces the deal's credit."""
        entries = entries.sudo().filtered(lambda e: not e.is_reversed and not e.reversed_entry_id)
        if reductions and entries:
            entries |= self.sudo().search(
                [("reduced_entry_id", "in", entries.ids), ("is_reversed", "=", False)]
            )
        if not entries:
            return self.browse()
        # Dated the day the server reverses them, in the company's time zone.
        today = {company: self._company_today(company) for company in entries.company_id}
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
                "date": today[entry.company_id],
                "payable_date": entry._settling_date(),
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
                "reversal_reason": reason,
                # A published rule reverses: the system, not a person.
                "maker_id": SUPERUSER_ID,
            }
            for entry in entries
        ]
        return self.sudo()._insert_entries(values)

    def _settling_date(self):
        """The payable date of an entry that reduces this credit (its
        reversal, or a negative adjustment): reducing a credit not yet paid
        is no deduction from wages, it settles with its credit, on the
        credit's date, so the two net out in the same payout (see the
        payout's _take_entries); reducing a paid credit is a clawback,
        payable at once."""
        self.ensure_one()
        if self.state == "paid":
            return self._company_today(self.company_id)
        return self.payable_date or self.date

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
        """Append ledger lines in one INSERT, whatever their number: the one
        way lines enter the ledger (``create`` comes here too).

        The ORM's create makes the crediting job of a thousand deals about
        2.5 times slower (measured: 1.7-2.3 s against 4.2-6.2 s for 6,000
        lines). Ledger lines have no computed stored field, no tracking and
        no side effect to run, so one statement writes them all, after the
        checks the ORM would run: every line's employee, deal, signal and
        rule belong to its company, and the model's constraints
        (``_validate_fields``) hold; the database checks the rest. A sentence
        given at creation is a person's words (an adjustment's reason) and
        is kept as the line's note: credits and reversals store figures and
        are explained when read.
        """
        if not values:
            return self.browse()
        values = [
            {("note" if name == "explanation" else name): value for name, value in vals.items()}
            for vals in values
        ]
        # Whoever's act writes the entry is its maker unless the caller
        # (the addon's own code) names the person whose act caused it.
        for vals in values:
            vals.setdefault("maker_id", self.env.uid)
        self._check_company_of_values(values)
        columns = sorted({name for vals in values for name in vals})
        audit = ["create_uid", "create_date", "write_uid", "write_date"]
        stamp = [self.env.uid, self.env.cr.now(), self.env.uid, self.env.cr.now()]
        columns = sorted(set(columns) | {"state"})
        converters = [self._column_converter(self._fields[name]) for name in columns]
        rows = SQL(", ").join(
            SQL(
                "%s",
                tuple(
                    convert(
                        vals.get(name, self._default_state(vals))
                        if name == "state"
                        else vals.get(name)
                    )
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
        entries._validate_fields(columns)
        # What pointed at the ledger before (a deal's, a signal's or a
        # credit's lines) must be read again.
        self.invalidate_model(["reversal_entry_ids", "is_reversed"])
        self.env["crm.lead"].invalidate_model(["contribution_ids"])
        self.env["crm.signal"].invalidate_model(["contribution_ids"])
        return entries

    @api.model
    def _check_company_of_values(self, values):
        """What ``_check_company_auto`` checks on an ORM create: a line's
        employee, deal, signal and rule are of the line's company (or of
        none). Read from the records the engine has in its cache."""
        for fname in ("employee_id", "lead_id", "signal_id", "rule_id"):
            comodel = self.env[self._fields[fname].comodel_name].sudo()
            ids = {vals[fname] for vals in values if vals.get(fname)}
            companies = {record.id: record.company_id.id for record in comodel.browse(ids)}
            for vals in values:
                company = companies.get(vals.get(fname))
                if company and company != vals.get("company_id"):
                    raise ValidationError(
                        self.env._(
                            "A ledger line of %(company)s cannot point to %(record)s of "
                            "another company.",
                            company=self.env["res.company"].browse(vals.get("company_id")).name,
                            record=comodel.browse(vals[fname]).display_name,
                        )
                    )

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
    def _credit_won_leads(self, leads, date=None, backdate_reason=None):
        """Credit what won ``leads`` miss. With ``date`` (Credit Past Wins,
        an administrator's act), the rules in force on that date apply and the
        entries are dated on it, recording ``backdate_reason`` when that is
        in the past. The administrator who runs it is the maker of its
        credits, whoever set the deals' contributors."""
        events = self._won_events(leads, date=date, backdate_reason=backdate_reason)
        for event in events:
            event.maker = self.env.user
        return self._credit(events)

    @api.model
    def _reverse_credits(self, leads, reason):
        return self._reverse(self._open_credits_for(leads=leads), reason)

    @api.model
    def _recredit_changed_leads(self, leads, reason="revenue", observed=None):
        """Won deals (new, or whose revenue or contributors changed): credit
        what is missing, reverse what no longer matches and credit it again,
        so the ledger shows the difference. One pass per deal.

        The rules of the observed win apply (``_win_dates``); what is written
        is dated when the server observed the change (``observed``: {lead id:
        datetime}, the crediting queue's notes), never earlier: a correction
        waits in draft for a manager like any credit. A deal the server never
        saw winning and that Credit Past Wins did not credit is left alone."""
        dates = self._win_dates(leads)
        dated = leads.filtered(lambda lead: lead.id in dates)
        keys = [f"won:lead:{lead.id}" for lead in dated]
        return self._credit(
            self._won_events(dated, booked=observed, dates=dates), reason=reason, keys=keys
        )

    @api.model
    def _whatif_events(self, signal, employee, date):
        """The events a signal would go through on its way to a won deal."""
        common = {
            "company": signal.company_id or self.env.company,
            "date": date,
            "basis": signal.estimated_revenue,
            "contributors": [
                Contributor(
                    employee, signal.department_id or employee.department_id, 1.0, "originator"
                )
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


class AmountFormatter:
    """``format_amount`` in one language for many amounts: the language's and
    each currency's layout looked up once (a workbook shows ten thousand
    sentences, the crediting job notes a thousand deals)."""

    def __init__(self, env, lang=None):
        self.env = env
        self.lang = lang or env.lang or "en_US"
        self._layouts = {}

    def __call__(self, amount, currency):
        layout = self._layouts.get(currency.id)
        if layout is None:
            digits = currency.decimal_places
            layout = self._layouts[currency.id] = (
                format_amount(self.env, 1234567.0, currency, lang_code=self.lang),
                f"{1234567.0:,.{digits}f}",
                digits,
            )
        sample, reference, digits = layout
        rounded = round(float(amount), digits)
        if rounded < 0 or reference not in sample:
            # Other separators, or a sign: let Odoo lay it out.
            return format_amount(self.env, float(amount), currency, lang_code=self.lang)
        return sample.replace(reference, f"{rounded:,.{digits}f}")


# A ledger line's figures as its sentence needs them, read in one query for a
# workbook's ten thousand lines (see crm.contribution._explained_for_employees).
_LINE_COLUMNS = (
    "id",
    "employee_id",
    "company_id",
    "rule_id",
    "reversed_entry_id",
    "reversal_reason",
    "note",
    "basis_amount",
    "share",
    "amount",
    "points",
    "deal_capped",
    "period_capped",
)
_Line = namedtuple("_Line", _LINE_COLUMNS)

# What a sentence says of a rule, read once per rule.
_RuleFacts = namedtuple(
    "_RuleFacts", "compute_method rate fixed_amount cap_per_deal cap_per_period name"
)


class _Explainer:
    """One sentence per ledger line, written when it is read: from the
    entry's stored figures, in the reader's language. The entry's employee
    reads "your 67 % share"; anyone else "the 67 % share of 佐藤".

    The sentences' parts are translated once per explainer and filled in
    with ``%``, as ``_()`` fills them; rules, employees and currencies are
    read once each: a workbook writes ten thousand sentences."""

    def __init__(self, env):
        self.env = env
        self.lang = env.lang or "en_US"
        self.to_employee = env.context.get("everyone_sells_to_employee")
        self._money = AmountFormatter(env, self.lang)
        self._texts = None
        self._reasons = None
        self._rules = {}
        self._employees = {}
        self._currencies = {}

    @staticmethod
    def _templates(env):
        """The sentences' parts in ``env``'s language, not filled in yet."""
        return {
            "reversal": env._("Reversal (%(reason)s) of: %(original)s"),
            "percentage": env._("%(rate)s of %(basis)s"),
            "tiered": env._("the tiered rate on %(basis)s"),
            "fixed": env._("%(amount)s per event"),
            "yours": env._("%(base)s × your %(share)s share = %(amount)s — rule %(rule)s"),
            "theirs": env._(
                "%(base)s × the %(share)s share of %(employee)s = %(amount)s — rule %(rule)s"
            ),
            "deal_capped": env._(" (capped at %(cap)s per deal)"),
            "period_capped": env._(" (limited by the monthly cap of %(cap)s)"),
            "points": env._(", %(points)s points"),
            # A points-only rule pays no money: no "¥ 0 per event = ¥ 0".
            "yours_points": env._("%(points)s point(s), no money — rule %(rule)s"),
            "theirs_points": env._(
                "%(points)s point(s) for %(employee)s, no money — rule %(rule)s"
            ),
        }

    def _text(self, key, **values):
        """Part ``key`` filled with ``values``; a translation that does not
        fit its values falls back to the English, as ``_()`` does."""
        if self._texts is None:
            self._texts = self._templates(self.env)
        try:
            return self._texts[key] % values
        except (TypeError, ValueError, KeyError):
            _logger.exception("Bad translation %r (%s)", self._texts[key], self.lang)
            english = self._templates(self.env(context=dict(self.env.context, lang="en_US")))
            return english[key] % values

    def _reason(self, code):
        if self._reasons is None:
            self._reasons = self.reasons()
        return self._reasons.get(code, code or "")

    def _rule_facts(self, rule):
        facts = self._rules.get(rule.id)
        if facts is None:
            facts = self._rules[rule.id] = _RuleFacts(
                rule.compute_method,
                # Figures formatted outside _(): Babel cannot extract a call
                # holding an f-string.
                f"{rule.percentage:g} %",
                rule.fixed_amount,
                rule.cap_per_deal,
                rule.cap_per_period,
                rule.with_context(lang=self.lang).name,
            )
        return facts

    def _employee_facts(self, employee):
        """(name, user id) of ``employee``, read once."""
        facts = self._employees.get(employee.id)
        if facts is None:
            facts = self._employees[employee.id] = (employee.name, employee.user_id.id)
        return facts

    def know_employees(self, facts):
        """Take the employees' {id: (name, user id)} read by the caller."""
        self._employees.update(facts)

    def entry(self, entry):
        if entry.reversed_entry_id:
            return self._text(
                "reversal",
                reason=self._reason(entry.reversal_reason),
                original=self.entry(entry.reversed_entry_id),
            )
        if not entry.rule_id:
            return entry.note or ""
        return self.credit(
            # sudo: the rule that credited a line is part of its explanation,
            # even once it is unpublished or archived for its readers.
            entry.rule_id.sudo(),
            entry.employee_id,
            entry.currency_id,
            basis=entry.basis_amount,
            share=entry.share,
            amount=entry.amount,
            points=entry.points,
            deal_capped=entry.deal_capped,
            period_capped=entry.period_capped,
        )

    def line(self, line, lines):
        """``entry`` for a ledger line read as plain values (``_Line``);
        ``lines`` ({id: _Line}) holds the line it reverses."""
        if line.reversed_entry_id:
            return self._text(
                "reversal",
                reason=self._reason(line.reversal_reason),
                original=self.line(lines[line.reversed_entry_id], lines),
            )
        if not line.rule_id:
            return line.note or ""
        rule = self._rules.get(line.rule_id)
        if rule is None:
            # sudo: as in entry(), the rule is part of the line's explanation.
            rule = self._rule_facts(self.env["crm.contribution.rule"].sudo().browse(line.rule_id))
        currency = self._currencies.get(line.company_id)
        if currency is None:
            # sudo: the company's currency, as the related currency_id reads it.
            currency = self._currencies[line.company_id] = (
                self.env["res.company"].sudo().browse(line.company_id).currency_id
            )
        return self._sentence(
            rule,
            self._employee_facts(self.env["hr.employee"].browse(line.employee_id)),
            currency,
            basis=line.basis_amount or 0.0,
            share=line.share or 0.0,
            amount=line.amount or 0.0,
            points=line.points or 0.0,
            deal_capped=line.deal_capped,
            period_capped=line.period_capped,
        )

    def credit(self, rule, employee, currency, **figures):
        return self._sentence(
            self._rule_facts(rule), self._employee_facts(employee), currency, **figures
        )

    def _sentence(self, rule, employee, currency, **figures):
        money = lambda value: self._money(value, currency)  # noqa: E731
        share = f"{float(figures['share']) * 100:.0f} %"
        points = format_points(figures.get("points"))
        if rule.compute_method == "percentage":
            base = self._text("percentage", rate=rule.rate, basis=money(figures["basis"] or 0))
        elif rule.compute_method == "tiered":
            base = self._text("tiered", basis=money(figures["basis"] or 0))
        else:
            base = self._text("fixed", amount=money(rule.fixed_amount))
        name, user_id = employee
        yours = self.to_employee or (user_id and user_id == self.env.uid)
        points_only = rule.compute_method == "fixed" and not rule.fixed_amount
        if points_only and figures.get("points") and not figures["amount"]:
            if yours:
                return self._text("yours_points", points=points, rule=rule.name)
            return self._text("theirs_points", points=points, employee=name, rule=rule.name)
        if yours:
            sentence = self._text(
                "yours", base=base, share=share, amount=money(figures["amount"]), rule=rule.name
            )
        else:
            sentence = self._text(
                "theirs",
                base=base,
                share=share,
                employee=name,
                amount=money(figures["amount"]),
                rule=rule.name,
            )
        if figures.get("deal_capped"):
            sentence += self._text("deal_capped", cap=money(rule.cap_per_deal))
        if figures.get("period_capped"):
            sentence += self._text("period_capped", cap=money(rule.cap_per_period))
        if figures.get("points"):
            sentence += self._text("points", points=points)
        return sentence

    def reasons(self):
        env = self.env
        return {
            "lost": env._("the deal was lost or archived"),
            "reopened": env._("the deal left the won stage"),
            "revenue": env._("the deal's revenue changed"),
            "contributors": env._("the deal's contributors changed"),
            "declined": env._("the signal was declined"),
            "deleted": env._("the signal was deleted"),
        }
