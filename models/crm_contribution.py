"""The contribution ledger: its lines, their indexes, the append-only guard,
and the life of a line (approval, payment).

The model is reopened once per concern (``_inherit = "crm.contribution"``):
the crediting engine that writes lines in ``crm_contribution_crediting.py``,
the sentences that explain them in ``crm_contribution_explanation.py``.
"""

from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, Query

from .boolean_search import searched_true
from .payout_entry_table import PAYOUT_ENTRY_TABLE, init_payout_entry_table
from .server_switches import in_workflow, is_in_workflow, out_of_workflow

# What may still change on an entry once written: its workflow, never its figures.
WORKFLOW_FIELDS = {
    "state",
    "approved_by_id",
    "approved_date",
    "approval_exception_reason",
    "payout_id",
}

# The ledger's life: draft → approved (action_approve), written on the
# entry; approved → paid is read from the payout once it is marked paid
# (crm_contribution_state.py), never written. Nothing else, whoever calls.
LEDGER_TRANSITIONS = {("draft", "approved")}

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
    ("deleted", "Signal deleted"),
]


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
        it, not every credit waiting.
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
        approved, skipped = self._approve_what_may_be(exception_reason)
        texts = {
            "mine": self.env._("your own credits: another manager approves them"),
            "not_draft": self.env._("already approved or paid"),
            "made_other_approver": self.env._(
                "made or caused by you, and another manager of the company can approve them"
            ),
            "made": self.env._(
                "made or caused by you (entered, logged on someone's behalf, resolved, "
                "handed off or set the contributors): another manager approves them"
            ),
        }
        # Outside _(): Babel cannot extract a call holding an f-string.
        reasons = "; ".join(f"{texts[code]} ({len(group)})" for code, group in skipped.items())
        if not approved:
            raise UserError(self.env._("Nothing was approved: %(reasons)s.", reasons=reasons))
        # The manager sees what their click did.
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("%(count)s credit(s) approved", count=len(approved)),
                "message": self.env._("Skipped: %(reasons)s.", reasons=reasons)
                if skipped
                else self.env._("They are paid with the payout of their period."),
                "type": "warning" if skipped else "success",
                "sticky": bool(skipped),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _approve_what_may_be(self, exception_reason=None):
        """Approve, as the acting manager, what of these entries may be
        approved; return the approved entries and {reason code: entries
        skipped} ("mine", "not_draft", "made", "made_other_approver"), for
        the click's notification or the background job's counts."""
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
            skipped["mine"] = mine
        not_draft = (entries - mine).filtered(lambda e: e.state != "draft")
        if not_draft:
            skipped["not_draft"] = not_draft
        causers = (entries - mine - not_draft)._causers()
        made = (entries - mine - not_draft).filtered(lambda e: self.env.user in causers[e.id])
        exceptions = self.browse()
        if made and exception_reason:
            exceptions = made.filtered(lambda e: not self._other_approvers(e, causers[e.id]))
            if made - exceptions:
                skipped["made_other_approver"] = made - exceptions
        elif made:
            skipped["made"] = made
        to_approve = entries - mine - not_draft - made
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
        return to_approve | exceptions, skipped

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
        serialization error (Odoo retries) instead of acting on stale rows.
        Their payouts are locked too (shared): paid is the payout's state
        (crm_contribution_state.py), which Mark as Paid writes."""
        if self.ids:
            self.env.cr.execute(
                SQL(
                    """
                    SELECT id FROM crm_contribution WHERE id IN %(ids)s ORDER BY id FOR UPDATE;
                    SELECT id FROM crm_contribution_payout
                     WHERE id IN (SELECT payout_id FROM %(links)s WHERE entry_id IN %(ids)s)
                     ORDER BY id FOR SHARE;
                    """,
                    ids=tuple(self.ids),
                    links=SQL.identifier(PAYOUT_ENTRY_TABLE),
                )
            )
            self.invalidate_recordset(["state", "payout_id", "approved_by_id"])
        return self

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
