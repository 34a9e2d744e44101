import base64
import io
import tempfile

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..core.payroll_file import ColumnSpec
from ..core.wage import last_complete_period, payday_after, period_end_of
from ..core.xlsx import write_workbook
from .crm_contribution_payout_line import HOURS_TEMPLATE_COLUMNS
from .payout_entry_table import PAYOUT_ENTRY_TABLE, pays_sql
from .server_switches import in_workflow, is_in_workflow, out_of_workflow

# What may still be written on a confirmed or paid payout: the workbook it
# exports. Everything else is a wage record.
EXPORT_FIELDS = {"xlsx_file", "xlsx_filename", "export_lang"}
# Read from the payout's background job (crm_contribution_payout_background.py):
# never written through the payout.
BACKGROUND_FIELDS = {"background_job_id", "background_job_state"}
# Statements printed in the click; more are printed by a background job.
STATEMENTS_AT_ONCE = 20

# Moved only by the payout's own actions (Compute, Confirm, Mark as Paid,
# Cancel, Reset to Draft, a line's deletion): never given by a caller.
WORKFLOW_ONLY_FIELDS = {"state", "removed_employee_ids"}


def _default_period(model):
    """The last complete wage period of the user's company."""
    return last_complete_period(
        fields.Date.context_today(model), model.env.company.everyone_sells_closing_day
    )


class CrmContributionPayout(models.Model):
    _name = "crm.contribution.payout"
    _description = "Contribution Payout"
    _inherit = ["mail.thread"]
    _order = "date_from desc, id desc"
    _check_company_auto = True
    # The database itself refuses two live payouts of a company over the same
    # days, even from two transactions at once (which the Python check below
    # cannot see): the second waits for the first and fails if it commits.
    # Ranges have GiST support built in: no extension needed.
    _sql_constraints = [
        (
            "no_overlap",
            """EXCLUDE USING gist (
                   int4range(company_id, company_id, '[]') WITH &&,
                   daterange(LEAST(date_from, date_to), GREATEST(date_from, date_to), '[]')
                       WITH &&
               ) WHERE (state != 'cancel')""",
            "Another payout of this company already covers part of this period. "
            "Cancel it first, or choose another period.",
        ),
    ]

    name = fields.Char(
        required=True,
        tracking=True,
        compute="_compute_name",
        store=True,
        readonly=False,
        precompute=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    # The default reaches the form when the company field is hidden (a
    # single-company database): the form then sends no company to compute from.
    currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_currency_id",
        default=lambda self: self.env.company.currency_id,
    )
    date_from = fields.Date(
        string="Period Start",
        required=True,
        default=lambda self: _default_period(self)[0],
        tracking=True,
    )
    date_to = fields.Date(
        string="Period End",
        required=True,
        default=lambda self: _default_period(self)[1],
        tracking=True,
        help="Approved credits dated up to this day and payable by then are paid "
        "in this run; a later approval is paid in the next one.",
    )
    payment_date = fields.Date(
        required=True,
        compute="_compute_payment_date",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="The regular payday the incentive is paid on, with the salary.",
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("confirmed", "Confirmed"),
            ("done", "Paid"),
            ("cancel", "Cancelled"),
        ],
        default="draft",
        required=True,
        tracking=True,
        index=True,
        copy=False,
    )
    removed_employee_ids = fields.Many2many(
        "hr.employee",
        relation="crm_contribution_payout_removed_employee_rel",
        string="Lines Removed",
        readonly=True,
        copy=False,
        help="Employees whose line was deleted since the last Compute: their credits went "
        "back to the pool. Compute again before confirming.",
    )
    line_ids = fields.One2many("crm.contribution.payout.line", "payout_id", string="Lines")
    entry_ids = fields.One2many(
        "crm.contribution",
        compute="_compute_entry_ids",
        string="Entries",
        help="The ledger entries this payout pays (taken by Compute, never edited).",
    )
    entry_count = fields.Integer(compute="_compute_totals")
    incentive_total = fields.Monetary(compute="_compute_totals")
    award_total = fields.Monetary(compute="_compute_totals")
    premium_total = fields.Monetary(string="Overtime Premium Total", compute="_compute_totals")
    payable_total = fields.Monetary(compute="_compute_totals")
    outstanding_total = fields.Monetary(compute="_compute_totals")
    warning_count = fields.Integer(compute="_compute_totals")
    export_lang = fields.Selection(
        [("ja_JP", "Japanese"), ("en_US", "English")],
        string="Workbook Language",
        default=lambda self: "ja_JP" if (self.env.lang or "").startswith("ja") else "en_US",
        required=True,
    )
    xlsx_file = fields.Binary(string="Payroll Workbook", attachment=True, readonly=True)
    xlsx_filename = fields.Char(readonly=True)

    @api.depends("date_from", "date_to")
    def _compute_name(self):
        for payout in self:
            if payout.date_to:
                # Named after the month its wage period closes in (11月度).
                payout.name = self.env._(
                    "Contribution payout %(month)s", month=payout.date_to.strftime("%Y-%m")
                )

    @api.depends("company_id")
    def _compute_currency_id(self):
        # The company field is hidden in a single-company database: a new
        # payout shows the environment's currency before it is saved.
        for payout in self:
            payout.currency_id = (payout.company_id or self.env.company).currency_id

    @api.depends("date_to", "company_id")
    def _compute_payment_date(self):
        for payout in self:
            if payout.date_to:
                company = payout.company_id or self.env.company
                payout.payment_date = payday_after(
                    company.everyone_sells_payment_day, payout.date_to
                )

    @api.depends("line_ids.payable_amount", "line_ids.warning", "entry_ids")
    def _compute_entry_ids(self):
        for payout in self:
            payout.entry_ids = self.env["crm.contribution"].search(
                [("payout_id", "=", payout.id)] if payout.id else [("id", "=", False)]
            )

    def _entry_counts(self):
        """{payout id: number of entries taken}, in one query."""
        if not self.ids:
            return {}
        self.env.cr.execute(
            SQL(
                "SELECT payout_id, count(*) FROM %s WHERE payout_id = ANY(%s) GROUP BY payout_id",
                SQL.identifier(PAYOUT_ENTRY_TABLE),
                list(self.ids),
            )
        )
        return dict(self.env.cr.fetchall())

    def _compute_totals(self):
        counts = self._entry_counts()
        for payout in self:
            lines = payout.line_ids
            payout.entry_count = counts.get(payout.id, 0)
            payout.incentive_total = sum(lines.mapped("incentive_amount"))
            payout.award_total = sum(lines.mapped("award_amount"))
            payout.premium_total = sum(lines.mapped("overtime_premium_amount"))
            payout.payable_total = sum(lines.mapped("payable_amount"))
            payout.outstanding_total = sum(lines.mapped("carry_out_amount"))
            payout.warning_count = len(lines.filtered("warning"))

    @api.constrains("date_from", "date_to")
    def _check_period(self):
        for payout in self:
            if payout.date_to < payout.date_from:
                raise ValidationError(self.env._("The period ends before it starts."))
            closing_day = payout.company_id.everyone_sells_closing_day
            if payout.date_to > period_end_of(payout.date_from, closing_day):
                raise ValidationError(
                    self.env._(
                        "A payout covers one wage period at most (closing on day "
                        "%(day)s): incentive wages are paid at least once a month on "
                        "a fixed day (Labour Standards Act art. 24). Close each "
                        "period separately.",
                        day=closing_day,
                    )
                )

    @api.constrains("date_from", "date_to", "company_id", "state")
    def _check_no_overlap(self):
        for payout in self:
            payout._raise_if_overlapping()

    def _raise_if_overlapping(self):
        self.ensure_one()
        if self.state == "cancel":
            return
        overlapping = self.search_count(
            [
                ("id", "not in", self._origin.ids),
                ("company_id", "=", self.company_id.id),
                ("state", "!=", "cancel"),
                ("date_from", "<=", self.date_to),
                ("date_to", ">=", self.date_from),
            ],
            limit=1,
        )
        if overlapping:
            raise ValidationError(
                self.env._(
                    "Another payout already covers part of %(start)s – %(end)s. "
                    "Cancel it first, or choose another period.",
                    start=self.date_from,
                    end=self.date_to,
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        # Say why before the INSERT: the database's exclusion constraint
        # (see _sql_constraints) would refuse it too, in fewer words.
        self._check_created_as_draft(vals_list)
        for vals in vals_list:
            if "entry_ids" in vals:
                raise UserError(self._entries_by_compute_only())
            payout = self.new(vals)
            if payout.date_from and payout.date_to and payout.company_id:
                payout._raise_if_overlapping()
        return super().create(vals_list)

    def _check_created_as_draft(self, vals_list):
        """A payout is born a draft; its state moves only by its actions (a
        "paid" payout never computed would pay nothing and block its period)."""
        given = [vals for vals in vals_list if (vals.get("state") or "draft") != "draft"]
        default = self.env.context.get("default_state")
        if given or (default and default != "draft"):
            raise UserError(
                self.env._(
                    "A payout is created as a draft: its status moves only through its "
                    "buttons (Compute, Confirm, Mark as Paid, Cancel)."
                )
            )
        workflow = {
            name
            for vals in vals_list
            for name in (WORKFLOW_ONLY_FIELDS - {"state"}) | BACKGROUND_FIELDS
            if vals.get(name)
        }
        if workflow:
            raise UserError(
                self.env._(
                    "%(fields)s are set by the payout's own actions, never given.",
                    fields=", ".join(sorted(workflow)),
                )
            )

    def _entries_by_compute_only(self):
        return self.env._(
            "A payout's credits are taken by Compute, from the approved ledger; "
            "they cannot be added or removed by hand."
        )

    def write(self, vals):
        workflow = is_in_workflow(self.env)
        if "entry_ids" in vals:
            raise UserError(self._entries_by_compute_only())
        if BACKGROUND_FIELDS & set(vals):
            raise UserError(
                self.env._("Background work is started by the Compute and Confirm buttons only.")
            )
        if WORKFLOW_ONLY_FIELDS & set(vals) and not workflow:
            raise UserError(
                self.env._(
                    "A payout moves only through its buttons: Confirm, Mark as Paid, "
                    "Cancel, Reset to Draft."
                )
            )
        frozen = self.filtered(lambda p: p.state in ("confirmed", "done"))
        changed = {
            name for name in vals if name not in EXPORT_FIELDS and not name.startswith("message_")
        }
        if changed and not workflow:
            self._check_no_background()
        if frozen and changed - {"state"}:
            raise UserError(
                self.env._(
                    "%(payout)s is confirmed: a confirmed payout is a wage record and "
                    "never changes.",
                    payout=frozen[0].display_name,
                )
            )
        payouts = out_of_workflow(self) if workflow else self
        return super(CrmContributionPayout, payouts).write(vals)

    def _workflow(self):
        """These payouts, allowed to change state and write their lines'
        figures (the payout's own actions only)."""
        return in_workflow(self)

    def _check_state(self, *states):
        wrong = self.filtered(lambda p: p.state not in states)
        if wrong:
            raise UserError(
                self.env._(
                    "%(payout)s is %(state)s: this step is not possible now.",
                    payout=wrong[0].display_name,
                    state=dict(self._fields["state"]._description_selection(self.env))[
                        wrong[0].state
                    ],
                )
            )

    # ------------------------------------------------------------------
    # COMPUTE: gather in the database, one line per employee
    # ------------------------------------------------------------------

    def action_compute(self):
        self._check_state("draft")
        background = self._maybe_in_background("compute")
        if background:
            return background
        for payout in self:
            before = payout._line_figures()
            payout._release_entries()
            payout._workflow().line_ids.unlink()
            payout._create_lines(payout._take_entries())
            if payout.removed_employee_ids:
                payout._workflow().write({"removed_employee_ids": [Command.clear()]})
            if before:
                payout._post_difference(before, payout._line_figures())
        return True

    # ------------------------------------------------------------------
    # WORKFLOW
    # ------------------------------------------------------------------

    def action_confirm(self):
        self.check_access("write")
        self._check_state("draft")
        background = self._maybe_in_background("confirm")
        if background:
            return background
        for payout in self:
            if not payout.line_ids:
                raise UserError(
                    self.env._(
                        "%(payout)s has nothing to pay: compute it first, or cancel it.",
                        payout=payout.display_name,
                    )
                )
            # One pass over the entries both settles the lines and finds
            # the employees with money and no line (a change since Compute).
            settlement, no_line = payout._settlement_rows()
            payout._check_unchanged_since_compute(no_line)
            payout._check_hours_entered()
            payout._store_settlement(settlement)
        # The ledger audit, on these payouts' entries and lines only.
        self.env["crm.contribution.audit.finding"]._check_payouts(self)
        self._workflow().write({"state": "confirmed"})
        return True

    def _check_hours_entered(self):
        """The overtime premium on an incentive needs the hours worked: a
        payout with incentives is not confirmed without them."""
        missing = self.env["crm.contribution.payout.line"].search(
            [
                ("payout_id", "in", self.ids),
                ("incentive_amount", ">", 0),
                "|",
                ("worked_hours", "=", False),
                ("worked_hours", "=", 0),
            ]
        )
        if missing:
            raise UserError(
                self.env._(
                    "Enter the hours worked before confirming (the overtime premium on "
                    "the incentive depends on them; Art. 41 managers need them too, for "
                    "the late-night premium): %(employees)s.",
                    employees=", ".join(missing.employee_id.mapped("name")),
                )
            )

    def _settlement_rows(self):
        """The lines' settlement read from the entries (the line's
        _settlement_rows): (rows, ids of employees with money taken and no
        line)."""
        self.ensure_one()
        return self.env["crm.contribution.payout.line"]._settlement_rows(self)

    def _store_settlement(self, rows):
        """Settle the lines once more with today's agreement, rates and
        tables, and store every figure: after confirmation no setting, rate
        or rule change alters them (nothing they are computed from changes).
        The owed figures from the entries (``rows``, _settlement_rows') and
        the lines' stored figures, in one pass and one UPDATE (the line's
        _store_figures)."""
        self.ensure_one()
        # Premium rates and wage tables are read, not watched: compute
        # with today's, once, before freezing.
        self.env["crm.contribution.payout.line"]._store_figures(self, rows)
        self.invalidate_recordset()

    def action_done(self):
        # Who may pay is checked before the credits are marked paid.
        self.check_access("write")
        self._check_state("confirmed")
        background = self._maybe_in_background("done")
        if background:
            return background
        for payout in self:
            self.env["crm.contribution"]._mark_paid(payout)
        self._workflow().write({"state": "done"})
        # Their entries are paid now: paid is read from this state.
        self.env["crm.contribution"].invalidate_model(["state"])
        return True

    def _entries_of_lines(self):
        """The entries this payout pays (see _entries_of_lines_sql), in one query."""
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute(self._entries_of_lines_sql())
        return self.env["crm.contribution"].browse(row[0] for row in self.env.cr.fetchall())

    def _entries_of_lines_sql(self):
        """The entries this payout pays, as SQL rows (entry_id): those it took
        that it pays (payout_entry_table.pays_sql)."""
        self.ensure_one()
        return SQL(
            """
            SELECT link.entry_id
              FROM %(links)s link
              JOIN crm_contribution entry ON entry.id = link.entry_id
             WHERE link.payout_id = %(payout)s
               AND %(pays)s
            """,
            links=SQL.identifier(PAYOUT_ENTRY_TABLE),
            payout=self.id,
            pays=pays_sql("link", "entry"),
        )

    def action_cancel(self):
        self._check_state("draft")
        self._check_no_background()
        for payout in self:
            payout._release_entries()
            payout._workflow().line_ids.unlink()
        self._workflow().write({"state": "cancel", "removed_employee_ids": [Command.clear()]})
        return True

    def action_draft(self):
        self._check_state("cancel")
        self._workflow().write({"state": "draft"})
        return True

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft_or_cancelled(self):
        if self.filtered(lambda p: p.state in ("confirmed", "done")):
            raise UserError(self.env._("A confirmed or paid payout is payroll history."))

    def unlink(self):
        self._check_no_background()
        for payout in self:
            payout._release_entries()
        return super().unlink()

    def action_view_entries(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_everyone_sells.crm_contribution_action_all"
        )
        action["domain"] = [("payout_id", "=", self.id)]
        action["context"] = {"search_default_group_employee": 1}
        return action

    def action_open_hours(self):
        """The lines as an editable list Odoo's import can fill (by external id)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Hours of %(payout)s", payout=self.display_name),
            "res_model": "crm.contribution.payout.line",
            "view_mode": "list",
            "views": [
                (
                    self.env.ref(
                        "crm_everyone_sells.crm_contribution_payout_line_view_list_hours"
                    ).id,
                    "list",
                )
            ],
            "domain": [("payout_id", "=", self.id)],
            "context": {"default_payout_id": self.id},
        }

    def action_print_statements(self):
        """Every line's statement in one PDF; above STATEMENTS_AT_ONCE lines
        (each statement is a PDF run of its own) they
        are printed by a background job, by department, in a ZIP file."""
        self.ensure_one()
        if len(self.line_ids) > STATEMENTS_AT_ONCE:
            return self.env["crm.everyone.sells.job"]._queue(
                "statements",
                self.company_id,
                {"payout_id": self.id, "progress_total": len(self.line_ids)},
            )
        # config=False: a statement is not an invoice; Odoo's document-layout
        # dialog (a US sample invoice) is not asked for, and the company's
        # layout stays as it is.
        return self.env.ref("crm_everyone_sells.action_report_payout_statement").report_action(
            self.line_ids, config=False
        )

    # ------------------------------------------------------------------
    # WORKBOOK FOR PAYROLL
    # ------------------------------------------------------------------

    def action_export_xlsx(self):
        self.ensure_one()
        self._check_state("confirmed", "done")
        workbook = self.env["crm.contribution.payroll.workbook"].with_context(lang=self.export_lang)
        # Written to a temporary file as the rows come, then stored: the
        # compressed file is held once, never the rows nor a base64 copy.
        with tempfile.TemporaryFile() as stream:
            workbook._write(self.with_context(lang=self.export_lang), stream)
            stream.seek(0)
            content = stream.read()
        self._store_xlsx(content)
        self.write({"xlsx_filename": f"everyone_sells_payout_{self.date_to:%Y_%m}.xlsx"})
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/xlsx_file/{self.xlsx_filename}"
            "?download=true",
            "target": "self",
        }

    def _store_xlsx(self, content):
        """Store ``content`` as ``xlsx_file``, in the attachment that holds
        the field, as the field's own write does but from the bytes: a large
        workbook is not encoded to base64 and decoded back on the way."""
        # sudo: the field's attachment, which the field itself writes with
        # sudo; the caller may write this payout (checked by the workbook).
        attachments = self.env["ir.attachment"].sudo()
        attachment = attachments.search(
            [
                ("res_model", "=", self._name),
                ("res_field", "=", "xlsx_file"),
                ("res_id", "=", self.id),
            ],
            limit=1,
        )
        values = {
            "raw": content,
            # Given, not guessed: guessing opens the whole file as a zip.
            "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
        if attachment:
            attachment.write(values)
        else:
            attachments.create(
                {
                    "name": "xlsx_file",
                    "res_model": self._name,
                    "res_field": "xlsx_file",
                    "res_id": self.id,
                    "type": "binary",
                    **values,
                }
            )
        self.invalidate_recordset(["xlsx_file"])

    def _hours_template_columns(self):
        """The hours template's columns: the line's id and employee, then
        each line input of ``HOURS_TEMPLATE_COLUMNS``, headed by its field
        name, which Odoo's import matches, except the scheduled hours,
        labelled 月平均所定労働時間 (the field's label, which the import
        matches too): a month's own hours are not the base."""
        label = self.env["crm.contribution.payout.line"]._fields["scheduled_hours"]
        headers = {"scheduled_hours": label.get_description(self.env)["string"]}
        return [
            ColumnSpec("id", "id", "text"),
            ColumnSpec("employee_id", "employee_id", "text"),
            *(
                ColumnSpec(headers.get(fname, fname), fname, cell_format)
                for fname, cell_format in HOURS_TEMPLATE_COLUMNS
            ),
        ]

    def _hours_template_headers(self):
        return [column.header for column in self._hours_template_columns()]

    def action_download_hours_template(self):
        """A workbook to fill the hours in and import back with Odoo's import."""
        self.ensure_one()
        self._check_state("draft")
        columns = self._hours_template_columns()
        # sudo: Odoo reserves exports to a group, but this template only
        # carries the external ids Odoo's import matches on and the figures
        # the administrator already sees.
        rows = self.line_ids.sudo().export_data([column.source for column in columns])["datas"]
        stream = io.BytesIO()
        write_workbook(
            stream,
            [
                (
                    "hours",
                    [column.header for column in columns],
                    rows,
                    [column.format for column in columns],
                )
            ],
        )
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"hours_{self.date_to:%Y_%m}.xlsx",
                "datas": base64.b64encode(stream.getvalue()),
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }
