from odoo import api, fields, models
from odoo.tools import SQL, drop_view_if_exists

from .crm_contribution import TRIGGER_SELECTION

# What the analysis groups the ledger by (each a column of crm_contribution,
# the month excepted) and what it adds up. Written once here: the trigger,
# the first fill, the view and the compaction are generated from these.
KEYS = ("company_id", "department_id", "rule_id", "trigger", "state", "wage_type")
MONTH = "date_trunc('month', {rows}.date)::date"
MEASURES = {
    "amount": "coalesce({rows}.amount, 0)",
    "points": "coalesce({rows}.points, 0)",
    "entry_count": "1",
}

# The rows of differences the trigger appends (not a model: nobody reads or
# writes them but the trigger, the view below and the compaction).
DELTA_TABLE = "crm_contribution_analysis_delta"
_FUNCTION = "crm_contribution_analysis_delta"
_COLUMNS = ", ".join((*KEYS, "date", *MEASURES))
_GROUP = ", ".join((*KEYS, "date"))
_SUMS = ", ".join(f"sum({measure}) AS {measure}" for measure in MEASURES)
_NOT_NIL = "sum(entry_count) != 0 OR sum(amount) != 0 OR sum(points) != 0"


def drop_analysis_sql(cr):
    """Uninstall: the trigger's function (and its triggers) and the table of
    differences, which the ORM does not know."""
    cr.execute(f"DROP FUNCTION IF EXISTS {_FUNCTION}() CASCADE")
    cr.execute(f"DROP TABLE IF EXISTS {DELTA_TABLE} CASCADE")  # and the view on it


class CrmContributionAnalysis(models.Model):
    """The ledger added up by month, department, rule and status: what the
    Contributions analysis reads, so that its pivot stays fast with millions
    of entries.

    PostgreSQL keeps it: a statement trigger on the ledger appends, for every
    INSERT, UPDATE or DELETE whatever the writer (the crediting job, an
    approval, a payout, a bulk import), the change of each group's totals
    as a row of differences. Appending never waits on another transaction
    (two crediting workers never queue on a total); this model is the view
    that adds each group's rows up, and a daily job folds them into one."""

    _name = "crm.contribution.analysis"
    _description = "Contribution Analysis"
    _auto = False
    _order = "date desc, id desc"

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    department_id = fields.Many2one(
        "hr.department",
        readonly=True,
        help="The contributor's department as recorded on the ledger line.",
    )
    date = fields.Date(
        string="Month", readonly=True, help="The first day of the month of the ledger lines."
    )
    rule_id = fields.Many2one("crm.contribution.rule", readonly=True)
    trigger = fields.Selection(TRIGGER_SELECTION, readonly=True)
    state = fields.Selection(
        [("draft", "To Approve"), ("approved", "Approved"), ("paid", "Paid")],
        string="Status",
        readonly=True,
    )
    wage_type = fields.Selection(
        [("incentive", "Incentive (wages)"), ("award", "Discretionary award")],
        readonly=True,
    )
    amount = fields.Monetary(
        string="Credit", readonly=True, help="Net credit of the lines (after reversals)."
    )
    points = fields.Float(digits=(16, 2), readonly=True, help="Net points of the lines.")
    entry_count = fields.Integer(string="Ledger Lines", readonly=True)

    def init(self):
        ledger = self.env["crm.contribution"]._table

        def grouped(rows, sign, source):
            keys = ", ".join(f"{rows}.{key}" for key in KEYS)
            sums = ", ".join(
                f"{sign}sum({expression.format(rows=rows)})" for expression in MEASURES.values()
            )
            return f"SELECT {keys}, {MONTH.format(rows=rows)}, {sums} FROM {source} {rows}"

        by_position = ", ".join(str(index) for index in range(1, len(KEYS) + 2))
        changed = " OR ".join(
            f"old_row.{column} IS DISTINCT FROM new_row.{column}"
            for column in (*KEYS, "date", "amount", "points")
        )
        cr = self.env.cr
        cr.execute(f"SELECT to_regclass('{DELTA_TABLE}') IS NULL")
        new = cr.fetchone()[0]
        cr.execute(
            f"""
            CREATE TABLE IF NOT EXISTS {DELTA_TABLE} (
                id bigserial PRIMARY KEY,
                company_id integer, department_id integer, rule_id integer,
                trigger varchar, state varchar, wage_type varchar, date date,
                amount numeric NOT NULL, points numeric NOT NULL, entry_count bigint NOT NULL
            )
            """
        )
        # The trigger's function: the rows a statement removed count
        # negatively, those it added positively, one row per group touched.
        cr.execute(
            f"""
            CREATE OR REPLACE FUNCTION {_FUNCTION}() RETURNS trigger
            LANGUAGE plpgsql AS $body$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    INSERT INTO {DELTA_TABLE} ({_COLUMNS})
                    {grouped("new_row", "", "new_rows")}
                     GROUP BY {by_position};
                ELSIF TG_OP = 'DELETE' THEN
                    INSERT INTO {DELTA_TABLE} ({_COLUMNS})
                    {grouped("old_row", "-", "old_rows")}
                     GROUP BY {by_position};
                ELSE
                    -- Only the rows whose keys or figures changed (most
                    -- updates touch neither: an approval's author, a date).
                    INSERT INTO {DELTA_TABLE} ({_COLUMNS})
                    SELECT {_GROUP}, {", ".join(f"sum({m})" for m in MEASURES)}
                      FROM (
                        {grouped("old_row", "-", "old_rows")}
                          JOIN new_rows new_row ON new_row.id = old_row.id
                         WHERE {changed}
                         GROUP BY {by_position}
                        UNION ALL
                        {grouped("new_row", "", "new_rows")}
                          JOIN old_rows old_row ON old_row.id = new_row.id
                         WHERE {changed}
                         GROUP BY {by_position}
                      ) AS delta ({_COLUMNS})
                     GROUP BY {by_position}
                    HAVING {_NOT_NIL};
                END IF;
                RETURN NULL;
            END
            $body$
            """
        )
        for event, tables in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ):
            name = f"{_FUNCTION}_{event.lower()}"
            cr.execute(f"DROP TRIGGER IF EXISTS {name} ON {ledger}")
            cr.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {ledger} REFERENCING {tables} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {_FUNCTION}()"
            )
        if new:  # installed on a ledger that has lines already: start from them
            cr.execute(
                f"INSERT INTO {DELTA_TABLE} ({_COLUMNS}) "
                f"{grouped('entry', '', ledger)} GROUP BY {by_position}"
            )
        # Each group once: its rows added up (a filter on a key reaches the
        # table below the sum).
        drop_view_if_exists(cr, self._table)
        cr.execute(
            f"""
            CREATE VIEW {self._table} AS
            SELECT min(id) AS id, {_GROUP}, {_SUMS}
              FROM {DELTA_TABLE}
             GROUP BY {_GROUP}
            HAVING {_NOT_NIL}
            """
        )

    # The ledger's pending writes reach the table (and so the trigger) first.
    def _flush_ledger(self):
        self.env["crm.contribution"].flush_model()

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        self._flush_ledger()
        return super()._search(domain, offset=offset, limit=limit, order=order)

    @api.model
    def _read_group(
        self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None
    ):
        self._flush_ledger()
        return super()._read_group(
            domain, groupby, aggregates, having=having, offset=offset, limit=limit, order=order
        )

    @api.model
    def _cron_compact(self):
        """Scheduled action: fold each group's rows into one (the trigger
        appends a row per statement and group). Rows appended meanwhile by
        other transactions are not seen, so not touched: they stay."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                f"""
                WITH folded AS (DELETE FROM %(table)s RETURNING {_COLUMNS})
                INSERT INTO %(table)s ({_COLUMNS})
                SELECT {_GROUP}, {", ".join(f"sum({m})" for m in MEASURES)}
                  FROM folded
                 GROUP BY {_GROUP}
                HAVING {_NOT_NIL}
                """,
                table=SQL.identifier(DELTA_TABLE),
            )
        )
        self.env.invalidate_all()

    def action_open_entries(self):
        """The ledger lines behind a row of the analysis."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_everyone_sells.crm_contribution_action_all"
        )
        month_end = fields.Date.end_of(self.date, "month")
        action["domain"] = [
            ("company_id", "=", self.company_id.id),
            ("department_id", "=", self.department_id.id),
            ("rule_id", "=", self.rule_id.id),
            ("trigger", "=", self.trigger),
            ("state", "=", self.state),
            ("wage_type", "=", self.wage_type),
            ("date", ">=", self.date),
            ("date", "<=", month_end),
        ]
        action["context"] = {}
        return action
