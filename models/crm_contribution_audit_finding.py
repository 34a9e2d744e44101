from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_amount

from .ledger_audit import CHECKS, Scope
from .sql_tools import without_jit

# Findings listed in a refused confirmation; the audit screen has them all.
SHOWN_IN_ERROR = 10


class CrmContributionAuditFinding(models.Model):
    """What the ledger audit found: one row per broken invariant and entry.

    Written by the audit only (daily, as a background job); readable by the
    Contribution Administrators. A finding closes itself when a later run no
    longer finds it: the ledger is append-only, so what fixes it is a new
    entry (a reversal, a correction), never an edit of the finding."""

    _name = "crm.contribution.audit.finding"
    _description = "Ledger Audit Finding"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "state, date_found desc, id desc"
    _check_company_auto = True
    # Administrators read findings and may not write them: reading is enough
    # to note on one and to mark its to-do done.
    _mail_post_access = "read"

    check = fields.Selection(
        [(check.code, check.label) for check in CHECKS],
        required=True,
        readonly=True,
        index=True,
        help="The invariant of the ledger that does not hold.",
    )
    entry_id = fields.Many2one(
        "crm.contribution", string="Ledger Entry", readonly=True, index="btree_not_null"
    )
    employee_id = fields.Many2one(related="entry_id.employee_id")
    amount = fields.Monetary(related="entry_id.amount")
    currency_id = fields.Many2one(related="company_id.currency_id")
    payout_id = fields.Many2one("crm.contribution.payout", readonly=True, ondelete="set null")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    description = fields.Text(
        compute="_compute_description", help="What the invariant asks, in your language."
    )
    date_found = fields.Datetime(string="Found On", required=True, readonly=True)
    date_resolved = fields.Datetime(
        string="Resolved On", readonly=True, help="The first run that no longer found it."
    )
    state = fields.Selection(
        [("open", "Open"), ("resolved", "Resolved")],
        default="open",
        required=True,
        readonly=True,
        index=True,
    )

    @api.depends("check")
    @api.depends_context("lang")
    def _compute_description(self):
        texts = self._descriptions()
        for finding in self:
            finding.description = texts.get(finding.check, "")

    @api.model
    def _descriptions(self):
        """{check code: its description in the user's language}."""
        return {check.code: self.env._(check.description) for check in CHECKS}

    @api.depends("check", "entry_id")
    def _compute_display_name(self):
        labels = dict(self._fields["check"]._description_selection(self.env))
        for finding in self:
            finding.display_name = " – ".join(
                filter(None, [labels.get(finding.check), finding.entry_id.display_name])
            )

    # ------------------------------------------------------------------
    # THE CHECKS
    # ------------------------------------------------------------------

    @api.model
    def _audit_rows(self, companies=None, payouts=None):
        """{(check code, entry id, payout id): company id} of what breaks an
        invariant: in ``companies`` (every confirmed or paid payout of
        theirs), or in ``payouts`` only (their entries and lines)."""
        self.env.flush_all()
        scope = Scope(
            self.env,
            company_ids=companies.ids if companies else None,
            payout_ids=payouts.ids if payouts else None,
        )
        found = {}
        # Each check is planned on estimates far above its cost (a lookup
        # done for a few rows is costed for all): without JIT, which would
        # compile longer than the check runs.
        with without_jit(self.env.cr):
            for check in CHECKS:
                query = check.query(scope)
                if query is None:
                    continue
                for entry_id, payout_id, company_id in self.env.execute_query(query):
                    found[check.code, entry_id or False, payout_id or False] = company_id
            scope.close()
        return found

    @api.model
    def _check_payouts(self, payouts):
        """Refuse to go on when the entries or lines of ``payouts`` break an
        invariant (Confirm calls this), saying which and where."""
        found = self._audit_rows(payouts=payouts)
        if not found:
            return
        labels = dict(self._fields["check"]._description_selection(self.env))
        # sudo: the refusal names the entries of the payout the user confirms.
        entries = self.env["crm.contribution"].sudo()
        items = []
        for check, entry_id, _payout_id in sorted(found, key=lambda key: (key[0], key[1] or 0)):
            entry = entries.browse(entry_id)
            where = (
                self.env._(
                    "%(employee)s, entry #%(entry)s (%(amount)s)",
                    employee=entry.employee_id.name,
                    entry=entry.id,
                    amount=format_amount(self.env, entry.amount, entry.currency_id),
                )
                if entry
                else self.env._("a payout line without entries")
            )
            items.append(f"{labels[check]}: {where}")
        more = len(items) - SHOWN_IN_ERROR
        text = "\n".join(f"- {item}" for item in items[:SHOWN_IN_ERROR])
        if more > 0:
            text += "\n" + self.env._("…and %(count)s more.", count=more)
        raise UserError(
            self.env._(
                "The ledger audit refuses to confirm %(payouts)s: its entries break the "
                "ledger's rules.\n%(findings)s",
                payouts=", ".join(payouts.mapped("display_name")),
                findings=text,
            )
        )

    @api.model
    def _run_audit(self, companies):
        """Audit ``companies``: record what is new, close what is no longer
        found, and give the administrators an activity when something is
        new. Returns the new findings."""
        found = self._audit_rows(companies=companies)
        # sudo: findings are the audit's own records; nobody writes them.
        Finding = self.sudo()
        open_findings = Finding.search(
            [("state", "=", "open"), ("company_id", "in", companies.ids)]
        )
        known = {}
        for finding in open_findings:
            known[finding.check, finding.entry_id.id, finding.payout_id.id] = finding
        now = fields.Datetime.now()
        gone = open_findings.filtered(
            lambda f: (f.check, f.entry_id.id, f.payout_id.id) not in found
        )
        gone.write({"state": "resolved", "date_resolved": now})
        new = Finding.create(
            [
                {
                    "check": check,
                    "entry_id": entry_id,
                    "payout_id": payout_id,
                    "company_id": company_id,
                    "date_found": now,
                }
                for (check, entry_id, payout_id), company_id in found.items()
                if (check, entry_id, payout_id) not in known
            ]
        )
        if new:
            new._notify_administrators()
        return new

    def _notify_administrators(self):
        """One to-do per administrator of each company, on its first new
        finding, saying how many are new."""
        group = self.env.ref("crm_everyone_sells.group_admin")
        labels = dict(self._fields["check"]._description_selection(self.env))
        for company in self.company_id:
            findings = self.filtered(lambda f, company=company: f.company_id == company)
            admins = group.users.filtered(
                lambda user, company=company: (
                    user.active and not user.share and company in user.company_ids
                )
            )
            counts = {}
            for finding in findings:
                counts[finding.check] = counts.get(finding.check, 0) + 1
            for admin in admins:
                finding = findings[0].with_context(lang=admin.lang)
                note = Markup("<ul>%s</ul>") % Markup().join(
                    Markup("<li>%s: %s</li>") % (labels[check], count)
                    for check, count in counts.items()
                )
                finding.activity_schedule(
                    "mail.mail_activity_data_todo",
                    user_id=admin.id,
                    summary=finding.env._(
                        "Ledger audit: %(count)s new finding(s)", count=len(findings)
                    ),
                    note=note,
                )

    # ------------------------------------------------------------------
    # THE DAILY RUN: a background job per company
    # ------------------------------------------------------------------

    @api.model
    def _cron_queue_audit(self):
        """Scheduled action (daily): queue the ledger audit of each company
        as a background job, run as the system, unless one is waiting."""
        # sudo: jobs are the system's; the audit is the system's own job.
        Job = self.env["crm.everyone.sells.job"].sudo()
        waiting = Job.search(
            [("kind", "=", "ledger_audit"), ("state", "in", ("queued", "running"))]
        ).company_id
        companies = self.env["res.company"].sudo().search([("id", "not in", waiting.ids)])
        if companies:
            Job.create(
                [
                    {
                        "kind": "ledger_audit",
                        "user_id": self.env.ref("base.user_root").id,
                        "company_id": company.id,
                    }
                    for company in companies
                ]
            )
            self.env.ref("crm_everyone_sells.ir_cron_background_jobs").sudo()._trigger()
        return len(companies)

    @api.model
    def action_run_audit(self):
        """Run the audit now (the screen's button): queued like the daily run."""
        if not self.env.user.has_group("crm_everyone_sells.group_admin"):
            raise UserError(self.env._("Only contribution administrators run the ledger audit."))
        self._cron_queue_audit()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "title": self.env._("Ledger audit queued"),
                "message": self.env._(
                    "The audit runs in the background; this list shows what it finds."
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _open_count(self, companies):
        self.env.cr.execute(
            SQL(
                "SELECT count(*) FROM crm_contribution_audit_finding"
                " WHERE state = 'open' AND company_id = ANY(%s)",
                companies.ids,
            )
        )
        return self.env.cr.fetchone()[0]
