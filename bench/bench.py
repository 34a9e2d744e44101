"""Everyone Sells at scale: build a realistic company, then measure.

Run by ``bench/run.sh`` with Odoo's Python on a database where the addon is
installed (and nothing else of value: the script commits into it). Prints one
``name: value`` line per figure on stdout; progress goes to stderr.

    python bench/bench.py --config odoo.conf --database everyone_sells_bench [--profile]

What is measured, on 2,000 employees in 20 departments, 10,000 opportunities
and 100,000 ledger entries credited through the real crediting engine:

- ``won_overhead_ratio``: one ``write({'stage_id': won})`` on 1,000
  opportunities (3 contributors each, 2 matching published rules), divided by
  the same write with crediting off (the addon's server-side switch,
  ``models/server_switches.without_crediting``, which no RPC caller reaches); write and
  flush timed, medians of 7 alternating runs (garbage collection held
  during the timed write, as ``timeit`` does), each rolled back to a savepoint
  so that every run starts from the same rows; ``…_best`` divides the
  fastest run of each path. ``…_with_commit`` also times
  what the commit runs (``cr.precommit``: crm's tracking messages). The
  write notes the deals for the crediting job; ``credit_job_1000_seconds``
  is that job writing their 6,000 ledger lines right after, in its own
  transaction.
- ``won_queries_{1,100,1000}``: queries of that write (flush included), and
  ``…_crediting``: the same minus the write with crediting off;
  ``credit_job_queries_{1,100,1000}``: queries of the job's run.
- ``payout_100k_seconds``: ``action_compute()`` of one monthly payout over
  100,000 approved entries of 2,000 employees.
- ``xlsx_10k_seconds`` / ``xlsx_10k_peak_mb``: ``action_export_xlsx()`` of a
  confirmed payout of 10,000 lines (peak Python memory by tracemalloc, in a
  second run: tracemalloc slows Python down).
- ``signal_create_ms``: median time to log a signal as an employee through
  the form's path, ``env['crm.signal'].with_user(user).create(…)``.
"""

import argparse
import calendar
import cProfile
import datetime
import gc
import io
import os
import platform
import pstats
import random
import statistics
import subprocess
import sys
import time
import tracemalloc

import odoo
from odoo import Command
from odoo.tools import config


def switches():
    """The addon's server-side switches (importable once Odoo knows its
    addons path)."""
    from odoo.addons.crm_everyone_sells.models import server_switches  # noqa: PLC0415

    return server_switches


EMPLOYEES = 2_000
DEPARTMENTS = 20
OPPORTUNITIES = 10_000
MEASURED = 1_000  # opportunities won in the overhead and query measurements
LEDGER = 100_000  # entries credited by winning the other opportunities
XLSX_LINES = 10_000
CUSTOMERS = 500
SIGNALS = 2_000
BATCH = 1_000

DEPARTMENT_NAMES = [
    "営業部",
    "カスタマーサポート部",
    "技術部",
    "マーケティング部",
    "製造部",
    "品質保証部",
    "購買部",
    "物流部",
    "経理部",
    "人事部",
    "総務部",
    "法務部",
    "情報システム部",
    "研究開発部",
    "設計部",
    "生産管理部",
    "広報部",
    "経営企画部",
    "海外事業部",
    "フィールドサービス部",
]
SURNAMES = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "斎藤",
    "清水",
    "山崎",
    "森",
    "池田",
    "橋本",
    "阿部",
    "石川",
    "山下",
    "中島",
    "石井",
    "小川",
]
GIVEN_NAMES = [
    "花子",
    "一郎",
    "美咲",
    "健太",
    "大輔",
    "直樹",
    "恵",
    "誠",
    "翔",
    "修",
    "陽菜",
    "蓮",
    "結衣",
    "悠真",
    "さくら",
    "大翔",
    "葵",
    "湊",
    "凛",
    "陸",
    "美穂",
    "愛",
    "大輝",
    "拓海",
    "彩",
    "翔太",
    "由紀",
    "聡",
    "真央",
    "和也",
]
START = time.perf_counter()


def log(message):
    print(f"[{time.perf_counter() - START:7.1f}s] {message}", file=sys.stderr, flush=True)


def figure(name, value):
    print(f"{name}: {value}", flush=True)


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    ram_gb = 0.0
    try:
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal"):
                    ram_gb = int(line.split()[1]) / 1024 / 1024
                    break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cpu, cores, ram_gb


def person(index):
    surname = SURNAMES[index % len(SURNAMES)]
    given = GIVEN_NAMES[(index // len(SURNAMES)) % len(GIVEN_NAMES)]
    return f"{surname} {given}"


def month_bounds(day):
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


class Bench:
    def __init__(self, env, rounds, profile):
        self.env = env
        self.cr = env.cr
        self.rounds = rounds
        self.profile = profile
        self.random = random.Random(42)

    # ------------------------------------------------------------------
    # THE COMPANY
    # ------------------------------------------------------------------

    def build(self):
        env = self.env
        jpy = env.ref("base.JPY")
        jpy.active = True
        self.company = env["res.company"].create(
            {
                "name": "ベンチ製作所株式会社",
                "currency_id": jpy.id,
                "everyone_sells_hold_days": 0,
                "everyone_sells_payment_day": 25,
            }
        )
        context = {"allowed_company_ids": self.company.ids, "tz": "Asia/Tokyo", "lang": "en_US"}
        self.env = env = env(context=context)
        # Data entry, as an import would do it: no chatter, no crediting.
        self.quiet = switches().without_crediting(
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
        quiet = self.quiet
        self.departments = quiet["hr.department"].create(
            [{"name": name, "company_id": self.company.id} for name in DEPARTMENT_NAMES]
        )
        group_user = env.ref("base.group_user")
        group_sales = env.ref("sales_team.group_sale_salesman")
        users = quiet["res.users"].create(
            [
                {
                    "name": person(index),
                    "login": f"bench_employee_{index}",
                    "email": f"bench_employee_{index}@bench.example.jp",
                    "company_id": self.company.id,
                    "company_ids": [Command.set(self.company.ids)],
                    "groups_id": [Command.set(group_user.ids)],
                    "tz": "Asia/Tokyo",
                }
                for index in range(DEPARTMENTS)
            ]
        )
        # Salespeople sell: they are team members (and earn nothing from
        # rules that exclude sales), not among the contributors below.
        self.salespeople = quiet["res.users"].create(
            [
                {
                    "name": f"営業 {person(index + 500)}",
                    "login": f"bench_sales_{index}",
                    "email": f"bench_sales_{index}@bench.example.jp",
                    "company_id": self.company.id,
                    "company_ids": [Command.set(self.company.ids)],
                    "groups_id": [Command.set((group_user | group_sales).ids)],
                    "tz": "Asia/Tokyo",
                }
                for index in range(10)
            ]
        )
        log("departments and users")
        employees = quiet["hr.employee"]
        for start in range(0, EMPLOYEES, 500):
            employees |= quiet["hr.employee"].create(
                [
                    {
                        "name": users[index].name if index < DEPARTMENTS else person(index),
                        "user_id": users[index].id if index < DEPARTMENTS else False,
                        "department_id": self.departments[index % DEPARTMENTS].id,
                        "company_id": self.company.id,
                        "work_email": f"bench_employee_{index}@bench.example.jp",
                        "identification_id": f"E{index:05d}",
                        # The payroll file's and the workbook's employee key.
                        "everyone_sells_payroll_code": f"E{index:05d}",
                    }
                    for index in range(start, min(start + 500, EMPLOYEES))
                ]
            )
            self.cr.commit()
        self.employees = employees
        self.employee_user = users[1]  # カスタマーサポート部
        log(f"{len(employees)} employees in {len(self.departments)} departments")

        self.team = quiet["crm.team"].create(
            {
                "name": "法人営業チーム",
                "company_id": self.company.id,
                "member_ids": [Command.set(self.salespeople.ids)],
            }
        )
        self.stage_new = quiet["crm.stage"].create({"name": "提案中", "sequence": 1})
        self.stage_won = quiet["crm.stage"].create({"name": "受注", "sequence": 70, "is_won": True})
        self.customers = quiet["res.partner"].create(
            [
                {
                    "name": f"株式会社{SURNAMES[index % 30]}商事 {index}",
                    "is_company": True,
                    "email": f"info{index}@customer{index}.example.jp",
                }
                for index in range(CUSTOMERS)
            ]
        )
        Rule = env["crm.contribution.rule"]
        self.rules = Rule.create(
            [
                {
                    "name": "受注貢献 5 %",
                    "trigger": "won",
                    "compute_method": "percentage",
                    "percentage": 5,
                    "split_method": "weight",
                    "date_from": "2020-01-01",
                    "company_id": self.company.id,
                    "is_published": True,
                },
                {
                    "name": "受注ボーナス",
                    "trigger": "won",
                    "compute_method": "fixed",
                    "fixed_amount": 30_000,
                    "split_method": "equal",
                    "date_from": "2020-01-01",
                    "company_id": self.company.id,
                    "is_published": True,
                },
            ]
        )
        self.cr.commit()
        self._signals()
        self._opportunities()

    def _signals(self):
        types = self.env["crm.signal.type"].search([])
        channels = self.env["crm.signal.channel"].search([])
        pick = self.random.choice
        for start in range(0, SIGNALS, BATCH):
            self.quiet["crm.signal"].create(
                [
                    {
                        "name": f"お客様の声 {index}: API連携の要望",
                        "description": "<p>月末の締め処理を自動化したいとのこと。</p>",
                        "partner_id": self.customers[index % CUSTOMERS].id,
                        "employee_id": self.employees[index % EMPLOYEES].id,
                        "signal_type_id": pick(types).id,
                        "channel_id": pick(channels).id,
                        "estimated_revenue": 100_000 * (1 + index % 30),
                    }
                    for index in range(start, min(start + BATCH, SIGNALS))
                ]
            )
            self.cr.commit()
        log(f"{SIGNALS} signals")

    def _lead_values(self, index, contributors):
        employees = self.employees
        first = (index * 7) % EMPLOYEES
        # Distinct employees, spread so that every employee earns.
        chosen = [employees[(first + k * 331) % EMPLOYEES] for k in range(contributors)]
        roles = ["originator", "technical", "presales", "customer_success", "other", "other"]
        return {
            "name": f"案件 {index:05d} 基幹システム更改",
            "type": "opportunity",
            "company_id": self.company.id,
            "team_id": self.team.id,
            "user_id": self.salespeople[index % len(self.salespeople)].id,
            "partner_id": self.customers[index % CUSTOMERS].id,
            "stage_id": self.stage_new.id,
            "expected_revenue": 500_000 + 10_000 * (index % 450),
            "origin_employee_id": chosen[0].id,
            "origin_department_id": chosen[0].department_id.id,
            "contributor_ids": [
                Command.create(
                    {
                        "employee_id": employee.id,
                        "role": roles[k],
                        "weight": 1.0 if k == 0 else 0.5,
                    }
                )
                for k, employee in enumerate(chosen)
            ],
        }

    def _opportunities(self):
        Lead = self.quiet["crm.lead"]
        self.measured = Lead.create([self._lead_values(index, 3) for index in range(MEASURED)])
        self.cr.commit()
        # The others are won through the real crediting engine, 1,000 per
        # write: 2 rules x (5 or 6 contributors) = exactly LEDGER entries.
        background = OPPORTUNITIES - MEASURED
        six = LEDGER // 2 - 5 * background  # how many deals have 6 contributors
        crediting = switches().with_crediting(self.quiet)
        for start in range(MEASURED, OPPORTUNITIES, BATCH):
            leads = Lead.create(
                [
                    self._lead_values(index, 6 if index - MEASURED < six else 5)
                    for index in range(start, min(start + BATCH, OPPORTUNITIES))
                ]
            )
            leads.with_env(crediting).write({"stage_id": self.stage_won.id})
            self.cr.commit()
            self._run_job()
            self.cr.commit()
            self.env.invalidate_all()
            log(f"opportunities {start + len(leads)} / {OPPORTUNITIES} (won and credited)")
        self.cr.execute(
            "SELECT count(*), count(DISTINCT employee_id), min(date), max(date) "
            "FROM crm_contribution WHERE company_id = %s",
            [self.company.id],
        )
        count, earners, first, last = self.cr.fetchone()
        assert count == LEDGER, (count, LEDGER)
        if (first.year, first.month) != (last.year, last.month):
            # The run crossed midnight at the end of a month (Tokyo time).
            self.cr.execute(
                "UPDATE crm_contribution SET date = %s, payable_date = %s WHERE company_id = %s",
                [last, last, self.company.id],
            )
        self.credit_day = last
        self.cr.execute(
            "UPDATE crm_contribution SET state = 'approved', approved_by_id = %s, "
            "approved_date = NOW() AT TIME ZONE 'UTC' WHERE company_id = %s",
            [self.env.uid, self.company.id],
        )
        self.cr.commit()
        self.env.invalidate_all()
        log(f"{count} ledger entries for {earners} employees, approved")

    # ------------------------------------------------------------------
    # WINNING 1,000 DEALS
    # ------------------------------------------------------------------

    def _run_job(self):
        """The crediting job's run over every deal noted (what the scheduled
        action does, one batch per transaction)."""
        Queue = self.env["crm.contribution.queue"]
        done = 0
        while True:
            count, remaining = Queue._process(limit=BATCH)
            done += count
            if not remaining:
                return done

    def _win(self, leads, credit, commit=False):
        """Win ``leads`` once, inside a savepoint rolled back afterwards.

        Returns a dict: ``seconds`` and ``queries`` of the write + flush (what
        the user waits for), ``precommit`` (seconds of what the commit runs,
        crm's tracking messages, when ``commit``), then ``job_seconds`` and
        ``job_queries`` of the crediting job writing the ledger lines, and
        ``entries`` written."""
        env = self.env if credit else switches().without_crediting(self.env)
        self.env.invalidate_all()
        savepoint = self.cr.savepoint()
        result = {"precommit": None}
        try:
            # As timeit does: no garbage collection inside the timed write
            # (a collection of the bench's own objects falls at random on
            # either path), on both paths alike.
            gc.collect()
            gc.disable()
            queries = self.cr.sql_log_count
            start = time.perf_counter()
            try:
                leads.with_env(env).write({"stage_id": self.stage_won.id})
                env.flush_all()
            finally:
                result["seconds"] = time.perf_counter() - start
                gc.enable()
            result["queries"] = self.cr.sql_log_count - queries
            start = time.perf_counter()
            self.cr.precommit.run()
            env.flush_all()
            if commit:
                result["precommit"] = time.perf_counter() - start
            self.env.invalidate_all()
            queries = self.cr.sql_log_count
            start = time.perf_counter()
            self._run_job()
            self.env.flush_all()
            result["job_seconds"] = time.perf_counter() - start
            result["job_queries"] = self.cr.sql_log_count - queries
            self.cr.execute(
                "SELECT count(*) FROM crm_contribution WHERE lead_id = ANY(%s)", [leads.ids]
            )
            result["entries"] = self.cr.fetchone()[0]
        finally:
            savepoint.close(rollback=True)
            self.env.invalidate_all()
        return result

    def won_overhead(self):
        leads = self.measured
        # Warm up caches (ormcache, crm's scoring tables) on both paths.
        self._win(leads[:50], credit=False)
        self._win(leads[:50], credit=True)
        times = {False: [], True: []}
        totals = {False: [], True: []}
        jobs = []
        entries = 0
        for round_ in range(self.rounds):
            for credit in (False, True):
                run = self._win(leads, credit, commit=True)
                times[credit].append(run["seconds"])
                totals[credit].append(run["seconds"] + run["precommit"])
                if credit:
                    entries = run["entries"]
                    jobs.append(run["job_seconds"])
                log(
                    f"win 1000, round {round_ + 1}, crediting {'on ' if credit else 'off'}: "
                    f"{run['seconds']:.3f} s (+ {run['precommit']:.3f} s at commit); "
                    f"crediting job {run['job_seconds']:.3f} s, {run['entries']} entries"
                )
        assert entries == MEASURED * 3 * 2, entries
        on, off = statistics.median(times[True]), statistics.median(times[False])
        figure("won_1000_seconds_crediting_on", f"{on:.3f}")
        figure("won_1000_seconds_crediting_off", f"{off:.3f}")
        figure("won_overhead_ratio", f"{on / off:.2f}")
        # The fastest run of each path: what other processes on a shared
        # machine add falls on either path at random, never below this.
        figure("won_overhead_ratio_best", f"{min(times[True]) / min(times[False]):.2f}")
        on_c, off_c = statistics.median(totals[True]), statistics.median(totals[False])
        figure("won_overhead_ratio_with_commit", f"{on_c / off_c:.2f}")
        figure("won_1000_entries", entries)
        # Nothing hidden: what the crediting job then takes, in its own
        # transaction, to write the 6,000 ledger lines.
        figure("credit_job_1000_seconds", f"{statistics.median(jobs):.3f}")

    def won_queries(self):
        for size in (1, 100, 1000):
            leads = self.measured[:size]
            self._win(leads, credit=True)  # warm-up
            on = self._win(leads, credit=True)
            off = self._win(leads, credit=False)
            assert on["entries"] == size * 6, (size, on["entries"])
            figure(f"won_queries_{size}", on["queries"])
            figure(f"won_queries_{size}_crediting", on["queries"] - off["queries"])
            figure(f"credit_job_queries_{size}", on["job_queries"])

    def profile_crediting(self):
        """cProfile of the crediting job over the 1,000 measured deals."""
        profiler = cProfile.Profile()
        savepoint = self.cr.savepoint()
        try:
            self.measured.with_env(self.env).write({"stage_id": self.stage_won.id})
            self.cr.precommit.run()
            self.env.flush_all()
            self.env.invalidate_all()
            profiler.enable()
            self._run_job()
            self.env.flush_all()
            profiler.disable()
        finally:
            savepoint.close(rollback=True)
            self.env.invalidate_all()
        self._print_profile(profiler, "the crediting job over 1,000 deals")

    def _print_profile(self, profiler, what):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
        print(f"cProfile of {what}", file=sys.stderr)
        print(out.getvalue(), file=sys.stderr)

    # ------------------------------------------------------------------
    # PAYOUTS
    # ------------------------------------------------------------------

    def _clone_employees(self, count):
        """``count`` more employees, copied row by row in SQL from one made by
        the ORM (hr.employee.create costs ~10 ms each: avatars, work contacts)."""
        cr = self.cr
        template = self.employees[-1]

        def columns(table):
            cr.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = %s AND column_name != 'id' AND is_generated = 'NEVER'",
                [table],
            )
            return [row[0] for row in cr.fetchall()]

        names = [f"{person(index)} {index}" for index in range(EMPLOYEES, EMPLOYEES + count)]
        departments = [
            self.departments[index % DEPARTMENTS].id
            for index in range(EMPLOYEES, EMPLOYEES + count)
        ]
        codes = [f"E{index:05d}" for index in range(EMPLOYEES, EMPLOYEES + count)]
        res_cols = [c for c in columns("resource_resource") if c != "name"]
        cr.execute(
            f"""
            INSERT INTO resource_resource (name, {", ".join(res_cols)})
            SELECT u.name, {", ".join("r." + c for c in res_cols)}
              FROM resource_resource r, unnest(%s::text[]) WITH ORDINALITY AS u(name, n)
             WHERE r.id = %s
          ORDER BY u.n
         RETURNING id
            """,
            [names, template.resource_id.id],
        )
        resource_ids = [row[0] for row in cr.fetchall()]
        overrides = {
            "name": "u.name",
            "resource_id": "u.resource_id",
            "department_id": "u.department_id",
            "identification_id": "u.code",
            "everyone_sells_payroll_code": "u.code",
            "work_email": "NULL",
            "user_id": "NULL",
            "work_contact_id": "NULL",
            "barcode": "NULL",
        }
        emp_cols = columns("hr_employee")
        cr.execute(
            f"""
            INSERT INTO hr_employee ({", ".join(emp_cols)})
            SELECT {", ".join(overrides.get(c, "e." + c) for c in emp_cols)}
              FROM hr_employee e,
                   unnest(%s::text[], %s::int[], %s::int[], %s::text[])
                       AS u(name, resource_id, department_id, code)
             WHERE e.id = %s
         RETURNING id
            """,
            [names, resource_ids, departments, codes, template.id],
        )
        ids = [row[0] for row in cr.fetchall()]
        self.env.invalidate_all()
        return self.env["hr.employee"].browse(ids)

    def _payout(self, day):
        start, end = month_bounds(day)
        return self.env["crm.contribution.payout"].create(
            {"company_id": self.company.id, "date_from": start, "date_to": end}
        )

    def xlsx(self):
        """A confirmed payout of 10,000 lines: last month, one credit each."""
        extra = self._clone_employees(XLSX_LINES - EMPLOYEES)
        everyone = self.employees | extra
        last_month = self.credit_day.replace(day=1) - datetime.timedelta(days=1)
        rule = self.rules[0]
        # Last month's history, as Credit Past Wins writes it: credits of won
        # deals, dated in the past with a reason (the ledger audit at Confirm
        # refuses a won credit without its deal, or dated before its win).
        self.cr.execute(
            "SELECT id FROM crm_lead WHERE company_id = %s AND everyone_sells_is_won ORDER BY id",
            [self.company.id],
        )
        won = [row[0] for row in self.cr.fetchall()]
        values = []
        for index, employee in enumerate(everyone):
            revenue = 1_000_000 + 1_000 * (index % 900)
            amount = round(revenue * 0.05 / 2)
            values.append(
                {
                    "employee_id": employee.id,
                    "department_id": self.departments[index % DEPARTMENTS].id,
                    "company_id": self.company.id,
                    "lead_name": f"案件 {index:05d} 基幹システム更改",
                    "partner_id": self.customers[index % CUSTOMERS].id,
                    "rule_id": rule.id,
                    "trigger": "won",
                    "date": last_month,
                    "payable_date": last_month,
                    "basis_amount": revenue,
                    "rate": 5,
                    "share": 0.5,
                    "amount": amount,
                    "wage_type": "incentive",
                    "credit_key": f"won:history:{index}",
                    "lead_id": won[index % len(won)],
                    "backdate_reason": "ベンチマーク: 先月の実績",
                    "state": "approved",
                }
            )
        self.env["crm.contribution"]._insert_entries(values)
        payout = self._payout(last_month)
        payout.action_compute()
        payout.line_ids.write({"worked_hours": 176, "overtime_hours": 12, "late_night_hours": 2})
        payout.action_confirm()
        self.env.flush_all()
        self.cr.commit()
        assert len(payout.line_ids) == XLSX_LINES, len(payout.line_ids)
        log(f"payout of {len(payout.line_ids)} lines confirmed")
        self.env.invalidate_all()
        start = time.perf_counter()
        payout.action_export_xlsx()
        self.env.flush_all()
        seconds = time.perf_counter() - start
        size = len(payout.with_context(bin_size=False).xlsx_file or b"")
        self.env.invalidate_all()
        tracemalloc.start()
        payout.action_export_xlsx()
        self.env.flush_all()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        if self.profile:
            self.env.invalidate_all()
            profiler = cProfile.Profile()
            profiler.enable()
            payout.action_export_xlsx()
            self.env.flush_all()
            profiler.disable()
            self._print_profile(profiler, "the 10,000-line workbook")
        self.cr.commit()
        figure("xlsx_10k_seconds", f"{seconds:.2f}")
        figure("xlsx_10k_peak_mb", f"{peak / 1024 / 1024:.1f}")
        figure("xlsx_10k_base64_kb", size // 1024)

    def _ledger_indexes(self):
        """The ledger's indexes and their sizes (and the payout link table's)."""
        self.cr.execute(
            """
            SELECT indexrelname, pg_relation_size(indexrelid)
              FROM pg_stat_user_indexes
             WHERE relname IN ('crm_contribution', 'crm_contribution_payout_entry')
          ORDER BY indexrelname
            """
        )
        rows = self.cr.fetchall()
        for name, size in rows:
            figure(f"ledger_index_{name}_kb", size // 1024)
        figure("ledger_indexes", len(rows))
        figure("ledger_indexes_total_kb", sum(size for _name, size in rows) // 1024)

    def _grouped_select(self, start, end):
        """The data's limit: the payout's rows grouped by employee, one SELECT."""
        started = time.perf_counter()
        self.cr.execute(
            """
            SELECT employee_id, wage_type, sum(amount), sum(points), count(*)
              FROM crm_contribution
             WHERE company_id = %s AND state = 'approved' AND date BETWEEN %s AND %s
             GROUP BY employee_id, wage_type
            """,
            [self.company.id, start, end],
        )
        self.cr.fetchall()
        return time.perf_counter() - started

    def payout_100k(self):
        payout = self._payout(self.credit_day)
        self.cr.commit()
        self._ledger_indexes()
        self.env.invalidate_all()
        limit = min(self._grouped_select(payout.date_from, payout.date_to) for _ in range(3))
        # Above the company's background size (20,000 entries) the button
        # queues the payout and the job computes it: both are timed.
        import large  # noqa: PLC0415 - bench/large.py, beside this file

        seconds, request = large.compute_as_the_job(self.env, payout)
        figure("payout_100k_request_seconds", f"{request:.2f}")
        assert payout.entry_count == LEDGER, payout.entry_count
        figure("payout_100k_seconds", f"{seconds:.2f}")
        figure("payout_100k_lines", len(payout.line_ids))
        figure("payout_100k_grouped_select_seconds", f"{limit:.3f}")
        figure("payout_100k_vs_limit", f"{seconds / limit:.1f}")

    # ------------------------------------------------------------------
    # LOGGING A SIGNAL
    # ------------------------------------------------------------------

    def signal_create(self, count=30):
        # A company that also rewards logging: one point per signal.
        self.env["crm.contribution.rule"].create(
            {
                "name": "シグナル登録ポイント",
                "trigger": "signal_logged",
                "compute_method": "fixed",
                "fixed_amount": 0,
                "points": 1,
                "date_from": "2020-01-01",
                "company_id": self.company.id,
                "is_published": True,
            }
        )
        self.cr.commit()
        user = self.employee_user
        # Sales signals (the inbox path); routed kinds go another way.
        types = self.env["crm.signal.type"].search([("is_sale", "=", True)])
        channels = self.env["crm.signal.channel"].search([])
        Signal = self.env["crm.signal"].with_user(user)
        samples = []
        for index in range(count + 3):
            self.env.invalidate_all()
            start = time.perf_counter()
            signal = Signal.create(
                {
                    "name": f"保守契約の更新時に上位プランを検討 {index}",
                    "partner_id": self.customers[(index * 37) % CUSTOMERS].id,
                    "signal_type_id": types[index % len(types)].id,
                    "channel_id": channels[index % len(channels)].id,
                    "estimated_revenue": 1_200_000,
                    "description": "<p>来期の予算で検討したいとのこと。</p>",
                }
            )
            self.env.flush_all()
            if index >= 3:  # the first ones warm the caches
                samples.append(time.perf_counter() - start)
        assert signal.employee_id.user_id == user
        self.cr.commit()
        figure("signal_create_ms", f"{statistics.median(samples) * 1000:.1f}")


def replica_run(large_profile, config_path, database):
    import replica  # noqa: PLC0415 - bench/replica.py, only for --replica

    replica.run(large_profile, config_path, database)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the crediting job and the workbook (stderr)",
    )
    parser.add_argument(
        "--large",
        action="store_true",
        help="also the large profile: 50,000 employees, 1,000,000 ledger entries (bench/large.py)",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="size of the large profile (0.1: a tenth, to try it quickly)",
    )
    parser.add_argument(
        "--large-only",
        action="store_true",
        help="the large profile without the standard figures",
    )
    parser.add_argument(
        "--replica",
        action="store_true",
        help="then its screens over HTTP with a streaming read replica (bench/replica.py)",
    )
    args = parser.parse_args()
    if args.replica and not (args.large or args.large_only):
        parser.error("--replica needs --large or --large-only")
    started = time.perf_counter()
    config.parse_config(["-c", args.config, "-d", args.database])
    cpu, cores, ram_gb = machine()
    figure("date", datetime.datetime.now().astimezone().isoformat(timespec="seconds"))
    figure("machine_cpu", cpu)
    figure("machine_cores", cores)
    figure("machine_ram_gb", f"{ram_gb:.1f}")
    figure("python", platform.python_version())
    figure("odoo", odoo.release.version)
    try:
        server = subprocess.run(
            ["psql", "-tAc", "SHOW server_version", args.database],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        server = "unknown"
    figure("postgresql", server)
    figure("load_average_at_start", " ".join(f"{load:.2f}" for load in os.getloadavg()))

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        if args.large or args.large_only:
            import large  # noqa: PLC0415 - only for this profile

            figure("large_scale", args.scale)
        if args.large_only:
            large_profile = large.run(env, args.config, args.database, args.scale)
            if args.replica:
                replica_run(large_profile, args.config, args.database)
            figure("bench_total_seconds", f"{time.perf_counter() - started:.0f}")
            return
        bench = Bench(env, args.rounds, args.profile)
        bench.build()
        env = bench.env
        figure("data_employees", len(bench.employees))
        figure("data_departments", len(bench.departments))
        figure(
            "data_opportunities",
            env["crm.lead"].search_count([("company_id", "=", bench.company.id)]),
        )
        figure(
            "data_ledger_entries",
            env["crm.contribution"].search_count([("company_id", "=", bench.company.id)]),
        )
        figure("data_seconds", f"{time.perf_counter() - started:.0f}")
        bench.won_overhead()
        bench.won_queries()
        if args.profile:
            bench.profile_crediting()
        bench.xlsx()
        bench.payout_100k()
        bench.signal_create()
        if args.large:
            large_profile = large.run(env, args.config, args.database, args.scale)
            if args.replica:
                replica_run(large_profile, args.config, args.database)
        figure("load_average_at_end", " ".join(f"{load:.2f}" for load in os.getloadavg()))
        log("done")
    figure("bench_total_seconds", f"{time.perf_counter() - started:.0f}")


if __name__ == "__main__":
    main()
