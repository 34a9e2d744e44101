import base64
import io
from datetime import timedelta
from unittest.mock import patch

import openpyxl

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import SQL

from ..models import crm_contribution_evaluation_report as evaluation_report
from ..models.crm_contribution_evaluation_report import SUMS
from .test_program import ProgramCase


@tagged("post_install", "-at_install")
class TestHome(ProgramCase):
    def home_model(self, user):
        return (
            self.env["crm.everyone.sells.home"]
            .with_user(user)
            .with_context(allowed_company_ids=self.company.ids)
        )

    def open_home(self, user):
        """Home as the web client opens it: the menu's window action, then
        the new record's figures (onchange); nothing is saved."""
        Home = self.home_model(user)
        action = Home.action_open()
        self.assertEqual(action["res_model"], "crm.everyone.sells.home")
        self.assertFalse(action.get("res_id"))
        Home.onchange({}, [], {"user_id": {}, "my_signal_count": {}, "display_name": {}})
        return Home.new({})

    def test_root_menu_opens_the_home(self):
        menus = self.env["ir.ui.menu"].with_user(self.user_support).load_menus(False)
        root = menus[self.env.ref("crm_everyone_sells.menu_root").id]
        first_child = menus[root["children"][0]]
        self.assertEqual(first_child["xmlid"], "crm_everyone_sells.menu_home")
        action = self.env.ref("crm_everyone_sells.crm_everyone_sells_home_action_window")
        self.assertEqual(first_child["action"], f"ir.actions.act_window,{action.id}")
        # /odoo/everyone-sells reloads Home with the app's menus (a window
        # action with a path, not a record's model and id).
        self.assertEqual(action.path, "everyone-sells")
        self.assertFalse(action.res_id)

    def test_opening_home_writes_nothing(self):
        self.log_signal(self.user_support, name="API連携の要望")
        Home = self.home_model(self.user_support)
        homes_before = Home.sudo().search_count([])
        self.env.flush_all()
        spec = {
            "user_id": {},
            "display_name": {},
            "my_signal_count": {},
            "my_credit_month": {},
            "leaderboard": {},
            "my_signal_ids": {"fields": {"name": {}}},
        }
        for _visit in range(3):
            Home.action_open()
            values = Home.onchange({}, [], spec)["value"]
            self.assertEqual(values["my_signal_count"], 1)
            self.assertEqual(values["display_name"], "Everyone Sells")
        self.env.flush_all()
        self.assertEqual(Home.sudo().search_count([]), homes_before, "three visits, no record")

    def test_home_reads_are_marked_readonly_for_a_replica(self):
        # Odoo 18 sends RPC calls of methods marked @api.readonly to a read
        # replica when one is configured (--db_replica_host).
        Home = type(self.env["crm.everyone.sells.home"])
        self.assertTrue(getattr(Home.onchange, "_readonly", False))
        self.assertTrue(getattr(Home.action_open, "_readonly", False))
        self.assertTrue(getattr(Home.web_read, "_readonly", False))

    def test_employee_home_shows_program_signals_credit_rules_leaderboard(self):
        self.make_rule(
            name="情報提供ポイント",
            trigger="signal_logged",
            compute_method="fixed",
            fixed_amount=1000,
            points=10,
        )
        self.start_pilot()
        self.log_signal(self.user_support, name="API連携の要望")
        home = self.open_home(self.user_support)
        self.assertEqual(home.program_id, self.program)
        self.assertIn("お客様の声を営業へ。", home.program_message)
        self.assertEqual(home.my_signal_count, 1)
        self.assertEqual(home.my_open_signal_count, 1)
        self.assertEqual(home.my_credit_month, 1000)
        self.assertEqual(home.my_points_month, 10)
        self.assertIn("API連携の要望", home.my_signal_ids.mapped("name"))
        self.assertIn("情報提供ポイント", home.rule_ids.mapped("name"))
        self.assertEqual(home.leaderboard[0]["rank"], 1)
        self.assertIn("佐藤 花子", [row["name"] for row in home.leaderboard])
        # A real title in the breadcrumb, not "crm.everyone.sells.home,1".
        self.assertEqual(home.display_name, self.program.name)

    def test_home_shows_only_my_own_signals(self):
        self.log_signal(self.user_support, name="サポートの声")
        home = self.open_home(self.user_engineer)
        self.assertEqual(home.my_signal_count, 0)
        self.assertNotIn("サポートの声", home.my_signal_ids.mapped("name"))

    def test_home_without_employee_or_program(self):
        home = self.open_home(self.user_no_employee)
        self.assertFalse(home.program_id)
        self.assertEqual(home.my_signal_count, 0)
        self.assertFalse(home.leaderboard, "nobody has points: an empty board")
        self.assertFalse(home.my_signal_ids)
        self.assertEqual(home.display_name, "Everyone Sells")


@tagged("post_install", "-at_install")
class TestEvaluationAndAnalysis(ProgramCase):
    def setUp(self):
        super().setUp()
        self.start_pilot()
        self.lead = self.make_deal(
            revenue=1_000_000,
            contributors=[
                (self.employee_support, 1, "originator"),
                (self.employee_engineer, 1, "technical"),
            ],
        )
        self.mark_won(self.lead)
        self.log_signal(self.user_support, name="もう一件", partner_id=self.customer_other.id)
        self.env.flush_all()

    def totals(self, user, employee):
        report = self.env["crm.contribution.evaluation.report"].with_user(user)
        [row] = report._read_group(
            [("employee_id", "=", employee.id)],
            [],
            [
                "signal_count:sum",
                "accepted_count:sum",
                "won_count:sum",
                "revenue_influenced:sum",
                "amount:sum",
            ],
        )
        return row

    def test_evaluation_per_employee(self):
        self.assertEqual(
            self.totals(self.user_support, self.employee_support), (2, 1, 1, 1_000_000, 25_000)
        )
        self.assertEqual(
            self.totals(self.user_engineer, self.employee_engineer), (0, 0, 0, 1_000_000, 25_000)
        )

    def test_employee_sees_own_evaluation_manager_sees_departments(self):
        report = self.env["crm.contribution.evaluation.report"]
        mine = report.with_user(self.user_support).search([])
        self.assertEqual(mine.employee_id, self.employee_support)
        departments = report.with_user(self.user_manager)._read_group(
            [], ["department_id"], ["signal_count:sum"]
        )
        self.assertIn(self.dept_engineering, [department for department, _count in departments])

    def both_ways(self, domain, groupby, aggregates):
        """The manager's figures read from the ledger's monthly totals, and
        the same read from its lines."""
        report = self.env["crm.contribution.evaluation.report"].with_user(self.user_manager)
        self.assertTrue(report._fits_monthly_totals(domain, groupby, aggregates))
        by_month = report._read_group(domain, groupby, aggregates)
        with patch.object(type(report), "_fits_monthly_totals", return_value=False):
            by_line = report._read_group(domain, groupby, aggregates)
        return by_month, by_line

    def test_department_figures_from_the_monthly_totals_are_the_lines_own(self):
        # A ledger line of last month too, and one of another department.
        self.env.flush_all()
        entries = self.env["crm.contribution"].search([("lead_id", "=", self.lead.id)])
        self.assertGreater(len(entries), 1)
        today = fields.Date.context_today(self.env["crm.contribution"])
        last_month = today.replace(day=1) - timedelta(days=1)
        self.env.cr.execute(
            "UPDATE crm_contribution SET date = %s WHERE id = %s", (last_month, entries[0].id)
        )
        month_start = last_month.replace(day=1)
        sums = ["__count", *SUMS]
        for domain, groupby in (
            ([], ["department_id"]),
            ([("date", ">=", month_start)], ["department_id", "date:month"]),
            (
                [("date", ">=", month_start), ("date", "<=", last_month)],
                ["company_id", "date:quarter"],
            ),
            ([("department_id", "=", self.dept_engineering.id)], ["date:year"]),
            ([("date", "<", today.replace(day=1))], []),
        ):
            with self.subTest(domain=domain, groupby=groupby):
                by_month, by_line = self.both_ways(domain, groupby, sums)
                self.assertTrue(by_line)
                self.assertEqual(by_month, by_line)
                self.assertTrue(all(isinstance(row[len(groupby)], int) for row in by_month))

    def test_the_evaluation_reads_changes_not_yet_written(self):
        # A signal moved to another department in this transaction, not yet
        # written to the table: both ways of reading the evaluation see it.
        signal = self.env["crm.signal"].search([("name", "=", "もう一件")])
        signal.sudo().write({"department_id": self.dept_marketing.id})
        report = self.env["crm.contribution.evaluation.report"].with_user(self.user_manager)
        for fits in (True, False):
            with patch.object(type(report), "_fits_monthly_totals", return_value=fits):
                groups = report._read_group([], ["department_id"], ["signal_count:sum"])
            self.assertEqual(dict(groups).get(self.dept_marketing), 1, f"monthly totals: {fits}")

    def test_the_branches_have_the_same_column_types(self):
        # A branch whose column needs a coercion is not flattened into the
        # union: filters stop reaching its indexes, and an employee's My
        # Evaluation reads the whole ledger at scale (bench/large.py).
        for branches in (evaluation_report.BRANCHES, evaluation_report.MONTH_BRANCHES):
            types = []
            for branch in branches:
                self.env.cr.execute(SQL("SELECT * FROM (%s) branch LIMIT 0", SQL(branch)))
                types.append([column.type_code for column in self.env.cr.description])
            self.assertEqual(types[1:], types[:1] * (len(types) - 1))

    def test_what_the_monthly_totals_cannot_answer_reads_the_lines(self):
        report = self.env["crm.contribution.evaluation.report"].with_user(self.user_manager)
        fits = report._fits_monthly_totals
        today = fields.Date.context_today(report)
        self.assertTrue(fits([("date", ">=", today.replace(day=1))], ["department_id"], []))
        for domain, groupby, aggregates in (
            ([], ["employee_id"], []),
            ([], ["department_id", "employee_id"], ["__count"]),
            ([], ["date:day"], []),
            ([], ["date:week"], []),
            ([("date", ">=", today.replace(day=15))], ["department_id"], []),
            ([("date", "=", today.replace(day=1))], ["department_id"], []),
            (["!", ("date", ">=", today.replace(day=1))], ["department_id"], []),
            ([("employee_id", "=", self.employee_support.id)], ["department_id"], []),
            ([("id", "in", [1, 2])], [], []),
            ([], ["department_id"], ["employee_id:count_distinct"]),
        ):
            with self.subTest(domain=domain, groupby=groupby, aggregates=aggregates):
                self.assertFalse(fits(domain, groupby, aggregates))
        self.assertFalse(fits([], ["department_id"], [], having=[("__count", ">", 1)]))
        # An employee's own rows (their record rule names the employee).
        mine = self.env["crm.contribution.evaluation.report"].with_user(self.user_support)
        self.assertFalse(mine._fits_monthly_totals([], ["department_id"], ["__count"]))
        # Nobody chooses the monthly totals by context.
        forced = report.with_context(everyone_sells_evaluation_by_month=True)
        self.assertEqual(forced._table_sql.code, report._table_sql.code)

    def test_evaluation_xlsx_keeps_text_as_text(self):
        wizard = (
            self.env["crm.contribution.evaluation.export"]
            .with_user(self.user_manager)
            .with_context(allowed_company_ids=self.company.ids)
            .create(
                {
                    "company_id": self.company.id,
                    "date_from": fields.Date.today().replace(day=1),
                    "date_to": fields.Date.today() + timedelta(days=1),
                }
            )
        )
        action = wizard.action_export_xlsx()
        self.assertIn("/xlsx_file/", action["url"])
        sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.xlsx_file))).active
        rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
        self.assertEqual(rows["佐藤 花子"][1], "カスタマーサポート部")
        self.assertEqual(rows["佐藤 花子"][4], 2)
        self.assertEqual(sheet.cell(row=2, column=1).data_type, "s")

    def test_employee_cannot_export_the_evaluation(self):
        with self.assertRaises(AccessError):
            self.env["crm.contribution.evaluation.export"].with_user(self.user_support).create({})

    def test_analysis_compares_sources_and_scope(self):
        self.env["crm.lead"].create(
            {
                "name": "展示会経由の案件",
                "type": "opportunity",
                "company_id": self.company.id,
                "expected_revenue": 400_000,
                "stage_id": self.stage_won.id,
            }
        )
        self.log_signal(self.user_engineer, name="スコープ外の声", partner_id=False)
        self.env.flush_all()
        Report = self.env["crm.everyone.sells.report"].with_user(self.user_manager)
        by_source = {
            source: figures
            for source, *figures in Report._read_group(
                [("company_id", "=", self.company.id)],
                ["source"],
                ["lead_count:sum", "won_count:sum", "won_revenue:sum", "conversion_rate:avg"],
            )
        }
        self.assertEqual(by_source["employee"][:3], [1, 1, 1_000_000])
        self.assertEqual(by_source["other"], [1, 1, 400_000, 100.0])
        by_scope = dict(
            Report._read_group(
                [("company_id", "=", self.company.id)], ["scope"], ["signal_count:sum"]
            )
        )
        self.assertEqual(by_scope["in_scope"], 2)
        self.assertEqual(by_scope["out_of_scope"], 1)
        [(incentive,)] = Report._read_group(
            [("lead_id", "=", self.lead.id)], [], ["incentive_cost:sum"]
        )
        self.assertEqual(incentive, 50_000)

    def test_employee_cannot_read_the_analysis(self):
        with self.assertRaises(AccessError):
            self.env["crm.everyone.sells.report"].with_user(self.user_support).search([])
