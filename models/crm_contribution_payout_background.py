from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .payout_entry_table import PAYOUT_ENTRY_TABLE

# Set by the background job when it runs an action: do it now, here. An
# object, not a flag: a client's context can carry the key, never the object.
_IN_JOB_KEY = "everyone_sells_payout_job"
_IN_JOB = object()


class CrmContributionPayout(models.Model):
    """A large payout's Compute, Confirm or Mark as Paid runs as a background
    job (crm_everyone_sells_job_payout.py), as whoever pressed the button;
    while it waits or runs, the payout refuses to change (the model's guards
    call _check_no_background)."""

    _inherit = "crm.contribution.payout"

    background_job_id = fields.Many2one(
        "crm.everyone.sells.job",
        compute="_compute_background_job_id",
        help="A Compute, Confirm or Mark as Paid too large for one screen's request runs "
        "as a background job, as whoever pressed the button: the one waiting or "
        "running, else the last one.",
    )
    background_job_state = fields.Selection(
        lambda self: (
            self.env["crm.everyone.sells.job"]._fields["state"]._description_selection(self.env)
        ),
        string="Background Job Status",
        compute="_compute_background_job_id",
    )

    def _background_jobs(self, busy=False):
        """The payouts' jobs, latest first; ``busy``: those waiting or running."""
        # sudo: a job started by another administrator blocks the payout too;
        # whoever reads the payout sees that it is busy.
        Job = self.env["crm.everyone.sells.job"].sudo()
        domain = [("payout_id", "in", self._origin.ids), ("kind", "in", Job._payout_kinds())]
        if busy:
            domain.append(("state", "in", ("queued", "running")))
        return Job.search(domain, order="id desc")

    def _compute_background_job_id(self):
        jobs = self._background_jobs()
        # A job waiting or running first (a retried older one included), else the last.
        jobs = jobs.filtered(lambda job: job.state in ("queued", "running")) + jobs
        for payout in self:
            job = jobs.filtered(lambda job, payout=payout: job.payout_id == payout._origin)[:1]
            payout.background_job_id = job
            payout.background_job_state = job.state

    def _background_size(self, action):
        """How many entries ``action`` would handle: those Compute would take
        (approved, not taken, up to the period end), or those taken."""
        self.env.flush_all()
        if action in ("confirm", "done"):
            return sum(self._entry_counts().values())
        size = 0
        for payout in self:
            self.env.cr.execute(
                SQL(
                    """
                    SELECT count(*) FROM crm_contribution entry
                     WHERE company_id = %(company)s AND state = 'approved'
                       AND date <= %(date_to)s
                       AND NOT EXISTS (SELECT 1 FROM %(links)s link
                                        WHERE link.entry_id = entry.id
                                          AND link.payout_id != %(payout)s)
                    """,
                    company=payout.company_id.id,
                    date_to=payout.date_to,
                    links=SQL.identifier(PAYOUT_ENTRY_TABLE),
                    payout=payout.id,
                )
            )
            size += self.env.cr.fetchone()[0]
        return size

    def _check_no_background(self):
        busy = self._background_jobs(busy=True)[:1]
        if busy:
            raise UserError(
                self.env._(
                    "%(payout)s is being worked on in the background: wait for its "
                    "notification, then try again.",
                    payout=busy.payout_id.with_env(self.env).display_name,
                )
            )

    def _maybe_in_background(self, action):
        """Above the company's size, queue ``action`` as a background job for
        the current user and say so; return False to run it now. Only one at
        a time per payout."""
        if self.env.context.get(_IN_JOB_KEY) is _IN_JOB:
            return False
        self._check_no_background()
        threshold = min(self.company_id.mapped("everyone_sells_payout_background_size") or [0])
        if not threshold or self._background_size(action) <= threshold:
            return False
        Job = self.env["crm.everyone.sells.job"]
        notification = [
            Job._queue(f"payout_{action}", payout.company_id, {"payout_id": payout.id})
            for payout in self
        ][-1]
        self.invalidate_recordset(["background_job_id", "background_job_state"])
        # The form reads the payout again: it shows the job and hides the buttons.
        notification["params"]["next"] = {"type": "ir.actions.client", "tag": "soft_reload"}
        return notification

    def _run_in_job(self, action):
        """``action`` now, here: the background job's step, as its user."""
        return getattr(self.with_context(**{_IN_JOB_KEY: _IN_JOB}), f"action_{action}")()
