"""Wage law, round two: the minimum wage of today and of the workplace, wage
periods closing on a day of the month, and awards that are not incentives (the
workbook: test_payroll_workbook.py)."""

from datetime import date, timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import file_open

from ..core.wage import last_complete_period, payday_after
from .common import PayoutCase

ONE_DAY = timedelta(days=1)


def state(env, code):
    return env.ref(f"base.state_jp_jp-{code:02d}")


@tagged("post_install", "-at_install")
class TestMinimumWageTable(PayoutCase):
    def minimum(self, code, day, start=None):
        return self.env["crm.contribution.minimum.wage"]._minimum_for(
            state(self.env, code), day, start
        )

    def test_fy2025_spot_checks(self):
        for code, effective, amount, before in (
            (13, date(2025, 10, 3), 1226, 1163),  # 東京
            (14, date(2025, 10, 4), 1225, 1162),  # 神奈川
            (27, date(2025, 10, 16), 1177, 1114),  # 大阪
            (23, date(2025, 10, 18), 1140, 1077),  # 愛知
            (1, date(2025, 10, 4), 1075, 1010),  # 北海道
            (47, date(2025, 12, 1), 1023, 952),  # 沖縄
            (7, date(2026, 1, 1), 1033, 955),  # 福島
            (36, date(2026, 1, 1), 1046, 980),  # 徳島
            (43, date(2026, 1, 1), 1034, 952),  # 熊本
            (44, date(2026, 1, 1), 1035, 954),  # 大分
            (10, date(2026, 3, 1), 1063, 985),  # 群馬
            (5, date(2026, 3, 31), 1031, 951),  # 秋田
        ):
            with self.subTest(prefecture=code):
                self.assertEqual(self.minimum(code, effective).hourly_amount, amount)
                self.assertEqual(self.minimum(code, effective - ONE_DAY).hourly_amount, before)
                self.assertEqual(self.minimum(code, effective).date_from, effective)

    def test_every_prefecture_has_its_fy2025_row(self):
        rows = self.env["crm.contribution.minimum.wage"].search(
            [("date_from", ">=", "2025-10-01"), ("date_from", "<=", "2026-03-31")]
        )
        self.assertEqual(len(rows.state_id), 47)
        self.assertEqual(min(rows.mapped("hourly_amount")), 1023)
        self.assertEqual(max(rows.mapped("hourly_amount")), 1226)

    def test_a_period_across_a_revision_uses_the_higher_rate(self):
        # Tokyo, 21 September – 20 October 2025: ¥1,163 until 2 October, ¥1,226 after.
        self.assertEqual(
            self.minimum(13, date(2025, 10, 20), date(2025, 9, 21)).hourly_amount, 1226
        )
        self.assertEqual(self.minimum(13, date(2025, 10, 2), date(2025, 9, 21)).hourly_amount, 1163)

    def test_staleness(self):
        Wage = self.env["crm.contribution.minimum.wage"]
        tokyo = state(self.env, 13)
        self.assertFalse(Wage._is_stale(tokyo, date(2026, 9, 20)))
        # Akita's FY2025 rate starts in March 2026: a February period is not stale.
        self.assertFalse(Wage._is_stale(state(self.env, 5), date(2026, 2, 20)))
        # No FY2026 row in the table: a period ending after 1 October 2026 is.
        self.assertTrue(Wage._is_stale(tokyo, date(2026, 10, 20)))
        # A table that stops at FY2024 is stale for FY2025's periods.
        Wage.search([("date_from", ">=", "2025-10-01")]).unlink()
        self.assertTrue(Wage._is_stale(tokyo, date(2025, 11, 20)))
        self.assertTrue(Wage._is_stale(state(self.env, 5), date(2026, 2, 20)))

    def test_import_template_matches_the_table(self):
        templates = self.env["crm.contribution.minimum.wage"].get_import_templates()
        self.assertTrue(templates[0]["template"].endswith("minimum_wage_template.csv"))
        with file_open("crm_everyone_sells/static/csv/minimum_wage_template.csv") as csv:
            header, *rows = csv.read().splitlines()
        # No ids: an import cannot create ids with the module's prefix.
        self.assertEqual(header, "state_id/id,date_from,hourly_amount")
        self.assertEqual(len(rows), 47)
        Wage = self.env["crm.contribution.minimum.wage"]
        count = Wage.search_count([])
        # Importing the template again changes nothing (rows are matched on
        # prefecture and date).
        result = Wage.load(header.split(","), [row.split(",") for row in rows])
        self.assertFalse(result["messages"], result["messages"])
        self.assertEqual(Wage.search_count([]), count)
        tokyo = self.env.ref("crm_everyone_sells.minimum_wage_jp_13_2025")
        self.assertEqual((tokyo.date_from, tokyo.hourly_amount), (date(2025, 10, 3), 1226))
        # A new year is one more line per prefecture, with its new date.
        result = Wage.load(
            ["state_id/id", "date_from", "hourly_amount"],
            [["base.state_jp_jp-13", "2026-10-01", "1300"]],
        )
        self.assertFalse(result["messages"], result["messages"])
        self.assertEqual(self.minimum(13, date(2026, 10, 20)).hourly_amount, 1300)
        self.assertEqual(Wage.search_count([]), count + 1)

    def test_administrator_imports_the_template_back_through_the_import_screen(self):
        """What the guide says, through Odoo's import screen (base_import) as
        an administrator: the template as downloaded, then as edited for a
        new year."""
        if "base_import.import" not in self.env:
            self.skipTest("base_import is not installed")
        administrator = self._make_user(
            "es_settings_admin",
            "小林 恵",
            self.dept_sales,
            "base.group_system,crm_everyone_sells.group_admin",
        )
        with file_open("crm_everyone_sells/static/csv/minimum_wage_template.csv", "rb") as csv:
            template = csv.read()
        Wage = self.env["crm.contribution.minimum.wage"]
        count = Wage.search_count([])
        columns = ["state_id/id", "date_from", "hourly_amount"]
        options = {"has_headers": True, "quoting": '"', "separator": ",", "date_format": "%Y-%m-%d"}

        def import_as_administrator(content):
            wizard = (
                self.env["base_import.import"]
                .with_user(administrator)
                .create(
                    {
                        "res_model": "crm.contribution.minimum.wage",
                        "file": content,
                        "file_name": "minimum_wage_template.csv",
                        "file_type": "text/csv",
                    }
                )
            )
            result = wizard.execute_import(columns, columns, options)
            errors = [m for m in result["messages"] if m.get("type") == "error"]
            self.assertFalse(errors, errors)
            return result

        import_as_administrator(template)
        self.assertEqual(Wage.search_count([]), count)
        # The autumn: Tokyo's new date and rate.
        next_year = template.replace(
            b"base.state_jp_jp-13,2025-10-03,1226", b"base.state_jp_jp-13,2026-10-01,1300"
        )
        self.assertNotEqual(next_year, template)
        import_as_administrator(next_year)
        self.assertEqual(Wage.search_count([]), count + 1)
        self.assertEqual(self.minimum(13, date(2026, 10, 20)).hourly_amount, 1300)
        # The FY2025 row stays as history.
        self.assertEqual(self.minimum(13, date(2026, 9, 20)).hourly_amount, 1226)


@tagged("post_install", "-at_install")
class TestMinimumWageOfTheWorkplace(PayoutCase):
    """A company in Tokyo with an employee working in Okinawa, in January 2026."""

    def setUp(self):
        super().setUp()
        self.company.state_id = state(self.env, 13)
        self.company.country_id = self.env.ref("base.jp")
        self.okinawa_office = self.env["res.partner"].create(
            {
                "name": "那覇営業所",
                "type": "other",
                "parent_id": self.company.partner_id.id,
                "state_id": state(self.env, 47).id,
                "country_id": self.env.ref("base.jp").id,
            }
        )
        self.employee_engineer.address_id = self.okinawa_office
        self.run = self.payout(date(2026, 1, 1), date(2026, 1, 31))
        Line = self.env["crm.contribution.payout.line"].sudo()
        self.line_naha, self.line_tokyo = (
            Line.create(
                {
                    "payout_id": self.run.id,
                    "employee_id": employee.id,
                    # ¥176,000 over 160 h: ¥1,100/h
                    "fixed_wage_amount": 176_000,
                    "scheduled_hours": 160,
                    "worked_hours": 160,
                }
            )
            for employee in (self.employee_engineer, self.employee_support)
        )

    def test_the_workplace_prefecture_decides(self):
        self.assertEqual(self.line_naha.workplace_state_id, state(self.env, 47))
        self.assertEqual(self.line_tokyo.workplace_state_id, state(self.env, 13))
        self.assertFalse(self.line_naha.warning, "¥1,100/h is above Okinawa's ¥1,023")
        self.assertIn("最低賃金(1,226円)", self.line_tokyo.warning)
        self.assertIn("¥1,226", self.line_tokyo.warning)

    def test_issue_example_tokyo_fy2025(self):
        # ¥188,000 over 160 h = ¥1,175/h: above FY2024's ¥1,163, below FY2025's ¥1,226.
        self.line_tokyo.write({"fixed_wage_amount": 188_000})
        self.assertIn("1,226", self.line_tokyo.warning)

    def test_a_stale_table_says_so_in_both_languages(self):
        self.env["crm.contribution.minimum.wage"].search(
            [("date_from", ">=", "2025-10-01")]
        ).unlink()
        self.line_naha.invalidate_recordset(["warning"])
        self.line_naha.write({"fixed_wage_amount": 176_001})
        self.assertIn("最低賃金表", self.line_naha.warning)
        self.assertIn("October 2025", self.line_naha.warning)


@tagged("post_install", "-at_install")
class TestWagePeriods(PayoutCase):
    """A company closing on the 20th, paying on the 25th (20日締め当月25日払い)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.everyone_sells_closing_day = 20
        cls.period = last_complete_period(fields.Date.today(), 20)

    def as_payroll(self):
        """The payroll administrator of a single-company database."""
        self.user_admin.groups_id -= self.env.ref("base.group_multi_company")
        return self.env(user=self.user_admin, context={"allowed_company_ids": self.company.ids})

    def test_closing_day_must_be_a_day(self):
        with self.assertRaises(ValidationError):
            self.company.everyone_sells_closing_day = 32

    def test_close_a_month_proposes_the_last_complete_period(self):
        env = self.as_payroll()
        with Form(env["crm.contribution.payout.close"]) as wizard:
            self.assertEqual((wizard.date_from, wizard.date_to), self.period)
            self.assertEqual(wizard.payment_date, payday_after(25, self.period[1]))
            self.assertEqual(self.period[0].day, 21)
            self.assertEqual(self.period[1].day, 20)

    def test_close_wizard_without_company_field_shows_yen(self):
        # The form of a single-company user has no company field: the
        # preview used to crash on format_amount (issue 17).
        start, _end = self.period
        env = self.as_payroll()
        self.enter_award(
            {
                "company_id": self.company.id,
                "employee_id": self.employee_support.id,
                "amount": 12_345,
                "date": start,
                "reason": "社内表彰",
            }
        )
        with Form(env["crm.contribution.payout.close"]) as wizard:
            self.assertIn("12,345", wizard.preview)
            self.assertIn("¥", wizard.preview)
            self.assertEqual(wizard.currency_id, self.company.currency_id)
        payout_form = Form(env["crm.contribution.payout"])
        self.assertEqual(payout_form.currency_id, self.company.currency_id)
        self.assertEqual((payout_form.date_from, payout_form.date_to), self.period)

    def test_a_payout_covers_one_wage_period(self):
        start, end = self.period
        for wrong in ((start, end + ONE_DAY), (start - ONE_DAY, end)):
            with (
                self.subTest(period=wrong),
                self.assertRaisesRegex(ValidationError, "one wage period"),
                self.env.cr.savepoint(),
            ):
                self.payout(*wrong)
        payout = self.payout(start, end)
        self.assertEqual(payout.payment_date, payday_after(25, end))
        self.assertEqual(payout.payment_date.day, 25)
        self.assertEqual(payout.payment_date.month, end.month, "paid in the month it closes")

    def test_premium_base_is_the_periods_hours(self):
        start, end = self.period
        for day, amount in ((start, 1_000), (end, 2_000)):
            self.enter_award(
                {
                    "company_id": self.company.id,
                    "employee_id": self.employee_support.id,
                    "amount": amount,
                    "date": day,
                    "reason": "期間内",
                }
            )
        self.rule_won.active = False
        self.make_rule(name="定額 60,000", compute_method="fixed", fixed_amount=60_000)
        self.won_and_approved()  # today: after the period, paid in the next one
        payout = self.payout(start, end)
        payout.action_compute()
        line = self.line_of(payout, self.employee_support)
        self.assertEqual(line.award_amount, 3_000, "both ends of the period are in")
        self.assertEqual(line.incentive_amount, 0, "today's win waits for the next period")
        days = (end - start).days + 1
        line.write({"worked_hours": days * 24})  # the period's hours, not the month's
        with self.assertRaisesRegex(ValidationError, "wage period holds"):
            line.write({"worked_hours": days * 24 + 1})


@tagged("post_install", "-at_install")
class TestDiscretionaryAwards(PayoutCase):
    def award(self, user=None, **values):
        values = {
            "company_id": self.company.id,
            "employee_id": self.employee_support.id,
            "amount": 30_000,
            "reason": "社長賞: 大雪の日の出荷対応",
            **values,
        }
        return self.enter_award(values, user=user)

    def test_a_manager_enters_an_award_with_a_reason(self):
        action = self.award()
        entry = self.env["crm.contribution"].browse(action["res_id"])
        self.assertEqual(entry.wage_type, "award")
        self.assertEqual(entry.amount, 30_000)
        self.assertFalse(entry.rule_id)
        self.assertEqual(entry.explanation, "社長賞: 大雪の日の出荷対応")
        self.assertEqual(entry.maker_id, self.user_manager, "who entered it made it")
        self.assertEqual(entry.approved_by_id, self.user_admin, "another manager approved it")

    def test_award_guards(self):
        with self.assertRaises(UserError):
            self.award(amount=0)
        with self.assertRaises(UserError):
            self.award(reason="   ")
        with self.assertRaises(UserError):
            self.award(employee_id=self._employee_of(self.user_manager).id)
        with self.assertRaises(AccessError):
            self.award(user=self.user_support)
