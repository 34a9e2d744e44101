from odoo import models


class CrmContribution(models.Model):
    """Approve All Matching on the credits' list: the list's search, not its
    selection (the web client sends at most ``web.active_ids_limit`` ids),
    approved in the background (models/crm_everyone_sells_job_approve.py)."""

    _inherit = "crm.contribution"

    def action_approve_matching(self, domain=None):
        """Queue the approval of every credit the list's search matches:
        ``domain``, or the ``active_domain`` the web client sends with a
        list's button. Whatever is selected does not matter."""
        if domain is None:
            domain = self.env.context.get("active_domain")
        return self.env["crm.everyone.sells.job"]._queue_approve_matching(domain)
