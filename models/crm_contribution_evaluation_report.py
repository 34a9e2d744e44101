from odoo import api, fields, models
from odoo.tools import SQL, drop_view_if_exists

# One row per fact (a signal, a won deal's helper, a ledger line), keyed by
# its own table's id: a row's id is that key and its kind, so a filter on the
# view reaches each table's indexes (no numbering of the whole union). The
# views group them by employee, department and period. A moment becomes a day in
# the time zone of the company's working calendar (UTC without one).
EVALUATION_QUERY = """
    SELECT 1 AS kind, s.id AS key, s.employee_id,
           s.department_id,
           s.company_id,
           (s.create_date AT TIME ZONE 'UTC' AT TIME ZONE COALESCE(s_cal.tz, 'UTC'))::date AS date,
           1 AS signal_count,
           CASE WHEN s.is_handed_off THEN 1 ELSE 0 END AS accepted_count,
           CASE WHEN s.state = 'won' THEN 1 ELSE 0 END AS won_count,
           0.0 AS revenue_influenced,
           0.0 AS points,
           0.0 AS amount
      FROM crm_signal s
      LEFT JOIN res_company s_co ON s_co.id = s.company_id
      LEFT JOIN resource_calendar s_cal ON s_cal.id = s_co.resource_calendar_id
    UNION ALL
    SELECT 2, helper.id, helper.employee_id,
           helper.department_id,
           l.company_id,
           (l.date_closed AT TIME ZONE 'UTC' AT TIME ZONE COALESCE(l_cal.tz, 'UTC'))::date,
           0, 0, 0,
           l.expected_revenue,
           0.0, 0.0
      FROM crm_lead l
      LEFT JOIN res_company l_co ON l_co.id = l.company_id
      LEFT JOIN resource_calendar l_cal ON l_cal.id = l_co.resource_calendar_id
      JOIN crm_lead_contributor helper ON helper.lead_id = l.id
     WHERE l.everyone_sells_is_won AND l.date_closed IS NOT NULL
    UNION ALL
    SELECT 3, c.id, c.employee_id,
           c.department_id,
           c.company_id,
           c.date,
           0, 0, 0,
           0.0,
           c.points,
           c.amount
      FROM crm_contribution c
"""


# Sort memory for one evaluation's grouping. A year of a large company is a
# million ledger lines grouped by department and employee: with PostgreSQL's
# default 4 MB they are sorted on disk (0.4-0.5 s at 50,000 employees), with
# 16 MB in memory (0.2 s). Never lowers what the server is configured with.
WORK_MEM = "16MB"


class CrmContributionEvaluationReport(models.Model):
    _name = "crm.contribution.evaluation.report"
    _description = "Contribution Evaluation"
    _auto = False
    _order = "date desc, id desc"

    employee_id = fields.Many2one("hr.employee", readonly=True)
    department_id = fields.Many2one(
        "hr.department",
        readonly=True,
        help="The department the fact was recorded under (at the time).",
    )
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(readonly=True, help="When it happened (the day in the company's time zone).")
    signal_count = fields.Integer(
        string="Information Provided", readonly=True, help="Signals logged."
    )
    accepted_count = fields.Integer(
        string="Accepted", readonly=True, help="Signals sales accepted (handed off)."
    )
    won_count = fields.Integer(string="Won", readonly=True, help="Signals whose deal was won.")
    revenue_influenced = fields.Monetary(
        readonly=True,
        help="Revenue of the won deals the employee brought or helped on.",
    )
    points = fields.Float(readonly=True, digits=(16, 2), help="Net points in the ledger.")
    amount = fields.Monetary(
        string="Credit", readonly=True, help="Net credit in the ledger (after reversals)."
    )

    @api.model
    def _read_group(
        self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None
    ):
        # set_config(..., true) is SET LOCAL: this transaction only.
        self.env.cr.execute(
            SQL(
                "SELECT set_config('work_mem', %(size)s, true)"
                " WHERE pg_size_bytes(current_setting('work_mem')) < pg_size_bytes(%(size)s)",
                size=WORK_MEM,
            )
        )
        return super()._read_group(
            domain, groupby, aggregates, having=having, offset=offset, limit=limit, order=order
        )

    def init(self):
        drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE VIEW %s AS (
                    SELECT key::bigint * 3 + kind - 1 AS id, facts.*
                      FROM (%s) facts
                )
                """,
                SQL.identifier(self._table),
                SQL(EVALUATION_QUERY),
            )
        )
