import base64
import io

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..core.wage import last_complete_period, payday_after, period_end_of
from ..core.xlsx import write_workbook
from .crm_contribution import _WORKFLOW_KEY, _WORKFLOW_TOKEN

# What may still be written on a confirmed or paid payout: the workbook it
# exports. Everything else is a wage record.
EXPORT_FIELDS = {"xlsx_file", "xlsx_filename", "export_lang"}


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
    )
    line_ids = fields.One2many("crm.contribution.payout.line", "payout_id", string="Lines")
    entry_ids = fields.One2many("crm.contribution", "payout_id", string="Entries")
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
    def _compute_totals(self):
        for payout in self:
            lines = payout.line_ids
            payout.entry_count = len(payout.entry_ids)
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
        for vals in vals_list:
            payout = self.new(vals)
            if payout.date_from and payout.date_to and payout.company_id:
                payout._raise_if_overlapping()
        return super().create(vals_list)

    def write(self, vals):
        workflow = self.env.context.get(_WORKFLOW_KEY) is _WORKFLOW_TOKEN
        if "state" in vals and not workflow:
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
        if frozen and changed - {"state"}:
            raise UserError(
                self.env._(
                    "%(payout)s is confirmed: a confirmed payout is a wage record and "
                    "never changes.",
                    payout=frozen[0].display_name,
                )
            )
        payouts = self.with_context(**{_WORKFLOW_KEY: None}) if workflow else self
        return super(CrmContributionPayout, payouts).write(vals)

    def _workflow(self):
        """These payouts, allowed to change state and write their lines'
        figures (the payout's own actions only)."""
        return self.with_context(**{_WORKFLOW_KEY: _WORKFLOW_TOKEN})

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
        for payout in self:
            payout._release_entries()
            payout.line_ids.unlink()
            payout._take_entries()
            payout._create_lines()
        return True

    def _release_entries(self):
        self.env.cr.execute(
            SQL(
                "UPDATE crm_contribution SET payout_id = NULL WHERE payout_id = %s",
                self.id,
            )
        )
        self._invalidate_entry_links()

    def _invalidate_entry_links(self):
        """Entries were moved by SQL: forget what the cache knew of the links."""
        self.env["crm.contribution"].invalidate_model(["payout_id"])
        self.env["crm.contribution.payout.line"].invalidate_model(["entry_ids"])
        self.invalidate_model(["entry_ids"])

    def _take_entries(self):
        """Reserve every approved, unpaid, payable entry up to the period end.

        One UPDATE: an entry taken by another run (or approved in a
        transaction not yet committed) is not taken; it waits for the next.
        """
        self.env.flush_all()
        # sudo: the payout takes every payable entry of its company, whoever
        # closes it; the condition is the ledger's own (_payable_domain).
        ledger = self.env["crm.contribution"].sudo()
        payable = ledger._search(ledger._payable_domain(self.company_id, self.date_to))
        # A credit never paid and the reversal that cancels it are taken
        # together or not at all: they net to zero before payroll sees them.
        self.env.cr.execute(
            SQL(
                """
                WITH candidate AS (
                    SELECT id, reversed_entry_id
                      FROM crm_contribution
                     WHERE %(payable)s
                ), waiting AS (
                    SELECT candidate.id
                      FROM candidate
                      JOIN crm_contribution reversal ON reversal.reversed_entry_id = candidate.id
                     WHERE reversal.state != 'paid'
                       AND reversal.id NOT IN (SELECT id FROM candidate)
                    UNION
                    SELECT candidate.id
                      FROM candidate
                      JOIN crm_contribution credit ON credit.id = candidate.reversed_entry_id
                     WHERE credit.state != 'paid'
                       AND credit.id NOT IN (SELECT id FROM candidate)
                )
                UPDATE crm_contribution
                   SET payout_id = %(payout)s, write_date = NOW() AT TIME ZONE 'UTC',
                       write_uid = %(uid)s
                 WHERE id IN (SELECT id FROM candidate EXCEPT SELECT id FROM waiting)
                """,
                payout=self.id,
                uid=self.env.uid,
                payable=payable.where_clause,
            )
        )
        self._invalidate_entry_links()

    def _aggregate_entries(self):
        """Per employee: incentive, award and clawback (reversals of credits
        already paid), summed by the database; the part of the clawback
        that arose under a wage-deduction agreement in force, apart."""
        window = self.company_id._everyone_sells_deduction_window(self.payment_date)
        start, end = window or (None, None)
        self.env.cr.execute(
            SQL(
                """
                SELECT entry.employee_id,
                       SUM(entry.amount) FILTER (
                           WHERE entry.wage_type = 'incentive' AND paid.id IS NULL),
                       SUM(entry.amount) FILTER (
                           WHERE entry.wage_type = 'award' AND paid.id IS NULL),
                       -SUM(entry.amount) FILTER (WHERE paid.id IS NOT NULL),
                       -SUM(entry.amount) FILTER (
                           WHERE paid.id IS NOT NULL AND %(in_force)s
                             AND entry.date >= %(start)s
                             AND (%(end)s::date IS NULL OR entry.date <= %(end)s::date)),
                       SUM(entry.points),
                       BOOL_OR(rule.compute_method IN ('percentage', 'tiered')
                               AND entry.wage_type = 'award')
                  FROM crm_contribution entry
             LEFT JOIN crm_contribution paid
                    ON paid.id = entry.reversed_entry_id AND paid.state = 'paid'
             LEFT JOIN crm_contribution_rule rule ON rule.id = entry.rule_id
                 WHERE entry.payout_id = %(payout)s
              GROUP BY entry.employee_id
                """,
                payout=self.id,
                in_force=bool(window),
                start=start,
                end=end,
            )
        )
        totals = {}
        for row in self.env.cr.fetchall():
            employee_id, incentive, award, clawback, deductible, points, formula_award = row
            incentive, award = incentive or 0.0, award or 0.0
            clawback, deductible = clawback or 0.0, deductible or 0.0
            # What is still negative (a reversal whose credit another
            # payout pays) is owed back, never a negative wage.
            owed_back = max(-incentive, 0.0) + max(-award, 0.0)
            totals[employee_id] = {
                "incentive": max(incentive, 0.0),
                "award": max(award, 0.0),
                "clawback": clawback + owed_back,
                "deductible_clawback": deductible + (owed_back if window else 0.0),
                "deduction_allowed": bool(window),
                "points": points or 0.0,
                "formula_award": bool(formula_award),
            }
        return totals

    def _carried_in(self):
        """What each employee still owed after the previous run, under an
        agreement: carried only while an agreement is in force, and only
        the debts that arose under one."""
        if not self.company_id._everyone_sells_deduction_window(self.payment_date):
            return {}
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT ON (line.employee_id) line.employee_id,
                       CASE WHEN line.deduction_allowed
                            THEN line.deductible_outstanding_amount ELSE 0 END
                  FROM crm_contribution_payout_line line
                  JOIN crm_contribution_payout payout ON payout.id = line.payout_id
                 WHERE payout.company_id = %s
                   AND payout.state IN ('confirmed', 'done')
                   AND payout.date_to < %s
              ORDER BY line.employee_id, payout.date_to DESC
                """,
                self.company_id.id,
                self.date_from,
            )
        )
        return {employee_id: owed for employee_id, owed in self.env.cr.fetchall() if owed}

    def _create_lines(self):
        totals = self._aggregate_entries()
        carried = self._carried_in()
        # Points are not money: someone with only points gets no ¥0 line.
        employee_ids = {
            employee_id
            for employee_id, total in totals.items()
            if total["incentive"] or total["award"] or total["clawback"]
        } | set(carried)
        employees = self.env["hr.employee"].with_context(active_test=False).browse(employee_ids)
        in_force = bool(self.company_id._everyone_sells_deduction_window(self.payment_date))
        lines = [
            self.env["crm.contribution.payout.line"]._prepare_line(
                self,
                employee,
                totals.get(employee.id, {"deduction_allowed": in_force}),
                carried.get(employee.id, 0.0),
            )
            for employee in employees
        ]
        lines = self._workflow().env["crm.contribution.payout.line"].create(lines)
        # The ORM starts new records with empty x2many caches: read the
        # entries when asked.
        lines.invalidate_recordset(["entry_ids"])
        return lines

    # ------------------------------------------------------------------
    # WORKFLOW
    # ------------------------------------------------------------------

    def action_confirm(self):
        self.check_access("write")
        self._check_state("draft")
        for payout in self:
            if not payout.line_ids:
                raise UserError(
                    self.env._(
                        "%(payout)s has nothing to pay: compute it first, or cancel it.",
                        payout=payout.display_name,
                    )
                )
            payout._check_hours_entered()
            payout._store_settlement()
        self._workflow().write({"state": "confirmed"})
        return True

    def _check_hours_entered(self):
        """The overtime premium on an incentive needs the hours worked: a
        payout with incentives is not confirmed without them."""
        missing = self.line_ids.filtered(
            lambda line: line.incentive_amount > 0 and not line.worked_hours
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

    def _store_settlement(self):
        """Settle the lines once more with today's agreement, rates and
        tables, and store every figure: after confirmation no setting, rate
        or rule change alters them (nothing they are computed from changes)."""
        self.ensure_one()
        totals = self._aggregate_entries()
        carried = self._carried_in()
        in_force = bool(self.company_id._everyone_sells_deduction_window(self.payment_date))
        lines = self._workflow().line_ids
        for line in lines:
            figures = totals.get(line.employee_id.id, {})
            line.write(
                {
                    "clawback_amount": figures.get("clawback", 0.0),
                    "deductible_clawback_amount": figures.get("deductible_clawback", 0.0),
                    "deduction_allowed": in_force,
                    "carry_in_amount": carried.get(line.employee_id.id, 0.0),
                }
            )
        # Premium rates and wage tables are read, not watched: compute
        # with today's, once, before freezing.
        Line = self.env["crm.contribution.payout.line"]
        for fname in ("hourly_base", "overtime_premium_amount", "warning"):
            self.env.add_to_compute(Line._fields[fname], lines)
        lines.flush_recordset()

    def action_done(self):
        # Who may pay is checked before the credits are marked paid.
        self.check_access("write")
        self._check_state("confirmed")
        for payout in self:
            payout.entry_ids._mark_paid(payout)
        self._workflow().write({"state": "done"})
        return True

    def action_cancel(self):
        self._check_state("draft")
        for payout in self:
            payout._release_entries()
            payout.line_ids.unlink()
        self._workflow().write({"state": "cancel"})
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
        return self.env.ref("crm_everyone_sells.action_report_payout_statement").report_action(
            self.line_ids
        )

    # ------------------------------------------------------------------
    # WORKBOOK FOR PAYROLL
    # ------------------------------------------------------------------

    def action_export_xlsx(self):
        self.ensure_one()
        self._check_state("confirmed", "done")
        stream = io.BytesIO()
        workbook = self.env["crm.contribution.payroll.workbook"].with_context(lang=self.export_lang)
        workbook._write(self.with_context(lang=self.export_lang), stream)
        self.write(
            {
                "xlsx_file": base64.b64encode(stream.getvalue()),
                "xlsx_filename": f"everyone_sells_payout_{self.date_to:%Y_%m}.xlsx",
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/xlsx_file/{self.xlsx_filename}"
            "?download=true",
            "target": "self",
        }

    def action_download_hours_template(self):
        """A workbook to fill the hours in and import back with Odoo's import."""
        self.ensure_one()
        self._check_state("draft")
        headers = [
            "id",
            "employee_id",
            "worked_hours",
            "overtime_hours",
            "late_night_hours",
            "holiday_hours",
            "fixed_wage_amount",
            "scheduled_hours",
            "net_wage_amount",
            "overtime_exempt",
        ]
        # sudo: Odoo reserves exports to a group, but this template only
        # carries the external ids Odoo's import matches on and the figures
        # the administrator already sees.
        rows = self.line_ids.sudo().export_data(headers)["datas"]
        stream = io.BytesIO()
        formats = ["text", "text", "hours", "hours", "hours", "hours", "yen", "hours"]
        write_workbook(stream, [("hours", headers, rows, formats)])
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
