from odoo import api, fields, models
from odoo.tools import SQL, drop_view_if_exists

from .crm_contribution import LEDGER_STATES, TRIGGER_SELECTION, WAGE_TYPES

# What the analysis groups the ledger by (each a column of crm_contribution,
# the month excepted) and what it adds up. Written once here: the trigger,
# the first fill, the view and the compaction are generated from these.
KEYS = ("company_id", "department_id", "rule_id", "trigger", "state", "wage_type")
MEASURES = ("amount", "points", "entry_count")

# The rows of differences the trigger appends (not a model: nobody reads or
# writes them but the trigger, the view below and the compaction).
DELTA_TABLE = "crm_contribution_analysis_delta"
_FUNCTION = "crm_contribution_analysis_delta"


def _names(*names):
    return SQL(", ").join(SQL.identifier(name) for name in names)


_COLUMNS = _names(*KEYS, "date", *MEASURES)
_GROUP = _names(*KEYS, "date")
_SUMS = SQL(", ").join(SQL("sum(%s)", SQL.identifier(measure)) for measure in MEASURES)
_NOT_NIL = SQL("sum(entry_count) != 0 OR sum(amount) != 0 OR sum(points) != 0")


def _grouped(rows, source, negative=False):
    """The ledger rows of ``source`` (aliased ``rows``) added up per group, as
    the columns of _COLUMNS; negated for rows a statement removed."""
    keys = SQL(", ").join(SQL.identifier(rows, key) for key in KEYS)
    month = SQL("date_trunc('month', %s)::date", SQL.identifier(rows, "date"))
    figures = (
        SQL("coalesce(%s, 0)", SQL.identifier(rows, "amount")),
        SQL("coalesce(%s, 0)", SQL.identifier(rows, "points")),
        SQL("1"),
    )
    sign = SQL("-") if negative else SQL("")
    sums = SQL(", ").join(SQL("%s sum(%s)", sign, figure) for figure in figures)
    return SQL(
        "SELECT %s, %s, %s FROM %s %s GROUP BY %s, %s",
        keys,
        month,
        sums,
        source,
        SQL.identifier(rows),
        keys,
        month,
    )


def drop_analysis_sql(cr):
    """Uninstall: the trigger's function (and its triggers) and the table of
    differences, which the ORM does not know."""
    cr.execute(SQL("DROP FUNCTION IF EXISTS %s() CASCADE", SQL.identifier(_FUNCTION)))
    # CASCADE: and the view on it.
    cr.execute(SQL("DROP TABLE IF EXISTS %s CASCADE", SQL.identifier(DELTA_TABLE)))


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
    # The ledger's pending writes reach its table (and so the trigger) before
    # a query reads these totals: Odoo flushes them.
    _depends = {"crm.contribution": [*KEYS, "date", "amount", "points"]}

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
        LEDGER_STATES,
        string="Status",
        readonly=True,
    )
    wage_type = fields.Selection(
        WAGE_TYPES,
        readonly=True,
    )
    amount = fields.Monetary(
        string="Credit", readonly=True, help="Net credit of the lines (after reversals)."
    )
    points = fields.Float(digits=(16, 2), readonly=True, help="Net points of the lines.")
    entry_count = fields.Integer(string="Ledger Lines", readonly=True)

    def init(self):
        cr = self.env.cr
        ledger = SQL.identifier(self.env["crm.contribution"]._table)
        delta = SQL.identifier(DELTA_TABLE)
        function = SQL.identifier(_FUNCTION)
        cr.execute(SQL("SELECT to_regclass(%s) IS NULL", DELTA_TABLE))
        new = cr.fetchone()[0]
        cr.execute(
            SQL(
                """
                CREATE TABLE IF NOT EXISTS %s (
                    id bigserial PRIMARY KEY,
                    company_id integer, department_id integer, rule_id integer,
                    trigger varchar, state varchar, wage_type varchar, date date,
                    amount numeric NOT NULL, points numeric NOT NULL,
                    entry_count bigint NOT NULL
                )
                """,
                delta,
            )
        )
        # The trigger's function: the rows a statement removed count
        # negatively, those it added positively, one row per group touched.
        # An UPDATE adds up its old rows and its new rows apart, without
        # pairing them: a row whose keys and figures did not change adds
        # and removes the same exact numbers (numeric columns) in the same
        # group, so the groups that net to nothing are left out as they
        # would be if it were paired and skipped, at no join of a million
        # old rows with a million new ones (Mark as Paid moves them all).
        cr.execute(
            SQL(
                """
                CREATE OR REPLACE FUNCTION %(function)s() RETURNS trigger
                LANGUAGE plpgsql AS $body$
                BEGIN
                    IF TG_OP = 'INSERT' THEN
                        INSERT INTO %(delta)s (%(columns)s) %(inserted)s;
                    ELSIF TG_OP = 'DELETE' THEN
                        INSERT INTO %(delta)s (%(columns)s) %(deleted)s;
                    ELSE
                        INSERT INTO %(delta)s (%(columns)s)
                        SELECT %(group)s, %(sums)s
                          FROM (%(before)s UNION ALL %(after)s) AS change (%(columns)s)
                         GROUP BY %(group)s
                        HAVING %(not_nil)s;
                    END IF;
                    RETURN NULL;
                END
                $body$
                """,
                function=function,
                delta=delta,
                columns=_COLUMNS,
                inserted=_grouped("new_row", SQL("new_rows")),
                deleted=_grouped("old_row", SQL("old_rows"), negative=True),
                group=_GROUP,
                sums=_SUMS,
                before=_grouped("old_row", SQL("old_rows"), negative=True),
                after=_grouped("new_row", SQL("new_rows")),
                not_nil=_NOT_NIL,
            )
        )
        for name, event, tables in (
            ("crm_contribution_analysis_delta_insert", SQL("INSERT"), SQL("NEW TABLE AS new_rows")),
            (
                "crm_contribution_analysis_delta_update",
                SQL("UPDATE"),
                SQL("OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ),
            ("crm_contribution_analysis_delta_delete", SQL("DELETE"), SQL("OLD TABLE AS old_rows")),
        ):
            cr.execute(SQL("DROP TRIGGER IF EXISTS %s ON %s", SQL.identifier(name), ledger))
            cr.execute(
                SQL(
                    "CREATE TRIGGER %s AFTER %s ON %s REFERENCING %s "
                    "FOR EACH STATEMENT EXECUTE FUNCTION %s()",
                    SQL.identifier(name),
                    event,
                    ledger,
                    tables,
                    function,
                )
            )
        if new:  # installed on a ledger that has lines already: start from them
            cr.execute(SQL("INSERT INTO %s (%s) %s", delta, _COLUMNS, _grouped("entry", ledger)))
        # Each group once: its rows added up (a filter on a key reaches the
        # table below the sum).
        drop_view_if_exists(cr, self._table)
        cr.execute(
            SQL(
                """
                CREATE VIEW %s AS
                SELECT min(id) AS id, %s, %s
                  FROM %s
                 GROUP BY %s
                HAVING %s
                """,
                SQL.identifier(self._table),
                _GROUP,
                SQL(", ").join(
                    SQL("sum(%s) AS %s", SQL.identifier(m), SQL.identifier(m)) for m in MEASURES
                ),
                delta,
                _GROUP,
                _NOT_NIL,
            )
        )

    @api.model
    def _move_sql(self, entries, from_state, to_state):
        """SQL: the INSERT of the rows of differences that move the ledger
        entries of ``entries`` (a relation with an ``entry_id`` column) from
        status ``from_state`` to ``to_state``: what the trigger appends when
        a status is written, for the status that is read instead (paid, the
        payout's; see crm_contribution_state.py). One pass over the entries,
        two rows per group."""
        others = [key for key in KEYS if key != "state"]
        month = SQL("date_trunc('month', entry.date)::date")
        group = SQL(", ").join([*(SQL.identifier("entry", key) for key in others), month])

        def side(state, sign):
            keys = SQL(", ").join(
                SQL("%s", state) if key == "state" else SQL.identifier(key) for key in KEYS
            )
            return SQL(
                "SELECT %s, date, %s amount, %s points, %s entry_count FROM moving",
                keys,
                sign,
                sign,
                sign,
            )

        return SQL(
            """
            INSERT INTO %(delta)s (%(columns)s)
            WITH moving AS (
                SELECT %(others)s, %(month)s AS date,
                       sum(coalesce(entry.amount, 0)) AS amount,
                       sum(coalesce(entry.points, 0)) AS points,
                       count(*) AS entry_count
                  FROM %(entries)s moved
                  JOIN crm_contribution entry ON entry.id = moved.entry_id
                 GROUP BY %(group)s
            )
            %(removed)s
            UNION ALL
            %(added)s
            """,
            delta=SQL.identifier(DELTA_TABLE),
            columns=_COLUMNS,
            others=SQL(", ").join(SQL.identifier("entry", key) for key in others),
            entries=entries,
            group=group,
            month=month,
            removed=side(from_state, SQL("-")),
            added=side(to_state, SQL("")),
        )

    @api.model
    def _cron_compact(self):
        """Scheduled action: fold each group's rows into one (the trigger
        appends a row per statement and group). Rows appended meanwhile by
        other transactions are not seen, so not touched: they stay."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                WITH folded AS (DELETE FROM %(delta)s RETURNING %(columns)s)
                INSERT INTO %(delta)s (%(columns)s)
                SELECT %(group)s, %(sums)s
                  FROM folded
                 GROUP BY %(group)s
                HAVING %(not_nil)s
                """,
                delta=SQL.identifier(DELTA_TABLE),
                columns=_COLUMNS,
                group=_GROUP,
                sums=_SUMS,
                not_nil=_NOT_NIL,
            )
        )
        self.env.invalidate_all()

    @api.readonly
    def action_open_entries(self):
        """The ledger lines behind a row of the analysis."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_everyone_sells.crm_contribution_action_all"
        )
        # The row's group: its keys (the ledger's own columns) and its month.
        keys = self._convert_to_write({key: self[key] for key in KEYS})
        action["domain"] = [
            *((key, "=", value) for key, value in keys.items()),
            ("date", ">=", self.date),
            ("date", "<=", fields.Date.end_of(self.date, "month")),
        ]
        action["context"] = {}
        return action
