import json

import psycopg2
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression

# Credits examined per step: one step is one transaction, so a crash loses at
# most one batch, and the progress shows after each.
APPROVE_BATCH = 5000
# A search the web client sends is a few filters; anything far longer is
# not a list's search.
DOMAIN_CHARS = 20_000
# What a malformed search raises while Odoo reads it (an unknown field or
# operator, a value of the wrong type).
BAD_DOMAIN = (ValueError, TypeError, KeyError, IndexError, AssertionError, psycopg2.Error)


class CrmEveryoneSellsJob(models.Model):
    """Approve All Matching, a kind of background job: a Contribution
    Manager approves every credit their list's search matches, not only the
    ids the web client can send (at most ``web.active_ids_limit``). The
    search is client input: it only filters, as the manager, under their
    record rules, in the job's company, and only the credits that existed
    at the click (``approve_max_id``). Each batch is approved by
    ``crm.contribution._approve_what_may_be``, the Approve button's own
    rules (never the manager's own credits nor what they made or caused)."""

    _inherit = "crm.everyone.sells.job"

    kind = fields.Selection(
        selection_add=[("approve_matching", "Approve All Matching")],
        ondelete={"approve_matching": "cascade"},
    )
    approve_domain = fields.Text(
        string="List Search",
        readonly=True,
        help="Approve All Matching: the list's search when the manager clicked (JSON). It only "
        "filters what the manager may read.",
    )
    approve_max_id = fields.Integer(
        string="Last Entry at the Click",
        readonly=True,
        help="Approve All Matching: the last matching entry when the manager clicked; credits "
        "written later wait for another approval.",
    )
    approve_last_id = fields.Integer(
        string="Resume After",
        readonly=True,
        help="Approve All Matching: where the next step goes on from.",
    )
    approve_approved_count = fields.Integer(
        string="Credits Approved",
        readonly=True,
        help="Credits approved, with the reversals that cancel them.",
    )
    approve_own_count = fields.Integer(
        string="Skipped: Yours or Made by You",
        readonly=True,
        help="Credits of the manager who started the job, or made or caused by them: another "
        "manager approves them.",
    )
    approve_done_count = fields.Integer(
        string="Already Approved or Paid",
        readonly=True,
        help="Matching credits already approved or paid by the time the job reached them.",
    )

    # ------------------------------------------------------------------
    # QUEUE: from the credits' list
    # ------------------------------------------------------------------

    @api.model
    def _queue_approve_matching(self, domain):
        """Queue the approval of every credit ``domain`` matches for the
        current manager in the current company; returns the notification."""
        if not self.env.user.has_group("crm_everyone_sells.group_manager"):
            raise UserError(self.env._("Only contribution managers approve credits."))
        company = self.env.company
        domain = self._approve_matching_checked(domain)
        Entry = self.env["crm.contribution"]
        try:
            with self.env.cr.savepoint():
                scope = expression.AND([domain, [("company_id", "=", company.id)]])
                # The last matching entry now: credits written after the
                # click are not the manager's decision.
                last = Entry.search(scope, order="id desc", limit=1)
                scope = expression.AND([scope, [("id", "<=", last.id or 0)]])
                waiting = Entry.search_count(
                    expression.AND([scope, [("state", "=", "draft")]]), limit=1
                )
                total = Entry.search_count(scope)
        except BAD_DOMAIN as error:
            raise UserError(
                self.env._(
                    "This search cannot be read: clear the filters and search again, then "
                    "press Approve All Matching."
                )
            ) from error
        if not waiting:
            raise UserError(self.env._("No credit waiting for approval matches this search."))
        return self._queue(
            "approve_matching",
            company,
            {
                "approve_domain": json.dumps(domain),
                "approve_max_id": last.id,
                "approve_last_id": 0,
                "progress_total": total,
                "approve_approved_count": 0,
                "approve_own_count": 0,
                "approve_done_count": 0,
            },
        )

    @api.model
    def _approve_matching_checked(self, domain):
        """``domain`` as a list Odoo can read, or a clear error."""
        if not isinstance(domain, (list, tuple)):
            raise UserError(
                self.env._("Approve All Matching needs the search of the credits' list.")
            )
        try:
            text = json.dumps(list(domain))
        except (TypeError, ValueError) as error:
            raise UserError(
                self.env._("Approve All Matching needs the search of the credits' list.")
            ) from error
        if len(text) > DOMAIN_CHARS:
            raise UserError(
                self.env._("This search is too long: filter the credits with fewer conditions.")
            )
        return json.loads(text)

    # ------------------------------------------------------------------
    # RUN
    # ------------------------------------------------------------------

    def _step_approve_matching(self, worker):
        """Approve the next batch of matching credits, as the manager; True
        once every one up to the click's last entry was examined."""
        user = worker.user
        if not user.has_group("crm_everyone_sells.group_manager"):
            # Checked at each step: the job never outlives the manager's role.
            raise UserError(worker._("Only contribution managers approve credits."))
        domain = expression.AND(
            [
                json.loads(self.approve_domain),
                [
                    ("company_id", "=", self.company_id.id),
                    ("id", ">", self.approve_last_id),
                    ("id", "<=", self.approve_max_id),
                ],
            ]
        )
        batch = worker["crm.contribution"].search(domain, order="id", limit=APPROVE_BATCH)
        if not batch:
            return True
        approved, skipped = batch._approve_what_may_be()
        own = sum(len(skipped.get(code, ())) for code in ("mine", "made", "made_other_approver"))
        # A credit approved earlier by this job with its reversal (or the
        # other way round) is not counted twice.
        done = skipped.get("not_draft", batch.browse())
        done = done.filtered(
            lambda entry: (
                not (
                    entry.approved_by_id == user
                    and self.date_started
                    and entry.approved_date
                    and entry.approved_date >= self.date_started
                )
            )
        )
        self.write(
            {
                "approve_last_id": batch[-1].id,
                "progress_done": self.progress_done + len(batch),
                "approve_approved_count": self.approve_approved_count + len(approved),
                "approve_own_count": self.approve_own_count + own,
                "approve_done_count": self.approve_done_count + len(done),
            }
        )
        return len(batch) < APPROVE_BATCH

    def _notify_end(self, error):
        if self.kind != "approve_matching" or error:
            return super()._notify_end(error)
        job = self.with_context(lang=self.user_id.lang)
        body = job.env._(
            "%(job)s is done: %(approved)s approved; %(own)s skipped, yours or made by you "
            "(another manager approves them); %(done)s already approved or paid.",
            job=job.display_name,
            approved=self.approve_approved_count,
            own=self.approve_own_count,
            done=self.approve_done_count,
        )
        self.message_post(
            body=Markup('%s <a href="%s">%s</a>') % (body, self._url(), job.env._("Open the job")),
            partner_ids=self.user_id.partner_id.ids,
            subtype_xmlid="mail.mt_note",
        )
        self.env["bus.bus"]._sendone(
            self.user_id.partner_id,
            "simple_notification",
            {"type": "success", "message": body, "sticky": bool(self.approve_own_count)},
        )
        return None
