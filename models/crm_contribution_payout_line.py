from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..core.bounds import MAX_MONEY, plausible_hours, plausible_money
from ..core.money import format_points
from ..core.wage import (
    check_hours,
    monthly_average_hours,
    period_hours,
)
from .payout_entry_table import PAYOUT_ENTRY_TABLE
from .payout_line_figures import (
    MONEY_FIGURES,
    WageTables,
    fill_figures,
    premium_figures,
    settlement_figures,
    warning_text,
)
from .server_switches import is_in_workflow
from .sql_tools import figures_table, without_jit

# What payroll types on a line, bounded (see _raise_input_problem).
HOURS_FIELDS = (
    "worked_hours",
    "overtime_hours",
    "late_night_hours",
    "holiday_hours",
    "scheduled_hours",
)
WAGE_FIELDS = ("net_wage_amount", "fixed_wage_amount")
# The hours template's columns after the line's id and employee, in order:
# the line input each one fills (its header is the field, which Odoo's import
# matches) and its cell format (core.xlsx.FORMATS).
HOURS_TEMPLATE_COLUMNS = (
    ("worked_hours", "hours"),
    ("overtime_hours", "hours"),
    ("late_night_hours", "hours"),
    ("holiday_hours", "hours"),
    ("fixed_wage_amount", "yen"),
    ("scheduled_hours", "hours"),
    ("net_wage_amount", "number"),
    ("overtime_exempt", "text"),
)
HOURS_TEMPLATE_INPUTS = tuple(fname for fname, _format in HOURS_TEMPLATE_COLUMNS)
# What an administrator fills in on a draft line: the hours template's
# figures, and what payroll corrects of the employee record (the workplace,
# an address defaulting to the head office, and the pay scheme); every other
# figure is the payout's, computed and frozen at confirmation.
LINE_INPUT_FIELDS = {*HOURS_TEMPLATE_INPUTS, "workplace_state_id", "results_only"}
# The stored figures the payout computes in one pass over all its lines
# (fill_figures, at Compute and Confirm); the amounts among them are rounded
# to the currency.
BATCH_FIELDS = (*MONEY_FIGURES, "hourly_base", "scheduled_hours", "warning")
# What a line owes back, from the entries (the payout's _owed_sql): Compute
# writes it, Confirm settles it again with today's agreement.
OWED_FIELDS = (
    "clawback_amount",
    "deductible_clawback_amount",
    "deduction_allowed",
    "carry_in_amount",
)


class CrmContributionPayoutLine(models.Model):
    _name = "crm.contribution.payout.line"
    _description = "Contribution Payout Line"
    _order = "payout_id, department_id, employee_id"
    _check_company_auto = True

    payout_id = fields.Many2one(
        "crm.contribution.payout", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="payout_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="payout_id.currency_id")
    date_from = fields.Date(related="payout_id.date_from", store=True)
    date_to = fields.Date(related="payout_id.date_to", store=True)
    payment_date = fields.Date(related="payout_id.payment_date")
    payout_state = fields.Selection(related="payout_id.state", string="Payout Status")
    employee_id = fields.Many2one("hr.employee", required=True, index=True, readonly=True)
    department_id = fields.Many2one("hr.department", readonly=True)
    workplace_state_id = fields.Many2one(
        "res.country.state",
        string="Workplace Prefecture",
        compute="_compute_workplace_state_id",
        store=True,
        readonly=False,
        precompute=True,
        help="The prefecture whose minimum wage applies: the employee's work "
        "address, else the company's address (労働者が働く事業場).",
    )
    incentive_amount = fields.Monetary(
        string="Incentive",
        readonly=True,
        help="Credits classified as wages (歩合給) payable in this run. They enter "
        "the overtime premium base.",
    )
    award_amount = fields.Monetary(
        string="Discretionary Award",
        readonly=True,
        help="Cash awards a manager entered case by case, with a reason and no "
        "criteria promised beforehand (恩恵的給付): outside the overtime premium "
        "base, exported as a bonus (賞与) candidate for withholding.",
    )
    points = fields.Float(digits=(16, 2), readonly=True)
    clawback_amount = fields.Monetary(
        readonly=True, help="Credits paid earlier and reversed since: owed back by the employee."
    )
    carry_in_amount = fields.Monetary(
        string="Carried In",
        readonly=True,
        help="What the employee still owed after the previous run (netted only "
        "under a wage-deduction agreement).",
    )
    deductible_clawback_amount = fields.Monetary(
        string="Deductible Clawback",
        readonly=True,
        help="The part of the clawback that arose while a wage-deduction agreement "
        "(24協定) was in force: only this part, and what was carried in under it, "
        "may be deducted.",
    )
    deduction_allowed = fields.Boolean(
        string="Deduction Agreement in Force",
        readonly=True,
        help="A wage-deduction agreement (24協定) is in force on this payout's "
        "payday. Stored when the payout is computed and confirmed: a later "
        "change of the setting does not alter a confirmed payout.",
    )
    net_wage_amount = fields.Monetary(
        string="Net Wage",
        help="Optional, from payroll: the month's net pay (手取り). A deduction "
        "takes at most net − min(¾ × net, ¥330,000); without it, at most the "
        "month's incentive, and HR is warned.",
    )
    overtime_exempt = fields.Boolean(
        string="Manager or Supervisor (Art. 41)",
        help="管理監督者 (Labour Standards Act art. 41): no overtime or legal-holiday "
        "premium, but the late-night premium still applies (and needs the hours).",
    )
    deducted_amount = fields.Monetary(
        string="Deducted",
        compute="_compute_settlement",
        store=True,
        help="Netted against this run's incentive, under the wage-deduction agreement.",
    )
    payable_amount = fields.Monetary(
        string="Payable",
        compute="_compute_settlement",
        store=True,
        help="Incentive after deduction plus awards. The overtime premium is added "
        "by payroll with the salary's own premium.",
    )
    carry_out_amount = fields.Monetary(
        string="Outstanding",
        compute="_compute_settlement",
        store=True,
        help="Still owed by the employee: for HR to settle (no agreement) or "
        "carried to the next run (agreement).",
    )
    deductible_outstanding_amount = fields.Monetary(
        string="Outstanding Under Agreement",
        compute="_compute_settlement",
        store=True,
        help="The part of the outstanding amount that arose under a wage-deduction "
        "agreement: the next run may deduct it while the agreement is in force.",
    )
    worked_hours = fields.Float(
        digits=(16, 2),
        help="All hours actually worked in the wage period the incentive is paid "
        "for: scheduled, overtime and holiday work.",
    )
    overtime_hours = fields.Float(
        string="Statutory Overtime Hours",
        digits=(16, 2),
        help="All statutory overtime of the wage period, legal-holiday hours excluded; "
        "the part above 60 hours gets the higher rate.",
    )
    late_night_hours = fields.Float(
        digits=(16, 2), help="Hours worked between 22:00 and 05:00, overtime or not."
    )
    holiday_hours = fields.Float(
        string="Legal Holiday Hours", digits=(16, 2), help="Hours worked on the legal holiday."
    )
    hourly_base = fields.Float(
        digits=(16, 3),
        compute="_compute_premium",
        store=True,
        help="Incentive divided by all hours worked (労基則19条1項6号).",
    )
    overtime_premium_amount = fields.Monetary(
        string="Overtime Premium",
        compute="_compute_premium",
        store=True,
        help="Premium owed on the incentive: hourly base × (25 % up to 60 h of "
        "overtime, 50 % beyond, 35 % legal holiday, 25 % late night), rounded half-up.",
    )
    fixed_wage_amount = fields.Monetary(
        string="Fixed Wage",
        help="Optional, from payroll: the month's fixed pay, without commuting, "
        "attendance and family allowances nor a fixed overtime allowance "
        "(固定残業代). Enables the guaranteed-pay and minimum-wage checks.",
    )
    results_only = fields.Boolean(
        string="Paid by Results Only (歩合給のみ)",
        help="Copied from the employee: no fixed wage at all. The minimum-wage "
        "check (incentive ÷ all hours worked) and the guaranteed-pay warning "
        "(Art. 27) run without a fixed wage. A fixed wage simply not entered "
        "is not this.",
    )
    scheduled_hours = fields.Float(
        string="Monthly Average Scheduled Hours (月平均所定労働時間)",
        digits=(16, 2),
        compute="_compute_scheduled_hours",
        store=True,
        readonly=False,
        precompute=True,
        help="The yearly monthly average of scheduled hours (月平均所定労働時間), "
        "not the month's own: by default from the employee's working calendar "
        "(the year's working hours ÷ 12); payroll may correct it. The fixed "
        "wage is divided by it for the minimum-wage check.",
    )
    warning = fields.Text(compute="_compute_warning", store=True)
    formula_award = fields.Boolean(readonly=True)
    entry_ids = fields.One2many("crm.contribution", compute="_compute_entry_ids", string="Entries")

    _sql_constraints = [
        (
            "employee_payout_uniq",
            "unique(payout_id, employee_id)",
            "An employee has one line per payout.",
        ),
    ]

    # Room left on each page of lines: a line is written three times
    # (Compute inserts it, payroll enters the hours, Confirm stores its
    # figures), and a new version that fits on its page writes none of the
    # table's five indexes again (a heap-only update). At the large
    # profile, Confirm's update of 50,000 lines: 0.45 s less.
    _FILLFACTOR = 40

    def init(self):
        result = super().init()
        [(options,)] = self.env.execute_query(
            SQL("SELECT reloptions FROM pg_class WHERE oid = %s::regclass", self._table)
        )
        wanted = f"fillfactor={self._FILLFACTOR}"
        if wanted not in (options or ()):
            # Pages written from now on: the lines of the next payouts.
            self.env.cr.execute(
                SQL(
                    "ALTER TABLE %s SET (fillfactor = %s)",
                    SQL.identifier(self._table),
                    self._FILLFACTOR,
                )
            )
        return result

    @api.depends(
        "incentive_amount",
        "award_amount",
        "clawback_amount",
        "deductible_clawback_amount",
        "carry_in_amount",
        "deduction_allowed",
        "net_wage_amount",
    )
    def _compute_settlement(self):
        # Only figures stored on the line: no company setting changes a
        # confirmed line afterwards.
        for line in self:
            line.update(settlement_figures(line))

    @api.depends(
        "incentive_amount",
        "worked_hours",
        "overtime_hours",
        "holiday_hours",
        "late_night_hours",
        "overtime_exempt",
        "date_to",
    )
    def _compute_premium(self):
        rates = self.env["crm.contribution.premium.rate"]
        rates_by_period = {}
        for line in self:
            period = (line.company_id, line.date_to)
            if period not in rates_by_period:
                rates_by_period[period] = rates._rates_for(*period)
            line.update(premium_figures(line, rates_by_period[period]))

    @api.depends("employee_id", "payout_id.company_id")
    def _compute_workplace_state_id(self):
        for line in self:
            if line.payout_id.state not in ("draft", False):
                # A confirmed payout is a wage record: an address changed
                # since (or this field added by an upgrade) does not alter it.
                line.workplace_state_id = line.workplace_state_id
                continue
            # sudo: only the prefecture of the work address is read, which the
            # payroll user may not reach through HR's field access rules.
            line.workplace_state_id = line.employee_id.sudo()._everyone_sells_workplace_state(
                line.payout_id.company_id
            )

    @api.depends("employee_id", "payout_id.date_to")
    def _compute_scheduled_hours(self):
        by_calendar = {}
        for line in self:
            if line.payout_id.state not in ("draft", False):
                # A confirmed payout is a wage record: keep what it was computed with.
                line.scheduled_hours = line.scheduled_hours
                continue
            if not (line.employee_id and line.payout_id.date_to):
                line.scheduled_hours = 0.0
                continue
            # sudo: only the employee's working calendar is read, HR data
            # payroll may not reach.
            employee = line.employee_id.sudo()
            calendar = employee.resource_calendar_id or employee.company_id.resource_calendar_id
            key = (calendar.id, line.payout_id.date_to.year)
            if key not in by_calendar:
                by_calendar[key] = float(
                    monthly_average_hours(employee._everyone_sells_yearly_hours(calendar, key[1]))
                )
            line.scheduled_hours = by_calendar[key]

    @api.depends(
        "incentive_amount",
        "worked_hours",
        "fixed_wage_amount",
        "scheduled_hours",
        "workplace_state_id",
        "formula_award",
        "carry_out_amount",
        "deducted_amount",
        "net_wage_amount",
        "deduction_allowed",
        "deductible_outstanding_amount",
        "payout_id.payment_date",
        "results_only",
    )
    def _compute_warning(self):
        tables = WageTables(self.env)
        for line in self:
            line.warning = warning_text(line, tables)

    @api.model
    def _settlement_rows(self, payout):
        """What ``payout``'s lines owe back again, from the entries, with
        today's agreement (the payout's _owed_sql), beside what the lines
        hold: (rows for _store_figures, ids of the employees whose entries
        taken carry money and who have no line). One pass over the entries
        for both: the employees come from the entries' sums, the lines
        joined to them."""
        self.env.flush_all()
        with without_jit(self.env.cr):
            rows = self.env.execute_query_dict(
                SQL(
                    """
                    SELECT line.id, totals.employee_id AS taken_by,
                           COALESCE(totals.money, FALSE) AS taken_money,
                           COALESCE(line.incentive_amount, 0) AS incentive_amount,
                           COALESCE(line.award_amount, 0) AS award_amount,
                           %(owed)s,
                           COALESCE(line.net_wage_amount, 0) AS net_wage_amount,
                           COALESCE(line.worked_hours, 0) AS worked_hours,
                           COALESCE(line.overtime_hours, 0) AS overtime_hours,
                           COALESCE(line.holiday_hours, 0) AS holiday_hours,
                           COALESCE(line.late_night_hours, 0) AS late_night_hours,
                           COALESCE(line.overtime_exempt, FALSE) AS overtime_exempt,
                           COALESCE(line.fixed_wage_amount, 0) AS fixed_wage_amount,
                           COALESCE(line.results_only, FALSE) AS results_only,
                           COALESCE(line.scheduled_hours, 0) AS scheduled_hours,
                           line.workplace_state_id,
                           COALESCE(line.formula_award, FALSE) AS formula_award
                      FROM (SELECT * FROM crm_contribution_payout_line
                             WHERE payout_id = %(payout)s) line
                 FULL JOIN (%(totals)s) totals ON totals.employee_id = line.employee_id
                 LEFT JOIN (%(carried)s) carried ON carried.employee_id = line.employee_id
                    """,
                    owed=payout._owed_sql(),
                    totals=payout._totals_sql(),
                    carried=payout._carried_in_sql(),
                    payout=payout.id,
                )
            )
        no_line = [row["taken_by"] for row in rows if not row["id"] and row["taken_money"]]
        rows = [row for row in rows if row["id"]]
        for row in rows:
            del row["taken_by"], row["taken_money"]
        return rows, no_line

    @api.model
    def _store_figures(self, payout, rows):
        """Confirm's pass: compute the stored figures of ``payout``'s lines
        (the settlement, the premium, the warnings) from ``rows``
        (_settlement_rows') with the functions of the fields' computes
        (fill_figures), and write both in one UPDATE. Returns the lines'
        count."""
        if not rows:
            return 0
        fill_figures(self.env, payout, rows)
        # The scheduled hours are payroll's once the line exists.
        written = [fname for fname in (*BATCH_FIELDS, *OWED_FIELDS) if fname != "scheduled_hours"]
        self.env.cr.execute(
            SQL(
                """
                UPDATE crm_contribution_payout_line line
                   SET %(assignments)s, write_uid = %(uid)s, write_date = %(now)s
                  FROM %(figures)s
                 WHERE line.id = figures.id
                """,
                assignments=SQL(", ").join(
                    SQL("%s = figures.%s", SQL.identifier(fname), SQL.identifier(fname))
                    for fname in written
                ),
                uid=self.env.uid,
                now=self.env.cr.now(),
                figures=figures_table(self, rows, ["id", *written]),
            )
        )
        self.invalidate_model([*written, "write_uid", "write_date"])
        return len(rows)

    def _compute_entry_ids(self):
        entries = self.env["crm.contribution"].search(
            [("payout_id", "in", self.payout_id.ids), ("employee_id", "in", self.employee_id.ids)]
        )
        by_key = {}
        for entry in entries:
            by_key.setdefault((entry.payout_id.id, entry.employee_id.id), []).append(entry.id)
        for line in self:
            line.entry_ids = entries.browse(
                by_key.get((line.payout_id.id, line.employee_id.id), [])
            )

    @api.constrains(*HOURS_FIELDS)
    def _check_hours(self):
        for line in self:
            line._raise_input_problem({fname: line[fname] for fname in HOURS_FIELDS})
        messages = {
            "negative": self.env._("Hours cannot be negative."),
            "more_than_month": self.env._("More hours than the wage period holds."),
            "overtime_above_worked": self.env._(
                "Overtime and holiday hours are part of the hours worked: they cannot exceed them."
            ),
            "late_night_above_worked": self.env._(
                "Late-night hours are part of the hours worked: they cannot exceed them."
            ),
        }
        for line in self:
            problems = check_hours(
                line.worked_hours,
                line.overtime_hours,
                line.holiday_hours,
                line.late_night_hours,
                period_hours(line.date_to, line.company_id.everyone_sells_closing_day),
            )
            if problems:
                raise ValidationError(
                    self.env._(
                        "%(employee)s: %(problems)s",
                        employee=line.employee_id.name,
                        problems=" ".join(messages[p] for p in problems),
                    )
                )

    @api.constrains(*WAGE_FIELDS)
    def _check_wage_amounts(self):
        for line in self:
            line._raise_input_problem({fname: line[fname] for fname in WAGE_FIELDS})

    def _raise_input_problem(self, values, payout=None, employee=None):
        """Refuse what nobody could have worked or earned: hours outside the
        wage period's length, wages negative, not finite or from ¥100,000,000.
        Checked on the values given, before the ORM rounds them (NaN and
        infinity would fail there without a word), and on the record."""
        payout = payout or self.payout_id
        employee = employee or self.employee_id
        for fname, value in values.items():
            field = self._fields[fname].get_description(self.env)["string"]
            if fname in HOURS_FIELDS:
                hours = period_hours(payout.date_to, payout.company_id.everyone_sells_closing_day)
                if not plausible_hours(value, hours):
                    raise ValidationError(
                        self.env._(
                            "%(employee)s: %(field)s: hours cannot be negative or more "
                            "than the wage period holds (%(hours)s h).",
                            employee=employee.name,
                            field=field,
                            hours=hours,
                        )
                    )
            elif fname in WAGE_FIELDS and not plausible_money(value):
                raise ValidationError(
                    self.env._(
                        "%(employee)s: %(field)s must be zero or more and below ¥%(limit)s.",
                        employee=employee.name,
                        field=field,
                        limit=format(MAX_MONEY, ","),
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        payouts = self.env["crm.contribution.payout"].browse(
            [vals["payout_id"] for vals in vals_list if vals.get("payout_id")]
        )
        if payouts.filtered(lambda p: p.state != "draft"):
            raise UserError(self.env._("The payout is confirmed: its lines are payroll history."))
        if not self._is_payout_computation():
            for vals in vals_list:
                if set(vals) - LINE_INPUT_FIELDS - {"payout_id", "employee_id", "department_id"}:
                    raise UserError(self._figures_error())
        for vals in vals_list:
            given = {f: vals[f] for f in (*HOURS_FIELDS, *WAGE_FIELDS) if f in vals}
            if given and vals.get("payout_id"):
                self._raise_input_problem(
                    given,
                    payout=self.env["crm.contribution.payout"].browse(vals["payout_id"]),
                    employee=self.env["hr.employee"].browse(vals.get("employee_id")),
                )
        return super().create(vals_list)

    def _is_payout_computation(self):
        return is_in_workflow(self.env)

    def _figures_error(self):
        return self.env._(
            "Only hours, fixed and net wage, scheduled hours and the Art. 41 "
            "exemption are entered on a payout line; its amounts come from "
            "the ledger."
        )

    def write(self, vals):
        # Frozen once confirmed, for everyone: a confirmed payout is a wage
        # record. On a draft, only the inputs from payroll are written; the
        # figures are the payout's own (its computation passes the token).
        if self.filtered(lambda line: line.payout_id.state != "draft"):
            raise UserError(self.env._("The payout is confirmed: its lines are payroll history."))
        if not self._is_payout_computation():
            # A value written unchanged (a re-imported hours template's
            # employee column) is no change.
            changed = {
                name
                for name in set(vals) - LINE_INPUT_FIELDS
                for line in self
                if name not in self._fields
                or self._fields[name].type in ("one2many", "many2many")
                or self._fields[name].convert_to_record(
                    self._fields[name].convert_to_cache(vals[name], line), line
                )
                != line[name]
            }
            if changed:
                raise UserError(self._figures_error())
        given = {f: vals[f] for f in (*HOURS_FIELDS, *WAGE_FIELDS) if f in vals}
        if given:
            for line in self:
                line._raise_input_problem(given)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        if self.filtered(lambda line: line.payout_id.state not in ("draft", "cancel")):
            raise UserError(self.env._("The payout is confirmed: its lines are payroll history."))

    def unlink(self):
        """A deleted draft line releases its entries: they go back to the pool
        (never paid without a line), and the payout records whose line went,
        so that it is computed again before it is confirmed."""
        # Who may, and whether the payout is still a draft, before anything is released.
        self.check_access("unlink")
        self._unlink_only_draft()
        self._release_entries()
        if not self._is_payout_computation():
            for payout in self.payout_id.filtered(lambda p: p.state == "draft"):
                removed = self.filtered(lambda line, p=payout: line.payout_id == p).employee_id
                payout._workflow().write(
                    {"removed_employee_ids": [Command.link(e.id) for e in removed]}
                )
        return super().unlink()

    def _release_entries(self):
        """Unlink the entries of these lines from their payouts, in one DELETE."""
        if not self:
            return
        self.env.flush_all()
        pairs = [(line.payout_id.id, line.employee_id.id) for line in self]
        self.env.cr.execute(
            SQL(
                """
                DELETE FROM %(links)s link
                 USING crm_contribution entry,
                       unnest(%(payouts)s::int[], %(employees)s::int[])
                           AS pair(payout_id, employee_id)
                 WHERE entry.id = link.entry_id
                   AND link.payout_id = pair.payout_id
                   AND entry.employee_id = pair.employee_id
                """,
                links=SQL.identifier(PAYOUT_ENTRY_TABLE),
                payouts=[payout for payout, _employee in pairs],
                employees=[employee for _payout, employee in pairs],
            )
        )
        if self.env.cr.rowcount:
            self.payout_id._invalidate_entry_links()

    @api.depends("employee_id", "payout_id.name")
    def _compute_display_name(self):
        # sudo: an employee opening their own statement reads the two names
        # shown in its breadcrumb, nothing else of the employee record.
        for line, line_sudo in zip(self, self.sudo(), strict=True):
            line.display_name = " – ".join(
                filter(None, [line_sudo.employee_id.name, line_sudo.payout_id.name])
            )

    def _format_points(self, points):
        return format_points(points)

    def _statement_premium_terms(self):
        """The overtime premium's terms as the statement prints them, so the
        employee can redo the sum: [(kind, rate in %, hours)] of the hours
        that earn a premium, with the rates in force for the period (the
        same as _compute_premium's)."""
        self.ensure_one()
        rates = self.env["crm.contribution.premium.rate"]._rates_for(self.company_id, self.date_to)
        overtime = 0 if self.overtime_exempt else self.overtime_hours
        holiday = 0 if self.overtime_exempt else self.holiday_hours
        threshold = float(rates.threshold_hours)
        terms = [
            ("overtime", rates.overtime, min(overtime, threshold)),
            ("overtime_over_threshold", rates.overtime_over_threshold, overtime - threshold),
            ("holiday", rates.holiday, holiday),
            ("late_night", rates.late_night, self.late_night_hours),
        ]
        return [(kind, f"{float(rate):g}", hours) for kind, rate, hours in terms if hours > 0]

    def action_print_statement(self):
        # config=False: no document-layout dialog (see the payout's print).
        return self.env.ref("crm_everyone_sells.action_report_payout_statement").report_action(
            self, config=False
        )
