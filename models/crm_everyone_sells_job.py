import base64
import io
import zipfile
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.misc import clean_context

from .skip_locked import claim_row

# Deals credited per step: one step is one transaction, so a crash loses at
# most one batch of work, and the progress shows after each.
CREDIT_BATCH = 500
# Tries of one step that never ended (a worker killed at its time limit, a
# server restarted): after these, the job fails instead of blocking the queue.
MAX_ATTEMPTS = 3
# Statements printed per step: each is a wkhtmltopdf run of its own, so a
# step stays well inside the scheduled action's limits.
STATEMENT_BATCH = 50
# Days an ended job and its file are kept (the daily autovacuum removes them).
KEEP_DAYS = 30
KINDS = [
    ("credit_history", "Credit Past Wins"),
    ("evaluation_export", "Evaluation Export"),
    ("statements", "Payout Statements"),
    ("ledger_audit", "Ledger Audit"),
]


class CrmEveryoneSellsJob(models.Model):
    """Work too large for one screen's request: Credit Past Wins over many
    deals, the evaluation export over a long period. Queued by the wizards
    (never by hand: nobody may create or write a job), run by a scheduled
    action as the user who started it, in their language and company, so
    their access rights still decide what is read; they are notified when it
    ends and find the result here."""

    _name = "crm.everyone.sells.job"
    _description = "Everyone Sells Background Job"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    kind = fields.Selection(KINDS, required=True, readonly=True)
    state = fields.Selection(
        [("queued", "Queued"), ("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        default="queued",
        required=True,
        readonly=True,
        index=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Started By",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
        help="The job runs as this user, with their access rights, and notifies them.",
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    lead_ids = fields.Many2many(
        "crm.lead",
        "crm_everyone_sells_job_lead_rel",
        "job_id",
        "lead_id",
        string="Won Deals",
        readonly=True,
        help="Credit Past Wins: the deals to credit, in the order of their ids.",
    )
    credit_date = fields.Date(
        readonly=True, help="Credit Past Wins: the date the credits are booked on."
    )
    credit_reason = fields.Text(
        readonly=True,
        help="Credit Past Wins: why the administrator chose that date (kept on each credit "
        "dated in the past; the one who started the job is their maker).",
    )
    date_from = fields.Date(string="Period Start", readonly=True)
    date_to = fields.Date(string="Period End", readonly=True)
    department_ids = fields.Many2many(
        "hr.department",
        "crm_everyone_sells_job_department_rel",
        "job_id",
        "department_id",
        string="Departments",
        readonly=True,
        help="Evaluation export: only these departments (empty: every one the user may see).",
    )
    payout_id = fields.Many2one(
        "crm.contribution.payout",
        readonly=True,
        ondelete="cascade",
        help="Payout Statements: the payout whose statements are printed.",
    )
    progress_done = fields.Integer(
        string="Done",
        readonly=True,
        help="Deals credited so far, rows written, or statements printed.",
    )
    progress_total = fields.Integer(string="Total", readonly=True)
    progress = fields.Float(compute="_compute_progress", help="Percentage done.")
    attempts = fields.Integer(
        readonly=True,
        help="Tries of the current step that never ended; after three the job fails.",
    )
    date_started = fields.Datetime(readonly=True)
    date_done = fields.Datetime(
        string="Ended",
        readonly=True,
        help="Ended jobs are removed with their files 30 days after this date "
        "(the ledger entries a job credited stay).",
    )
    error = fields.Text(
        readonly=True, help="Why the job failed; nothing of the failed step is kept."
    )
    entry_ids = fields.Many2many(
        "crm.contribution",
        "crm_everyone_sells_job_entry_rel",
        "job_id",
        "entry_id",
        string="Credited Entries",
        readonly=True,
        help="Credit Past Wins: the ledger entries this job wrote.",
    )
    entry_count = fields.Integer(compute="_compute_entry_count")
    result_file = fields.Binary(
        string="Result",
        attachment=True,
        readonly=True,
        help="The evaluation workbook, or the statements' PDFs (one per department, "
        "in parts of 50) in a ZIP file.",
    )
    result_filename = fields.Char(readonly=True)

    @api.depends("progress_done", "progress_total", "state")
    def _compute_progress(self):
        for job in self:
            if job.state == "done":
                job.progress = 100.0
            elif job.progress_total:
                job.progress = min(100.0, 100.0 * job.progress_done / job.progress_total)
            else:
                job.progress = 0.0

    @api.depends("entry_ids")
    def _compute_entry_count(self):
        for job in self:
            job.entry_count = len(job.entry_ids)

    @api.depends("kind", "create_date")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for job in self:
            job.display_name = self.env._(
                "%(kind)s #%(number)s", kind=kinds.get(job.kind, ""), number=job.id or ""
            )

    @api.autovacuum
    def _gc_ended_jobs(self):
        """Odoo's daily clean-up: jobs ended more than ``KEEP_DAYS`` ago go,
        and their files with them (the workbook or the statements can be
        made again; the ledger lines a job credited stay)."""
        limit = fields.Datetime.now() - timedelta(days=KEEP_DAYS)
        # sudo: nobody may delete a job; this is the system's clean-up.
        ended = self.sudo().search([("state", "in", ("done", "failed")), ("date_done", "<", limit)])
        ended.unlink()
        return len(ended)

    # ------------------------------------------------------------------
    # QUEUE: from the wizards only
    # ------------------------------------------------------------------

    @api.model
    def _is_large(self, company, size):
        """Whether work over ``size`` ledger entries (or rows) is for the
        background, by the company's Background Job Size (0: never)."""
        threshold = company.everyone_sells_job_background_size
        return bool(threshold) and size > threshold

    @api.model
    def _queue(self, kind, company, values):
        """A job of ``kind`` for the current user in ``company``, woken at
        once; returns the notification the wizard shows."""
        if company not in self.env.companies:
            raise UserError(self.env._("Choose one of the companies you are working in."))
        # sudo: nobody may create or write a job (it runs as its user); the
        # wizard queues it for its own user, who was checked by the wizard.
        # clean_context: a caller's default_* keys must not fill the job.
        job = (
            self.with_env(self.env(context=clean_context(self.env.context)))
            .sudo()
            .create(
                {
                    **values,
                    "kind": kind,
                    "state": "queued",
                    "user_id": self.env.uid,
                    "company_id": company.id,
                    "progress_done": 0,
                    "error": False,
                    "entry_ids": False,
                    "result_file": False,
                }
            )
        )
        # sudo: whoever may queue a job may wake the system's job runner.
        self.env.ref("crm_everyone_sells.ir_cron_background_jobs").sudo()._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "title": self.env._("Running in the background"),
                "message": self.env._(
                    "This is large: it runs in the background. You will be notified when "
                    "it is done; %s shows where it is and its result."
                ),
                "links": [{"label": job.with_env(self.env).display_name, "url": job._url()}],
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _url(self):
        self.ensure_one()
        return f"/odoo/everyone-sells-jobs/{self.id}"

    def action_retry(self):
        """Queue a failed job again, from where it stopped (crediting is
        idempotent: a deal already credited is never credited twice)."""
        for job in self:
            if job.user_id != self.env.user or job.state != "failed":
                raise UserError(self.env._("Only the one who started a failed job retries it."))
        # sudo: jobs are written by the system; the user may only requeue their own.
        self.sudo().write({"state": "queued", "error": False})
        self.env.ref("crm_everyone_sells.ir_cron_background_jobs").sudo()._trigger()
        return True

    # ------------------------------------------------------------------
    # RESULT
    # ------------------------------------------------------------------

    def action_open_entries(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_everyone_sells.crm_contribution_action_all"
        )
        action["domain"] = [("id", "in", self.entry_ids.ids)]
        return action

    def _download_url(self):
        self.ensure_one()
        return (
            f"/web/content/{self._name}/{self.id}/result_file/{self.result_filename}?download=true"
        )

    def action_download(self):
        self.ensure_one()
        if not self.result_file:
            raise UserError(self.env._("This job has no file (yet)."))
        return {"type": "ir.actions.act_url", "url": self._download_url(), "target": "self"}

    # ------------------------------------------------------------------
    # RUN: one step per call of the scheduled action
    # ------------------------------------------------------------------

    @api.model
    def _cron_run(self):
        """Scheduled action: run one step of the oldest waiting job, in a
        transaction of its own, and say how many are left (Odoo 18's progress
        protocol runs it again while some are). SKIP LOCKED: two cron workers
        never run the same job at once; the lock dies with a dead worker, and
        the next step starts where the last committed one ended."""
        self.env.flush_all()
        # A cursor of its own: each step commits (its progress shows), and
        # the cron's own transaction never writes a row this one changed.
        with self.env.registry.cursor() as cr:
            row = claim_row(
                cr,
                SQL(
                    """
                    SELECT id FROM crm_everyone_sells_job
                     WHERE state IN ('queued', 'running')
                     ORDER BY id
                     LIMIT 1
                       FOR UPDATE SKIP LOCKED
                    """
                ),
            )
            if row:
                # sudo: the job's bookkeeping is the system's; its work runs
                # as its user (_worker_env).
                job = self.with_env(self.env(cr=cr)).sudo().browse(row[0])
                job._run_step()
                job.env.flush_all()
                # Its own cursor: the step and its progress are kept.
                cr.commit()  # pylint: disable=invalid-commit
            cr.execute(
                "SELECT count(*) FROM crm_everyone_sells_job WHERE state IN ('queued', 'running')"
            )
            remaining = cr.fetchone()[0]
        self.env.invalidate_all()
        self.env["ir.cron"]._notify_progress(done=1 if row else 0, remaining=remaining)

    def _worker_env(self):
        """The job's user, in their language and the job's company: their
        record rules decide what the work reads."""
        self.ensure_one()
        user = self.user_id
        if user._is_superuser():
            # sudo: the system's own jobs (the daily ledger audit, the weekly
            # word): nobody started them; each reads only what its work is
            # about (the weekly word reads a manager's backlog as the manager).
            return self.sudo().with_context(allowed_company_ids=self.company_id.ids).env
        if not user.active or self.company_id not in user.company_ids:
            raise UserError(
                self.with_context(lang=user.lang).env._(
                    "%(user)s may no longer work in this company.", user=user.name
                )
            )
        return (
            self.with_user(user)
            .with_context(
                lang=user.lang,
                tz=user.tz,
                allowed_company_ids=self.company_id.ids,
            )
            .env
        )

    def _run_step(self):
        self.ensure_one()
        if self.state == "queued":
            # A step of its own: the job shows Running, and since when, at once.
            self.write({"state": "running", "date_started": fields.Datetime.now()})
            return None
        if self.attempts >= MAX_ATTEMPTS:
            return self._end(
                self.with_context(lang=self.user_id.lang).env._(
                    "A step of this job was started %(count)s times and never ended (the "
                    "scheduled action's time limit, or a restart). Ask your administrator.",
                    count=self.attempts,
                )
            )
        # Counted in a transaction of its own, so that a step that never ends
        # is counted too; then the job is locked again for the step.
        self.attempts += 1
        self.env.flush_all()
        self.env.cr.commit()  # pylint: disable=invalid-commit
        locked = claim_row(
            self.env.cr,
            SQL(
                "SELECT id FROM crm_everyone_sells_job WHERE id = %s AND state = 'running' "
                "FOR UPDATE SKIP LOCKED",
                self.id,
            ),
        )
        if not locked:
            return None  # another worker took it meanwhile
        self.invalidate_recordset()
        error = False
        try:
            with self.env.cr.savepoint():
                worker = self._worker_env()
                finished = getattr(self, f"_step_{self.kind}")(worker)
                self.env.flush_all()
        except Exception as failure:  # any failure is the user's to see and retry
            self.env.invalidate_all()
            error = str(failure) or failure.__class__.__name__
            finished = True
        self.attempts = 0
        if finished:
            self._end(error)
        return None

    def _end(self, error):
        self.write(
            {
                "state": "failed" if error else "done",
                "error": error,
                "attempts": 0,
                "date_done": fields.Datetime.now(),
            }
        )
        self._notify_end(error)

    def _step_credit_history(self, worker):
        """Credit the next batch of deals; True once all are."""
        leads = self.lead_ids.sorted("id")
        self.progress_total = len(leads)
        batch = leads[self.progress_done : self.progress_done + CREDIT_BATCH]
        if batch:
            worker["crm.contribution.credit.history"]._check_may_credit()
            # As the user: a deal they may not read fails the job. A deal
            # lost since it was queued is no longer credited.
            batch = worker["crm.lead"].browse(batch.ids)
            won = batch._everyone_sells_won()
            # As the user who started the job: they are the entries' maker.
            entries = worker["crm.contribution"]._credit_won_leads(
                won, date=self.credit_date, backdate_reason=self.credit_reason
            )
            self.write(
                {
                    "progress_done": self.progress_done + len(batch),
                    "entry_ids": [Command.link(entry_id) for entry_id in entries.ids],
                }
            )
        return self.progress_done >= len(leads)

    def _step_evaluation_export(self, worker):
        """Write the whole workbook in one step, as the user."""
        export = worker["crm.contribution.evaluation.export"].create(
            {
                "company_id": self.company_id.id,
                "date_from": self.date_from,
                "date_to": self.date_to,
                "department_ids": [Command.set(self.department_ids.ids)],
            }
        )
        content, filename, rows = export._workbook()
        self.write(
            {
                "result_file": base64.b64encode(content),
                "result_filename": filename,
                "progress_done": rows,
                "progress_total": rows,
            }
        )
        return True

    def _step_statements(self, worker):
        """Print the next statements, as the user: the rest of the current
        department, 50 at most, as one PDF kept on the job; once all are
        printed, put the PDFs in one ZIP file. True once done."""
        # By department, then employee, as they are handed out.
        lines = worker["crm.contribution.payout.line"].search(
            [("payout_id", "=", self.payout_id.id)], order="department_id, employee_id, id"
        )
        self.progress_total = len(lines)
        remaining = lines[self.progress_done :]
        if remaining:
            department = remaining[0].department_id
            batch = remaining.filtered(lambda line: line.department_id == department)
            batch = batch[:STATEMENT_BATCH]
            report = worker["ir.actions.report"]
            pdf, _kind = report._render_qweb_pdf(
                "crm_everyone_sells.action_report_payout_statement", batch.ids
            )
            printed = lines[: self.progress_done].filtered(
                lambda line: line.department_id == department
            )
            part = len(printed) // STATEMENT_BATCH + 1
            name = department.name or worker._("No department")
            # sudo: the job's parts are the system's bookkeeping, on the job.
            self.env["ir.attachment"].sudo().create(
                {
                    "name": f"{self.progress_done + 1:06d} {name} {part:02d}.pdf",
                    "res_model": self._name,
                    "res_id": self.id,
                    "raw": pdf,
                    "mimetype": "application/pdf",
                }
            )
            self.progress_done += len(batch)
        if self.progress_done < len(lines):
            return False
        parts = self._statement_parts()
        stream = io.BytesIO()
        with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
            for attachment in parts:
                # The numbering orders the parts; the file says department and part.
                archive.writestr(attachment.name.split(" ", 1)[1], attachment.raw)
        parts.unlink()
        self.write(
            {
                "result_file": base64.b64encode(stream.getvalue()),
                "result_filename": f"statements_{self.payout_id.date_to:%Y_%m}.zip",
            }
        )
        return True

    def _statement_parts(self):
        # sudo: the parts are the job's own bookkeeping (see _step_statements).
        return (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "=", self.id),
                    ("res_field", "=", False),
                    ("mimetype", "=", "application/pdf"),
                ],
                order="name",
            )
        )

    def _step_ledger_audit(self, worker):
        """Audit the company's ledger in one step (set-based queries); the
        findings and the administrators' activity are the audit's."""
        new = worker["crm.contribution.audit.finding"]._run_audit(self.company_id)
        open_count = worker["crm.contribution.audit.finding"]._open_count(self.company_id)
        self.write({"progress_done": len(new), "progress_total": open_count})
        return True

    def _result_link(self):
        """Where the end's note leads when the job succeeded: (url, label)."""
        if self.kind == "evaluation_export":
            return self._download_url(), self.env._("Download the workbook")
        if self.kind == "statements":
            return self._download_url(), self.env._("Download the statements")
        return self._url(), self.env._("See the credited entries")

    def _notify_end(self, error):
        if self.user_id._is_superuser():
            # The system's jobs notify nobody by themselves: the audit's
            # findings reach the administrators as activities, a weekly word
            # is its own message.
            return
        job = self.with_context(lang=self.user_id.lang)
        name = job.display_name
        if error:
            body = job.env._("%(job)s failed: %(error)s", job=name, error=error)
        else:
            body = job.env._("%(job)s is done.", job=name)
        if error:
            link_url, link_label = self._url(), job.env._("Open the job")
        else:
            link_url, link_label = job._result_link()
        # A note on the job that notifies its starter (inbox or e-mail, as
        # they chose), with a link to the result; and a toast if online.
        self.message_post(
            body=Markup('%s <a href="%s">%s</a>') % (body, link_url, link_label),
            partner_ids=self.user_id.partner_id.ids,
            subtype_xmlid="mail.mt_note",
        )
        self.env["bus.bus"]._sendone(
            self.user_id.partner_id,
            "simple_notification",
            {"type": "danger" if error else "success", "message": body, "sticky": bool(error)},
        )
