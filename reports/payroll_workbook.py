"""The payroll workbook of a payout: what payroll imports without touching it.

One sheet per employee line (with how payroll must treat each amount), one
per ledger entry, and the rules in force. Each sheet's columns are one list
of column specs (header, source, format): add a column there. Written with
the addon's own SpreadsheetML writer (:mod:`..core.xlsx`): yen as
``¥#,##0``, hours with two decimals, hourly bases with three, dates as dates.

In constant memory: the lines and entries are read from a server-side
cursor in the export's transaction (the entries on a connection of their
own that imports its snapshot, when it may), a batch at a time (a thread
fetches the next one meanwhile), and handed to the writer a column per
batch; no sheet is ever held as a list.
"""

import contextlib
import logging
import queue
import threading
import uuid
from operator import itemgetter

import psycopg2
import psycopg2.pool

from odoo import api, models, sql_db
from odoo.tools import SQL

from ..core.payroll_file import ColumnSpec
from ..core.xlsx import Columns, Filled, write_workbook
from ..models.crm_contribution_explanation import LINE_COLUMNS
from ..models.crm_contribution_payroll_format import prefecture_label
from ..models.payout_entry_table import PAYOUT_ENTRY_TABLE

_logger = logging.getLogger(__name__)

# Rows fetched from the server-side cursor at a time: the memory a sheet
# needs, whatever the payout's size.
BATCH_ROWS = 2000
# Employees whose identities (key, name) are read in one query.
IDENTITIES_A_QUERY = 5000
# The figures of a payout line the payroll sheet shows as they are stored
# (0 when empty), each its spec's source.
LINE_FIGURES = (
    "incentive_amount",
    "worked_hours",
    "overtime_hours",
    "late_night_hours",
    "holiday_hours",
    "hourly_base",
    "overtime_premium_amount",
    "carry_in_amount",
    "deducted_amount",
    "payable_amount",
    "carry_out_amount",
    "award_amount",
)


class _ReadAhead:
    """The rows of ``cursor`` (a server-side cursor), ``size`` at a time,
    each batch fetched by a thread while the caller works on the one
    before: at most two batches in memory.

    Started when made, so PostgreSQL may already work on the first batch
    (for a sorted result, the whole sort) while the caller does something
    else. The thread uses only ``cursor`` (the driver lets one connection
    serve the caller's other queries meanwhile, one statement at a time);
    its error is raised to the reader. Closed (the thread stopped, the
    cursor closed) when read to the end, by ``close()`` or ``with``, or when
    dropped."""

    def __init__(self, cursor, size, connection_cursor=None):
        self._cursor = cursor
        # The cursor of the connection ``cursor`` was opened on when it is
        # the read's own (``_batches``' ``alone``): closed with it.
        self._connection_cursor = connection_cursor
        self._batches = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._closed = False
        self._thread = threading.Thread(
            target=self._fetch, args=(size,), name="everyone_sells_read_ahead", daemon=True
        )
        self._thread.start()

    def _fetch(self, size):
        try:
            while not self._stop.is_set():
                rows = self._cursor.fetchmany(size)
                self._batches.put(rows)
                if not rows:
                    return
        except Exception as error:  # raised again by the reader
            self._batches.put(error)

    def __iter__(self):
        return self

    def __next__(self):
        if self._closed:
            raise StopIteration
        rows = self._batches.get()
        if isinstance(rows, Exception):
            self.close()
            raise rows
        if not rows:
            self.close()
            raise StopIteration
        return rows

    def close(self):
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        # A batch the reader no longer wants: the thread may be waiting to
        # hand it over.
        with contextlib.suppress(queue.Empty):
            self._batches.get_nowait()
        self._thread.join()
        try:
            self._cursor.close()
        finally:
            if self._connection_cursor is not None:
                self._connection_cursor.close()

    def __enter__(self):
        return self

    def __exit__(self, *_error):
        self.close()

    def __del__(self):
        self.close()


class CrmContributionPayrollWorkbook(models.AbstractModel):
    _name = "crm.contribution.payroll.workbook"
    _description = "Payroll Workbook of a Contribution Payout"

    @api.model
    def _write(self, payout, stream):
        """Write ``payout``'s workbook to ``stream`` in the environment's language."""
        # The sheets' cursors are closed when the workbook is written, or not.
        with contextlib.ExitStack() as cursors:
            write_workbook(
                stream, self._sheets(payout, cursors), properties=self._properties(payout)
            )

    @api.model
    def _properties(self, payout):
        company = payout.company_id
        return {
            "title": payout.name,
            "subject": f"{payout.date_from:%Y-%m-%d} – {payout.date_to:%Y-%m-%d}",
            "creator": company.name,
            "company": company.name,
            "keywords": f"{payout.date_from:%Y-%m-%d} {payout.date_to:%Y-%m-%d}",
            "description": self.env._(
                "Incentives of %(start)s – %(end)s, paid on %(payday)s.",
                start=payout.date_from,
                end=payout.date_to,
                payday=payout.payment_date,
            ),
        }

    @api.model
    def _treatments(self):
        """How payroll treats each kind of amount (LEGAL-JP §1): money a
        published rule computes is wages, paid monthly with the salary."""
        return {
            "withholding": self.env._("Salary (給与): monthly table (月額表), with the salary"),
            "social_insurance": self.env._("Remuneration (報酬)"),
            "award": self.env._("Bonus (賞与) candidate"),
            "incentive_entry": self.env._("Salary (給与) / remuneration (報酬)"),
        }

    # ------------------------------------------------------------------
    # COLUMNS: one list per sheet (header, source, format)
    # ------------------------------------------------------------------

    @api.model
    def _payroll_columns(self):
        """The payroll sheet's columns; a source is a line figure of
        ``LINE_FIGURES`` or a value ``_payroll_batches`` derives."""
        return [
            ColumnSpec(self.env._("Employee ID"), "employee_key", "text"),
            ColumnSpec(self.env._("Employee"), "employee_name", "text"),
            ColumnSpec(self.env._("Department"), "department", "text"),
            ColumnSpec(self.env._("Workplace prefecture"), "workplace_prefecture", "text"),
            ColumnSpec(self.env._("Period start"), "date_from", "date"),
            ColumnSpec(self.env._("Period end"), "date_to", "date"),
            ColumnSpec(self.env._("Payment date"), "payment_date", "date"),
            ColumnSpec(self.env._("Incentive (歩合給, wages)"), "incentive_amount", "yen"),
            ColumnSpec(self.env._("Incentive: withholding"), "incentive_withholding", "text"),
            ColumnSpec(
                self.env._("Incentive: social insurance"), "incentive_social_insurance", "text"
            ),
            ColumnSpec(self.env._("Hours worked"), "worked_hours", "hours"),
            ColumnSpec(self.env._("Statutory overtime hours"), "overtime_hours", "hours"),
            ColumnSpec(self.env._("Late-night hours"), "late_night_hours", "hours"),
            ColumnSpec(self.env._("Legal holiday hours"), "holiday_hours", "hours"),
            ColumnSpec(self.env._("Hourly base (incentive ÷ hours worked)"), "hourly_base", "rate"),
            ColumnSpec(
                self.env._("Overtime premium on incentive"), "overtime_premium_amount", "yen"
            ),
            ColumnSpec(self.env._("Carried in"), "carry_in_amount", "yen"),
            ColumnSpec(self.env._("Deducted"), "deducted_amount", "yen"),
            ColumnSpec(self.env._("Payable"), "payable_amount", "yen"),
            ColumnSpec(self.env._("Outstanding (for HR)"), "carry_out_amount", "yen"),
            ColumnSpec(self.env._("Discretionary award"), "award_amount", "yen"),
            ColumnSpec(self.env._("Discretionary award: withholding"), "award_treatment", "text"),
            ColumnSpec(self.env._("Warnings"), "warning", "text"),
        ]

    @api.model
    def _entry_columns(self):
        return [
            ColumnSpec(self.env._("Date"), "date", "date"),
            ColumnSpec(self.env._("Employee ID"), "employee_key", "text"),
            ColumnSpec(self.env._("Employee"), "employee_name", "text"),
            ColumnSpec(self.env._("Deal"), "lead_name", "text"),
            ColumnSpec(self.env._("Rule"), "rule", "text"),
            ColumnSpec(self.env._("Type"), "wage_type", "text"),
            ColumnSpec(self.env._("Amount"), "amount", "yen"),
            ColumnSpec(self.env._("Points"), "points", "decimal"),
            ColumnSpec(self.env._("Payroll treatment"), "treatment", "text"),
            ColumnSpec(self.env._("Explanation"), "explanation", "text"),
        ]

    @api.model
    def _rule_columns(self):
        return [
            ColumnSpec(self.env._("Rule"), "name", "text"),
            ColumnSpec(self.env._("Trigger"), "trigger", "text"),
            ColumnSpec(self.env._("Method"), "compute_method", "text"),
            ColumnSpec(self.env._("Percentage"), "percentage", "decimal"),
            ColumnSpec(self.env._("Fixed amount"), "fixed_amount", "yen"),
            ColumnSpec(self.env._("Split"), "split_method", "text"),
            ColumnSpec(self.env._("Cap per deal"), "cap_per_deal", "yen"),
            ColumnSpec(self.env._("Cap per month"), "cap_per_period", "yen"),
            ColumnSpec(self.env._("Wage type"), "wage_type", "text"),
            ColumnSpec(self.env._("Valid from"), "date_from", "date"),
            ColumnSpec(self.env._("Valid until"), "date_to", "date"),
        ]

    @staticmethod
    def _sheet(title, columns, values):
        """A sheet for the writer: ``values`` (dicts of source → value) laid
        out by ``columns``, row by row as the writer asks for them."""
        sources = [column.source for column in columns]
        # itemgetter of one key gives the value, not a one-value tuple.
        cells = itemgetter(*sources) if len(sources) > 1 else lambda row: (row[sources[0]],)
        return (
            title,
            [column.header for column in columns],
            (cells(row) for row in values),
            [column.format for column in columns],
        )

    @staticmethod
    def _column_sheet(title, columns, batches):
        """``_sheet`` for ``batches`` of values by column (dicts of source →
        one value per row): laid out by ``columns``, a batch at a time."""
        sources = [column.source for column in columns]
        return (
            title,
            [column.header for column in columns],
            Columns([batch[source] for source in sources] for batch in batches),
            [column.format for column in columns],
        )

    # ------------------------------------------------------------------
    # READING
    # ------------------------------------------------------------------

    @api.model
    def _batches(self, query, alone=False):
        """The rows of ``query``, a list of at most ``BATCH_ROWS`` at a time,
        from a server-side cursor on the export's connection: in its
        transaction, so it sees what was flushed, never the whole result in
        memory. Closed when read to the end, closed, or dropped.

        Planned for reading every row, not the first few (a cursor's
        default, which may walk an index where one sort of the result is
        faster): ``cursor_tuple_fraction`` is 1 while it is declared.

        Declared at once and read one batch ahead by a thread (``_ReadAhead``):
        PostgreSQL produces the next batch while this one is written.

        ``alone``: on a connection of its own when one can see exactly what
        this transaction sees (``_snapshot_cursor``), so that a long first
        batch (a million entries sorted) keeps no other query of the export
        waiting; on the export's connection otherwise."""
        cr = (alone and self._snapshot_cursor()) or None
        connection = (cr or self.env.cr)._cnx
        # The settings on the cursor's own connection.
        execute_query = (self.env(cr=cr) if cr else self.env).execute_query
        cursor = connection.cursor(f"everyone_sells_workbook_{uuid.uuid4().hex}")
        try:
            cursor.itersize = BATCH_ROWS
            [(previous,)] = execute_query(SQL("SELECT current_setting('cursor_tuple_fraction')"))
            execute_query(SQL("SELECT set_config('cursor_tuple_fraction', '1', true)"))
            cursor.execute(query.code, query.params)
            execute_query(SQL("SELECT set_config('cursor_tuple_fraction', %s, true)", previous))
        except Exception:
            cursor.close()
            if cr is not None:
                cr.close()
            raise
        return _ReadAhead(cursor, BATCH_ROWS, cr)

    @api.model
    def _snapshot_cursor(self):
        """A cursor on a new connection that sees what this transaction sees,
        or None. Only while this transaction has written nothing (what it
        wrote no other connection sees): the new one then imports this
        transaction's snapshot (``pg_export_snapshot``, valid while this
        transaction lasts). None as well when the pool has no connection
        to spare, and on a test's cursor (its transaction is a savepoint,
        from which PostgreSQL exports no snapshot): the export then reads
        on its own connection. An export is a request of its own (the
        button's), never run inside a savepoint."""
        # (A read-only cursor, maybe on a replica, exports nothing either:
        # the export writes its file, so it never runs on one.)
        if type(self.env.cr) is not sql_db.Cursor or self.env.cr.readonly:
            return None
        [(written,)] = self.env.execute_query(SQL("SELECT txid_current_if_assigned() IS NOT NULL"))
        if written:
            return None
        [(snapshot,)] = self.env.execute_query(SQL("SELECT pg_export_snapshot()"))
        try:
            cr = sql_db.db_connect(self.env.cr.dbname).cursor()
        except (psycopg2.OperationalError, psycopg2.pool.PoolError):
            _logger.info("Payroll workbook: no connection to spare, reading on the export's.")
            return None
        try:
            # The transaction's first statement, as PostgreSQL requires.
            cr.execute(SQL("SET TRANSACTION SNAPSHOT %s", snapshot))
        except Exception:
            cr.close()
            raise
        return cr

    @api.model
    def _plain_columns(self, model, alias, fnames):
        """The columns ``fnames`` of ``model`` under ``alias``, numbers read
        as float8: the values the ORM's floats are (PostgreSQL prints the
        shortest exact text), converted by the driver instead of a Python
        function per value (a million entries hold four each)."""
        return SQL(", ").join(
            SQL("%s::float8", SQL.identifier(alias, fname))
            if model._fields[fname].type in ("float", "monetary")
            else SQL.identifier(alias, fname)
            for fname in fnames
        )

    @api.model
    def _employee_identities(self, employee_ids, payroll_format=None):
        """{employee id: (employee key, name)}. The key is the payroll file's
        (the company's default payroll file format says which field, the
        payroll employee code without one), the same whoever exports: the
        right to export the payout decides, checked by ``_sheets``. Empty
        when HR has not filled it in; never Odoo's id or a national ID."""
        ids = list(employee_ids)
        # The names as anyone may read them (the public employee), checked
        # for the exporter, then read in one query: fifty thousand employees'
        # names through the ORM's records took a second.
        public = self.env["hr.employee.public"].with_context(active_test=False).browse(ids)
        public.check_access("read")
        self.env["hr.employee"].flush_model(["name"])
        names = dict(
            self.env.execute_query(SQL("SELECT id, name FROM hr_employee WHERE id = ANY(%s)", ids))
        )
        employees = self.env["hr.employee"].browse(ids)
        if payroll_format is None:
            formats = self.env["crm.contribution.payroll.format"]
            payroll_format = formats._default_for(self.env.company)
        keys = payroll_format._keys_of(employees)
        return {
            employee_id: (keys.get(employee_id) or "", names.get(employee_id))
            for employee_id in ids
        }

    @api.model
    def _identities_of(self, employee_ids, known):
        """``_employee_identities``, reading only the employees not in ``known``
        (which it completes)."""
        missing = sorted(
            employee_id for employee_id in set(employee_ids) if employee_id not in known
        )
        if not missing:
            return known
        payroll_format = self.env["crm.contribution.payroll.format"]._default_for(self.env.company)
        # A few thousand a query: the rows of fifty thousand are not held.
        for start in range(0, len(missing), IDENTITIES_A_QUERY):
            known.update(
                self._employee_identities(
                    missing[start : start + IDENTITIES_A_QUERY], payroll_format
                )
            )
        return known

    @api.model
    def _identity_columns(self, employee_ids, identities):
        """The employee key and name of each of ``employee_ids`` (one per
        row), as two columns; ``_identities_of`` reads those not known."""
        known = self._identities_of(set(employee_ids), identities)
        identity = list(map(known.__getitem__, employee_ids))
        return [key for key, _name in identity], [name for _key, name in identity]

    @api.model
    def _names_of(self, model, ids, known, name=None):
        """{id: name} of the records ``ids`` of ``model``, archived ones
        included, reading only those not in ``known`` (which it completes)."""
        missing = {record_id for record_id in ids if record_id and record_id not in known}
        if missing:
            records = self.env[model].with_context(active_test=False).browse(missing)
            known.update({record.id: (name or (lambda r: r.name))(record) for record in records})
        return known

    @api.model
    def _sheets(self, payout, cursors):
        """The workbook's sheets, for ``write_workbook``; the cursors they
        read are registered on ``cursors`` (an ``ExitStack``) to be closed."""
        # Fifty thousand lines and a million entries: read as plain values
        # from a server-side cursor, a batch at a time, not value by value
        # through records (the ORM spent more than the whole workbook on it)
        # nor as one list. The caller may write this payout (an
        # administrator of its company, checked here), and every line and
        # entry read belongs to it.
        payout.check_access("write")
        for model in ("crm.contribution.payout.line", "crm.contribution", "hr.employee"):
            self.env[model].flush_model()
        # The employee keys follow the payout's company's payroll file format.
        workbook = self.with_company(payout.company_id)
        # The entries' cursor is declared first, on a connection of its own
        # when it may: PostgreSQL sorts the payout's entries while the
        # payroll sheet is written, without holding up its queries.
        entries = cursors.enter_context(
            workbook._batches(workbook._entry_query(payout), alone=True)
        )
        # (checked while they are sorted: an error closes their cursor)
        self._check_entries_readable(payout)
        # Both sheets name the same employees, every entry's employee has a
        # line (Compute refuses others): their identities read once, before
        # the first sheet, a few thousand a query (not a query per batch,
        # each waiting for the interpreter while the threads hold it).
        [(line_employees,)] = self.env.execute_query(
            SQL(
                "SELECT ARRAY_AGG(employee_id) FROM crm_contribution_payout_line"
                " WHERE payout_id = %s",
                payout.id,
            )
        )
        line_employees = set(line_employees or ())
        identities = workbook._identities_of(line_employees, {})
        return [
            workbook._column_sheet(
                self.env._("Payroll"),
                workbook._payroll_columns(),
                workbook._payroll_batches(payout, identities),
            ),
            workbook._column_sheet(
                self.env._("Entries"),
                workbook._entry_columns(),
                workbook._entry_batches(line_employees, identities, entries),
            ),
            workbook._sheet(
                self.env._("Rules in force"), workbook._rule_columns(), workbook._rule_rows(payout)
            ),
        ]

    @api.model
    def _check_entries_readable(self, payout):
        """The right to read every ledger entry of ``payout``, as reading
        their sentences asks: checked once for the whole payout (a count of
        those the caller's rules let them read), not batch by batch (four
        hundred queries at a million entries). The first one they may not
        read raises Odoo's own access error."""
        if self.env.su:
            return
        Entry = self.env["crm.contribution"]
        links = SQL.identifier(PAYOUT_ENTRY_TABLE)
        [(taken,)] = self.env.execute_query(
            SQL("SELECT count(*) FROM %s WHERE payout_id = %s", links, payout.id)
        )
        if Entry.search_count([("payout_id", "=", payout.id)]) == taken:
            return
        readable = Entry._search([("payout_id", "=", payout.id)])
        [(entry_id,)] = self.env.execute_query(
            SQL(
                "SELECT entry_id FROM %s WHERE payout_id = %s AND entry_id NOT IN %s LIMIT 1",
                links,
                payout.id,
                readable.subselect(),
            )
        )
        Entry.browse(entry_id).check_access("read")

    @api.model
    def _payroll_batches(self, payout, identities):
        """The values of the lines of ``payout``, by department, a batch at a
        time as {source: its column}."""
        query = SQL(
            """
            SELECT line.employee_id, line.department_id, line.workplace_state_id, line.warning,
                   %s
              FROM crm_contribution_payout_line line
         LEFT JOIN hr_department department ON department.id = line.department_id
             WHERE line.payout_id = %s
          ORDER BY department.name NULLS FIRST, line.id
            """,
            # As float8: converted by the driver, not by a Python function
            # per value as the ORM's numeric columns are.
            SQL(", ").join(
                SQL("COALESCE(%s, 0)::float8", SQL.identifier("line", fname))
                for fname in LINE_FIGURES
            ),
            payout.id,
        )
        treatment = self._treatments()
        withholding, insurance = treatment["withholding"], treatment["social_insurance"]
        award_treatment = treatment["award"]
        # The lines' departments and prefectures named at once, not batch by batch.
        [(department_ids, state_ids)] = self.env.execute_query(
            SQL(
                "SELECT ARRAY_AGG(DISTINCT department_id), ARRAY_AGG(DISTINCT workplace_state_id)"
                "  FROM crm_contribution_payout_line WHERE payout_id = %s",
                payout.id,
            )
        )
        departments = self._names_of("hr.department", department_ids or (), {})
        prefectures = self._names_of("res.country.state", state_ids or (), {}, prefecture_label)
        for lines in self._batches(query):
            employee_ids, department_ids, state_ids, warnings, *figures = zip(*lines, strict=True)
            keys, names = self._identity_columns(employee_ids, identities)
            values = dict(zip(LINE_FIGURES, figures, strict=True))
            count = len(lines)
            incentive = values["incentive_amount"]
            values.update(
                employee_key=keys,
                employee_name=names,
                department=list(map(departments.get, department_ids)),
                workplace_prefecture=list(map(prefectures.get, state_ids)),
                date_from=[payout.date_from] * count,
                date_to=[payout.date_to] * count,
                payment_date=[payout.payment_date] * count,
                incentive_withholding=[withholding if amount else None for amount in incentive],
                incentive_social_insurance=[insurance if amount else None for amount in incentive],
                hourly_base=[round(rate, 3) for rate in values["hourly_base"]],
                award_treatment=[
                    award_treatment if amount else None for amount in values["award_amount"]
                ],
                warning=[warning or "" for warning in warnings],
            )
            yield values

    @api.model
    def _entry_query(self, payout):
        """The ledger entries of ``payout`` by employee and date: their
        sentence facts first (``_employee_sentences().many`` reads rows that
        start with them), then what only the sheet shows."""
        return SQL(
            """
            SELECT %s, entry.date, entry.lead_name, entry.wage_type
              FROM crm_contribution entry
             WHERE entry.id IN (SELECT entry_id FROM %s WHERE payout_id = %s)
          ORDER BY entry.employee_id, entry.date, entry.id
            """,
            self._plain_columns(self.env["crm.contribution"], "entry", LINE_COLUMNS),
            SQL.identifier(PAYOUT_ENTRY_TABLE),
            payout.id,
        )

    @api.model
    def _entry_batches(self, line_employees, identities, batches):
        """The values of the ledger entries of ``payout``, read from
        ``batches`` (``_batches`` of ``_entry_query``), by employee and
        date, a batch at a time as {source: its column}, with each entry's
        sentence in its employee's language.

        A batch is the server-side cursor's, split into columns in C; each
        column is then looked up or written in one pass (a million entries:
        no dictionary, no named tuple per entry). The sentence facts come
        in each entry's row (the credits that reversals cancel, rare, read
        per batch), and one ``_employee_sentences`` writes them all: every
        employee and rule read once per export."""
        wage_types = dict(
            self.env["crm.contribution"]._fields["wage_type"]._description_selection(self.env)
        )
        treatment = self._treatments()
        treatments = {"incentive": treatment["incentive_entry"], "award": treatment["award"]}
        Entry = self.env["crm.contribution"]
        width = len(LINE_COLUMNS)
        rule_names = {}
        sentences = Entry._employee_sentences()
        # The lines' employees' sentence facts read before the first batch
        # (their identities are, by _sheets).
        sentences.know(line_employees)
        for entries in batches:
            columns = list(zip(*entries, strict=True))
            line = dict(zip(LINE_COLUMNS, columns, strict=False))
            dates, lead_names, wage_codes = columns[width:]
            keys, names = self._identity_columns(line["employee_id"], identities)
            self._names_of("crm.contribution.rule", set(line["rule_id"]), rule_names)
            # The credits the batch's reversals cancel, in one query.
            reversed_ids = set(line["reversed_entry_id"]) - {None}
            lines = Entry._explanation_lines(reversed_ids) if reversed_ids else {}
            yield {
                "date": dates,
                "employee_key": keys,
                "employee_name": names,
                "lead_name": [name or "" for name in lead_names],
                "rule": [rule_names.get(rule_id) or "" for rule_id in line["rule_id"]],
                "wage_type": [wage_types.get(code, "") for code in wage_codes],
                "amount": line["amount"],
                "points": line["points"],
                "treatment": [
                    treatments.get(code, "") if amount else ""
                    for code, amount in zip(wage_codes, line["amount"], strict=True)
                ],
                # In its employee's language, written from the figures.
                "explanation": Filled(*sentences.many(entries, lines, columns)),
            }

    @api.model
    def _rule_rows(self, payout):
        rules = (
            self.env["crm.contribution.rule"]
            .with_context(active_test=False)
            .search(
                [
                    ("company_id", "=", payout.company_id.id),
                    ("date_from", "<=", payout.date_to),
                    "|",
                    ("date_to", "=", False),
                    ("date_to", ">=", payout.date_from),
                ]
            )
        )
        selection = {
            fname: dict(rules._fields[fname]._description_selection(self.env))
            for fname in ("trigger", "compute_method", "split_method", "wage_type")
        }
        for rule in rules:
            yield {
                "name": rule.name,
                "trigger": selection["trigger"][rule.trigger],
                "compute_method": selection["compute_method"][rule.compute_method],
                "percentage": rule.percentage,
                "fixed_amount": rule.fixed_amount,
                "split_method": selection["split_method"][rule.split_method],
                "cap_per_deal": rule.cap_per_deal,
                "cap_per_period": rule.cap_per_period,
                "wage_type": selection["wage_type"][rule.wage_type],
                "date_from": rule.date_from,
                "date_to": rule.date_to or None,
            }
