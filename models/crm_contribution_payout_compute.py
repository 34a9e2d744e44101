from markupsafe import Markup

from odoo import models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .crm_contribution_payout_line import BATCH_FIELDS
from .payout_entry_table import PAYOUT_ENTRY_TABLE
from .payout_line_figures import fill_figures
from .sql_tools import figures_table, without_jit

# What Compute's INSERT writes on each new line: the payout's own values,
# then (ROW_COLUMNS) each employee's sums and facts, then the stored figures
# fill_figures computes from them (the line's BATCH_FIELDS).
PAYOUT_COLUMNS = (
    "payout_id",
    "company_id",
    "date_from",
    "date_to",
    "create_uid",
    "create_date",
    "write_uid",
    "write_date",
)
ROW_COLUMNS = (
    "employee_id",
    "department_id",
    "incentive_amount",
    "award_amount",
    "clawback_amount",
    "deductible_clawback_amount",
    "deduction_allowed",
    "points",
    "formula_award",
    "carry_in_amount",
    "results_only",
    "workplace_state_id",
)
LINE_INSERT_COLUMNS = (*PAYOUT_COLUMNS, *ROW_COLUMNS)
# What the lines' sums read of each entry taken (_totals_sql).
TAKEN_COLUMNS = (
    "id",
    "employee_id",
    "amount",
    "wage_type",
    "points",
    "date",
    "rule_id",
    "reversed_entry_id",
    "reduced_entry_id",
)

# How many employees a message about a change names before "and N more".
NAMED_AT_MOST = 20

# Rows written at once past which the table's statistics are refreshed in
# the same transaction: the planner otherwise plans the next statements
# (the lines' figures, Confirm's settlement) on statistics that know none
# of them, and a join it believes is one row long is run once per line.
ANALYZE_AFTER_ROWS = 10_000


class CrmContributionPayout(models.Model):
    """Compute's internals: take the payable entries, sum them in the
    database, one line per employee; what changed since the last Compute."""

    _inherit = "crm.contribution.payout"

    def _line_figures(self):
        """{employee id: (incentive, award, owed back)} of the lines, in one query."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT employee_id, incentive_amount, award_amount,
                       COALESCE(clawback_amount, 0) + COALESCE(carry_in_amount, 0)
                  FROM crm_contribution_payout_line
                 WHERE payout_id = %s
                """,
                self.id,
            )
        )
        return {row[0]: tuple(row[1:]) for row in self.env.cr.fetchall()}

    def _post_difference(self, before, after):
        """Compute again shows what changed since the last Compute: one note,
        the employees whose figures moved."""
        changed = sorted(
            employee_id
            for employee_id in before.keys() | after.keys()
            if before.get(employee_id) != after.get(employee_id)
        )
        if not changed:
            body = self.env._("Computed again: no line changed.")
        else:
            employees = self.env["hr.employee"].with_context(active_test=False)
            # sudo: the names of the payout's own employees, as its lines show them.
            names = {e.id: e.name for e in employees.browse(changed[:NAMED_AT_MOST]).sudo()}
            zero = (0.0, 0.0, 0.0)
            rows = [
                self.env._(
                    "%(employee)s: incentive %(incentive_before)s → %(incentive_after)s, "
                    "award %(award_before)s → %(award_after)s, owed back %(owed_before)s → "
                    "%(owed_after)s",
                    employee=names.get(employee_id, employee_id),
                    incentive_before=format(before.get(employee_id, zero)[0], ",.0f"),
                    incentive_after=format(after.get(employee_id, zero)[0], ",.0f"),
                    award_before=format(before.get(employee_id, zero)[1], ",.0f"),
                    award_after=format(after.get(employee_id, zero)[1], ",.0f"),
                    owed_before=format(before.get(employee_id, zero)[2], ",.0f"),
                    owed_after=format(after.get(employee_id, zero)[2], ",.0f"),
                )
                for employee_id in changed[:NAMED_AT_MOST]
            ]
            if len(changed) > NAMED_AT_MOST:
                rows.append(self.env._("and %(count)s more", count=len(changed) - NAMED_AT_MOST))
            body = Markup("%s<ul>%s</ul>") % (
                self.env._("Computed again: what changed since the last Compute (¥)."),
                Markup().join(Markup("<li>%s</li>") % row for row in rows),
            )
        self.message_post(body=body, subtype_xmlid="mail.mt_note")

    def _release_entries(self):
        self.env.cr.execute(
            SQL(
                "DELETE FROM %s WHERE payout_id = %s",
                SQL.identifier(PAYOUT_ENTRY_TABLE),
                self.id,
            )
        )
        self._invalidate_entry_links()

    def _invalidate_entry_links(self):
        """Entries were moved by SQL: forget what the cache knew of the links."""
        self.env["crm.contribution"].invalidate_model(["payout_id"])
        self.env["crm.contribution.payout.line"].invalidate_model(["entry_ids"])
        self.invalidate_model(["entry_ids", "entry_count"])

    def _take_entries(self):
        """Reserve every approved, unpaid, payable entry up to the period end,
        and return what the lines need of them: one row per employee with
        money taken or a debt carried in (_line_rows_sql), from one statement.

        One INSERT into the narrow link table (the ledger's rows are not
        rewritten): an entry taken by another run (or approved in a
        transaction not yet committed) is not taken; it waits for the next.
        Two runs taking the same entry at once: the link's unique index on
        the entry makes the second wait for the first, then fail. In the
        entries' order: that index then grows at its end instead of being
        written all over (the candidates come out of a hash in no order).
        The same statement sums what it takes, from the rows it read: the
        ledger is read once.
        """
        # Written in SQL here and by _create_lines: who may is checked first.
        self.check_access("write")
        self.env.flush_all()
        with without_jit(self.env.cr):
            rows = self._take_and_sum()
        self._analyze_if_large(PAYOUT_ENTRY_TABLE, rows[0]["taken_count"] if rows else 0)
        self._invalidate_entry_links()
        return rows

    def _take_and_sum(self):
        """_take_entries' statement."""
        return self.env.execute_query_dict(
            SQL(
                """
                WITH taken AS MATERIALIZED (%(takeable)s),
                linked AS (
                    INSERT INTO %(links)s (payout_id, entry_id)
                    SELECT %(payout)s, id FROM taken ORDER BY id
                ),
                totals AS (%(totals)s),
                carried AS (%(carried)s)
                SELECT line.*, (SELECT count(*) FROM taken) AS taken_count
                  FROM (%(lines)s) line
                """,
                takeable=self._takeable_sql(TAKEN_COLUMNS),
                links=SQL.identifier(PAYOUT_ENTRY_TABLE),
                payout=self.id,
                totals=self._totals_sql(SQL("SELECT * FROM taken")),
                carried=self._carried_in_sql(),
                lines=self._line_rows_sql(),
            )
        )

    def _analyze_if_large(self, table, rows):
        """Refresh ``table``'s statistics after ``rows`` were written at once,
        when they are many (see ANALYZE_AFTER_ROWS); autovacuum would, later."""
        if rows >= ANALYZE_AFTER_ROWS:
            self.env.cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))

    def _takeable_sql(self, columns=("id",)):
        """The entries Compute would take now, as SQL rows of their ``columns``:
        the approved, payable entries in no payout (the ledger's
        _payable_domain), less those whose credit or reversal must wait for
        its partner. Compute takes them; Confirm checks that nothing new
        would be taken."""
        # sudo: the payout takes every payable entry of its company, whoever
        # closes it; the condition is the ledger's own (_payable_domain).
        ledger = self.env["crm.contribution"].sudo()
        payable = ledger._search(ledger._payable_domain(self.company_id, self.date_to))
        # A credit never paid and the reversal that cancels it (or the
        # negative adjustment that reduces it) are taken together or not at
        # all: they net before payroll sees them. NOT EXISTS, not NOT IN:
        # PostgreSQL hashes NOT IN only while the candidates fit in work_mem
        # (a million do not), and otherwise compares row by row.
        #
        # Who waits is found from the pairs (few: the reversals and
        # reductions, through their partial indexes), never by joining or
        # scanning the candidates: whether a partner is a candidate is the
        # payable condition on its own row, looked up by its key. Joined
        # with the candidates, the planner (which knows nothing of a CTE's
        # columns) sorted all of them three times to find none (2 s at a
        # million), and checked each partner against a scan of them all.
        return SQL(
            """
            WITH candidate AS (
                SELECT %(columns)s
                  FROM crm_contribution
                 WHERE %(payable)s
            ), waiting AS (
                -- A credit whose reversal or reduction is unpaid and not payable.
                SELECT crm_contribution.id
                  FROM crm_contribution reversal
                  JOIN crm_contribution ON crm_contribution.id = reversal.reversed_entry_id
                 WHERE reversal.reversed_entry_id IS NOT NULL
                   AND %(reversal_unpaid)s
                   AND %(payable)s
                   AND NOT %(reversal_payable)s
                UNION
                SELECT crm_contribution.id
                  FROM crm_contribution reduction
                  JOIN crm_contribution ON crm_contribution.id = reduction.reduced_entry_id
                 WHERE reduction.reduced_entry_id IS NOT NULL
                   AND %(reduction_unpaid)s
                   AND %(payable)s
                   AND NOT %(reduction_payable)s
                UNION
                -- A reversal or reduction whose credit is unpaid and not
                -- payable (its credit: the one it reverses, else reduces).
                SELECT crm_contribution.id
                  FROM crm_contribution
                  JOIN crm_contribution credit
                    ON credit.id = crm_contribution.reversed_entry_id
                 WHERE crm_contribution.reversed_entry_id IS NOT NULL
                   AND %(credit_unpaid)s
                   AND %(payable)s
                   AND NOT %(credit_payable)s
                UNION
                SELECT crm_contribution.id
                  FROM crm_contribution
                  JOIN crm_contribution credit
                    ON credit.id = crm_contribution.reduced_entry_id
                 WHERE crm_contribution.reduced_entry_id IS NOT NULL
                   AND crm_contribution.reversed_entry_id IS NULL
                   AND %(credit_unpaid)s
                   AND %(payable)s
                   AND NOT %(credit_payable)s
            )
            SELECT %(taken)s FROM candidate
             WHERE NOT EXISTS (SELECT 1 FROM waiting WHERE waiting.id = candidate.id)
            """,
            columns=SQL(", ").join(
                SQL.identifier(column)
                for column in dict.fromkeys(
                    ("id", "reversed_entry_id", "reduced_entry_id", *columns)
                )
            ),
            taken=SQL(", ").join(SQL.identifier("candidate", column) for column in columns),
            payable=payable.where_clause,
            reversal_unpaid=ledger._state_in_sql("reversal", ("draft", "approved")),
            reduction_unpaid=ledger._state_in_sql("reduction", ("draft", "approved")),
            credit_unpaid=ledger._state_in_sql("credit", ("draft", "approved")),
            reversal_payable=self._payable_row_sql(payable, "reversal"),
            reduction_payable=self._payable_row_sql(payable, "reduction"),
            credit_payable=self._payable_row_sql(payable, "credit"),
        )

    @staticmethod
    def _payable_row_sql(payable, alias):
        """SQL condition: the entry ``alias`` is payable (``payable``, the
        ledger's payable query, on its own row, looked up by its key)."""
        return SQL(
            "EXISTS (SELECT 1 FROM crm_contribution WHERE crm_contribution.id = %s AND %s)",
            SQL.identifier(alias, "id"),
            payable.where_clause,
        )

    def _changes_since_compute(self, no_line=None):
        """What changed in the ledger since this draft was computed, as
        sentences (empty: nothing). One query: credits taken here and
        reversed or reduced since (a deal lost, a dispute's adjustment),
        entries Compute would take now (a credit approved since, or released
        by a deleted line), entries taken for an employee without a line;
        and the lines deleted. ``no_line``: the ids of the employees with
        money taken and no line, when the caller found them already
        (_settlement_rows): only theirs are then counted."""
        self.ensure_one()
        self.env.flush_all()
        # Planned on estimates far above its cost: without JIT (see without_jit).
        with without_jit(self.env.cr):
            rows = self._changes_since_compute_rows(no_line)
        return self._changes_sentences(rows)

    def _changes_since_compute_rows(self, no_line=None):
        """_changes_since_compute's rows: (kind, employee id, count, amount)."""
        if no_line is None:
            among = SQL("TRUE")
        elif no_line:
            among = SQL("entry.employee_id = ANY(%s)", list(no_line))
        else:
            among = SQL("FALSE")
        self.env.cr.execute(
            SQL(
                """
                WITH reversal_of_mine AS (
                    -- From the reversals and reductions (few) to the
                    -- entries this payout took (its links, by their key),
                    -- not the other way: no pass over every entry taken.
                    -- Two joins PostgreSQL can look up, not one on "a OR b".
                    SELECT reversal.id
                      FROM crm_contribution reversal
                      JOIN %(links)s mine ON mine.entry_id = reversal.reversed_entry_id
                     WHERE mine.payout_id = %(payout)s
                     UNION
                    SELECT reduction.id
                      FROM crm_contribution reduction
                      JOIN %(links)s mine ON mine.entry_id = reduction.reduced_entry_id
                     WHERE mine.payout_id = %(payout)s
                )
                SELECT 'reversed', reversal.employee_id, count(*), SUM(reversal.amount)
                  FROM reversal_of_mine
                  JOIN crm_contribution reversal ON reversal.id = reversal_of_mine.id
                 WHERE NOT EXISTS (SELECT 1 FROM %(links)s mine
                                    WHERE mine.entry_id = reversal.id
                                      AND mine.payout_id = %(payout)s)
                 GROUP BY reversal.employee_id
                 UNION ALL
                SELECT 'added', entry.employee_id, count(*), SUM(entry.amount)
                  FROM crm_contribution entry
                 WHERE entry.id IN (%(takeable)s)
                 GROUP BY entry.employee_id
                 UNION ALL
                SELECT 'no_line', entry.employee_id, count(*), SUM(entry.amount)
                  FROM %(links)s mine
                  JOIN crm_contribution entry ON entry.id = mine.entry_id
                 WHERE mine.payout_id = %(payout)s
                   AND %(among)s
                   AND entry.amount != 0
                   AND NOT EXISTS (
                        SELECT 1 FROM crm_contribution_payout_line line
                         WHERE line.payout_id = %(payout)s
                           AND line.employee_id = entry.employee_id)
                 GROUP BY entry.employee_id
                """,
                links=SQL.identifier(PAYOUT_ENTRY_TABLE),
                payout=self.id,
                takeable=self._takeable_sql(),
                among=among,
            )
        )
        return self.env.cr.fetchall()

    def _changes_sentences(self, rows):
        """The sentences of _changes_since_compute from its ``rows``."""
        by_kind = {}
        for kind, employee_id, count, amount in rows:
            by_kind.setdefault(kind, []).append((employee_id, count, amount or 0.0))
        employees = self.env["hr.employee"].with_context(active_test=False)
        # sudo: the names of the employees concerned, as the payout's lines show them.
        names = {
            employee.id: employee.name
            for employee in employees.browse(
                {row[0] for rows in by_kind.values() for row in rows}
            ).sudo()
        }

        def listed(rows):
            rows = sorted(rows, key=lambda row: names.get(row[0]) or "")
            text = ", ".join(
                f"{names.get(employee_id, employee_id)} ({count}, ¥{amount:,.0f})"
                for employee_id, count, amount in rows[:NAMED_AT_MOST]
            )
            if len(rows) > NAMED_AT_MOST:
                text += " " + self.env._("and %(count)s more", count=len(rows) - NAMED_AT_MOST)
            return text

        changes = []
        if by_kind.get("reversed"):
            changes.append(
                self.env._(
                    "Credits taken by this payout were reversed since Compute (a deal lost, "
                    "archived or changed): %(employees)s.",
                    employees=listed(by_kind["reversed"]),
                )
            )
        if self.removed_employee_ids:
            changes.append(
                self.env._(
                    "Lines were deleted since Compute; their credits went back to the "
                    "pool: %(employees)s.",
                    employees=", ".join(sorted(self.removed_employee_ids.sudo().mapped("name"))),
                )
            )
        if by_kind.get("added"):
            changes.append(
                self.env._(
                    "Credits became payable in this period since Compute (approved since, or "
                    "released by a deleted line): %(employees)s.",
                    employees=listed(by_kind["added"]),
                )
            )
        if by_kind.get("no_line"):
            changes.append(
                self.env._(
                    "Credits are taken for employees without a line: %(employees)s.",
                    employees=listed(by_kind["no_line"]),
                )
            )
        return changes

    def _check_unchanged_since_compute(self, no_line=None):
        """Paid means a line paid it: a payout whose entries changed since
        Compute is not confirmed; Compute again shows the difference and
        nets a lost deal before payment. ``no_line``: see
        _changes_since_compute."""
        for payout in self:
            changes = payout._changes_since_compute(no_line)
            if changes:
                raise UserError(
                    self.env._(
                        "%(payout)s changed since it was computed: %(changes)s Compute it "
                        "again, check the lines, then confirm.",
                        payout=payout.display_name,
                        changes=" ".join(changes),
                    )
                )

    def _totals_sql(self, taken=None):
        """Per employee of the entries this payout took, a line's figures,
        summed by the database, as SQL rows (employee_id, incentive, award,
        clawback, deductible_clawback, points, formula_award, money):
        incentive, award and clawback (reversals and reductions of credits
        already paid), and the part of the clawback that arose under a
        wage-deduction agreement in force, apart. A reduction (negative
        adjustment) follows its credit as a reversal does: one path for both.
        What is still negative (a reversal whose credit another payout pays)
        is owed back, never a negative wage. ``taken``: the entries as SQL
        rows (TAKEN_COLUMNS), by default those the payout took."""
        window = self.company_id._everyone_sells_deduction_window(self.payment_date)
        if taken is None:
            taken = SQL(
                "SELECT %s FROM %s link JOIN crm_contribution entry ON entry.id = link.entry_id"
                " WHERE link.payout_id = %s",
                SQL(", ").join(SQL.identifier("entry", column) for column in TAKEN_COLUMNS),
                SQL.identifier(PAYOUT_ENTRY_TABLE),
                self.id,
            )
        start, end = window or (None, None)
        return SQL(
            """
            SELECT employee_id,
                   GREATEST(incentive, 0) AS incentive,
                   GREATEST(award, 0) AS award,
                   clawback + GREATEST(-incentive, 0) + GREATEST(-award, 0) AS clawback,
                   deductible + CASE WHEN %(in_force)s
                                     THEN GREATEST(-incentive, 0) + GREATEST(-award, 0)
                                     ELSE 0 END AS deductible_clawback,
                   points, formula_award, money
              FROM (
                SELECT entry.employee_id,
                       COALESCE(SUM(entry.amount) FILTER (
                           WHERE entry.wage_type = 'incentive' AND NOT entry.of_paid), 0)
                           AS incentive,
                       COALESCE(SUM(entry.amount) FILTER (
                           WHERE entry.wage_type = 'award' AND NOT entry.of_paid), 0) AS award,
                       COALESCE(-SUM(entry.amount) FILTER (WHERE entry.of_paid), 0)
                           AS clawback,
                       COALESCE(-SUM(entry.amount) FILTER (
                           WHERE entry.of_paid AND %(in_force)s
                             AND entry.date >= %(start)s
                             AND (%(end)s::date IS NULL OR entry.date <= %(end)s::date)), 0)
                           AS deductible,
                       COALESCE(SUM(entry.points), 0) AS points,
                       COALESCE(BOOL_OR(rule.compute_method IN ('percentage', 'tiered')
                                        AND entry.wage_type = 'award'), FALSE) AS formula_award,
                       COALESCE(BOOL_OR(entry.amount != 0), FALSE) AS money
                  FROM (
                    -- Whether the entry reverses or reduces a paid credit:
                    -- looked up for the few that reverse or reduce one, not
                    -- joined with every paid entry of the ledger.
                    SELECT entry.employee_id, entry.amount, entry.wage_type, entry.points,
                           entry.date, entry.rule_id,
                           CASE WHEN entry.reversed_entry_id IS NULL
                                 AND entry.reduced_entry_id IS NULL THEN FALSE
                                ELSE EXISTS (
                                    SELECT 1 FROM crm_contribution paid
                                     WHERE paid.id = COALESCE(entry.reversed_entry_id,
                                                              entry.reduced_entry_id)
                                       AND %(paid)s)
                           END AS of_paid
                      FROM (%(taken)s) entry
                    -- OFFSET 0: of_paid computed once a row, here. Flattened
                    -- into the sums, its lookup is costed once for each of
                    -- the sums that read it, for every entry: the planner
                    -- then walks the ledger by employee (2.2 s at the large
                    -- profile's Confirm) instead of joining and sorting (1.2 s).
                    OFFSET 0
                  ) entry
             LEFT JOIN crm_contribution_rule rule ON rule.id = entry.rule_id
              GROUP BY entry.employee_id
              ) sums
            """,
            taken=taken,
            paid=self.env["crm.contribution"]._state_in_sql("paid", ("paid",)),
            in_force=bool(window),
            start=start,
            end=end,
        )

    def _carried_in_sql(self):
        """What each employee still owed after the previous run, under an
        agreement, as SQL rows (employee_id, owed): carried only while an
        agreement is in force, and only the debts that arose under one."""
        if not self.company_id._everyone_sells_deduction_window(self.payment_date):
            return SQL("SELECT NULL::int AS employee_id, NULL::numeric AS owed WHERE FALSE")
        return SQL(
            """
            SELECT employee_id, owed FROM (
                SELECT DISTINCT ON (line.employee_id) line.employee_id,
                       CASE WHEN line.deduction_allowed
                            THEN line.deductible_outstanding_amount ELSE 0 END AS owed
                  FROM crm_contribution_payout_line line
                  JOIN crm_contribution_payout payout ON payout.id = line.payout_id
                 WHERE payout.company_id = %s
                   AND payout.state IN ('confirmed', 'done')
                   AND payout.date_to < %s
              ORDER BY line.employee_id, payout.date_to DESC
            ) last_line
             WHERE owed != 0
            """,
            self.company_id.id,
            self.date_from,
        )

    def _line_rows_sql(self):
        """One row per employee with money in the entries taken (the CTE
        ``totals``; even netted to zero: paid means a line paid it, and the
        statement shows both) or a debt carried in (the CTE ``carried``):
        the sums and what a new line needs of its employee. Points are not
        money: someone with only points gets no ¥0 line."""
        return SQL(
            """
            SELECT employee.id AS employee_id, employee.department_id,
                   COALESCE(totals.incentive, 0) AS incentive_amount,
                   COALESCE(totals.award, 0) AS award_amount,
                   %(owed)s,
                   COALESCE(totals.points, 0) AS points,
                   COALESCE(totals.formula_award, FALSE) AS formula_award,
                   COALESCE(employee.everyone_sells_results_only, FALSE) AS results_only,
                   COALESCE(address.state_id, %(company_state)s) AS workplace_state_id,
                   COALESCE(employee.resource_calendar_id,
                            employee_company.resource_calendar_id) AS calendar_id,
                   -- What payroll enters later: none yet.
                   0 AS net_wage_amount, 0 AS worked_hours, 0 AS overtime_hours,
                   0 AS holiday_hours, 0 AS late_night_hours, FALSE AS overtime_exempt,
                   0 AS fixed_wage_amount
              FROM totals
         FULL JOIN carried ON carried.employee_id = totals.employee_id
             -- Each row's employee looked up by id (LIMIT 1: kept a lookup,
             -- not flattened into a join). The planner cannot count the
             -- employees summed from a CTE (it guesses 200): as a join, it
             -- can walk all employees in id order and compare each with
             -- every sum, which at 50,000 of each takes minutes.
        CROSS JOIN LATERAL (
                SELECT * FROM hr_employee
                 WHERE hr_employee.id = COALESCE(totals.employee_id, carried.employee_id)
                 LIMIT 1
              ) employee
         LEFT JOIN res_company employee_company ON employee_company.id = employee.company_id
         LEFT JOIN res_partner address ON address.id = employee.address_id
             WHERE carried.employee_id IS NOT NULL
                OR totals.incentive != 0 OR totals.award != 0 OR totals.clawback != 0
                OR totals.money
          ORDER BY employee.id
            """,
            owed=self._owed_sql(),
            # The workplace: the work address's prefecture, else the
            # company's (hr.employee._everyone_sells_workplace_state).
            company_state=self.company_id.state_id.id or None,
        )

    def _owed_sql(self):
        """A line's owed figures (the line's OWED_FIELDS) from the CTEs or
        subqueries ``totals`` (_totals_sql) and ``carried`` (_carried_in_sql),
        with today's agreement: Compute writes them, Confirm settles them
        again."""
        return SQL(
            """
            COALESCE(totals.clawback, 0) AS clawback_amount,
            COALESCE(totals.deductible_clawback, 0) AS deductible_clawback_amount,
            %s AS deduction_allowed,
            COALESCE(carried.owed, 0) AS carry_in_amount
            """,
            bool(self.company_id._everyone_sells_deduction_window(self.payment_date)),
        )

    def _create_lines(self, rows):
        """The lines of ``rows`` (_take_entries'): their stored figures in one
        pass (fill_figures, the functions of the fields' computes), the lines
        written by one INSERT."""
        self.ensure_one()
        Line = self.env["crm.contribution.payout.line"]
        fill_figures(self.env, self, rows, defaults=True)
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_contribution_payout_line (%(columns)s)
                SELECT %(payout)s, %(company)s, %(date_from)s, %(date_to)s,
                       %(uid)s, %(now)s, %(uid)s, %(now)s, %(values)s
                  FROM %(figures)s
                """,
                columns=SQL(", ").join(
                    SQL.identifier(column) for column in (*LINE_INSERT_COLUMNS, *BATCH_FIELDS)
                ),
                payout=self.id,
                company=self.company_id.id,
                date_from=self.date_from,
                date_to=self.date_to,
                uid=self.env.uid,
                now=self.env.cr.now(),
                values=SQL(", ").join(
                    SQL.identifier("figures", column) for column in (*ROW_COLUMNS, *BATCH_FIELDS)
                ),
                figures=figures_table(Line, rows, (*ROW_COLUMNS, *BATCH_FIELDS)),
            )
        )
        self._analyze_if_large("crm_contribution_payout_line", self.env.cr.rowcount)
        # Rows written in SQL: what the cache knew of this payout's lines
        # (and the totals read from them) is stale.
        self.invalidate_recordset()
        Line.invalidate_model(["entry_ids"])
