import logging
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .skip_locked import claim

_logger = logging.getLogger(__name__)

# Leads processed per transaction of the crediting job. A thousand deals of
# six ledger lines each take about a second; the cron commits in between.
BATCH_SIZE = 1000
# Deals whose crediting failed before, retried one by one at each run.
RETRY_SIZE = 50

REASONS = [
    ("won", "Won"),
    ("lost", "Lost or archived"),
    ("reopened", "Left the won stage"),
    ("revenue", "Revenue changed"),
    ("contributors", "Contributors changed"),
]


class CrmContributionQueue(models.Model):
    """Deals whose credit must be brought up to date.

    Marking deals won (or lost, or changing a won deal's revenue or
    contributors) only notes the deal here, in the same transaction: the
    ledger lines are written right after, by the crediting job in a
    transaction of its own. Winning a thousand deals then costs the
    salesperson one insert, not six thousand ledger lines; and because the
    note commits with the deal, no credit is ever lost: the job credits
    whatever was committed, exactly once (the ledger's unique index).
    """

    _name = "crm.contribution.queue"
    _description = "Crediting Queue"
    _order = "id"
    # Rows live for seconds and are never edited: no audit columns (each is
    # one more foreign-key check per deal on a thousand-deal write).
    _log_access = False

    lead_id = fields.Many2one(
        "crm.lead",
        string="Opportunity",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    company_id = fields.Many2one(related="lead_id.company_id")
    user_id = fields.Many2one(
        "res.users",
        string="Changed By",
        readonly=True,
        ondelete="set null",
        help="Who won, lost or changed the deal: the job credits as them (they are the "
        "credit's maker).",
    )
    date = fields.Datetime(string="Noted On", readonly=True)
    reason = fields.Selection(
        REASONS,
        required=True,
        readonly=True,
        help="What happened to the deal. The job credits or reverses from the deal's "
        "state when it runs.",
    )
    error = fields.Text(
        readonly=True,
        help="Why the last attempt failed; the job tries again at its next run.",
    )

    # ------------------------------------------------------------------
    # ENQUEUE (inside the user's transaction)
    # ------------------------------------------------------------------

    @api.model
    def _enqueue(self, leads, reason=None):
        """Note ``leads`` for the crediting job, in one query, and wake it.
        Without ``reason``, each deal's state says it (won, lost or left the
        won stage): the job reads the state again when it runs."""
        if not leads:
            return
        reasons = (
            [reason] * len(leads)
            if reason
            else [
                "won" if lead.everyone_sells_is_won else "reopened" if lead.active else "lost"
                for lead in leads
            ]
        )
        cr = self.env.cr
        # One INSERT whatever the number of deals: the ORM would insert a
        # hundred rows per query and build a record for each; these rows
        # have no computed field or side effect.
        cr.execute(
            SQL(
                """
                INSERT INTO crm_contribution_queue (lead_id, reason, user_id, date)
                SELECT lead_id, reason, %(uid)s, %(now)s
                  FROM unnest(%(ids)s::int[], %(reasons)s::varchar[]) AS note(lead_id, reason)
                """,
                uid=self.env.uid,
                now=cr.now(),
                ids=list(leads.ids),
                reasons=reasons,
            )
        )
        self.invalidate_model()
        # sudo: any user winning a deal may wake the system's job.
        self.env.ref("crm_everyone_sells.ir_cron_crediting").sudo()._trigger()

    # ------------------------------------------------------------------
    # THE CREDITING JOB
    # ------------------------------------------------------------------

    @api.model
    def _cron_credit(self):
        """Scheduled action: one batch per transaction; the cron runs it
        again while deals remain (Odoo 18's progress protocol)."""
        done, remaining = self._process(limit=BATCH_SIZE)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    @api.model
    def _process(self, limit=None):
        """Credit (or reverse) the deals noted so far. Returns (deals done,
        notes left).

        The notes are locked with SKIP LOCKED: two runs at the same time
        share the work, never repeat it. A deal's latest note tells the
        reason; its state now tells what to do. Fresh notes go in one
        batch; a batch that fails is retried deal by deal, and the deals
        that failed before are retried deal by deal (at most
        ``RETRY_SIZE`` a run), so that one bad deal never holds the others
        nor slows every later batch down.
        """
        cr = self.env.cr
        claimed = claim(
            cr,
            *(
                SQL(
                    """
                    SELECT id, lead_id, reason, user_id, error, date
                      FROM crm_contribution_queue
                     WHERE %s
                     ORDER BY id
                     LIMIT %s
                       FOR UPDATE SKIP LOCKED
                    """,
                    condition,
                    size,
                )
                for condition, size in (
                    (SQL("error IS NULL"), limit),
                    (SQL("error IS NOT NULL"), RETRY_SIZE),
                )
            ),
        )
        if claimed is None:
            # Another worker credited notes this transaction still sees:
            # nothing done here; a fresh transaction takes what is left.
            return 0, self._count_waiting()
        rows = [row for found in claimed for row in found]
        if not rows:
            return 0, 0
        latest = {}  # lead id -> (reason, user id, noted on), the newest note wins
        for _id, lead_id, reason, uid, _error, noted in sorted(rows):
            latest[lead_id] = (reason, uid, noted)
        suspects = {row[1] for row in rows if row[4]}
        batch = {lead_id: note for lead_id, note in latest.items() if lead_id not in suspects}
        failed = {}
        if batch:
            try:
                with cr.savepoint():
                    self._reconcile(batch)
            except Exception:  # any failure: retry deal by deal below
                _logger.info("Crediting batch failed; retrying deal by deal", exc_info=True)
                self.env.invalidate_all()  # what the cache knew of the rolled-back batch
                failed = self._reconcile_one_by_one(batch)
        if suspects:
            failed.update(self._reconcile_one_by_one({lead: latest[lead] for lead in suspects}))
        done_ids = [row[0] for row in rows if row[1] not in failed]
        if done_ids:
            cr.execute(SQL("DELETE FROM crm_contribution_queue WHERE id = ANY(%s)", done_ids))
        for lead_id, message in failed.items():
            cr.execute(
                SQL(
                    "UPDATE crm_contribution_queue SET error = %s WHERE lead_id = %s "
                    "AND id = ANY(%s)",
                    message,
                    lead_id,
                    [row[0] for row in rows],
                )
            )
        self.invalidate_model()
        return len(latest) - len(failed), self._count_waiting()

    def _count_waiting(self):
        """Notes waiting for a first try (those that failed wait for the admin)."""
        self.env.cr.execute(SQL("SELECT count(*) FROM crm_contribution_queue WHERE error IS NULL"))
        return self.env.cr.fetchone()[0]

    def _reconcile_one_by_one(self, latest):
        failed = {}
        for lead_id, note in latest.items():
            try:
                with self.env.cr.savepoint():
                    self._reconcile({lead_id: note})
            except Exception as error:  # kept on the note for the admin
                _logger.warning("Crediting deal %s failed: %s", lead_id, error)
                failed[lead_id] = str(error) or error.__class__.__name__
            self.env.invalidate_all()
        return failed

    @api.model
    def _reconcile(self, latest):
        """Bring the ledger of the deals in ``latest`` ({lead id: (reason,
        user id, noted on)}) in line with their state: credit won deals (what
        is missing, and again where the revenue or the contributors changed),
        reverse the open credits of deals no longer won. What is credited is
        dated when the server noted the change, in the company's time zone;
        the rules of the observed win apply."""
        by_user = defaultdict(dict)
        observed = {}
        for lead_id, (reason, uid, noted) in latest.items():
            by_user[uid][lead_id] = reason
            observed[lead_id] = noted
        for uid, reasons in by_user.items():
            # As the user who changed the deals (their name stamps the lines:
            # the maker); sudo: the job acts for the system on deals whose
            # change that user already committed, and the ledger is written
            # by the system only.
            context = {
                key: value for key, value in self.env.context.items() if key not in ("tz", "lang")
            }
            env = self.env(user=uid or self.env.uid, su=True, context=context)
            ledger = env["crm.contribution"]
            leads = env["crm.lead"].with_context(active_test=False).browse(reasons).exists()
            won = leads._everyone_sells_won()
            gone = leads - won
            lost = gone.filtered(lambda lead: not lead.active)
            if lost:
                ledger._reverse_credits(lost, "lost")
            if gone - lost:
                ledger._reverse_credits(gone - lost, "reopened")
            # Won (or won again, or changed while won): what is credited
            # already is skipped, what no longer matches is reversed with
            # the reason the deal was noted for.
            contributors = won.filtered(
                lambda lead, reasons=reasons: reasons[lead.id] == "contributors"
            )
            credited = ledger
            if contributors:
                credited |= ledger._recredit_changed_leads(contributors, "contributors", observed)
            if won - contributors:
                credited |= ledger._recredit_changed_leads(won - contributors, "revenue", observed)
            env["crm.lead"]._everyone_sells_post_credit_summaries(credited)

    # ------------------------------------------------------------------
    # UI
    # ------------------------------------------------------------------

    def action_process_now(self):
        """Credit the waiting deals now, without waiting for the job."""
        if not self.env.user.has_group("crm_everyone_sells.group_admin"):
            raise UserError(self.env._("Only Everyone Sells administrators run the crediting job."))
        # sudo: the queue is the system's; the admin only asks it to run now.
        done, remaining = self.sudo()._process()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if not remaining else "warning",
                "message": self.env._(
                    "%(done)s deals credited; %(left)s left (see their errors).",
                    done=done,
                    left=remaining,
                )
                if remaining
                else self.env._("%(done)s deals credited.", done=done),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
