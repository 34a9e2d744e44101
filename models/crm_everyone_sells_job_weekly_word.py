from datetime import datetime, time, timedelta

from odoo import SUPERUSER_ID, api, fields, models
from odoo.tools import format_amount

# Employees written to per step of the job: one step is one transaction.
WORD_BATCH = 200


class CrmEveryoneSellsJob(models.Model):
    """The weekly word, a kind of background job: every week, one job per
    company writes to each employee whose signals moved (what each became,
    what they earned) and to each Contribution Manager with credits waiting
    for approval, in their language, through Discuss or e-mail as they chose
    in Odoo. The job model gives it its steps, retries and resume point; it
    is the system's work (nobody started it), so it runs as the system and
    tells nobody when it ends (a failure stays on the job for
    administrators)."""

    _inherit = "crm.everyone.sells.job"

    kind = fields.Selection(
        selection_add=[("weekly_word", "Weekly Word")], ondelete={"weekly_word": "cascade"}
    )

    @api.model
    def _cron_queue_weekly_word(self, date_to=None, companies=None):
        """Scheduled action (weekly): a weekly-word job per company for the
        seven days ending yesterday (or ``date_to``), once per week and
        company."""
        date_to = date_to or fields.Date.context_today(self) - timedelta(days=1)
        date_from = date_to - timedelta(days=6)
        # sudo: the weekly word is the system's work for every company.
        Job = self.sudo()
        done = Job.search([("kind", "=", "weekly_word"), ("date_to", "=", date_to)]).company_id
        if companies is None:
            companies = self.env["res.company"].sudo().search([("id", "not in", done.ids)])
        companies -= done
        jobs = Job.create(
            [
                {
                    "kind": "weekly_word",
                    "state": "queued",
                    "user_id": SUPERUSER_ID,
                    "company_id": company.id,
                    "date_from": date_from,
                    "date_to": date_to,
                }
                for company in companies
            ]
        )
        if jobs:
            self.env.ref("crm_everyone_sells.ir_cron_background_jobs").sudo()._trigger()
        return jobs

    def _step_weekly_word(self, worker):
        readers = self._weekly_word_readers(worker)
        self.progress_total = len(readers)
        for user in readers[self.progress_done : self.progress_done + WORD_BATCH]:
            self._send_weekly_word(worker, user)
        self.progress_done = min(len(readers), self.progress_done + WORD_BATCH)
        return self.progress_done >= len(readers)

    def _weekly_word_period(self):
        """The week as datetimes (UTC, naive), for create and write dates."""
        start = datetime.combine(self.date_from, time.min)
        return start, datetime.combine(self.date_to + timedelta(days=1), time.min)

    def _weekly_word_readers(self, worker):
        """Who gets a word, in a stable order: users of the company who did
        not opt out, with signals that moved or credits this week, or
        managers with credits waiting."""
        start, end = self._weekly_word_period()
        company = self.company_id
        moved = worker["crm.signal"].search(
            [
                ("company_id", "=", company.id),
                ("write_date", ">=", start),
                ("write_date", "<", end),
            ]
        )
        credited = worker["crm.contribution"].search(
            [
                ("company_id", "=", company.id),
                ("date", ">=", self.date_from),
                ("date", "<=", self.date_to),
            ]
        )
        users = (moved.employee_id | credited.employee_id).user_id
        managers = worker.ref("crm_everyone_sells.group_manager").users.filtered(
            lambda user: company in user.company_ids
        )
        if worker["crm.contribution"].search_count(
            [("company_id", "=", company.id), ("state", "=", "draft")], limit=1
        ):
            users |= managers
        return users.filtered(
            lambda user: (
                user.active
                and user._is_internal()
                and user.everyone_sells_weekly_word
                and company in user.company_ids
            )
        ).sorted("id")

    def _weekly_word_values(self, worker, user):
        """What the word says to ``user``, read in their language; None when
        there is nothing to say."""
        start, end = self._weekly_word_period()
        company = self.company_id
        env = worker["crm.signal"].with_context(lang=user.lang or "en_US").env
        employees = user.employee_ids.filtered(lambda employee: employee.company_id == company)
        signals = env["crm.signal"].search(
            [
                ("employee_id", "in", employees.ids),
                ("write_date", ">=", start),
                ("write_date", "<", end),
            ],
            order="write_date desc, id desc",
        )
        states = dict(signals._fields["state"]._description_selection(env))
        reasons = dict(signals._fields["decline_reason"]._description_selection(env))
        base_url = company.get_base_url()
        rows = []
        for signal in signals:
            detail = False
            if signal.state == "declined":
                detail = " — ".join(
                    filter(None, [reasons.get(signal.decline_reason), signal.decline_note])
                )
            elif signal.state == "resolved":
                detail = signal.resolution
            elif signal.lead_id:
                detail = signal.lead_id.name
            rows.append(
                {
                    "name": signal.name,
                    "state": states.get(signal.state, signal.state),
                    "detail": detail,
                    "url": f"{base_url}/odoo/crm.signal/{signal.id}",
                }
            )
        entries = env["crm.contribution"].search(
            [
                ("employee_id", "in", employees.ids),
                ("date", ">=", self.date_from),
                ("date", "<=", self.date_to),
            ]
        )
        backlog = env["crm.contribution"]
        if user.has_group("crm_everyone_sells.group_manager"):
            # As the manager: their record rules decide what waits for them.
            backlog = (
                env["crm.contribution"]
                .with_user(user)
                .search(
                    [
                        ("company_id", "=", company.id),
                        ("state", "=", "draft"),
                        ("employee_id.user_id", "!=", user.id),
                    ]
                )
            )
        if not (rows or entries or backlog):
            return None
        currency = company.currency_id
        return {
            "greeting": env._("Hello %(name)s,", name=user.name),
            "user": user,
            "company": company,
            "date_from": self.date_from,
            "date_to": self.date_to,
            "signals": rows,
            "credit_count": len(entries),
            "credit_points": f"{sum(entries.mapped('points')):g}",
            "credit_amount": format_amount(env, sum(entries.mapped("amount")), currency),
            "backlog_count": len(backlog),
            "backlog_amount": format_amount(env, sum(backlog.sudo().mapped("amount")), currency),
            "approval_url": f"{base_url}/odoo/action-crm_everyone_sells."
            "crm_contribution_action_approval",
        }

    def _send_weekly_word(self, worker, user):
        values = self._weekly_word_values(worker, user)
        if not values:
            return False
        lang = user.lang or "en_US"
        env = worker["ir.qweb"].with_context(lang=lang).env
        body = env["ir.qweb"]._render("crm_everyone_sells.weekly_word", values)
        env["mail.thread"].message_notify(
            partner_ids=user.partner_id.ids,
            subject=env._("Your week in Everyone Sells"),
            body=body,
            model=False,
            res_id=False,
        )
        return True
