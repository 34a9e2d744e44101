"""The ledger's invariants, each one set-based SQL query: the daily audit
(``crm.contribution.audit.finding._run_audit``) and the check at each payout
confirmation (``_check_payouts``) run the same list.

The checks that compare the lines with what the entries add up to read one
table of those sums, made once a run (``Scope.money``): one pass over a
million entries, not one a check.

Each query returns ``(entry_id, payout_id, company_id)`` rows: the entry that
breaks the invariant (NULL only for a payout line that has no entry at all),
and the payout it is in, if any. A check is given either the companies to
audit (the daily run: every payout of theirs that is confirmed or paid) or
the payouts being confirmed (their entries and lines only).

Fields other branches add (``approval_exception_reason``, ``backdate_reason``,
``crm.lead.everyone_sells_won_date``) are used when they exist, so the audit
works before and after they are merged.
"""

from collections import namedtuple

from odoo.tools import SQL
from odoo.tools.translate import LazyTranslate

from .crm_contribution_state import state_in_sql
from .payout_entry_table import PAYOUT_ENTRY_TABLE

# Amounts are rounded to the currency (at most 2 decimals): smaller
# differences are the float columns' noise, not money.
TOLERANCE = 0.005

_lt = LazyTranslate(__name__)

# The per-employee sums of a run's payouts (Scope.money): a temporary table.
MONEY_TABLE = SQL.identifier("pg_temp", "crm_everyone_sells_audit_money")

Check = namedtuple("Check", "code label description query")


class Scope:
    """What one audit run looks at: ``companies`` (ids), or ``payouts`` (ids
    of the payouts being confirmed)."""

    def __init__(self, env, company_ids=None, payout_ids=None):
        self.env = env
        self.company_ids = list(company_ids or [])
        self.payout_ids = list(payout_ids or [])
        self._money_made = False

    def money(self):
        """The table of what each employee's entries add up to in each of
        the scope's payouts (_money_sql), made on first use: the checks that
        compare with it share one pass over the entries instead of one
        each. A temporary table of this transaction, dropped by close (or
        at the commit): the audit writes its findings, never on a replica."""
        if not self._money_made:
            cr = self.env.cr
            # A run of this transaction that failed before its close.
            cr.execute(SQL("DROP TABLE IF EXISTS %s", MONEY_TABLE))
            cr.execute(
                SQL(
                    "CREATE TEMPORARY TABLE %s ON COMMIT DROP AS %s",
                    MONEY_TABLE,
                    _money_sql(self),
                )
            )
            # Its statistics: the checks join it with lines and entries.
            cr.execute(SQL("ANALYZE %s", MONEY_TABLE))
            self._money_made = True
        return MONEY_TABLE

    def close(self):
        """Drop what the run made (money's table)."""
        if self._money_made:
            self.env.cr.execute(SQL("DROP TABLE %s", MONEY_TABLE))
            self._money_made = False

    def entries(self, alias, link=None):
        """Entries of the scope: of its companies, or taken by its payouts.
        ``link``: the alias of the entry's own link, when the query joins it
        already (an entry has one link at most): the payouts' scope reads
        it there instead of looking it up again."""
        entry = SQL.identifier(alias)
        if self.payout_ids:
            if link:
                return SQL("%s.payout_id = ANY(%s)", SQL.identifier(link), self.payout_ids)
            return SQL(
                "EXISTS (SELECT 1 FROM %s scope_link WHERE scope_link.entry_id = %s.id"
                " AND scope_link.payout_id = ANY(%s))",
                SQL.identifier(PAYOUT_ENTRY_TABLE),
                entry,
                self.payout_ids,
            )
        return SQL("%s.company_id = ANY(%s)", entry, self.company_ids)

    def links(self, alias):
        """Links of the scope's payouts (see payouts): a condition on the
        link alone, which the payouts' scope reads on the link's index (a
        join to the payout would hide from the planner how many links a
        payout has)."""
        link = SQL.identifier(alias)
        if self.payout_ids:
            return SQL("%s.payout_id = ANY(%s)", link, self.payout_ids)
        return SQL(
            "EXISTS (SELECT 1 FROM crm_contribution_payout scope_payout"
            " WHERE scope_payout.id = %s.payout_id AND %s)",
            link,
            self.payouts("scope_payout"),
        )

    def payouts(self, alias):
        """Payouts whose lines are final: confirmed or paid ones of its
        companies, or the payouts being confirmed."""
        payout = SQL.identifier(alias)
        if self.payout_ids:
            return SQL("%s.id = ANY(%s)", payout, self.payout_ids)
        return SQL(
            "(%s.company_id = ANY(%s) AND %s.state IN ('confirmed', 'done'))",
            payout,
            self.company_ids,
            payout,
        )

    def field_exists(self, model, fname):
        field = self.env[model]._fields.get(fname)
        return bool(field and field.store and field.column_type)


def _pairs():
    """(entry_id, credit_id) of each reversal (the credit it reverses) and
    each negative adjustment of a dispute (the credit disputed): found from
    the reversals' partial index and the disputes (few), never by a pass over
    the ledger. An entry that reverses a credit is that credit's, whatever
    dispute it also settles."""
    return SQL(
        """
        SELECT reversal.id AS entry_id, reversal.reversed_entry_id AS credit_id
          FROM crm_contribution reversal
         WHERE reversal.reversed_entry_id IS NOT NULL
         UNION ALL
        SELECT adjustment.id, dispute.contribution_id
          FROM crm_contribution_dispute dispute
          JOIN crm_contribution adjustment ON adjustment.id = dispute.adjustment_id
         WHERE adjustment.amount < 0 AND adjustment.reversed_entry_id IS NULL
        """
    )


def _money_sql(scope):
    """Per payout of the scope and employee, what the payout's entries add
    up to, as the payout sums them: incentive, award, and clawback
    (reversals of credits paid by another payout, and negative adjustments
    of such a credit), as rows (payout_id, employee_id, incentive, award,
    clawback). One pass over the entries; the clawbacks, looked up from the
    pairs (_pairs), are joined to it."""
    return SQL(
        """
        WITH clawback_entry AS MATERIALIZED (
            SELECT DISTINCT pair.entry_id
              FROM (%(pairs)s) pair
              JOIN %(links)s link ON link.entry_id = pair.entry_id
              JOIN crm_contribution credit ON credit.id = pair.credit_id
         LEFT JOIN %(links)s credit_link ON credit_link.entry_id = credit.id
             WHERE %(scope_links)s AND %(credit_paid)s
               AND credit_link.payout_id IS DISTINCT FROM link.payout_id
        )
        SELECT link.payout_id, entry.employee_id,
               COALESCE(SUM(entry.amount) FILTER (
                   WHERE entry.wage_type = 'incentive' AND clawback.entry_id IS NULL), 0)
                   AS incentive,
               COALESCE(SUM(entry.amount) FILTER (
                   WHERE entry.wage_type = 'award' AND clawback.entry_id IS NULL), 0) AS award,
               COALESCE(-SUM(entry.amount) FILTER (WHERE clawback.entry_id IS NOT NULL), 0)
                   AS clawback
          FROM %(links)s link
          JOIN crm_contribution entry ON entry.id = link.entry_id
     LEFT JOIN clawback_entry clawback ON clawback.entry_id = entry.id
         WHERE %(scope_links)s
      GROUP BY link.payout_id, entry.employee_id
        """,
        pairs=_pairs(),
        links=SQL.identifier(PAYOUT_ENTRY_TABLE),
        scope_links=scope.links("link"),
        credit_paid=state_in_sql("credit", ("paid",)),
    )


def paid_by_a_line(scope):
    """Each paid entry belongs to a line of a paid payout; each entry of a
    confirmed payout, to a line of it (unless its employee's entries there
    carry no money: points only, or a credit and its reversal)."""
    return SQL(
        """
        WITH no_line AS MATERIALIZED (
            SELECT money.payout_id, money.employee_id
              FROM %(money)s money
             WHERE NOT EXISTS (SELECT 1 FROM crm_contribution_payout_line line
                                WHERE line.payout_id = money.payout_id
                                  AND line.employee_id = money.employee_id)
               AND (ABS(money.incentive) > %(tol)s OR ABS(money.award) > %(tol)s
                    OR ABS(money.clawback) > %(tol)s)
        )
        SELECT entry.id, link.payout_id, entry.company_id
          FROM crm_contribution entry
     LEFT JOIN %(links)s link ON link.entry_id = entry.id
     LEFT JOIN crm_contribution_payout payout ON payout.id = link.payout_id
         WHERE %(entries)s
           -- A status stored paid (written before paid was read from the
           -- payout; see crm_contribution_state.py) in no paid payout.
           AND entry.state = 'paid' AND (payout.id IS NULL OR payout.state != 'done')
         UNION ALL
        -- The employees with money in a payout and no line there (usually
        -- nobody), then their entries in it.
        SELECT entry.id, link.payout_id, entry.company_id
          FROM no_line
          JOIN crm_contribution entry ON entry.employee_id = no_line.employee_id
          JOIN %(links)s link ON link.entry_id = entry.id AND link.payout_id = no_line.payout_id
         WHERE %(linked_entries)s
        """,
        money=scope.money(),
        links=SQL.identifier(PAYOUT_ENTRY_TABLE),
        entries=scope.entries("entry", link="link"),
        # The payouts' scope: the money's payouts say it already.
        linked_entries=SQL("TRUE") if scope.payout_ids else scope.entries("entry"),
        tol=TOLERANCE,
    )


def line_totals(scope):
    """A line's incentive, award and clawback are its entries' sums; what it
    pays is its incentive less what it deducted, plus its award; what it
    deducted and what stays outstanding are what was owed."""
    return SQL(
        """
        WITH wrong_line AS MATERIALIZED (
            SELECT line.payout_id, line.employee_id, payout.company_id
              FROM crm_contribution_payout_line line
              JOIN crm_contribution_payout payout ON payout.id = line.payout_id
         LEFT JOIN %(money)s money
                ON money.payout_id = line.payout_id AND money.employee_id = line.employee_id
             WHERE %(payouts)s
               AND (ABS(COALESCE(line.incentive_amount, 0)
                        - GREATEST(COALESCE(money.incentive, 0), 0)) > %(tol)s
                    OR ABS(COALESCE(line.award_amount, 0)
                           - GREATEST(COALESCE(money.award, 0), 0)) > %(tol)s
                    OR ABS(COALESCE(line.clawback_amount, 0)
                           - COALESCE(money.clawback, 0)
                           - GREATEST(-COALESCE(money.incentive, 0), 0)
                           - GREATEST(-COALESCE(money.award, 0), 0)) > %(tol)s
                    OR ABS(COALESCE(line.payable_amount, 0)
                           - (COALESCE(line.incentive_amount, 0)
                              - COALESCE(line.deducted_amount, 0)
                              + GREATEST(COALESCE(line.award_amount, 0), 0))) > %(tol)s
                    OR ABS(COALESCE(line.deducted_amount, 0)
                           + COALESCE(line.carry_out_amount, 0)
                           - GREATEST(COALESCE(line.clawback_amount, 0)
                                      + COALESCE(line.carry_in_amount, 0), 0)) > %(tol)s)
        )
        -- The wrong lines first (usually none), then each one's entries
        -- (none: the line itself, entry NULL).
        SELECT taken.entry_id, wrong_line.payout_id, wrong_line.company_id
          FROM wrong_line
     LEFT JOIN LATERAL (
            SELECT link.entry_id
              FROM %(links)s link
              JOIN crm_contribution linked ON linked.id = link.entry_id
             WHERE link.payout_id = wrong_line.payout_id
               AND linked.employee_id = wrong_line.employee_id
        ) taken ON TRUE
        """,
        money=scope.money(),
        links=SQL.identifier(PAYOUT_ENTRY_TABLE),
        payouts=scope.payouts("payout"),
        tol=TOLERANCE,
    )


def clawback_settled(scope):
    """Every reversal of a paid entry (and every negative adjustment of one)
    is netted, deducted or outstanding: approved, and once a payout takes it,
    counted in its line's clawback, all of which is deducted or outstanding."""
    return SQL(
        """
        WITH reduction AS (
            SELECT entry.id, entry.company_id, entry.state, entry.employee_id,
                   link.payout_id
              FROM (%(pairs)s) pair
              JOIN crm_contribution entry ON entry.id = pair.entry_id
              JOIN crm_contribution credit ON credit.id = pair.credit_id
         LEFT JOIN %(links)s link ON link.entry_id = entry.id
         LEFT JOIN %(links)s credit_link ON credit_link.entry_id = credit.id
             WHERE %(entries)s
               AND %(credit_paid)s
               AND credit_link.payout_id IS DISTINCT FROM link.payout_id
        )
        SELECT reduction.id, reduction.payout_id, reduction.company_id
          FROM reduction
     LEFT JOIN crm_contribution_payout payout ON payout.id = reduction.payout_id
     LEFT JOIN crm_contribution_payout_line line
            ON line.payout_id = reduction.payout_id AND line.employee_id = reduction.employee_id
     LEFT JOIN %(money)s money
            ON money.payout_id = reduction.payout_id AND money.employee_id = reduction.employee_id
         WHERE reduction.state = 'draft'
            OR (payout.id IS NOT NULL AND %(payouts)s
                AND (line.id IS NULL
                     OR COALESCE(line.clawback_amount, 0)
                        < COALESCE(money.clawback, 0) - %(tol)s
                     OR COALESCE(line.deducted_amount, 0) + COALESCE(line.carry_out_amount, 0)
                        < COALESCE(line.clawback_amount, 0) - %(tol)s))
        """,
        pairs=_pairs(),
        money=scope.money(),
        links=SQL.identifier(PAYOUT_ENTRY_TABLE),
        entries=scope.entries("entry", link="link"),
        payouts=scope.payouts("payout"),
        tol=TOLERANCE,
        credit_paid=state_in_sql("credit", ("paid",)),
    )


def lost_deal_reversed(scope):
    """Every credit of a deal that is no longer won (lost, archived, left
    the won stage, deleted) has its reversal, once the crediting queue has
    nothing waiting for that deal."""
    return SQL(
        """
        SELECT entry.id, link.payout_id, entry.company_id
          FROM crm_contribution entry
     LEFT JOIN crm_lead lead ON lead.id = entry.lead_id
     LEFT JOIN %(links)s link ON link.entry_id = entry.id
         WHERE %(entries)s
           AND entry.trigger = 'won'
           AND entry.reversed_entry_id IS NULL
           AND entry.rule_id IS NOT NULL
           AND (entry.amount != 0 OR entry.points != 0)
           AND (lead.id IS NULL OR NOT lead.active OR NOT lead.everyone_sells_is_won)
           AND NOT EXISTS (SELECT 1 FROM crm_contribution reversal
                            WHERE reversal.reversed_entry_id = entry.id)
           AND NOT EXISTS (SELECT 1 FROM crm_contribution_queue note
                            WHERE note.lead_id = entry.lead_id AND note.error IS NULL)
        """,
        links=SQL.identifier(PAYOUT_ENTRY_TABLE),
        entries=scope.entries("entry", link="link"),
    )


def reversal_in_its_payout(scope):
    """A payout being confirmed pays no credit whose reversal it leaves
    out: a credit not yet paid nets with its reversal in the same payout
    (checked at confirmation only: after payment, a reversal is a clawback)."""
    if not scope.payout_ids:
        return None
    return SQL(
        """
        SELECT entry.id, link.payout_id, entry.company_id
          FROM %(links)s link
          JOIN crm_contribution entry ON entry.id = link.entry_id
          JOIN crm_contribution reversal ON reversal.reversed_entry_id = entry.id
     LEFT JOIN %(links)s reversal_link ON reversal_link.entry_id = reversal.id
         WHERE link.payout_id = ANY(%(payouts)s)
           AND %(unpaid)s
           AND reversal_link.payout_id IS DISTINCT FROM link.payout_id
        """,
        links=SQL.identifier(PAYOUT_ENTRY_TABLE),
        payouts=scope.payout_ids,
        unpaid=state_in_sql("entry", ("draft", "approved")),
    )


def approved_by_another(scope):
    """Nobody approves an entry that credits them or that they made, except
    the listed exceptions (an administrator's approval with a written reason,
    where a company has no second approver)."""
    exception = SQL("TRUE")
    if scope.field_exists("crm.contribution", "approval_exception_reason"):
        exception = SQL("entry.approval_exception_reason IS NULL")
    return SQL(
        """
        SELECT entry.id, link.payout_id, entry.company_id
          FROM crm_contribution entry
     LEFT JOIN %(links)s link ON link.entry_id = entry.id
     LEFT JOIN hr_employee employee ON employee.id = entry.employee_id
         WHERE %(entries)s
           AND entry.approved_by_id IS NOT NULL
           AND (entry.approved_by_id = entry.maker_id
                OR employee.user_id = entry.approved_by_id)
           AND %(exception)s
        """,
        links=SQL.identifier(PAYOUT_ENTRY_TABLE),
        entries=scope.entries("entry", link="link"),
        exception=exception,
    )


def dated_when_observed(scope):
    """No credit of a win is dated before the server saw the deal won
    (in the company's time zone), except Credit Past Wins. Before the win's
    date is recorded (crm.lead.everyone_sells_won_date), the day the entry
    was written stands for it, a day's slack allowed for midnight."""
    local = SQL("COALESCE(calendar.tz, 'UTC')")
    if scope.field_exists("crm.lead", "everyone_sells_won_date"):
        observed = SQL(
            "(lead.everyone_sells_won_date AT TIME ZONE 'UTC' AT TIME ZONE %s)::date", local
        )
    else:
        observed = SQL("((entry.create_date AT TIME ZONE 'UTC' AT TIME ZONE %s)::date - 1)", local)
    if scope.field_exists("crm.contribution", "backdate_reason"):
        past_wins = SQL("entry.backdate_reason IS NOT NULL")
    else:
        # Credit Past Wins in the background lists what it credited.
        past_wins = SQL(
            "EXISTS (SELECT 1 FROM crm_everyone_sells_job_entry_rel job_entry"
            " WHERE job_entry.entry_id = entry.id)"
        )
    return SQL(
        """
        SELECT entry.id, link.payout_id, entry.company_id
          FROM crm_contribution entry
          JOIN res_company company ON company.id = entry.company_id
     LEFT JOIN resource_calendar calendar ON calendar.id = company.resource_calendar_id
     LEFT JOIN crm_lead lead ON lead.id = entry.lead_id
     LEFT JOIN %(links)s link ON link.entry_id = entry.id
         WHERE %(entries)s
           AND entry.trigger = 'won'
           AND entry.reversed_entry_id IS NULL
           AND entry.date < %(observed)s
           AND NOT %(past_wins)s
           -- A credit reversed since was dated by an earlier win (the deal
           -- was lost and won again): the win date now is the later one.
           AND NOT EXISTS (SELECT 1 FROM crm_contribution reversal
                            WHERE reversal.reversed_entry_id = entry.id)
        """,
        links=SQL.identifier(PAYOUT_ENTRY_TABLE),
        entries=scope.entries("entry", link="link"),
        observed=observed,
        past_wins=past_wins,
    )


# The list the daily audit and the confirmation share. Labels and
# descriptions are English source strings, in Japanese through i18n/ja.po
# (the finding model translates them when read).
CHECKS = [
    Check(
        "paid_by_a_line",
        "Paid without a payout line",
        _lt(
            "A paid entry must belong to a line of a paid payout, and an entry of a "
            "confirmed payout to a line of it."
        ),
        paid_by_a_line,
    ),
    Check(
        "line_totals",
        "Line totals differ from the entries",
        _lt(
            "A payout line's incentive, award and clawback must equal its entries' sums; "
            "it pays its incentive less what it deducted plus its award, and deducts or "
            "leaves outstanding all that was owed."
        ),
        line_totals,
    ),
    Check(
        "clawback_settled",
        "Clawback not settled",
        _lt(
            "A reversal (or negative adjustment) of a paid entry must be approved, and "
            "counted in its payout line's clawback as deducted or outstanding, never "
            "netted into the incentive."
        ),
        clawback_settled,
    ),
    Check(
        "lost_deal_reversed",
        "Credit of a lost deal not reversed",
        _lt(
            "Every credit of a deal that is lost, archived, deleted or no longer won must "
            "have its reversal."
        ),
        lost_deal_reversed,
    ),
    Check(
        "reversal_in_its_payout",
        "Credit paid without its reversal",
        _lt(
            "A payout may not pay an unpaid credit whose reversal it leaves out: compute "
            "it again so that they net out."
        ),
        reversal_in_its_payout,
    ),
    Check(
        "approved_by_another",
        "Approved by its beneficiary or maker",
        _lt(
            "Nobody approves an entry that credits them or that they made, except an "
            "administrator's approval with a written reason."
        ),
        approved_by_another,
    ),
    Check(
        "dated_when_observed",
        "Dated before the win was observed",
        _lt(
            "A credit of a win is dated on the day the server saw the deal won; only "
            "Credit Past Wins dates credits in the past."
        ),
        dated_when_observed,
    ),
]
