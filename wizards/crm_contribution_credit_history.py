from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class CrmContributionCreditHistory(models.TransientModel):
    """Credit Past Wins: the one way to date credits in the past.

    Deals that became won without the server seeing them win (created won,
    imported) are not credited by themselves; an administrator credits them
    here, choosing the date whose rules apply and saying why. Each entry
    written records the administrator as its maker and, when dated before
    today, the reason (``backdate_reason``)."""

    _name = "crm.contribution.credit.history"
    _description = "Credit Past Wins"

    lead_ids = fields.Many2many(
        "crm.lead",
        string="Won Deals",
        domain="[('type', '=', 'opportunity'), ('probability', '=', 100)]",
        default=lambda self: (
            [Command.set(self.env.context.get("active_ids", []))]
            if self.env.context.get("active_model") == "crm.lead"
            else False
        ),
        help="Past wins the server did not see win (created won or imported): see "
        "Past Wins to Credit.",
    )
    date = fields.Date(
        string="Credit Date",
        required=True,
        default=fields.Date.context_today,
        help="The date the credits are booked on; the rules in force on this date apply.",
    )
    # Required by action_apply (a clear error, nothing credited), and by the form.
    reason = fields.Text(
        help="Why the credits are dated this way (for example: wins of March imported "
        "from the old CRM). Kept on every entry dated in the past, with your name.",
    )
    credited_count = fields.Integer(readonly=True)

    @api.model
    def _check_may_credit(self):
        """Who may credit past wins: asked by the button, and again by the
        background job as the user who started it (rights may have changed)."""
        if not self.env.user.has_group("crm_everyone_sells.group_admin"):
            raise UserError(self.env._("Only contribution administrators credit past wins."))

    def _check_reason_and_date(self):
        if not (self.reason or "").strip():
            raise UserError(
                self.env._("Say why these wins are credited on this date: a reason is required.")
            )
        ledger = self.env["crm.contribution"]
        companies = self.lead_ids.company_id or self.env.company
        if any(self.date > ledger._company_today(company) for company in companies):
            raise UserError(self.env._("A past win cannot be credited on a future date."))

    def action_apply(self):
        self.ensure_one()
        self._check_may_credit()
        self._check_reason_and_date()
        not_won = self.lead_ids - self.lead_ids._everyone_sells_won()
        if not_won:
            raise UserError(
                self.env._(
                    "Only won deals can be credited; not won: %(deals)s.",
                    deals=", ".join(not_won.mapped("name")),
                )
            )
        background = self._maybe_in_background()
        if background:
            return background
        entries = self.env["crm.contribution"]._credit_won_leads(
            self.lead_ids, date=self.date, backdate_reason=self.reason.strip()
        )
        self.credited_count = len(entries)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_everyone_sells.crm_contribution_action_all"
        )
        action["domain"] = [("id", "in", entries.ids)]
        return action

    def _maybe_in_background(self):
        """Above the company's Background Job Size, counted in contributor
        lines of the chosen deals (each earns at least one ledger entry per
        rule that applies), queue a job and say so; False: credit now."""
        Job = self.env["crm.everyone.sells.job"]
        size = self.env["crm.lead.contributor"].search_count([("lead_id", "in", self.lead_ids.ids)])
        companies = self.lead_ids.company_id or self.env.company
        if not Job._is_large(companies[:1], size):
            return False
        if len(companies) > 1:
            raise UserError(
                self.env._(
                    "So many deals are credited in the background, one company at a time: "
                    "choose the deals of one company."
                )
            )
        return Job._queue(
            "credit_history",
            companies,
            {
                "lead_ids": [Command.set(self.lead_ids.ids)],
                "credit_date": self.date,
                "credit_reason": self.reason.strip(),
                "progress_total": len(self.lead_ids),
            },
        )

    @api.model
    def _credit_demo_wins(self):
        """Demo data: its historical wins (created won, never seen winning)
        credited as an administrator would, each on its closing day."""
        admin = self.env.ref("base.user_admin")
        leads = self.env["crm.lead"].search([("everyone_sells_past_win", "=", True)])
        for lead in leads:
            wizard = (
                self.with_user(admin)
                .with_context(tz=False)
                .create(
                    {
                        "lead_ids": [Command.set(lead.ids)],
                        "date": self.env["crm.contribution"]._event_date(
                            lead.date_closed, lead.company_id
                        ),
                        "reason": self.env._("Demo data: a win of the past months."),
                    }
                )
            )
            wizard.action_apply()
