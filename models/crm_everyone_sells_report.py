from odoo import fields, models
from odoo.tools import SQL

# One row per signal (with the deal it became, counted on its first signal
# only) and one per opportunity that came from anywhere else, so that the
# employee-sourced pipeline compares with every other source. Rates are
# averages of 0/100 values, NULL where they do not apply (AVG skips NULL).

# What a deal's own ledger lines (not a signal's) and a signal's add up to,
# joined only when a view asks for the incentive cost: PostgreSQL drops a
# left join nothing reads, so the other figures never group the ledger.
_LEAD_CREDIT = """LEFT JOIN (SELECT lead_id, SUM(amount) AS amount FROM crm_contribution
                           WHERE lead_id IS NOT NULL AND signal_id IS NULL
                           GROUP BY lead_id) {alias} ON {alias}.lead_id = {lead}"""
_SIGNAL_CREDIT = """LEFT JOIN (SELECT signal_id, SUM(amount) AS amount FROM crm_contribution
                             WHERE signal_id IS NOT NULL
                             GROUP BY signal_id) {alias} ON {alias}.signal_id = {signal}"""

REPORT_QUERY = f"""
    SELECT s.id * 2 AS id,
           'employee' AS source,
           CASE WHEN s.program_id IS NOT NULL THEN 'in_scope' ELSE 'out_of_scope' END AS scope,
           s.program_id,
           s.employee_id,
           s.department_id,
           s.company_id,
           s.signal_type_id,
           s.channel_id,
           l.id AS lead_id,
           l.team_id,
           s.create_date AS date,
           1 AS signal_count,
           CASE WHEN s.is_handed_off THEN 1 ELSE 0 END AS handoff_count,
           CASE WHEN s.is_handed_off THEN 100.0 ELSE 0.0 END AS handoff_rate,
           EXTRACT(EPOCH FROM (s.handoff_date - s.create_date)) / 86400.0 AS days_to_handoff,
           CASE WHEN s.is_first THEN 1 ELSE 0 END AS lead_count,
           CASE WHEN s.is_first AND l.everyone_sells_is_won THEN 1 ELSE 0 END AS won_count,
           CASE WHEN s.is_first
                THEN CASE WHEN l.everyone_sells_is_won THEN 100.0 ELSE 0.0 END END
               AS conversion_rate,
           CASE WHEN s.is_first AND l.everyone_sells_is_won
                THEN l.expected_revenue ELSE 0 END
               AS won_revenue,
           CASE WHEN s.is_first AND l.everyone_sells_is_won
                THEN EXTRACT(EPOCH FROM (l.date_closed - s.create_date)) / 86400.0 END
               AS cycle_days,
           COALESCE(sc.amount, 0)
             + CASE WHEN s.is_first THEN COALESCE(lc.amount, 0) ELSE 0 END
               AS incentive_cost
      FROM (
        -- A deal counts on its first signal only.
        SELECT signal.*,
               signal.lead_id IS NOT NULL AND NOT EXISTS (
                   SELECT 1 FROM crm_signal earlier
                    WHERE earlier.lead_id = signal.lead_id AND earlier.id < signal.id
               ) AS is_first
          FROM crm_signal signal
      ) s
      LEFT JOIN crm_lead l ON l.id = s.lead_id
      {_SIGNAL_CREDIT.format(alias="sc", signal="s.id")}
      {_LEAD_CREDIT.format(alias="lc", lead="l.id")}
    UNION ALL
    SELECT l.id * 2 + 1,
           CASE WHEN l.origin_employee_id IS NOT NULL THEN 'employee' ELSE 'other' END,
           'other',
           NULL,
           l.origin_employee_id,
           l.origin_department_id,
           l.company_id,
           NULL,
           l.signal_channel_id,
           l.id,
           l.team_id,
           l.create_date,
           0, 0, NULL, NULL,
           1,
           CASE WHEN l.everyone_sells_is_won THEN 1 ELSE 0 END,
           CASE WHEN l.everyone_sells_is_won THEN 100.0 ELSE 0.0 END,
           CASE WHEN l.everyone_sells_is_won THEN l.expected_revenue ELSE 0 END,
           CASE WHEN l.everyone_sells_is_won
                THEN EXTRACT(EPOCH FROM (l.date_closed - l.create_date)) / 86400.0 END,
           COALESCE(lc.amount, 0)
      FROM crm_lead l
      {_LEAD_CREDIT.format(alias="lc", lead="l.id")}
     WHERE l.type = 'opportunity'
       AND NOT EXISTS (SELECT 1 FROM crm_signal s WHERE s.lead_id = l.id)
"""


class CrmEveryoneSellsReport(models.Model):
    _name = "crm.everyone.sells.report"
    _description = "Everyone Sells Analysis"
    _auto = False
    _order = "date desc, id desc"

    source = fields.Selection(
        [("employee", "Brought by an employee"), ("other", "Every other source")],
        readonly=True,
        help="Whether the opportunity started with an employee's signal.",
    )
    scope = fields.Selection(
        [
            ("in_scope", "In the program's scope"),
            ("out_of_scope", "Out of scope"),
            ("other", "Not a signal"),
        ],
        readonly=True,
        help="In scope: the signal joined a running program when it was logged.",
    )
    program_id = fields.Many2one("crm.contribution.program", readonly=True)
    employee_id = fields.Many2one("hr.employee", string="Brought By", readonly=True)
    department_id = fields.Many2one("hr.department", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    signal_type_id = fields.Many2one("crm.signal.type", readonly=True)
    channel_id = fields.Many2one("crm.signal.channel", readonly=True)
    lead_id = fields.Many2one("crm.lead", string="Opportunity", readonly=True)
    team_id = fields.Many2one("crm.team", readonly=True)
    date = fields.Datetime(readonly=True, help="When the signal was logged or the lead created.")
    signal_count = fields.Integer(string="Signals", readonly=True)
    handoff_count = fields.Integer(string="Handed Off", readonly=True)
    handoff_rate = fields.Float(
        string="Hand-off Rate (%)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    days_to_handoff = fields.Float(
        string="Days to Hand-off",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="From the signal to sales accepting it.",
    )
    lead_count = fields.Integer(string="Opportunities", readonly=True)
    won_count = fields.Integer(string="Won", readonly=True)
    conversion_rate = fields.Float(
        string="Conversion (%)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    won_revenue = fields.Monetary(readonly=True)
    cycle_days = fields.Float(
        string="Cycle (days)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="From the first signal (or the lead's creation) to the win.",
    )
    incentive_cost = fields.Monetary(
        readonly=True, help="Net credits earned on the signal and its deal."
    )

    def init(self):
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                SQL(REPORT_QUERY),
            )
        )
