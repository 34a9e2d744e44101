import threading
import time
from datetime import datetime, timedelta
from unittest.mock import patch

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.tests import HttpCase, new_test_user, tagged

from ..models import crm_contribution_payout as payout_model

SIGNAL_SUMMARY = "CSVの一括取込が欲しい"


@tagged("post_install", "-at_install", "everyone_sells_tour")
class TestSignalTour(HttpCase):
    """The main flow in the web client: an employee outside sales logs what a
    customer said, a salesperson hands it off to a new opportunity."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        Department = cls.env["hr.department"]
        cls.dept_support = Department.create(
            {"name": "カスタマーサポート部", "company_id": cls.company.id}
        )
        cls.dept_sales = Department.create({"name": "営業部", "company_id": cls.company.id})
        cls.user_support, cls.employee_support = cls._make_user(
            "es_tour_support", "佐藤 花子", cls.dept_support
        )
        cls.user_salesman, cls.employee_salesman = cls._make_user(
            "es_tour_salesman", "田中 健太", cls.dept_sales, "sales_team.group_sale_salesman"
        )
        cls.team = cls.env["crm.team"].create(
            {
                "name": "法人営業チーム",
                "company_id": cls.company.id,
                "member_ids": [Command.set(cls.user_salesman.ids)],
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "株式会社みらい商事", "is_company": True, "email": "info@mirai.example.jp"}
        )

    @classmethod
    def _make_user(cls, login, name, department, groups=""):
        user = new_test_user(
            cls.env,
            login=login,
            password=login,
            name=name,
            email=f"{login}@mirai-seisakusho.example.jp",
            groups=",".join(filter(None, ["base.group_user", groups])),
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
            tz="Asia/Tokyo",
        )
        employee = cls.env["hr.employee"].create(
            {
                "name": name,
                "user_id": user.id,
                "department_id": department.id,
                "company_id": cls.company.id,
            }
        )
        return user, employee

    def test_log_and_hand_off_signal(self):
        self.assertFalse(self.user_support.has_group("sales_team.group_sale_salesman"))

        self.start_tour("/odoo", "crm_everyone_sells_log_signal", login="es_tour_support")
        signal = self.env["crm.signal"].search([("name", "=", SIGNAL_SUMMARY)])
        self.assertEqual(len(signal), 1)
        self.assertEqual(signal.employee_id, self.employee_support)
        self.assertEqual(signal.department_id, self.dept_support)
        self.assertEqual(signal.partner_id, self.customer)
        self.assertEqual(signal.state, "new")

        self.start_tour("/odoo", "crm_everyone_sells_handoff", login="es_tour_salesman")
        signal.invalidate_recordset()
        self.assertEqual(signal.state, "handed_off")
        self.assertEqual(signal.employee_id, self.employee_support)
        self.assertEqual(signal.department_id, self.dept_support)
        lead = signal.lead_id
        self.assertTrue(lead)
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(lead.name, SIGNAL_SUMMARY)
        self.assertEqual(lead.partner_id, self.customer)
        self.assertEqual(lead.user_id, self.user_salesman)
        self.assertEqual(lead.team_id, self.team)
        self.assertEqual(lead.origin_employee_id, self.employee_support)
        self.assertEqual(lead.origin_department_id, self.dept_support)
        self.assertEqual(
            self.env["crm.lead"].search([("origin_employee_id", "=", self.employee_support.id)]),
            lead,
        )


class WalkthroughCase(HttpCase):
    """The README's walk-through company, in Japanese, in a single-company
    database: an employee, a salesperson, a Contribution Manager, payroll,
    and a department requests are routed to; a deal two of them helped on."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ja_JP")
        cls.env["ir.module.module"].search(
            [("name", "=", "crm_everyone_sells")]
        )._update_translations(["ja_JP"])
        jpy = cls.env.ref("base.JPY")
        jpy.active = True
        # A company of its own: on a database with demo data, the demo's
        # company has its own rules, credits waiting for approval and
        # departments of the same names, which would change every figure.
        # Its people have this one company: their screens are those of a
        # single-company database.
        cls.company = cls.env["res.company"].create(
            {
                "name": "株式会社みらい製作所",
                "currency_id": jpy.id,
                "country_id": cls.env.ref("base.jp").id,
                "state_id": cls.env.ref("base.state_jp_jp-13").id,
                "everyone_sells_hold_days": 0,
            }
        )
        Department = cls.env["hr.department"]
        cls.dept_support = Department.create(
            {"name": "カスタマーサポート部", "company_id": cls.company.id}
        )
        cls.dept_engineering = Department.create({"name": "技術部", "company_id": cls.company.id})
        cls.dept_sales = Department.create({"name": "営業部", "company_id": cls.company.id})
        make = cls._make_user
        cls.sato, cls.employee_sato = make("es_walk_sato", "佐藤 美穂", cls.dept_support)
        cls.suzuki, cls.employee_suzuki = make("es_walk_suzuki", "鈴木 大輝", cls.dept_engineering)
        cls.tanaka, _employee = make(
            "es_walk_tanaka", "田中 誠", cls.dept_sales, "sales_team.group_sale_salesman"
        )
        cls.yamamoto, _employee = make(
            "es_walk_yamamoto", "山本 由紀", cls.dept_support, "crm_everyone_sells.group_manager"
        )
        cls.payroll, _employee = make(
            "es_walk_payroll", "小川 直子", cls.dept_support, "crm_everyone_sells.group_admin"
        )
        cls.team = cls.env["crm.team"].create(
            {
                "name": "法人営業チーム",
                "company_id": cls.company.id,
                "user_id": cls.tanaka.id,
                "member_ids": [Command.set(cls.tanaka.ids)],
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "株式会社みらい商事", "is_company": True, "email": "info@mirai.example.jp"}
        )
        Rule = cls.env["crm.contribution.rule"]
        Rule.create(
            {
                "name": "受注貢献 5 %",
                "trigger": "won",
                "compute_method": "percentage",
                "percentage": 5,
                "cap_per_deal": 300_000,
                "date_from": "2020-01-01",
                "company_id": cls.company.id,
                "is_published": True,
            }
        )
        Rule.create(
            {
                "name": "情報提供ポイント",
                "trigger": "signal_logged",
                "compute_method": "fixed",
                "fixed_amount": 0,
                "points": 1,
                "wage_type": "award",
                "date_from": "2020-01-01",
                "company_id": cls.company.id,
                "is_published": True,
            }
        )
        cls.env.ref(
            "crm_everyone_sells.signal_type_improvement"
        ).route_department_id = cls.dept_engineering
        cls.lead = cls.env["crm.lead"].create(
            {
                "name": "青葉物流様 API連携オプション導入",
                "type": "opportunity",
                "partner_id": cls.customer.id,
                "expected_revenue": 1_800_000,
                "user_id": cls.tanaka.id,
                "team_id": cls.team.id,
                "company_id": cls.company.id,
                "contributor_ids": [
                    Command.create(
                        {"employee_id": cls.employee_sato.id, "weight": 1, "role": "originator"}
                    ),
                    Command.create(
                        {"employee_id": cls.employee_suzuki.id, "weight": 0.5, "role": "technical"}
                    ),
                ],
            }
        )

    @classmethod
    def _make_user(cls, login, name, department, groups=""):
        user = new_test_user(
            cls.env,
            login=login,
            password=login,
            name=name,
            email=f"{login}@mirai-seisakusho.example.jp",
            groups=",".join(filter(None, ["base.group_user", groups])),
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
            tz="Asia/Tokyo",
            lang="ja_JP",
        )
        employee = cls.env["hr.employee"].create(
            {
                "name": name,
                "user_id": user.id,
                "department_id": department.id,
                "company_id": cls.company.id,
            }
        )
        return user, employee

    def run_crediting(self):
        self.env.flush_all()
        self.env.ref("crm_everyone_sells.ir_cron_crediting").sudo().method_direct_trigger()
        self.env.invalidate_all()

    def credits(self):
        return self.env["crm.contribution"].search([("lead_id", "=", self.lead.id)])


@tagged("post_install", "-at_install", "everyone_sells_tour")
class TestWalkthroughTour(WalkthroughCase):
    """The README's walk-through, steps 1–5, as its people live it. Every
    tour fails on an error dialog or a console error."""

    def test_walkthrough_in_japanese(self):
        """Steps 1, 2, 3 and 5; step 4 (payroll) is the next test."""
        # 1. The employee: Home, then Log a Signal → Send.
        self.start_tour("/odoo", "crm_everyone_sells_walkthrough_employee", login="es_walk_sato")
        logged = self.env["crm.signal"].search([("name", "=", "在庫連携のAPIがあれば購入したい")])
        self.assertEqual(logged.employee_id, self.employee_sato)

        # 2. The salesperson marks the deal won; the job credits it a moment later.
        self.start_tour(
            f"/odoo/crm.lead/{self.lead.id}",
            "crm_everyone_sells_walkthrough_won",
            login="es_walk_tanaka",
        )
        self.run_crediting()
        amounts = {c.employee_id: c.amount for c in self.credits()}
        self.assertEqual(amounts, {self.employee_sato: 60_000, self.employee_suzuki: 30_000})
        self.start_tour(
            f"/odoo/crm.lead/{self.lead.id}",
            "crm_everyone_sells_walkthrough_credited",
            login="es_walk_tanaka",
        )

        # 3. The Contribution Manager approves them.
        self.start_tour("/odoo", "crm_everyone_sells_walkthrough_approve", login="es_walk_yamamoto")
        self.assertEqual(set(self.credits().mapped("state")), {"approved"})
        # ... and reads them in Reporting > Contributions.
        self.start_tour(
            "/odoo", "crm_everyone_sells_walkthrough_analysis", login="es_walk_yamamoto"
        )

        # 5. Routing: an improvement request goes to 技術部, which resolves it.
        self.start_tour("/odoo", "crm_everyone_sells_walkthrough_route", login="es_walk_sato")
        request = self.env["crm.signal"].search([("name", "=", "CSV出力に部署名を入れてほしい")])
        self.assertEqual(request.state, "routed")
        self.assertEqual(request.routed_department_id, self.dept_engineering)
        self.start_tour("/odoo", "crm_everyone_sells_walkthrough_resolve", login="es_walk_suzuki")
        request.invalidate_recordset()
        self.assertEqual(request.state, "resolved")

    def test_walkthrough_payroll_in_japanese(self):
        """Step 4, on its own: the credits of steps 2–3 are won and approved
        here directly, dated last month as if a month had passed since the win."""
        self.lead.write(
            {"stage_id": self.env["crm.stage"].search([("is_won", "=", True)], limit=1).id}
        )
        self.run_crediting()
        self.credits().with_user(self.yamamoto).action_approve()
        last_month = fields.Date.today().replace(day=1) - timedelta(days=1)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crm_contribution SET date = %s, payable_date = %s WHERE lead_id = %s",
            (last_month, last_month, self.lead.id),
        )
        # The win too, as the server observed it then (the ledger audit at
        # Confirm refuses a credit dated before its observed win).
        self.env.cr.execute(
            "UPDATE crm_lead SET everyone_sells_won_date = %s WHERE id = %s",
            (datetime.combine(last_month, datetime.min.time()) + timedelta(hours=3), self.lead.id),
        )
        self.env.invalidate_all()
        # Payroll closes the month, types 佐藤's hours, confirms, marks paid;
        # 佐藤 then finds her statement.
        self.start_tour("/odoo", "crm_everyone_sells_walkthrough_payroll", login="es_walk_payroll")
        self.assertEqual(set(self.credits().mapped("state")), {"paid"})
        # A large payout's statements print in the background (here: above one
        # line). Payroll opens the job and watches it end: the scheduled
        # action runs once the open form has read the job twice (its first
        # load, then a refresh), and the page shows the end without a reload.
        Job = type(self.env["crm.everyone.sells.job"])
        reads = []
        web_read = Job.web_read

        def counted_web_read(records, *args, **kwargs):
            # Only the statements job's own form counts: the payout's form
            # reads its payout job too (its background_job_id).
            if any(job.kind == "statements" for job in records.sudo()):
                reads.append(records.ids)
            return web_read(records, *args, **kwargs)

        def scheduled_action():
            deadline = time.monotonic() + 120
            while len(reads) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                for _step in range(5):
                    env["crm.everyone.sells.job"]._cron_run()

        cron = threading.Thread(target=scheduled_action)
        with (
            patch.object(payout_model, "STATEMENTS_AT_ONCE", 1),
            patch.object(Job, "web_read", counted_web_read),
            patch.object(type(self.env["ir.cron"]), "_notify_progress"),
        ):
            cron.start()
            try:
                self.start_tour(
                    "/odoo",
                    "crm_everyone_sells_walkthrough_statements_job",
                    login="es_walk_payroll",
                )
            finally:
                reads.extend([[], []])  # never leave the thread waiting
                cron.join()
        self.assertGreaterEqual(len(reads), 2, "the open form read the job again")
        job = self.env["crm.everyone.sells.job"].search([("kind", "=", "statements")])
        self.assertEqual(job.user_id.login, "es_walk_payroll")
        job.invalidate_recordset()
        self.assertEqual(job.state, "done", job.error)
        self.start_tour(
            "/odoo", "crm_everyone_sells_walkthrough_statements_done", login="es_walk_payroll"
        )
        self.start_tour("/odoo", "crm_everyone_sells_walkthrough_statement", login="es_walk_sato")


@tagged("post_install", "-at_install", "everyone_sells_tour")
class TestClickEverywhere(WalkthroughCase):
    """Odoo's clickbot (what runbot's click_all runs) as each role, in
    Japanese: every menu of the app, every filter and group of its search
    views, every view switch. Fails on any error dialog or console error: no
    screen of the app crashes for anyone who can open it."""

    allow_end_on_form = True

    def click_everywhere(self, login):
        self.browser_js(
            "/odoo",
            "odoo.loader.modules.get('@web/webclient/clickbot/clickbot_loader')"
            ".startClickEverywhere('crm_everyone_sells.menu_root');",
            "odoo.isReady === true",
            login=login,
            timeout=600,
            success_signal="clickbot test succeeded",
        )

    def test_as_an_employee(self):
        self.click_everywhere("es_walk_sato")

    def test_as_a_salesperson(self):
        self.click_everywhere("es_walk_tanaka")

    def test_as_the_contribution_manager(self):
        self.click_everywhere("es_walk_yamamoto")

    def test_as_payroll_and_administrator(self):
        self.click_everywhere("es_walk_payroll")
