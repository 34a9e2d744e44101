"""The payroll file (issue #23, Build 1): for each payroll product's preset,
a confirmed payout exports a file that is decoded with its encoding, parsed
with ``csv`` and compared with the layout its import screen expects."""

import base64
import csv
import io

import openpyxl

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..core.payroll_file import DELIMITERS, ENCODINGS
from .common import PayoutCase

ITEMS = ["歩合給", "歩合給の割増賃金", "歩合給控除", "賞与候補"]
HOURS = ["総労働時間", "時間外労働時間", "深夜労働時間", "法定休日労働時間"]
EXPECTED_HEADERS = {
    "moneyforward": ["Version", "従業員コード", *ITEMS, *HOURS],
    "freee": ["従業員番号", *ITEMS, *HOURS],
    "yayoi": ["従業員コード", *ITEMS, "実働時間", "普通残業時間", "深夜残業時間", "休日勤務時間"],
    "jobcan": ["スタッフコード", *ITEMS, *HOURS],
    "pca": ["社員コード", "出勤時間", "普通残業時間", "深夜残業時間", "休日出勤時間", *ITEMS],
    "bugyo": ["社員番号", *ITEMS, *HOURS],
}
# 176.5 h worked, 16.25 h overtime, 2 h late at night, in each product's notation.
HOURS_WRITTEN = {
    "decimal": ["176.5", "16.25", "2", "0"],
    "colon": ["176:30", "16:15", "2:00", "0:00"],
    "sexagesimal": ["176.30", "16.15", "2.00", "0.00"],
}


class PayrollFileCase(PayoutCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.state_id = cls.env.ref("base.state_jp_jp-13")
        employees = cls.env["hr.employee"].search([("company_id", "=", cls.company.id)])
        for index, employee in enumerate(employees, 101):
            employee.everyone_sells_payroll_code = str(index)
        cls.Format = cls.env["crm.contribution.payroll.format"].with_user(cls.user_admin)

    def confirmed_payout(self, engineer=False):
        contributors = [(self.employee_support, 1, "originator")]
        self.won_and_approved(contributors=contributors)
        if engineer:
            self.won_and_approved(
                revenue=400_000,
                contributors=[(self.employee_engineer, 1, "originator")],
                name="技術相談",
            )
        self.enter_award(
            {
                "company_id": self.company.id,
                "employee_id": self.employee_support.id,
                "amount": 20_000,
                "date": self.month_start,
                "reason": "社長賞",
            }
        )
        run = self.payout()
        run.action_compute()
        run.line_ids.write({"worked_hours": 176.5, "overtime_hours": 16.25, "late_night_hours": 2})
        run.action_confirm()
        return run

    def read_back(self, payroll_format, content):
        text = content.decode(ENCODINGS[payroll_format.encoding])
        return list(
            csv.reader(
                io.StringIO(text, newline=""), delimiter=DELIMITERS[payroll_format.delimiter]
            )
        )

    def key_of(self, employee, width=6):
        return employee.everyone_sells_payroll_code.zfill(width)


@tagged("post_install", "-at_install")
class TestPayrollFilePresets(PayrollFileCase):
    def test_every_preset_reads_back_with_its_layout(self):
        run = self.confirmed_payout()
        line = self.line_of(run, self.employee_support)
        self.assertGreater(line.overtime_premium_amount, 0)
        premium = str(round(line.overtime_premium_amount))
        for preset, headers in EXPECTED_HEADERS.items():
            with self.subTest(preset=preset):
                payroll_format = self.Format.create(
                    {"name": preset, "preset": preset, "key_width": 6}
                )
                self.assertIn("https://", payroll_format.reference)
                self.assertIn("2026-12-06", payroll_format.reference)
                self.assertFalse(payroll_format.layout_confirmed)
                file_name, content = run.with_user(self.user_admin).payroll_export(payroll_format)
                self.assertTrue(file_name.endswith(".csv"))
                self.assertTrue(content.endswith(b"\r\n"))
                header, *rows = self.read_back(payroll_format, content)
                self.assertEqual(header, headers)
                self.assertEqual(len(rows), len(run.line_ids))
                hours = HOURS_WRITTEN[payroll_format.hours_format]
                items = ["50000", premium, "0", "20000"]
                expected = {
                    "moneyforward": ["2", "000101", *items, *hours],
                    "pca": ["000101", *hours, *items],
                }.get(preset, ["000101", *items, *hours])
                expected[1 if preset == "moneyforward" else 0] = self.key_of(self.employee_support)
                row = next(r for r in rows if self.key_of(self.employee_support) in r)
                self.assertEqual(row, expected)

    def test_freee_reads_utf8_and_the_others_cp932(self):
        encodings = {
            preset: self.Format.create({"name": preset, "preset": preset}).encoding
            for preset in EXPECTED_HEADERS
        }
        self.assertEqual(encodings.pop("freee"), "utf8")
        self.assertEqual(set(encodings.values()), {"cp932"})

    def test_incentive_award_and_deduction_are_never_one_payable_figure(self):
        run = self.confirmed_payout()
        for preset in EXPECTED_HEADERS:
            payroll_format = self.Format.create({"name": preset, "preset": preset})
            kinds = payroll_format.column_ids.mapped("kind")
            for kind in ("incentive", "award", "deduction"):
                self.assertEqual(kinds.count(kind), 1, preset)
            header = self.read_back(payroll_format, run.payroll_export(payroll_format)[1])[0]
            self.assertFalse([h for h in header if "支給額" in h or "Payable" in h], header)


@tagged("post_install", "-at_install")
class TestPayrollFileCharacters(PayrollFileCase):
    def named_format(self):
        payroll_format = self.Format.create({"name": "弥生", "preset": "yayoi"})
        payroll_format.column_ids = [
            (0, 0, {"sequence": 1, "kind": "employee_name", "header": "氏名"}),
        ]
        return payroll_format

    def test_cp932_keeps_its_characters_and_lists_the_rows_it_replaced(self):
        self.employee_support.name = "髙﨑 花子 ㈱①"
        self.employee_engineer.name = "𠮷田 一郎"
        run = self.confirmed_payout(engineer=True)
        payroll_format = self.named_format()
        messages = len(run.message_ids)
        _name, content = run.with_user(self.user_admin).payroll_export(payroll_format)
        self.assertNotIn(b"?", content)
        rows = {row[0]: row for row in self.read_back(payroll_format, content)[1:]}
        support = self.employee_support.everyone_sells_payroll_code
        engineer = self.employee_engineer.everyone_sells_payroll_code
        self.assertEqual(rows[support][1], "髙﨑 花子 ㈱①")
        self.assertEqual(rows[engineer][1], "〓田 一郎")
        self.assertEqual(len(run.message_ids), messages + 1)
        note = run.message_ids[0].body
        self.assertIn(engineer, note)
        self.assertNotIn(support, note)

    def test_the_wizard_shows_the_replaced_rows_before_the_download(self):
        self.employee_engineer.name = "𠮷田 一郎"
        run = self.confirmed_payout(engineer=True)
        payroll_format = self.named_format()
        payroll_format.is_default = True
        action = run.with_user(self.user_admin).action_open_payroll_file()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.user_admin)
            .with_context(**action["context"])
            .create({})
        )
        self.assertEqual(wizard.format_id, payroll_format)
        result = wizard.action_export()
        self.assertEqual(result["res_model"], wizard._name)
        self.assertIn(self.employee_engineer.everyone_sells_payroll_code, wizard.replaced_warning)
        self.assertIn("/file/", wizard.action_download()["url"])

    def test_a_utf8_format_keeps_every_character(self):
        self.employee_engineer.name = "𠮷田 一郎"
        run = self.confirmed_payout(engineer=True)
        payroll_format = self.named_format()
        payroll_format.encoding = "utf8_bom"
        _name, content = run.payroll_export(payroll_format)
        self.assertTrue(content.startswith(b"\xef\xbb\xbf"))
        self.assertIn("𠮷田 一郎", content.decode("utf-8-sig"))


@tagged("post_install", "-at_install")
class TestPayrollFileKey(PayrollFileCase):
    def test_an_employee_without_a_key_is_named_before_any_file(self):
        run = self.confirmed_payout(engineer=True)
        self.employee_engineer.everyone_sells_payroll_code = False
        payroll_format = self.Format.create({"name": "MF", "preset": "moneyforward"})
        messages = len(run.message_ids)
        with self.assertRaisesRegex(UserError, self.employee_engineer.name):
            run.with_user(self.user_admin).payroll_export(payroll_format)
        self.assertEqual(len(run.message_ids), messages)

    def test_the_key_is_the_same_whoever_exports_and_never_odoo_id(self):
        self.employee_support.sudo().write({"identification_id": "MYNUMBER1", "barcode": "0042"})
        run = self.confirmed_payout()
        payroll_format = self.Format.create({"name": "奉行", "preset": "bugyo"})
        self.assertFalse(self.user_admin.has_group("hr.group_hr_user"))
        without_hr = run.with_user(self.user_admin).payroll_export(payroll_format)[1]
        self.user_admin.groups_id += self.env.ref("hr.group_hr_user")
        with_hr = run.with_user(self.user_admin).payroll_export(payroll_format)[1]
        self.assertEqual(without_hr, with_hr)
        self.assertNotIn(b"MYNUMBER1", with_hr)
        self.assertIn(self.employee_support.everyone_sells_payroll_code.encode(), with_hr)
        payroll_format.employee_key = "barcode"
        self.assertIn(b"0042", run.payroll_export(payroll_format)[1])

    def test_payroll_rights_decide_whether_the_file_is_exported(self):
        run = self.confirmed_payout()
        payroll_format = self.Format.create({"name": "freee", "preset": "freee"})
        with self.assertRaises(AccessError):
            run.with_user(self.user_manager).payroll_export(payroll_format)

    def test_a_draft_payout_has_no_payroll_file(self):
        self.won_and_approved(contributors=[(self.employee_support, 1, "originator")])
        run = self.payout()
        run.action_compute()
        payroll_format = self.Format.create({"name": "PCA", "preset": "pca"})
        with self.assertRaises(UserError):
            run.payroll_export(payroll_format)

    def test_the_workbook_uses_the_same_key(self):
        self.employee_support.sudo().write({"identification_id": "MYNUMBER1", "barcode": "0042"})
        run = self.confirmed_payout()
        self.Format.create(
            {"name": "MF", "preset": "moneyforward", "is_default": True, "key_width": 6}
        )

        def first_column():
            run.with_user(self.user_admin).action_export_xlsx()
            book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(run.xlsx_file)))
            return [row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]

        self.assertEqual(first_column(), [self.key_of(self.employee_support)])
        self.user_admin.groups_id += self.env.ref("hr.group_hr_user")
        self.assertEqual(first_column(), [self.key_of(self.employee_support)])

    def test_one_default_format_per_company(self):
        first = self.Format.create({"name": "A", "preset": "freee", "is_default": True})
        second = self.Format.create({"name": "B", "preset": "jobcan", "is_default": True})
        self.assertFalse(first.is_default)
        self.assertEqual(self.Format._default_for(self.company), second)

    def test_without_a_format_the_button_says_where_to_add_one(self):
        run = self.confirmed_payout()
        with self.assertRaisesRegex(UserError, "Payroll File Formats"):
            run.with_user(self.user_admin).action_open_payroll_file()
