import calendar
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import TransactionCase, new_test_user
from odoo.tools import SQL

# The world's users by role, by login, for ``@users(...)`` of odoo.tests (as
# Odoo's own TestCrmCommon): the decorated test runs once per login with
# ``self.env`` as that user, the way an RPC caller acts.
EMPLOYEE = "es_support"  # 佐藤 花子, カスタマーサポート部: logs signals, earns credits
SALESPERSON = "es_salesman"  # 田中 健太, 営業部, 法人営業チーム
SALES_MANAGER = "es_sales_manager"  # 渡辺 直樹, Sales: Administrator
CONTRIBUTION_MANAGER = "es_manager"  # 山本 恵: approves credits, never her own
CONTRIBUTION_ADMIN = "es_admin"  # 中村 誠: rules, payouts and payroll
PORTAL = "es_portal"


class EveryoneSellsCase(TransactionCase):
    """A small Japanese company: four departments, employees with and without
    user accounts, a sales team, a customer. Tests act as these people
    (``with_user(self.user_manager)``, or ``@users(CONTRIBUTION_MANAGER)``
    with the logins above)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.jpy = cls.env.ref("base.JPY")
        cls.jpy.active = True
        cls.company = cls.env["res.company"].create(
            {"name": "株式会社ミライ製作所", "currency_id": cls.jpy.id}
        )
        # Its events are dated in Tokyo, whoever acts and wherever they are.
        cls.company.resource_calendar_id.tz = "Asia/Tokyo"
        cls.other_company = cls.env["res.company"].create(
            {"name": "株式会社ベツ商事", "currency_id": cls.jpy.id}
        )
        Department = cls.env["hr.department"]
        cls.dept_sales = Department.create({"name": "営業部", "company_id": cls.company.id})
        cls.dept_support = Department.create(
            {"name": "カスタマーサポート部", "company_id": cls.company.id}
        )
        cls.dept_engineering = Department.create({"name": "技術部", "company_id": cls.company.id})
        cls.dept_marketing = Department.create(
            {"name": "マーケティング部", "company_id": cls.company.id}
        )

        cls.user_support = cls._make_user(EMPLOYEE, "佐藤 花子", cls.dept_support)
        cls.user_engineer = cls._make_user("es_engineer", "鈴木 一郎", cls.dept_engineering)
        cls.user_marketer = cls._make_user("es_marketer", "高橋 美咲", cls.dept_marketing)
        cls.user_salesman = cls._make_user(
            SALESPERSON, "田中 健太", cls.dept_sales, "sales_team.group_sale_salesman"
        )
        cls.user_salesman_other = cls._make_user(
            "es_salesman_other", "伊藤 大輔", cls.dept_sales, "sales_team.group_sale_salesman"
        )
        cls.user_sales_manager = cls._make_user(
            SALES_MANAGER, "渡辺 直樹", cls.dept_sales, "sales_team.group_sale_manager"
        )
        cls.user_manager = cls._make_user(
            CONTRIBUTION_MANAGER,
            "山本 恵",
            cls.dept_support,
            "crm_everyone_sells.group_manager,sales_team.group_sale_salesman",
        )
        cls.user_admin = cls._make_user(
            CONTRIBUTION_ADMIN,
            "中村 誠",
            cls.dept_sales,
            "crm_everyone_sells.group_admin,sales_team.group_sale_manager",
        )
        cls.user_no_employee = new_test_user(
            cls.env,
            login="es_no_employee",
            name="小林 翔",
            groups="base.group_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.user_portal = new_test_user(
            cls.env,
            login=PORTAL,
            name="顧客ポータル",
            groups="base.group_portal",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.employee_support = cls._employee_of(cls.user_support)
        cls.employee_engineer = cls._employee_of(cls.user_engineer)
        cls.employee_marketer = cls._employee_of(cls.user_marketer)
        cls.employee_salesman = cls._employee_of(cls.user_salesman)
        cls.employee_manager = cls._employee_of(cls.user_manager)
        cls.employee_without_user = cls.env["hr.employee"].create(
            {
                "name": "加藤 修",
                "department_id": cls.dept_engineering.id,
                "company_id": cls.company.id,
            }
        )

        cls.team = cls.env["crm.team"].create(
            {
                "name": "法人営業チーム",
                "company_id": cls.company.id,
                "member_ids": [Command.set(cls.user_salesman.ids)],
            }
        )
        cls.team_other = cls.env["crm.team"].create(
            {
                "name": "代理店営業チーム",
                "company_id": cls.company.id,
                "member_ids": [Command.set(cls.user_salesman_other.ids)],
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "株式会社みらい商事", "is_company": True, "email": "info@mirai.example.jp"}
        )
        cls.customer_contact = cls.env["res.partner"].create(
            {"name": "山田 太郎", "parent_id": cls.customer.id, "email": "yamada@mirai.example.jp"}
        )
        cls.customer_other = cls.env["res.partner"].create(
            {"name": "ひかり物産株式会社", "is_company": True}
        )
        cls.stage_new = cls.env["crm.stage"].create({"name": "新規", "sequence": 1})
        cls.stage_won = cls.env["crm.stage"].create(
            {"name": "受注", "sequence": 70, "is_won": True}
        )
        cls.type_new_need = cls.env.ref("crm_everyone_sells.signal_type_new_need")
        cls.type_upsell = cls.env.ref("crm_everyone_sells.signal_type_upsell")
        cls.channel_support = cls.env.ref("crm_everyone_sells.signal_channel_support")
        cls.channel_visit = cls.env.ref("crm_everyone_sells.signal_channel_visit")

    @classmethod
    def _make_user(cls, login, name, department, groups=""):
        user = new_test_user(
            cls.env,
            login=login,
            name=name,
            email=f"{login}@mirai-seisakusho.example.jp",
            groups=",".join(filter(None, ["base.group_user", groups])),
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
            tz="Asia/Tokyo",
        )
        cls.env["hr.employee"].create(
            {
                "name": name,
                "user_id": user.id,
                "department_id": department.id,
                "company_id": cls.company.id,
                "work_email": f"{login}@mirai-seisakusho.example.jp",
            }
        )
        return user

    @classmethod
    def _employee_of(cls, user):
        return cls.env["hr.employee"].search([("user_id", "=", user.id)])

    def log_signal(self, user=None, **values):
        """Log a signal as ``user`` would from the form (default: support)."""
        user = user or self.user_support
        values.setdefault("name", "API連携オプションがあれば購入したい")
        values.setdefault("partner_id", self.customer.id)
        signals = (
            self.env["crm.signal"]
            .with_user(user)
            .with_context(allowed_company_ids=user.company_ids.ids)
            .create(values)
        )
        # Checked afterwards with the test's own rights, not the employee's.
        return signals.with_env(self.env)

    def hand_off(self, signals, user=None, **values):
        """Run the hand-off wizard on ``signals`` as ``user`` (default: salesman)."""
        user = user or self.user_salesman
        values.setdefault("team_id", self.team.id)
        wizard = (
            self.env["crm.signal.handoff"]
            .with_user(user)
            .with_context(allowed_company_ids=user.company_ids.ids)
            .create({"signal_ids": [Command.set(signals.ids)], **values})
        )
        action = wizard.action_apply()
        # Routing closes the wizard: no opportunity to return.
        return self.env["crm.lead"].browse(action.get("res_id")), action

    def backdate(self, record, field, **delta):
        """Pretend the datetime ``field`` of ``record`` was ``delta`` ago
        (``days=3``, ``hours=49``): in SQL, since the ORM never sets
        create_date. Stored fields computed from it are not recomputed."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET %s = %s WHERE id = %s",
                SQL.identifier(record._table),
                SQL.identifier(field),
                fields.Datetime.now() - timedelta(**delta),
                record.id,
            )
        )
        record.invalidate_recordset()

    def mark_won(self, lead):
        lead.write({"stage_id": self.stage_won.id})
        self.run_crediting()

    def run_crediting(self):
        """Run the crediting job as its scheduled action does (deals won,
        lost or changed are credited right after their transaction)."""
        self.env.flush_all()
        self.env.ref("crm_everyone_sells.ir_cron_crediting").sudo().method_direct_trigger()
        self.env.invalidate_all()

    def import_won(self, leads, user=None):
        """Move ``leads`` to the won stage as an import does (``load``, the
        import screen's path): the server does not see them win."""
        result = (
            self.env["crm.lead"]
            .with_user(user or self.env.user)
            .load(
                [".id", "stage_id/.id"],
                [[str(lead.id), str(self.stage_won.id)] for lead in leads],
            )
        )
        self.assertFalse(result["messages"], result["messages"])
        self.env.invalidate_all()
        return leads


class ContributionCase(EveryoneSellsCase):
    """The world above plus scoring rules and an opportunity ready to be won."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.everyone_sells_hold_days = 30
        cls.rule_won = cls.make_rule(name="受注貢献 5 %", percentage=5)

    @classmethod
    def make_rule(cls, **values):
        values.setdefault("trigger", "won")
        values.setdefault("compute_method", "percentage")
        values.setdefault("date_from", "2020-01-01")
        values.setdefault("company_id", cls.company.id)
        values.setdefault("is_published", True)
        return cls.env["crm.contribution.rule"].with_user(cls.user_admin).create(values)

    def make_deal(self, revenue=1_000_000, contributors=None, **values):
        """An opportunity from a support signal, with contributors (employee, weight, role)."""
        signal = self.log_signal(name=values.pop("signal_name", "API連携の要望"))
        lead, _action = self.hand_off(signal, expected_revenue=revenue)
        lead.write({"stage_id": self.stage_new.id, **values})
        if contributors:
            lead.contributor_ids = [
                Command.clear(),
                *[
                    Command.create({"employee_id": employee.id, "weight": weight, "role": role})
                    for employee, weight, role in contributors
                ],
            ]
        return lead

    def credits(self, lead, employee=None):
        self.run_crediting()
        entries = self.env["crm.contribution"].search([("lead_id", "=", lead.id)])
        return entries.filtered(lambda e: e.employee_id == employee) if employee else entries


def month_bounds(day):
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


class PayoutCase(ContributionCase):
    """The world above with a company that pays monthly on the 25th, no hold
    days, and helpers for payouts, awards and approved credits."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.everyone_sells_hold_days = 0
        cls.company.everyone_sells_payment_day = 25
        # The users' today (Asia/Tokyo), as the app dates entries and
        # proposes periods: from 15:00 UTC on a month's last day it is
        # already the next month there.
        cls.today = fields.Date.context_today(cls.env["res.users"].with_user(cls.user_admin))
        cls.month_start, cls.month_end = month_bounds(cls.today)
        cls.next_start, cls.next_end = month_bounds(cls.month_end + timedelta(days=1))

    def win_and_approve_each(self, employees):
        """One won deal per employee, its credit approved by the administrator
        (this test's company only: demo data has drafts of its own)."""
        for employee in employees:
            lead = self.make_deal(
                signal_name=f"件 {employee.name}", contributors=[(employee, 1, "originator")]
            )
            self.mark_won(lead)
        entries = self.env["crm.contribution"].search(
            [("state", "=", "draft"), ("company_id", "=", self.company.id)]
        )
        entries.with_user(self.user_admin).action_approve()

    def enter_award(self, values, user=None, approver=None):
        """Enter an award as ``user`` (default: the manager); another
        manager (default: the administrator) approves it: the one who
        enters it never does."""
        action = (
            self.env["crm.contribution.award"]
            .with_user(user or self.user_manager)
            .create(values)
            .action_apply()
        )
        entry = self.env["crm.contribution"].browse(action["res_id"])
        entry.with_user(approver or self.user_admin).action_approve()
        return action

    def won_and_approved(self, revenue=1_000_000, contributors=None, name="受注案件"):
        lead = self.make_deal(revenue=revenue, contributors=contributors, signal_name=name)
        self.mark_won(lead)
        entries = self.credits(lead)
        entries.with_user(self.user_admin).action_approve()
        return lead, entries

    def payout(self, start=None, end=None, **values):
        return (
            self.env["crm.contribution.payout"]
            .with_user(self.user_admin)
            .create(
                {
                    "company_id": self.company.id,
                    "date_from": start or self.month_start,
                    "date_to": end or self.month_end,
                    **values,
                }
            )
        )

    def line_of(self, payout, employee):
        return payout.line_ids.filtered(lambda line: line.employee_id == employee)


def working_calendar(env, company):
    """09:00-12:00 and 13:00-18:00 in Tokyo, Monday to Friday."""
    return env["resource.calendar"].create(
        {
            "name": "平日 9-18",
            "company_id": company.id,
            "tz": "Asia/Tokyo",
            "attendance_ids": [Command.clear()]
            + [
                Command.create(
                    {
                        "name": f"{day} {start}",
                        "dayofweek": str(day),
                        "hour_from": start,
                        "hour_to": end,
                        "day_period": period,
                    }
                )
                for day in range(5)
                for start, end, period in ((9, 12, "morning"), (13, 18, "afternoon"))
            ],
        }
    )
