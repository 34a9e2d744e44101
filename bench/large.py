"""The large profile of the bench (``bench/run.sh --large``): an enterprise.

50,000 employees in 200 departments, 100,000 opportunities and 1,000,000
ledger entries (times ``--scale``), built in bulk SQL from rows the ORM made
(building the bench's data only: the addon never writes the ledger in SQL
but through its engine). Then, on that company:

- ``payout_1m_seconds`` / ``payout_1m_lines`` / ``payout_1m_entries``: Compute
  of the last complete month, which takes every approved entry up to its end;
  ``payout_1m_grouped_select_seconds`` is the data's limit (one grouped
  SELECT over the same rows).
- ``payout_1m_confirm_seconds`` / ``payout_1m_paid_seconds``: Confirm,
  then Mark as Paid, of that payout (its lines' hours entered first), each
  as the background job runs it; measured last, so that the other figures
  read the ledger as it was.
- ``statements_request_seconds``: Print Statements of that payout (the
  button queues the background job that prints them by department).
- ``payout_100k_paid_request_seconds`` / ``payout_100k_paid_seconds``: Mark
  as Paid of that payout, the button's request (which queues it) and the
  background job.
- ``close_month_preview_seconds``: the Close a Month dialog's preview of
  that period (its onchange, as the form asks for it).
- ``xlsx_100k_seconds`` / ``xlsx_100k_peak_mb``: the payroll workbook of a
  confirmed payout of 100,000 entries.
- ``xlsx_1m_seconds`` / ``xlsx_1m_peak_mb`` / ``xlsx_1m_rss_growth_mb``: the
  payroll workbook of the whole large payout (``payout_1m``'s, confirmed as
  the job does it: 50,000 lines, every entry up to last month), its Python
  peak (tracemalloc) and how far the process's resident memory rose above
  what it held before the export (its high-water mark, reset first).
- ``crediting_deals_per_second_1_worker`` / ``…_2_workers`` and
  ``crediting_two_workers_speedup``: the crediting job run by one, then two
  real Odoo processes on the database (each its own registry and
  connection, as two cron workers), over deals won in one write; then
  ``crediting_credited_twice`` (must be 0) and ``crediting_entries_missing``
  (must be 0), counted in the ledger.
- ``home_ms``, ``my_contributions_ms``, ``approval_queue_ms``,
  ``analysis_pivot_ms`` (Reporting > Contributions, from the analysis's
  totals), ``evaluation_department_ms`` (Department Evaluation's list),
  ``evaluation_pivot_ms`` (the Evaluation pivot as a manager opens it:
  departments by month), ``my_evaluation_ms`` (an employee's My Evaluation,
  their own rows) -- for these two pivots, the slowest of the four reads the
  web client sends together, each a request of its own -- and
  ``sources_analysis_ms``: what
  those screens read (their own methods and domains, as the web client
  calls them), medians of 5, warm; ``analysis_pivot_from_ledger_ms`` is the
  same pivot added up from the ledger's lines, for comparison;
  ``approve_all_request_seconds`` / ``approve_all_entries``: Approve over
  every credit the crediting runs wrote, one request (an API caller's worst
  case: the screen's Approve All Matching runs in the background).
- ``credit_history_request_seconds`` / ``credit_history_job_seconds``: Credit
  Past Wins over ``credit_history_deals`` imported wins (never credited), as
  an administrator presses it: the button's request (which queues the
  background job), then the job's run, step after step, as the cron does it;
  ``credit_history_credited_twice`` and ``credit_history_entries_missing``
  (both must be 0) are counted in the ledger.
- ``evaluation_export_request_seconds`` / ``evaluation_export_job_seconds``:
  the evaluation export of the last 365 days (nearly the whole ledger), as a
  Contribution Manager presses it, then the job's run;
  ``evaluation_export_rows`` rows in its workbook.
- ``ledger_index_*_kb``: the ledger's indexes and their sizes.
- ``longest_request_seconds`` / ``longest_request`` /
  ``requests_over_30_seconds``: of the figures above that are one click's
  request (``REQUESTS``), the longest, and how many exceed 30 s.
"""

import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc

from odoo import Command

from odoo.addons.crm_everyone_sells.models.crm_contribution_evaluation_report import SUMS
from odoo.addons.crm_everyone_sells.models.server_switches import without_crediting

DEPARTMENTS = 200
EMPLOYEES = 50_000
OPPORTUNITIES = 100_000
LEDGER = 1_000_000
CONTRIBUTORS = 5  # per deal: 5 employees x 2 rules = 10 entries a deal
CREDITING_DEALS = 4_000  # won for each crediting measurement
CREDIT_HISTORY_DEALS = 4_000  # imported wins credited by Credit Past Wins
XLSX_ENTRIES = 100_000


def log(message):
    print(f"[large {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# What a user's click waits for (one HTTP request each), in seconds or
# milliseconds: the longest is printed at the end, against the 30 s limit.
# The Evaluation pivot's reads as it opens: total, rows, columns, cells.
PIVOT_GROUPBYS = ([], ["department_id"], ["date:month"], ["department_id", "date:month"])
REQUESTS = {
    "payout_1m_request_seconds": 1,
    "close_month_preview_seconds": 1,
    "credit_history_request_seconds": 1,
    "evaluation_export_request_seconds": 1,
    "approve_all_request_seconds": 1,
    "xlsx_100k_seconds": 1,
    "xlsx_1m_seconds": 1,
    "payout_100k_paid_request_seconds": 1,
    "statements_request_seconds": 1,
    "home_ms": 0.001,
    "my_contributions_ms": 0.001,
    "approval_queue_ms": 0.001,
    "analysis_pivot_ms": 0.001,
    "evaluation_department_ms": 0.001,
    "evaluation_pivot_ms": 0.001,
    "my_evaluation_ms": 0.001,
    "sources_analysis_ms": 0.001,
}
_requests = {}


def figure(name, value):
    print(f"{name}: {value}", flush=True)
    if name in REQUESTS:
        try:
            _requests[name] = float(value) * REQUESTS[name]
        except ValueError:  # "failed"
            _requests[name] = float("inf")


class Large:
    def __init__(self, env, config_path, database, scale=1.0):
        self.env = env
        self.cr = env.cr
        self.config_path = config_path
        self.database = database
        self.scale = scale
        self.departments_n = max(2, int(DEPARTMENTS * scale))
        self.employees_n = max(20, int(EMPLOYEES * scale))
        self.opportunities_n = max(100, int(OPPORTUNITIES * scale))
        self.ledger_n = max(1_000, int(LEDGER * scale))
        self.crediting_n = max(100, int(CREDITING_DEALS * min(scale * 4, 1)))
        self.credit_history_n = max(100, int(CREDIT_HISTORY_DEALS * min(scale * 4, 1)))
        self.xlsx_n = max(1_000, int(XLSX_ENTRIES * scale))
        # The cron's batch (1,000 deals a transaction), smaller when the
        # profile is: at least eight batches, for two workers to share.
        self.crediting_batch = min(1_000, max(20, self.crediting_n // 8))

    # ------------------------------------------------------------------
    # DATA (bulk SQL from ORM-made templates)
    # ------------------------------------------------------------------

    def _columns(self, table):
        self.cr.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = %s AND column_name != 'id' AND is_generated = 'NEVER'",
            [table],
        )
        return [row[0] for row in self.cr.fetchall()]

    def _clone(self, table, template_id, overrides, arrays, types):
        """Copies of row ``template_id`` of ``table``, one per element of the
        ``arrays`` (unnested as u.c0, u.c1…), columns in ``overrides`` taken
        from them. Returns the new ids in order."""
        columns = self._columns(table)
        unnest = ", ".join(f"%s::{kind}[]" for kind in types)
        names = ", ".join(f"c{index}" for index in range(len(arrays)))
        self.cr.execute(
            f"""
            INSERT INTO {table} ({", ".join(columns)})
            SELECT {", ".join(overrides.get(c, "t." + c) for c in columns)}
              FROM {table} t, unnest({unnest}) WITH ORDINALITY AS u({names}, n)
             WHERE t.id = %s
          ORDER BY u.n
         RETURNING id
            """,
            [*arrays, template_id],
        )
        return [row[0] for row in self.cr.fetchall()]

    def build(self):
        env = self.env
        started = time.perf_counter()
        jpy = env.ref("base.JPY")
        jpy.active = True
        self.company = env["res.company"].create(
            {
                "name": "大規模グループ株式会社",
                "currency_id": jpy.id,
                "everyone_sells_hold_days": 0,
                "everyone_sells_payment_day": 25,
            }
        )
        context = {"allowed_company_ids": self.company.ids, "tz": "Asia/Tokyo", "lang": "en_US"}
        self.env = env = env(context=context)
        quiet = without_crediting(
            env(
                context=dict(
                    context,
                    tracking_disable=True,
                    mail_create_nolog=True,
                    mail_create_nosubscribe=True,
                    mail_notrack=True,
                )
            )
        )
        self.quiet = quiet
        company = self.company
        self.departments = quiet["hr.department"].create(
            [
                {"name": f"第{index + 1}部", "company_id": company.id}
                for index in range(self.departments_n)
            ]
        )
        group_user = env.ref("base.group_user")
        self.user = quiet["res.users"].create(
            {
                "name": "大規模 花子",
                "login": "large_employee",
                "email": "large_employee@bench.example.jp",
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "groups_id": [Command.set(group_user.ids)],
                "tz": "Asia/Tokyo",
            }
        )
        self.manager = quiet["res.users"].create(
            {
                "name": "大規模 部長",
                "login": "large_manager",
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "groups_id": [
                    Command.set((group_user | env.ref("crm_everyone_sells.group_manager")).ids)
                ],
                "tz": "Asia/Tokyo",
            }
        )
        template = quiet["hr.employee"].create(
            [
                {
                    "name": "大規模 花子",
                    "user_id": self.user.id,
                    "department_id": self.departments[0].id,
                    "company_id": company.id,
                },
                {
                    "name": "大規模 部長",
                    "user_id": self.manager.id,
                    "department_id": self.departments[1].id,
                    "company_id": company.id,
                },
            ]
        )
        self.me = template[0]
        count = self.employees_n - 2
        names = [f"社員 {index:05d}" for index in range(count)]
        departments = [self.departments[index % self.departments_n].id for index in range(count)]
        resource_ids = self._clone(
            "resource_resource",
            template[1].resource_id.id,
            {"name": "u.c0"},
            [names],
            ["text"],
        )
        employee_ids = self._clone(
            "hr_employee",
            template[1].id,
            {
                "name": "u.c0",
                "resource_id": "u.c1",
                "department_id": "u.c2",
                "identification_id": "'L' || u.n",
                "work_email": "NULL",
                "user_id": "NULL",
                "work_contact_id": "NULL",
                "barcode": "NULL",
            },
            [names, resource_ids, departments],
            ["text", "int", "int"],
        )
        self.employee_ids = [self.me.id, template[1].id, *employee_ids]
        self.cr.commit()
        log(f"{len(self.employee_ids)} employees in {self.departments_n} departments")

        self.stage_new = quiet["crm.stage"].create({"name": "提案中(大)", "sequence": 2})
        self.stage_won = quiet["crm.stage"].create(
            {"name": "受注(大)", "sequence": 71, "is_won": True}
        )
        self.salesman = quiet["res.users"].create(
            {
                "name": "大規模 営業",
                "login": "large_sales",
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "groups_id": [
                    Command.set((group_user | env.ref("sales_team.group_sale_salesman")).ids)
                ],
            }
        )
        self.team = quiet["crm.team"].create(
            {
                "name": "大規模営業",
                "company_id": company.id,
                "member_ids": [Command.set(self.salesman.ids)],
            }
        )
        customer = quiet["res.partner"].create({"name": "株式会社大口顧客", "is_company": True})
        self.rules = env["crm.contribution.rule"].create(
            [
                {
                    "name": "受注貢献 5 % (大)",
                    "trigger": "won",
                    "compute_method": "percentage",
                    "percentage": 5,
                    "split_method": "weight",
                    "date_from": "2020-01-01",
                    "company_id": company.id,
                    "is_published": True,
                },
                {
                    "name": "受注ボーナス (大)",
                    "trigger": "won",
                    "compute_method": "fixed",
                    "fixed_amount": 30_000,
                    "split_method": "equal",
                    "date_from": "2020-01-01",
                    "company_id": company.id,
                    "is_published": True,
                },
            ]
        )
        self.template_lead = quiet["crm.lead"].create(
            {
                "name": "案件 テンプレート",
                "type": "opportunity",
                "company_id": company.id,
                "team_id": self.team.id,
                "user_id": self.salesman.id,
                "partner_id": customer.id,
                "stage_id": self.stage_new.id,
                "expected_revenue": 1_000_000,
                "origin_employee_id": self.me.id,
                "origin_department_id": self.departments[0].id,
            }
        )
        n = self.opportunities_n
        self.lead_ids = self._leads(n)
        self.cr.commit()
        log(f"{n} opportunities with {CONTRIBUTORS} contributors each")
        self._ledger()
        figure("large_data_employees", len(self.employee_ids))
        figure("large_data_departments", self.departments_n)
        figure("large_data_opportunities", n)
        figure("large_data_ledger_entries", self.ledger_n)
        figure("large_data_seconds", f"{time.perf_counter() - started:.0f}")

    def _leads(self, n, offset=0):
        """``n`` opportunities (copies of the template), with their
        contributors; returns their ids."""
        employees = self.employee_ids
        origin = [employees[((offset + index) * 7) % len(employees)] for index in range(n)]
        lead_ids = self._clone(
            "crm_lead",
            self.template_lead.id,
            {
                "name": "u.c0",
                "expected_revenue": "u.c1",
                "origin_employee_id": "u.c2",
                "origin_department_id": "NULL",
            },
            [
                [f"案件 {offset + index:06d} 基幹システム更改" for index in range(n)],
                [500_000 + 10_000 * ((offset + index) % 450) for index in range(n)],
                origin,
            ],
            ["text", "numeric", "int"],
        )
        self.cr.execute(
            """
            INSERT INTO crm_lead_contributor
                   (lead_id, company_id, employee_id, department_id, role, weight,
                    create_uid, write_uid, create_date, write_date)
            SELECT lead.id, %(company)s, employee.id, employee.department_id,
                   CASE WHEN k = 0 THEN 'originator' ELSE 'other' END,
                   CASE WHEN k = 0 THEN 1.0 ELSE 0.5 END,
                   1, 1, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
              FROM unnest(%(leads)s::int[]) WITH ORDINALITY AS lead(id, n),
                   generate_series(0, %(k)s - 1) AS k,
                   hr_employee employee
             WHERE employee.id = (%(employees)s::int[])[
                       1 + (((lead.n + %(offset)s) * 7 + k * 331) %% %(count)s)]
            """,
            {
                "company": self.company.id,
                "leads": lead_ids,
                "k": CONTRIBUTORS,
                "employees": employees,
                "count": len(employees),
                "offset": offset,
            },
        )
        self.cr.commit()
        return lead_ids

    def _ledger(self):
        """``ledger_n`` approved won credits over the 13 months up to today
        (``xlsx_n`` of them today, for the workbook's payout), ten a deal
        (five contributors x two rules), as the engine writes them (same
        columns and keys; the sentences are written when read, from the figures)."""
        today = datetime.date.today()
        self.cr.execute(
            """
            INSERT INTO crm_contribution
                   (employee_id, department_id, company_id, lead_id, lead_name, partner_id,
                    rule_id, trigger, date, payable_date, basis_amount, rate, share, points,
                    amount, wage_type, credit_key, credit_sequence, state, backdate_reason,
                    approved_by_id, approved_date, create_uid, write_uid, create_date,
                    write_date)
            SELECT contributor.employee_id, contributor.department_id, %(company)s,
                   lead.id, lead.name, lead.partner_id,
                   rule.id, 'won', day, day, lead.expected_revenue,
                   CASE WHEN rule.n = 1 THEN 5 ELSE 0 END, 0.2, 0,
                   CASE WHEN rule.n = 1 THEN round(lead.expected_revenue * 0.01) ELSE 6000 END,
                   'incentive', 'won:lead:' || lead.id, 0, 'approved', %(reason)s,
                   1, now() AT TIME ZONE 'UTC', 1, 1, now() AT TIME ZONE 'UTC',
                   now() AT TIME ZONE 'UTC'
              FROM (SELECT id, name, partner_id, expected_revenue,
                           CASE WHEN row_number() OVER (ORDER BY id) <= %(today_deals)s
                                THEN %(today)s::date
                                ELSE %(today)s::date - (row_number() OVER (ORDER BY id) %% 395)::int
                           END AS day
                      FROM crm_lead WHERE id = ANY(%(leads)s) ORDER BY id LIMIT %(deals)s) lead
              JOIN crm_lead_contributor contributor ON contributor.lead_id = lead.id
             CROSS JOIN unnest(%(rules)s::int[], %(names)s::text[]) WITH ORDINALITY
                        AS rule(id, name, n)
            """,
            {
                "company": self.company.id,
                "today": today,
                "leads": self.lead_ids,
                "deals": self.ledger_n // (CONTRIBUTORS * 2),
                # The workbook's payout (this month) has xlsx_n entries at least.
                "today_deals": self.xlsx_n // (CONTRIBUTORS * 2),
                "rules": self.rules.ids,
                "names": self.rules.mapped("name"),
                "reason": "ベンチマーク: 過去13か月の実績",
            },
        )
        # History as Credit Past Wins leaves it: its deals won (the ledger
        # audit at Confirm refuses a won credit of a deal no longer won), its
        # credits dated in the past with a reason.
        self.cr.execute(
            """
            UPDATE crm_lead
               SET stage_id = %(won)s, probability = 100, everyone_sells_is_won = true
             WHERE id IN (SELECT DISTINCT lead_id FROM crm_contribution
                           WHERE company_id = %(company)s AND lead_id IS NOT NULL)
            """,
            {"won": self.stage_won.id, "company": self.company.id},
        )
        self.cr.commit()
        self._vacuum()
        log(f"{self.ledger_n} ledger entries")

    def _vacuum(self):
        # VACUUM cannot run in a transaction: its own connection.
        subprocess.run(
            ["psql", "-XqAtc", "VACUUM ANALYZE", self.database],
            check=False,
            capture_output=True,
        )

    # ------------------------------------------------------------------
    # MEASUREMENTS
    # ------------------------------------------------------------------

    def indexes(self, prefix="ledger_index"):
        self.cr.execute(
            """
            SELECT indexrelname, pg_relation_size(indexrelid)
              FROM pg_stat_user_indexes
             WHERE relname IN ('crm_contribution', 'crm_contribution_payout_entry')
          ORDER BY indexrelname
            """
        )
        total = 0
        for name, size in self.cr.fetchall():
            figure(f"{prefix}_{name}_kb", size // 1024)
            total += size
        figure(f"{prefix}_total_kb", total // 1024)
        self.cr.execute("SELECT pg_relation_size('crm_contribution')")
        figure("ledger_table_kb", self.cr.fetchone()[0] // 1024)

    def payout_1m(self):
        today = datetime.date.today()
        end = today.replace(day=1) - datetime.timedelta(days=1)
        start = end.replace(day=1)
        self.cr.execute(
            """
            SELECT count(*) FROM crm_contribution
             WHERE company_id = %s AND state = 'approved' AND date <= %s
            """,
            [self.company.id, end],
        )
        expected = self.cr.fetchone()[0]
        # The data's limit: the same rows, grouped by employee, in one SELECT.
        started = time.perf_counter()
        self.cr.execute(
            """
            SELECT employee_id, sum(amount), count(*) FROM crm_contribution
             WHERE company_id = %s AND state = 'approved' AND date <= %s
             GROUP BY employee_id
            """,
            [self.company.id, end],
        )
        self.cr.fetchall()
        limit = time.perf_counter() - started
        # Close a Month: the dialog's preview of the same period, as the
        # form's onchange reads it.
        started = time.perf_counter()
        self.env["crm.contribution.payout.close"].onchange(
            {"company_id": self.company.id, "date_from": start, "date_to": end},
            ["date_to"],
            {name: {} for name in ("company_id", "date_from", "date_to", "preview")},
        )
        figure("close_month_preview_seconds", f"{time.perf_counter() - started:.2f}")
        payout = self.env["crm.contribution.payout"].create(
            {"company_id": self.company.id, "date_from": start, "date_to": end}
        )
        self.cr.commit()
        seconds, request = compute_as_the_job(self.env, payout)
        assert payout.entry_count == expected, (payout.entry_count, expected)
        figure("payout_1m_seconds", f"{seconds:.2f}")
        figure("payout_1m_request_seconds", f"{request:.2f}")
        figure("payout_1m_lines", len(payout.line_ids))
        figure("payout_1m_entries", payout.entry_count)
        figure("payout_1m_grouped_select_seconds", f"{limit:.2f}")
        figure("payout_1m_vs_limit", f"{seconds / limit:.1f}")
        self.payout = payout

    def payout_1m_confirm(self):
        """Confirm the payout of ``payout_1m`` (every approved entry up to
        last month's end) as a user does: the hours entered on its lines (as
        payroll imports them), then the button's request and the background
        job's run."""
        payout = self.payout
        self.cr.execute(
            "UPDATE crm_contribution_payout_line SET worked_hours = 176, overtime_hours = 12 "
            "WHERE payout_id = %s",
            [payout.id],
        )
        self.cr.commit()
        self.env.invalidate_all()
        seconds, _request = act_as_the_job(self.env, payout, "action_confirm")
        assert payout.state == "confirmed", payout.state
        figure("payout_1m_confirm_seconds", f"{seconds:.2f}")

    def payout_1m_paid(self):
        """Mark the confirmed payout of ``payout_1m`` as paid, as a user does."""
        payout = self.payout
        seconds, _request = act_as_the_job(self.env, payout, "action_done")
        assert payout.state == "done", payout.state
        unpaid = self.env["crm.contribution"].search_count(
            [("payout_id", "=", payout.id), ("state", "!=", "paid")]
        )
        assert not unpaid, "entries of the paid payout left unpaid"
        figure("payout_1m_paid_seconds", f"{seconds:.2f}")

    def xlsx(self):
        """The workbook of a confirmed payout of ``xlsx_n`` entries (the
        current month's first entries, in a payout of their own)."""
        today = datetime.date.today()
        start = today.replace(day=1)
        end = (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
        # Only xlsx_n entries of this month stay approved; the others wait.
        self.cr.execute(
            """
            UPDATE crm_contribution SET state = 'draft'
             WHERE company_id = %s AND state = 'approved' AND date >= %s
               AND id NOT IN (SELECT id FROM crm_contribution
                               WHERE company_id = %s AND state = 'approved' AND date >= %s
                               ORDER BY id LIMIT %s)
            """,
            [self.company.id, start, self.company.id, start, self.xlsx_n],
        )
        payout = self.env["crm.contribution.payout"].create(
            {"company_id": self.company.id, "date_from": start, "date_to": end}
        )
        self.cr.commit()
        compute_as_the_job(self.env, payout)
        self.cr.execute(
            "UPDATE crm_contribution_payout_line SET worked_hours = 176, overtime_hours = 12 "
            "WHERE payout_id = %s",
            [payout.id],
        )
        self.cr.commit()
        self.env.invalidate_all()
        started = time.perf_counter()
        if isinstance(payout.action_confirm(), dict):
            self.cr.commit()
            run_payout_job(self.env, payout)
        self.env.flush_all()
        figure("payout_100k_confirm_seconds", f"{time.perf_counter() - started:.2f}")
        self.cr.commit()
        self.env.invalidate_all()
        assert payout.state == "confirmed", (payout.state, payout.background_job_id.error)
        self.env.invalidate_all()
        started = time.perf_counter()
        payout.action_export_xlsx()
        self.env.flush_all()
        seconds = time.perf_counter() - started
        self.env.invalidate_all()
        tracemalloc.start()
        payout.action_export_xlsx()
        self.env.flush_all()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        self.cr.commit()
        figure("xlsx_100k_entries", payout.entry_count)
        figure("xlsx_100k_lines", len(payout.line_ids))
        figure("xlsx_100k_seconds", f"{seconds:.2f}")
        figure("xlsx_100k_peak_mb", f"{peak / 1024 / 1024:.1f}")
        # Print Statements: the button's request only (it queues the job; the
        # job prints a PDF per employee, about half a second each: hours here).
        started = time.perf_counter()
        result = payout.action_print_statements()
        self.env.flush_all()
        figure("statements_request_seconds", f"{time.perf_counter() - started:.2f}")
        assert result.get("tag") == "display_notification", result
        # Only the request is measured: the statements job (hours of PDFs)
        # would hold up the one job runner before Mark as Paid's job.
        # sudo: nobody deletes a job; the bench drops the one it queued.
        self.env["crm.everyone.sells.job"].sudo().search(
            [("payout_id", "=", payout.id), ("kind", "=", "statements")]
        ).unlink()
        self.cr.commit()
        # Mark as Paid: the button's request (which queues it), then the job.
        self.env.invalidate_all()
        started = time.perf_counter()
        result = payout.action_done()
        self.env.flush_all()
        self.cr.commit()
        request = time.perf_counter() - started
        started = time.perf_counter()
        if isinstance(result, dict):
            run_payout_job(self.env, payout)
        self.env.invalidate_all()
        assert payout.state == "done", (payout.state, payout.background_job_id.error)
        figure("payout_100k_paid_request_seconds", f"{request:.2f}")
        figure("payout_100k_paid_seconds", f"{time.perf_counter() - started:.2f}")

    def xlsx_1m(self):
        """The workbook of the whole large payout, confirmed first when it
        is still a draft (as the background job confirms it)."""
        payout = self.payout
        self.env.invalidate_all()
        if payout.state == "draft":
            # Confirm needs the hours worked (as for the 100k workbook).
            self.cr.execute(
                "UPDATE crm_contribution_payout_line SET worked_hours = 176, overtime_hours = 12 "
                "WHERE payout_id = %s AND COALESCE(worked_hours, 0) = 0",
                [payout.id],
            )
            self.cr.commit()
            self.env.invalidate_all()
            act_as_the_job(self.env, payout, "action_confirm")
        assert payout.state in ("confirmed", "done"), payout.state
        before = resident_mb(reset_peak=True)
        started = time.perf_counter()
        payout.action_export_xlsx()
        self.env.flush_all()
        seconds = time.perf_counter() - started
        growth = resident_mb(peak=True) - before
        self.env.invalidate_all()
        tracemalloc.start()
        payout.action_export_xlsx()
        self.env.flush_all()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        self.cr.commit()
        figure("xlsx_1m_entries", payout.entry_count)
        figure("xlsx_1m_lines", len(payout.line_ids))
        figure("xlsx_1m_seconds", f"{seconds:.2f}")
        figure("xlsx_1m_peak_mb", f"{peak / 1024 / 1024:.1f}")
        figure("xlsx_1m_rss_growth_mb", f"{growth:.1f}")

    def _win(self, lead_ids):
        leads = self.env["crm.lead"].browse(lead_ids)
        leads.write({"stage_id": self.stage_won.id})
        self.env.flush_all()
        self.cr.commit()
        self.env.invalidate_all()

    def _run_workers(self, count):
        """``count`` real Odoo processes run the crediting job until the
        queue is empty; they start together (a file is the starting gun).
        Returns the wall time from the gun to the last one done."""
        worker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "crediting_worker.py")
        with tempfile.TemporaryDirectory() as folder:
            gun = os.path.join(folder, "go")
            processes = [
                subprocess.Popen(
                    [
                        sys.executable,
                        worker,
                        "--config",
                        self.config_path,
                        "--database",
                        self.database,
                        "--gun",
                        gun,
                        "--ready",
                        os.path.join(folder, f"ready{index}"),
                        "--batch",
                        str(self.crediting_batch),
                    ],
                    stdout=subprocess.PIPE,
                    text=True,
                    env=dict(os.environ),
                )
                for index in range(count)
            ]
            deadline = time.time() + 300
            while time.time() < deadline and not all(
                os.path.exists(os.path.join(folder, f"ready{index}")) for index in range(count)
            ):
                time.sleep(0.2)
            started = time.perf_counter()
            with open(gun, "w", encoding="utf-8") as handle:
                handle.write("go")
            outputs = [process.communicate(timeout=1800)[0] for process in processes]
            seconds = time.perf_counter() - started
        deals = [
            int(line.split()[1])
            for out in outputs
            for line in out.splitlines()
            if line.startswith("deals ")
        ]
        return seconds, deals

    def crediting(self):
        """Deals won in one write, credited by one worker, then other deals by
        two; the ledger is then checked: each credited once, none missing."""
        n = self.crediting_n
        fresh = self._leads(2 * n, offset=self.opportunities_n)
        first, second = fresh[:n], fresh[n:]
        results = {}
        figure("crediting_deals", n)
        figure("crediting_batch", self.crediting_batch)
        for workers, leads in ((1, first), (2, second)):
            self._win(leads)
            seconds, deals = self._run_workers(workers)
            results[workers] = n / seconds
            log(f"crediting {n} deals with {workers} worker(s): {seconds:.1f} s, shares {deals}")
            name = "1_worker" if workers == 1 else f"{workers}_workers"
            figure(f"crediting_deals_per_second_{name}", f"{n / seconds:.0f}")
            if workers == 2:
                figure("crediting_two_workers_shares", "/".join(str(d) for d in deals))
        figure("crediting_two_workers_speedup", f"{results[2] / results[1]:.2f}")
        self.cr.execute(
            """
            SELECT count(*) FROM (
                SELECT 1 FROM crm_contribution
                 WHERE lead_id = ANY(%s) AND reversed_entry_id IS NULL
                 GROUP BY lead_id, employee_id, rule_id
                HAVING count(*) > 1) twice
            """,
            [first + second],
        )
        figure("crediting_credited_twice", self.cr.fetchone()[0])
        self.cr.execute(
            "SELECT count(*) FROM crm_contribution WHERE lead_id = ANY(%s)", [first + second]
        )
        entries = self.cr.fetchone()[0]
        figure("crediting_entries_missing", 2 * n * CONTRIBUTORS * 2 - entries)
        self.cr.execute("SELECT count(*) FROM crm_contribution_queue")
        figure("crediting_queue_left", self.cr.fetchone()[0])

    def _run_jobs(self, job):
        """The background jobs' cron, called as Odoo calls it (one step a
        call) until ``job`` ends; returns its seconds."""
        started = time.perf_counter()
        while True:
            self.env["crm.everyone.sells.job"]._cron_run()
            self.cr.commit()
            self.env.invalidate_all()
            if job.state in ("done", "failed"):
                break
        seconds = time.perf_counter() - started
        assert job.state == "done", (job.kind, job.error)
        return seconds

    def background_jobs(self):
        """Credit Past Wins and the evaluation export as their users press
        them: the request stays short (it queues the job); then the job."""
        env = self.env
        admin = self.quiet["res.users"].create(
            {
                "name": "大規模 管理者",
                "login": "large_admin",
                "company_id": self.company.id,
                "company_ids": [Command.set(self.company.ids)],
                "groups_id": [
                    Command.set(
                        (
                            env.ref("base.group_user")
                            | env.ref("crm_everyone_sells.group_admin")
                            | env.ref("sales_team.group_sale_manager")
                        ).ids
                    )
                ],
            }
        )
        # The company's default size (5,000 entries), scaled as the deals are:
        # at every scale, the button queues the job.
        self.company.everyone_sells_job_background_size = int(5_000 * min(self.scale * 4, 1))
        n = self.credit_history_n
        offset = self.opportunities_n + 2 * self.crediting_n
        lead_ids = self._leads(n, offset=offset)
        # Won without the server seeing it (crediting off, as an import): listed
        # for Credit Past Wins.
        self.quiet["crm.lead"].browse(lead_ids).write({"stage_id": self.stage_won.id})
        self.env.flush_all()
        self.cr.commit()
        self.env.invalidate_all()
        figure("credit_history_deals", n)
        Job = env["crm.everyone.sells.job"]
        started = time.perf_counter()
        wizard = env(user=admin.id)["crm.contribution.credit.history"].create(
            {
                "lead_ids": [Command.set(lead_ids)],
                "date": datetime.date.today(),
                "reason": "bench: imported wins",
            }
        )
        result = wizard.action_apply()
        self.env.flush_all()
        self.cr.commit()
        figure("credit_history_request_seconds", f"{time.perf_counter() - started:.2f}")
        assert result.get("tag") == "display_notification", result.get("type")
        job = Job.search([("kind", "=", "credit_history")], limit=1)
        figure("credit_history_job_seconds", f"{self._run_jobs(job):.2f}")
        self.cr.execute(
            """
            SELECT count(*) FROM (
                SELECT 1 FROM crm_contribution
                 WHERE lead_id = ANY(%s) AND reversed_entry_id IS NULL
                 GROUP BY lead_id, employee_id, rule_id
                HAVING count(*) > 1) twice
            """,
            [lead_ids],
        )
        figure("credit_history_credited_twice", self.cr.fetchone()[0])
        self.cr.execute("SELECT count(*) FROM crm_contribution WHERE lead_id = ANY(%s)", [lead_ids])
        figure("credit_history_entries_missing", n * CONTRIBUTORS * 2 - self.cr.fetchone()[0])

        today = datetime.date.today()
        started = time.perf_counter()
        export = env(user=self.manager.id)["crm.contribution.evaluation.export"].create(
            {"date_from": today - datetime.timedelta(days=365), "date_to": today}
        )
        result = export.action_export_xlsx()
        self.env.flush_all()
        self.cr.commit()
        figure("evaluation_export_request_seconds", f"{time.perf_counter() - started:.2f}")
        assert result.get("tag") == "display_notification", result.get("type")
        job = Job.search([("kind", "=", "evaluation_export")], limit=1)
        figure("evaluation_export_job_seconds", f"{self._run_jobs(job):.2f}")
        figure("evaluation_export_rows", job.progress_done)

    def _median_seconds(self, read, rounds=5):
        read()  # warm
        samples = []
        for _round in range(rounds):
            self.env.invalidate_all()
            started = time.perf_counter()
            read()
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)

    def _median_ms(self, read, rounds=5):
        return f"{self._median_seconds(read, rounds) * 1000:.0f}"

    def _slowest_ms(self, reads, rounds=5):
        """Reads a screen sends together, each a request of its own: the
        slowest of them, median over the rounds."""
        return f"{max(self._median_seconds(read, rounds) for read in reads) * 1000:.0f}"

    def screens(self):
        env = self.env
        user_env = env(user=self.user.id)
        manager_env = env(user=self.manager.id)

        def home():
            Home = user_env["crm.everyone.sells.home"]
            # As the web client opens it: the action, then the new record's
            # figures (Home is never saved).
            Home.action_open()
            Home.onchange(
                {},
                [],
                {
                    "user_id": {},  # the figures are computed from it (see the model)
                    **{
                        name: {}
                        for name in Home._fields
                        if name.endswith(("_html", "_count", "_month"))
                    },
                },
            )

        def my_contributions():
            # The action's default: mine, grouped by month; then the first
            # group opened (80 rows).
            Ledger = user_env["crm.contribution"]
            domain = [("is_mine", "=", True)]
            groups = Ledger.web_read_group(domain, ["amount:sum", "points:sum"], ["date:month"])
            Ledger.web_search_read(
                domain,
                {"date": {}, "lead_name": {}, "amount": {}, "points": {}, "state": {}},
                limit=80,
                count_limit=10_001,
            )
            return groups

        def approval_queue():
            Ledger = manager_env["crm.contribution"]
            domain = [("state", "=", "draft"), ("is_mine", "=", False)]
            # The list's first page and its count (the web client counts up
            # to 10,000).
            Ledger.web_search_read(
                domain,
                {"date": {}, "employee_id": {"fields": {"display_name": {}}}, "amount": {}},
                limit=80,
                count_limit=10_001,
            )

        def pivot():
            # Reporting > Contributions, as its pivot reads (department x month).
            manager_env["crm.contribution.analysis"].read_group(
                [], ["amount:sum", "points:sum"], ["department_id", "date:month"], lazy=False
            )

        def ledger_pivot():
            # The same figures added up from the ledger's lines (what the
            # analysis read before it had totals of its own).
            manager_env["crm.contribution"].read_group(
                [], ["amount:sum", "points:sum"], ["department_id", "date:month"], lazy=False
            )

        def evaluation():
            # Reporting > Evaluation: this year, by department (the list's
            # first level; a department opens its employees).
            year = datetime.date.today().replace(month=1, day=1)
            # limit: the list's groups_limit (the web client sends it).
            manager_env["crm.contribution.evaluation.report"].web_read_group(
                [("date", ">=", year)], list(SUMS), ["department_id", "employee_id"], limit=500
            )

        def evaluation_pivot(report, domain):
            # The Evaluation pivot as it opens: this year, departments by
            # month. The web client sends its four reads (total, rows,
            # columns, cells) together, each a request of its own: each is
            # timed, the slowest is what the user waits for.
            year = datetime.date.today().replace(month=1, day=1)
            return [
                lambda groupby=groupby: report.read_group(
                    [*domain, ("date", ">=", year)], [*SUMS, "__count"], groupby, lazy=False
                )
                for groupby in PIVOT_GROUPBYS
            ]

        def sources():
            # Reporting > Sources and Programs, as its pivot reads.
            manager_env["crm.everyone.sells.report"].read_group(
                [],
                [
                    "signal_count:sum",
                    "handoff_rate:avg",
                    "days_to_handoff:avg",
                    "conversion_rate:avg",
                    "won_revenue:sum",
                ],
                ["source", "scope", "department_id"],
                lazy=False,
            )

        figure("home_ms", self._median_ms(home))
        figure("my_contributions_ms", self._median_ms(my_contributions))
        figure("approval_queue_ms", self._median_ms(approval_queue))
        figure("analysis_pivot_ms", self._median_ms(pivot))
        figure("analysis_pivot_from_ledger_ms", self._median_ms(ledger_pivot))
        figure("evaluation_department_ms", self._median_ms(evaluation))
        figure(
            "evaluation_pivot_ms",
            self._slowest_ms(
                evaluation_pivot(manager_env["crm.contribution.evaluation.report"], [])
            ),
        )
        figure(
            "my_evaluation_ms",
            self._slowest_ms(
                evaluation_pivot(
                    user_env["crm.contribution.evaluation.report"],
                    [("employee_id.user_id", "=", user_env.uid)],
                )
            ),
        )
        figure("sources_analysis_ms", self._median_ms(sources))
        # The approval queue's "select all, Approve": every credit the
        # crediting runs wrote, in one request (then rolled back).
        drafts = manager_env["crm.contribution"].search(
            [("state", "=", "draft"), ("is_mine", "=", False)]
        )
        started = time.perf_counter()
        drafts.action_approve()
        env.flush_all()
        figure("approve_all_request_seconds", f"{time.perf_counter() - started:.2f}")
        figure("approve_all_entries", len(drafts))
        self.cr.rollback()


def resident_mb(reset_peak=False, peak=False):
    """The process's resident memory in MB (Linux): now, or its high-water
    mark since the last reset (``reset_peak`` resets it first)."""
    if reset_peak:
        try:
            with open("/proc/self/clear_refs", "w") as clear:
                clear.write("5")  # resets VmHWM to the current resident size
        except OSError:
            log("resident memory: the high-water mark cannot be reset here")
    field = "VmHWM:" if peak else "VmRSS:"
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return 0.0


def act_as_the_job(env, payout, action):
    """Run ``action`` (a method name) of ``payout`` as a user does: the
    button's request (which queues a large payout as a background job),
    then the job's run. Returns (the job's seconds, the request's seconds),
    commits included; the request's seconds twice when nothing was queued."""
    env.invalidate_all()
    started = time.perf_counter()
    result = getattr(payout, action)()
    env.flush_all()
    env.cr.commit()
    request = time.perf_counter() - started
    started = time.perf_counter()
    if isinstance(result, dict):  # queued: the job's run, as the cron does it
        run_payout_job(env, payout)
    seconds = time.perf_counter() - started
    env.invalidate_all()
    job = payout.background_job_id
    assert not job or job.state == "done", (job.state, job.error)
    if not isinstance(result, dict):
        seconds = request
    return seconds, request


def compute_as_the_job(env, payout):
    """Compute ``payout`` as a user does (see act_as_the_job)."""
    return act_as_the_job(env, payout, "action_compute")


def run_payout_job(env, payout):
    """The background jobs' cron, called as Odoo calls it (one step a call,
    committed), until the payout's job ends."""
    while True:
        env["crm.everyone.sells.job"]._cron_run()
        env.cr.commit()
        env.invalidate_all()
        if payout.background_job_state not in ("queued", "running"):
            return


def run(env, config_path, database, scale):
    large = Large(env, config_path, database, scale)
    large.build()
    large.indexes()
    large.payout_1m()
    large.crediting()
    large.background_jobs()
    large.screens()
    # Each of these reports its failure and goes on: the other figures stand.
    for step, name in (
        (large.xlsx, "xlsx_100k_seconds"),
        (large.payout_1m_confirm, "payout_1m_confirm_seconds"),
        (large.xlsx_1m, "xlsx_1m_seconds"),
        (large.payout_1m_paid, "payout_1m_paid_seconds"),
    ):
        try:
            step()
        except Exception as error:
            log(f"{step.__name__} failed: {error!r}")
            env.cr.rollback()
            figure(name, "failed")
    longest = max(_requests, key=_requests.get)
    figure("longest_request_seconds", f"{_requests[longest]:.2f}")
    figure("longest_request", longest)
    figure("requests_over_30_seconds", sum(1 for seconds in _requests.values() if seconds > 30))
    return large
