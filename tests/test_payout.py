import base64
import calendar
import io
from datetime import timedelta
from unittest.mock import patch

import openpyxl
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged, users
from odoo.tools import mute_logger

from ..wizards import crm_contribution_payout_close as close_wizard
from .common import CONTRIBUTION_MANAGER, EMPLOYEE, SALES_MANAGER, PayoutCase, month_bounds


@tagged("post_install", "-at_install")
class TestPayoutRun(PayoutCase):
    def test_lines_leave_room_for_their_next_versions(self):
        """Hours entered and figures stored rewrite every line: the table's
        pages keep room so that the new versions stay on them."""
        self.env.cr.execute(
            "SELECT reloptions FROM pg_class WHERE oid = 'crm_contribution_payout_line'::regclass"
        )
        self.assertIn("fillfactor=40", self.env.cr.fetchone()[0])
        # Set once: the module's update leaves it as it is.
        Line = self.env["crm.contribution.payout.line"]
        with self.assertQueryCount(1):
            Line.init()

    def test_defaults_last_complete_month_and_next_payday(self):
        payout = (
            self.env["crm.contribution.payout"]
            .with_user(self.user_admin)
            .create({"company_id": self.company.id})
        )
        last_end = self.month_start - timedelta(days=1)
        self.assertEqual(payout.date_from, last_end.replace(day=1))
        self.assertEqual(payout.date_to, last_end)
        self.assertEqual(payout.payment_date, self.month_start.replace(day=25))
        self.assertIn(payout.date_from.strftime("%Y-%m"), payout.name)

    def test_compute_takes_approved_payable_entries(self):
        _lead, entries = self.won_and_approved()
        draft_lead = self.make_deal(signal_name="未承認")
        self.mark_won(draft_lead)
        payout = self.payout()
        payout.action_compute()
        self.assertEqual(payout.entry_ids, entries)
        line = self.line_of(payout, self.employee_support)
        self.assertEqual(line.incentive_amount, 50_000)
        self.assertEqual(line.department_id, self.dept_support)
        self.assertEqual(line.payable_amount, 50_000)

    def test_hold_period_delays_payment(self):
        self.company.everyone_sells_hold_days = 400
        self.won_and_approved()
        payout = self.payout()
        payout.action_compute()
        self.assertFalse(payout.line_ids)

    def test_late_approval_is_paid_next_time(self):
        lead = self.make_deal()
        self.mark_won(lead)
        payout = self.payout()
        payout.action_compute()
        self.assertFalse(payout.line_ids)
        self.credits(lead).with_user(self.user_admin).action_approve()
        following = self.payout(self.next_start, self.next_end)
        following.action_compute()
        self.assertEqual(self.line_of(following, self.employee_support).incentive_amount, 50_000)

    def test_confirm_locks_entries_and_done_pays_them(self):
        _lead, entries = self.won_and_approved()
        payout = self.payout()
        payout.action_compute()
        payout.line_ids.write({"worked_hours": 160})
        payout.action_confirm()
        self.assertEqual(payout.state, "confirmed")
        with self.assertRaisesRegex(UserError, "payroll history"):
            payout.line_ids.with_user(self.user_admin).write({"worked_hours": 100})
        following = self.payout(self.next_start, self.next_end)
        following.action_compute()
        self.assertFalse(following.entry_ids, "confirmed entries cannot be taken again")
        payout.action_done()
        self.assertEqual(set(entries.mapped("state")), {"paid"})
        with self.assertRaisesRegex(UserError, "not possible"):
            payout.action_cancel()

    def test_cancel_releases_entries(self):
        _lead, entries = self.won_and_approved()
        payout = self.payout()
        payout.action_compute()
        payout.action_cancel()
        self.assertFalse(entries.payout_id)
        again = self.payout()
        again.action_compute()
        self.assertEqual(again.entry_ids, entries)

    def test_two_months_in_one_payout_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "one wage period"):
            self.payout(self.month_start, self.next_end)

    def test_overlapping_payouts_are_refused(self):
        self.payout()
        with self.assertRaisesRegex(ValidationError, "already covers"):
            self.payout(self.month_start + timedelta(days=1), self.month_end)

    def test_awards_are_listed_apart(self):
        self.won_and_approved()
        self.enter_award(
            {
                "company_id": self.company.id,
                "employee_id": self.employee_support.id,
                "amount": 10_000,
                "date": self.month_start,
                "reason": "社長賞: 展示会の立て直し",
            }
        )
        payout = self.payout()
        payout.action_compute()
        line = self.line_of(payout, self.employee_support)
        self.assertEqual(line.incentive_amount, 50_000)
        self.assertEqual(line.award_amount, 10_000)
        self.assertEqual(line.payable_amount, 60_000)

    def test_reversed_before_payment_nets_in_the_same_run(self):
        lead, _entries = self.won_and_approved()
        lead.action_set_lost()
        self.run_crediting()
        payout = self.payout()
        payout.action_compute()
        line = self.line_of(payout, self.employee_support)
        self.assertEqual(line.incentive_amount, 0)
        self.assertEqual(line.clawback_amount, 0)

    @users(CONTRIBUTION_MANAGER, SALES_MANAGER, EMPLOYEE)
    def test_only_administrators_run_payouts(self):
        with self.assertRaises(AccessError):
            self.env["crm.contribution.payout"].create({"company_id": self.company.id})

    def test_query_count_does_not_grow_with_employees(self):
        def run(employees):
            self.win_and_approve_each(employees)
            payout = self.payout()
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            payout.action_compute()
            self.env.flush_all()
            count = self.env.cr.sql_log_count - before
            payout.action_cancel()
            return count

        run(self.employee_marketer)  # warm the caches
        few = run(self.employee_support)
        many = run(self.employee_engineer | self.employee_manager | self.employee_without_user)
        self.assertLessEqual(many, few, (few, many))


@tagged("post_install", "-at_install")
class TestOvertimePremium(PayoutCase):
    def setUp(self):
        super().setUp()
        self.rule_won.active = False
        self.make_rule(name="定額 60,000", compute_method="fixed", fixed_amount=60_000)
        self.won_and_approved()
        self.payout_run = self.payout()
        self.payout_run.action_compute()
        self.line = self.line_of(self.payout_run, self.employee_support)

    def test_worked_example_to_the_yen(self):
        self.line.write(
            {"worked_hours": 188, "overtime_hours": 20, "late_night_hours": 5, "holiday_hours": 8}
        )
        self.assertAlmostEqual(self.line.hourly_base, 319.149, places=3)
        self.assertEqual(self.line.overtime_premium_amount, 2_888)

    def test_beyond_sixty_hours(self):
        self.line.write({"worked_hours": 240, "overtime_hours": 80})
        # 60,000 / 240 = 250 ; 60 h × 0.25 + 20 h × 0.50 = 25 h → 6,250
        self.assertEqual(self.line.overtime_premium_amount, 6_250)

    def test_holiday_only_and_zero_hours(self):
        self.line.write({"worked_hours": 168, "holiday_hours": 8})
        # 60,000 / 168 × (0.35 × 8 h) = 1,000
        self.assertEqual(self.line.overtime_premium_amount, 1_000)
        self.line.write({"worked_hours": 0, "holiday_hours": 0})
        self.assertEqual(self.line.overtime_premium_amount, 0)
        self.assertIn("労働時間が未入力", self.line.warning)

    def test_rates_are_company_data_with_dates(self):
        self.env["crm.contribution.premium.rate"].create(
            {
                "company_id": self.company.id,
                "date_from": self.month_start,
                "overtime_rate": 30,
            }
        )
        self.line.invalidate_recordset()
        self.line.write({"worked_hours": 200, "overtime_hours": 10})
        # 60,000 / 200 = 300 ; 10 h × 0.30 = 3 h → 900
        self.assertEqual(self.line.overtime_premium_amount, 900)

    def test_rates_below_the_law_are_refused(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env["crm.contribution.premium.rate"].create(
                {"company_id": self.company.id, "date_from": "2020-01-01", "overtime_rate": 20}
            )

    def test_impossible_hours_are_refused(self):
        days = calendar.monthrange(self.month_end.year, self.month_end.month)[1]
        for values, message in (
            ({"worked_hours": -1}, "negative"),
            ({"worked_hours": days * 24 + 1}, "wage period holds"),
            ({"worked_hours": 10, "overtime_hours": 20}, "cannot exceed"),
            ({"worked_hours": 10, "late_night_hours": 11}, "cannot exceed"),
        ):
            with self.subTest(values=values), self.assertRaisesRegex(ValidationError, message):
                self.line.write(values)

    def test_guaranteed_pay_and_minimum_wage_warnings(self):
        self.company.state_id = self.env.ref("base.state_jp_jp-13")
        self.line.write(
            {
                "worked_hours": 160,
                "fixed_wage_amount": 80_000,
                "scheduled_hours": 160,
            }
        )
        # 80,000 / (80,000 + 60,000) = 57 % < 60 % ; 500 + 375 = 875 ¥/h < Tokyo's minimum
        self.assertIn("保障給", self.line.warning)
        self.assertIn("guaranteed", self.line.warning)
        self.assertIn("最低賃金", self.line.warning)
        self.line.write({"fixed_wage_amount": 300_000})
        # Only the table's own staleness may remain (no row from the latest October).
        self.assertNotIn("下回って", self.line.warning or "")
        self.assertNotIn("保障給", self.line.warning or "")

    def test_payday_warning(self):
        self.payout_run.payment_date = self.next_start.replace(day=10)
        self.assertIn("支払日", self.line.warning)

    def test_an_award_rule_cannot_pay_money(self):
        # Money a published rule promises is wages, whatever it is called.
        for values in (
            {"percentage": 1},
            {"compute_method": "fixed", "fixed_amount": 10_000},
        ):
            with self.subTest(values=values), self.assertRaisesRegex(ValidationError, "art. 11"):
                self.make_rule(name="歩合表彰", wage_type="award", **values)
        points_only = self.make_rule(
            name="表彰ポイント", wage_type="award", compute_method="fixed", points=5
        )
        self.assertEqual(points_only.wage_type, "award")


@tagged("post_install", "-at_install")
class TestClawbacks(PayoutCase):
    def _pay_then_lose(self, revenue=1_000_000):
        lead, _entries = self.won_and_approved(revenue=revenue)
        first = self.payout()
        first.action_compute()
        first.line_ids.write({"worked_hours": 160})
        first.action_confirm()
        first.action_done()
        lead.action_set_lost()
        return first

    def test_without_agreement_nothing_is_deducted(self):
        self._pay_then_lose()
        self.won_and_approved(revenue=400_000, name="翌月の受注")
        following = self.payout(self.next_start, self.next_end)
        following.action_compute()
        line = self.line_of(following, self.employee_support)
        self.assertEqual(line.incentive_amount, 20_000)
        self.assertEqual(line.clawback_amount, 50_000)
        self.assertEqual(line.deducted_amount, 0)
        self.assertEqual(line.payable_amount, 20_000)
        self.assertEqual(line.carry_out_amount, 50_000)
        self.assertIn("24協定", line.warning)

    def test_with_agreement_nets_without_going_negative_and_carries_the_rest(self):
        self.company.write(
            {
                "everyone_sells_wage_deduction_agreement": True,
                "everyone_sells_wage_deduction_date_from": "2020-01-01",
            }
        )
        self._pay_then_lose()
        self.won_and_approved(revenue=400_000, name="翌月の受注")
        following = self.payout(self.next_start, self.next_end)
        following.action_compute()
        line = self.line_of(following, self.employee_support)
        # The limit needs the net wage (without it nothing is deducted).
        line.net_wage_amount = 400_000
        self.assertEqual(line.deducted_amount, 20_000)
        self.assertEqual(line.payable_amount, 0)
        self.assertEqual(line.carry_out_amount, 30_000)
        following.line_ids.write({"worked_hours": 160})
        following.action_confirm()
        after = month_bounds(self.next_end + timedelta(days=1))
        third = self.payout(*after)
        self.won_and_approved(revenue=2_000_000, name="翌々月の受注")
        third.action_compute()
        third_line = self.line_of(third, self.employee_support)
        third_line.net_wage_amount = 400_000
        self.assertEqual(third_line.carry_in_amount, 30_000)
        self.assertEqual(third_line.deducted_amount, 30_000)
        self.assertEqual(third_line.payable_amount, 70_000)
        self.assertEqual(third_line.carry_out_amount, 0)

    def test_never_more_than_was_paid(self):
        self.company.write(
            {
                "everyone_sells_wage_deduction_agreement": True,
                "everyone_sells_wage_deduction_date_from": "2020-01-01",
            }
        )
        self._pay_then_lose()
        self.won_and_approved(revenue=10_000_000, name="大型受注")
        following = self.payout(self.next_start, self.next_end)
        following.action_compute()
        line = self.line_of(following, self.employee_support)
        line.net_wage_amount = 1_000_000
        self.assertEqual(line.deducted_amount, 50_000)
        self.assertEqual(line.payable_amount, 450_000)


@tagged("post_install", "-at_install")
class TestPayrollWorkbookAndStatements(PayoutCase):
    def setUp(self):
        super().setUp()
        self.employee_support.name = '=HYPERLINK("http://evil.example","佐藤")'
        self.won_and_approved(
            contributors=[
                (self.employee_support, 7, "originator"),
                (self.employee_engineer, 3, "technical"),
            ]
        )
        self.run = self.payout(export_lang="ja_JP")
        self.run.action_compute()
        self.run.line_ids.write({"worked_hours": 170, "overtime_hours": 10})
        self.run.action_confirm()

    def _workbook(self, lang="ja_JP"):
        self.run.export_lang = lang
        action = self.run.action_export_xlsx()
        self.assertIn("/xlsx_file/", action["url"])
        return openpyxl.load_workbook(io.BytesIO(base64.b64decode(self.run.xlsx_file)))

    def test_payroll_sheet_totals_and_headers(self):
        self.env["res.lang"]._activate_lang("ja_JP")
        book = self._workbook("en_US")
        self.assertEqual(book.sheetnames, ["Payroll", "Entries", "Rules in force"])
        sheet = book["Payroll"]
        headers = [cell.value for cell in sheet[1]]
        self.assertIn("Overtime premium on incentive", headers)
        incentive_col = headers.index("Incentive (歩合給, wages)")
        payable_col = headers.index("Payable")
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        self.assertEqual(sum(row[incentive_col] for row in rows), 50_000)
        self.assertEqual(sum(row[payable_col] for row in rows), 50_000)
        self.assertEqual(len(list(book["Entries"].iter_rows(min_row=2))), 2)
        self.assertTrue(self.run.xlsx_filename.endswith(".xlsx"))

    def test_user_text_is_never_a_formula(self):
        book = self._workbook("en_US")
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        self.assertEqual(cell.data_type, "s", cell.coordinate)
        names = [row[1] for row in book["Payroll"].iter_rows(min_row=2, values_only=True)]
        self.assertIn('=HYPERLINK("http://evil.example","佐藤")', names)

    def test_export_needs_a_confirmed_payout(self):
        draft = self.payout(self.next_start, self.next_end)
        with self.assertRaisesRegex(UserError, "not possible"):
            draft.action_export_xlsx()

    def test_statement_renders_each_entry_with_its_sentence(self):
        line = self.line_of(self.run, self.employee_engineer)
        html, _type = self.env["ir.actions.report"]._render_qweb_html(
            "crm_everyone_sells.action_report_payout_statement", line.ids
        )
        html = html.decode()
        self.assertIn("Contribution Statement", html)
        self.assertIn(line.entry_ids.explanation.split(" ")[0], html)
        self.assertIn("15,000", html)

    def test_employee_reads_only_own_confirmed_statement(self):
        lines = self.env["crm.contribution.payout.line"].with_user(self.user_engineer).search([])
        self.assertEqual(lines.employee_id, self.employee_engineer)
        action = lines.action_print_statement()
        self.assertEqual(action["report_name"], "crm_everyone_sells.report_payout_statement")
        with self.assertRaises(AccessError):
            self.run.with_user(self.user_engineer).read(["name"])

    def test_draft_lines_are_not_shown_to_employees(self):
        self.won_and_approved(name="来月分")
        draft = self.payout(self.next_start, self.next_end)
        draft.action_compute()
        visible = self.env["crm.contribution.payout.line"].with_user(self.user_support).search([])
        self.assertNotIn(draft.line_ids, visible)

    def test_manager_reads_payouts_but_cannot_run_them(self):
        self.run.with_user(self.user_manager).read(["name"])
        with self.assertRaises(AccessError):
            self.run.with_user(self.user_manager).action_done()


@tagged("post_install", "-at_install")
class TestCloseAMonth(PayoutCase):
    def test_preview_then_create(self):
        self.won_and_approved()
        wizard = (
            self.env["crm.contribution.payout.close"]
            .with_user(self.user_admin)
            .create({"date_from": self.month_start, "date_to": self.month_end})
        )
        self.assertIn("佐藤", wizard.preview)
        self.assertEqual(wizard.preview_total, 50_000)
        self.assertFalse(
            self.env["crm.contribution.payout"]
            .search([])
            .filtered(lambda p: p.company_id == self.company),
            "the preview writes nothing",
        )
        action = wizard.with_context(allowed_company_ids=self.company.ids).action_apply()
        payout = self.env["crm.contribution.payout"].browse(action["res_id"])
        self.assertEqual(payout.payable_total, 50_000)
        self.assertEqual(payout.payment_date, self.next_start.replace(day=25))

    def test_preview_counts_the_people_the_payout_pays(self):
        """Points are not money: someone with only points is neither in the
        preview nor a line of the payout (issue 22)."""
        rule = self.make_rule(
            name="情報提供ポイント",
            trigger="signal_logged",
            compute_method="fixed",
            fixed_amount=0,
            points=1,
            wage_type="award",
        )
        self.won_and_approved()
        self.log_signal(user=self.user_marketer, name="ポイントだけ")
        points = self.env["crm.contribution"].search(
            [("employee_id", "=", self.employee_marketer.id), ("rule_id", "=", rule.id)]
        )
        self.assertTrue(points)
        drafts = points.filtered(lambda entry: entry.state == "draft")
        if drafts:
            drafts.with_user(self.user_admin).action_approve()
        wizard = (
            self.env["crm.contribution.payout.close"]
            .with_user(self.user_admin)
            .create({"date_from": self.month_start, "date_to": self.month_end})
        )
        self.assertNotIn(self.employee_marketer.name, wizard.preview)
        action = wizard.with_context(allowed_company_ids=self.company.ids).action_apply()
        payout = self.env["crm.contribution.payout"].browse(action["res_id"])
        self.assertNotIn(self.employee_marketer, payout.line_ids.employee_id)

    def test_preview_of_a_large_company_lists_the_first_and_counts_the_rest(self):
        self.won_and_approved(
            contributors=[
                (self.employee_support, 1, "originator"),
                (self.employee_engineer, 1, "technical"),
                (self.employee_marketer, 1, "other"),
            ]
        )
        with patch.object(close_wizard, "PREVIEW_ROWS", 2):
            wizard = (
                self.env["crm.contribution.payout.close"]
                .with_user(self.user_admin)
                .create({"date_from": self.month_start, "date_to": self.month_end})
            )
            preview = wizard.preview
        names = sorted(
            [self.employee_support, self.employee_engineer, self.employee_marketer],
            key=lambda employee: employee.name,
        )
        self.assertIn(names[0].name, preview)
        self.assertIn(names[1].name, preview)
        self.assertNotIn(names[2].name, preview)
        self.assertIn("and 1 more employees", preview)
        self.assertIn("Total: 3 employees", preview)
        self.assertEqual(wizard.preview_total, 50_000)

    def test_hours_template_round_trip(self):
        self.won_and_approved()
        payout = self.payout()
        payout.action_compute()
        action = payout.action_download_hours_template()
        attachment = self.env["ir.attachment"].browse(
            int(action["url"].split("/")[-1].split("?")[0])
        )
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas)))
        header, *rows = list(book["hours"].iter_rows(values_only=True))
        self.assertEqual(header[0], "id")
        xmlid = rows[0][0]
        result = self.env["crm.contribution.payout.line"].load(
            ["id", "worked_hours", "overtime_hours"], [[xmlid, "188", "20"]]
        )
        self.assertFalse(result["messages"], result["messages"])
        line = payout.line_ids
        self.assertEqual(line.worked_hours, 188)
        self.assertEqual(line.overtime_hours, 20)


@tagged("post_install", "-at_install")
class TestHoursScreen(PayoutCase):
    def test_hours_list_opens_on_the_payout_lines(self):
        self.won_and_approved()
        payout = self.payout()
        payout.action_compute()
        action = payout.action_open_hours()
        lines = self.env[action["res_model"]].search(action["domain"])
        self.assertEqual(lines, payout.line_ids)
