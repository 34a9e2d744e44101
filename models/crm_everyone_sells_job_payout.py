from odoo import api, fields, models

# The payout's buttons that run as a job above the company's Background
# Payout Size: the job's kind, and the payout's action it runs.
PAYOUT_JOB_ACTIONS = {
    "payout_compute": "compute",
    "payout_confirm": "confirm",
    "payout_done": "done",
}


class CrmEveryoneSellsJob(models.Model):
    """A payout's Compute, Confirm or Mark as Paid, kinds of background job:
    queued by the payout's button for the user who pressed it (see the
    payout's _maybe_in_background), run in one step as that user, who is
    notified with a link to the payout. While such a job waits or runs, the
    payout cannot be computed, confirmed, paid, changed or cancelled."""

    _inherit = "crm.everyone.sells.job"

    kind = fields.Selection(
        selection_add=[
            ("payout_compute", "Payout Compute"),
            ("payout_confirm", "Payout Confirm"),
            ("payout_done", "Payout Mark as Paid"),
        ],
        ondelete=dict.fromkeys(PAYOUT_JOB_ACTIONS, "cascade"),
    )

    @api.model
    def _payout_kinds(self):
        return list(PAYOUT_JOB_ACTIONS)

    def _step_payout_compute(self, worker):
        return self._step_payout(worker)

    def _step_payout_confirm(self, worker):
        return self._step_payout(worker)

    def _step_payout_done(self, worker):
        return self._step_payout(worker)

    def _step_payout(self, worker):
        """The payout's button, as the job's user, in one step: a failure
        keeps nothing of it (the job's savepoint) and says why on the job."""
        payout = worker["crm.contribution.payout"].browse(self.payout_id.id)
        payout._run_in_job(PAYOUT_JOB_ACTIONS[self.kind])
        return True

    def _result_link(self):
        if self.kind in PAYOUT_JOB_ACTIONS:
            return (
                f"/odoo/crm.contribution.payout/{self.payout_id.id}",
                self.env._("Open the payout"),
            )
        return super()._result_link()

    def action_retry(self):
        """A payout's job is retried only while no other job works on it."""
        self.filtered(lambda job: job.kind in PAYOUT_JOB_ACTIONS).payout_id._check_no_background()
        return super().action_retry()
