from datetime import timedelta

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL, drop_view_if_exists

# One row per fact (a signal, a won deal's helper, a ledger line), keyed by
# its own table's id: a row's id is that key and its kind, so a filter on the
# view reaches each table's indexes (no numbering of the whole union). The
# views group them by employee, department and period. A moment becomes a day in
# the time zone of the company's working calendar (UTC without one).
# ``fact_count`` is how many facts a row stands for: 1 here; the ledger's
# monthly totals below stand for many lines, and the views' counts add it up.
_SIGNALS = """
    SELECT 1 AS kind, s.id AS key, s.employee_id,
           s.department_id,
           s.company_id,
           (s.create_date AT TIME ZONE 'UTC' AT TIME ZONE COALESCE(s_cal.tz, 'UTC'))::date AS date,
           1 AS signal_count,
           CASE WHEN s.is_handed_off THEN 1 ELSE 0 END AS accepted_count,
           CASE WHEN s.state = 'won' THEN 1 ELSE 0 END AS won_count,
           0.0 AS revenue_influenced,
           0.0 AS points,
           0.0 AS amount,
           1::bigint AS fact_count
      FROM crm_signal s
      LEFT JOIN res_company s_co ON s_co.id = s.company_id
      LEFT JOIN resource_calendar s_cal ON s_cal.id = s_co.resource_calendar_id
"""
_HELPERS = """
    SELECT 2, helper.id, helper.employee_id,
           helper.department_id,
           l.company_id,
           (l.date_closed AT TIME ZONE 'UTC' AT TIME ZONE COALESCE(l_cal.tz, 'UTC'))::date,
           0, 0, 0,
           l.expected_revenue,
           0.0, 0.0,
           1::bigint
      FROM crm_lead l
      LEFT JOIN res_company l_co ON l_co.id = l.company_id
      LEFT JOIN resource_calendar l_cal ON l_cal.id = l_co.resource_calendar_id
      JOIN crm_lead_contributor helper ON helper.lead_id = l.id
     WHERE l.everyone_sells_is_won AND l.date_closed IS NOT NULL
"""
_LEDGER_LINES = """
    SELECT 3, c.id, c.employee_id,
           c.department_id,
           c.company_id,
           c.date,
           0, 0, 0,
           0.0,
           c.points,
           c.amount,
           1::bigint
      FROM crm_contribution c
"""
# Every branch gives each column the same type (casts where a literal would
# differ): PostgreSQL then flattens the union and pushes a filter into each
# branch (an employee's rows are read through the employee indexes). One
# branch needing a coercion made it scan the whole ledger instead.
BRANCHES = (_SIGNALS, _HELPERS, _LEDGER_LINES)
EVALUATION_QUERY = " UNION ALL ".join(BRANCHES)

# The same facts with the ledger's lines replaced by the totals PostgreSQL
# keeps per company, department and month (crm.contribution.analysis). What
# is grouped by department, company or a whole month, quarter or year, over
# whole months, adds up to the same figures from a few thousand rows instead
# of a year's million lines (see _fits_monthly_totals).
_LEDGER_MONTHS = """
    SELECT 3, 0, NULL::integer,
           a.department_id,
           a.company_id,
           a.date,
           0, 0, 0,
           0.0,
           a.points,
           a.amount,
           a.entry_count::bigint
      FROM crm_contribution_analysis a
"""
MONTH_BRANCHES = (_SIGNALS, _HELPERS, _LEDGER_MONTHS)
EVALUATION_BY_MONTH_QUERY = " UNION ALL ".join(MONTH_BRANCHES)
_BY_MONTH_KEY = "everyone_sells_evaluation_by_month"
_BY_MONTH_TOKEN = object()  # set by _read_group only: never by an RPC caller's context

# What the evaluation adds up (its views, its export, the monthly totals).
MEASURES = (
    "signal_count",
    "accepted_count",
    "won_count",
    "revenue_influenced",
    "points",
    "amount",
)
SUMS = tuple(f"{name}:sum" for name in MEASURES)

# What the monthly totals can answer: groups and sums of these, filtered on
# these fields (dates on month boundaries).
_MONTHLY_GROUPS = {"company_id", "department_id", "date:month", "date:quarter", "date:year"}
_MONTHLY_SUMS = {*SUMS, "__count"}
_MONTHLY_FILTERS = {"company_id", "department_id"}


# Sort memory for one evaluation's grouping. A year of a large company is a
# million ledger lines grouped by department and employee: PostgreSQL's
# default work_mem sorts them on disk, this one in memory (bench/large.py's
# evaluation figures). Never lowers what the server is configured with.
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

    # What the facts are read from (Odoo flushes their pending writes before
    # a query reads the view; the ledger's reach the monthly totals' trigger).
    _depends = {
        "crm.signal": [
            "employee_id",
            "department_id",
            "company_id",
            "create_date",
            "is_handed_off",
            "state",
        ],
        "crm.lead": ["company_id", "date_closed", "expected_revenue", "everyone_sells_is_won"],
        "crm.lead.contributor": ["lead_id", "employee_id", "department_id"],
        "crm.contribution": [
            "employee_id",
            "department_id",
            "company_id",
            "date",
            "points",
            "amount",
        ],
        "res.company": ["resource_calendar_id"],
        "resource.calendar": ["tz"],
    }

    @property
    def _table_sql(self):
        table_sql = super()._table_sql
        if self.env.context.get(_BY_MONTH_KEY) is _BY_MONTH_TOKEN:
            # The monthly totals instead of the view, with the same flushes.
            return SQL().join(
                [
                    SQL("(%s)", _facts(EVALUATION_BY_MONTH_QUERY)),
                    *(SQL(to_flush=field) for field in table_sql.to_flush),
                ]
            )
        return table_sql

    @api.model
    @api.readonly
    def _read_group(
        self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None
    ):
        # set_config(..., true) is SET LOCAL: this transaction only (allowed in
        # a read-only one, and so on a read replica).
        self.env.cr.execute(
            SQL(
                "SELECT set_config('work_mem', %(size)s, true)"
                " WHERE pg_size_bytes(current_setting('work_mem')) < pg_size_bytes(%(size)s)",
                size=WORK_MEM,
            )
        )
        model = self
        if self._fits_monthly_totals(domain, groupby, aggregates, having):
            model = self.with_context(**{_BY_MONTH_KEY: _BY_MONTH_TOKEN})
        return super(CrmContributionEvaluationReport, model)._read_group(
            domain, groupby, aggregates, having=having, offset=offset, limit=limit, order=order
        )

    def _read_group_select(self, aggregate_spec, query):
        # A row may stand for many facts (the ledger's monthly totals).
        if aggregate_spec == "__count":
            return SQL("COALESCE(SUM(%s), 0)::bigint", SQL.identifier(query.table, "fact_count"))
        return super()._read_group_select(aggregate_spec, query)

    @api.model
    def _fits_monthly_totals(self, domain, groupby, aggregates, having=()):
        """Whether the ledger's monthly totals give this grouping's figures:
        groups and sums they hold, filters (the caller's and the user's
        record rules) on company, department or whole months only. Anything
        else (an employee, a day, a week) reads the ledger's lines."""
        if having or not set(groupby) <= _MONTHLY_GROUPS:
            return False
        if not set(aggregates) <= _MONTHLY_SUMS:
            return False
        rules = self.env["ir.rule"]._compute_domain(self._name, "read") or []
        tree = _tree(expression.normalize_domain(expression.AND([domain or [], rules])))
        return _fits(tree) is not False

    def init(self):
        drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                _facts(EVALUATION_QUERY),
            )
        )


def _facts(query):
    """The facts of ``query`` with their ids (key and kind)."""
    return SQL("SELECT key::bigint * 3 + kind - 1 AS id, facts.* FROM (%s) facts", SQL(query))


def _tree(domain):
    """A normalized (prefix) domain as nested ("&" | "|" | "!", children)
    nodes and leaves."""
    items = iter(domain)

    def node():
        item = next(items)
        if item in ("&", "|"):
            return (item, [node(), node()])
        if item == "!":
            return ("!", [node()])
        return item

    return node()


def _fits(node):
    """True: always true; None: only filters the monthly totals answer alike;
    False: a filter they cannot answer."""
    if isinstance(node, tuple) and node and node[0] in ("&", "|", "!"):
        operator, children = node
        results = [_fits(child) for child in children]
        if operator == "!":
            # A negated date bound is no month boundary: only company and
            # department filters stay answerable.
            return None if results[0] is None and not _has_date(children[0]) else False
        if operator == "|" and any(result is True for result in results):
            return True
        if any(result is False for result in results):
            return False
        return True if all(result is True for result in results) else None
    if list(node) == list(expression.TRUE_LEAF):
        return True
    if list(node) == list(expression.FALSE_LEAF):
        return None
    field, operator, value = node
    if isinstance(field, str) and field.split(".")[0] in _MONTHLY_FILTERS:
        return None
    if field == "date":
        return None if _month_boundary(operator, value) else False
    return False


def _has_date(node):
    if isinstance(node, tuple) and node and node[0] in ("&", "|", "!"):
        return any(_has_date(child) for child in node[1])
    return isinstance(node, (list, tuple)) and len(node) == 3 and node[0] == "date"


def _month_boundary(operator, value):
    """Whether ``date <operator> value`` keeps or drops whole months."""
    try:
        day = fields.Date.to_date(value)
    except (TypeError, ValueError):
        return False
    if not day:
        return False
    first = day.day == 1
    last = (day + timedelta(days=1)).day == 1
    return (operator in (">=", "<") and first) or (operator in (">", "<=") and last)
