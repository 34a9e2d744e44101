"""The payroll workbook (reports/payroll_workbook.py), read back with openpyxl
as payroll would import it: formats, autofilter, print setup, properties and
the payroll treatment of each amount."""

import base64
import io
import threading
from unittest.mock import patch

import openpyxl

from odoo import SUPERUSER_ID, api, sql_db
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import SQL

from ..reports import payroll_workbook
from .common import PayoutCase


def state(env, code):
    return env.ref(f"base.state_jp_jp-{code:02d}")


@tagged("post_install", "-at_install")
class TestPayrollWorkbookFormats(PayoutCase):
    def setUp(self):
        super().setUp()
        self.company.state_id = state(self.env, 13)
        self.won_and_approved()
        self.enter_award(
            {
                "company_id": self.company.id,
                "employee_id": self.employee_support.id,
                "amount": 20_000,
                "date": self.month_start,
                "reason": "社長賞",
            }
        )
        self.run = self.payout(export_lang="ja_JP")
        self.run.action_compute()
        self.run.line_ids.write({"worked_hours": 176.5, "overtime_hours": 16.25})
        self.run.action_confirm()

    def workbook(self, lang):
        self.env["res.lang"]._activate_lang("ja_JP")
        self.run.export_lang = lang
        self.run.action_export_xlsx()
        return openpyxl.load_workbook(io.BytesIO(base64.b64decode(self.run.xlsx_file)))

    def test_entries_readable_checked_once_for_the_whole_payout(self):
        """The exporter must be able to read every entry of the payout: one
        count, not a check per batch; one entry hidden from them by a rule,
        and Odoo's access error is raised, no file written."""
        self.env["res.lang"]._activate_lang("ja_JP")
        export = self.run.with_user(self.user_admin)
        export.action_export_xlsx()
        self.assertTrue(self.run.xlsx_file)
        self.run.sudo().xlsx_file = False
        hidden = self.run.entry_ids[:1]
        # A global rule: it restricts whatever the groups' rules allow.
        self.env["ir.rule"].create(
            {
                "name": "Hide one entry (test)",
                "model_id": self.env["ir.model"]._get_id("crm.contribution"),
                "domain_force": f"[('id', '!=', {hidden.id})]",
            }
        )
        self.env.invalidate_all()
        with self.assertRaises(AccessError):
            export.action_export_xlsx()
        self.assertFalse(self.run.xlsx_file)

    def test_formats_autofilter_print_and_properties(self):
        book = self.workbook("en_US")
        sheet = book["Payroll"]
        headers = [cell.value for cell in sheet[1]]
        row = dict(zip(headers, sheet[2], strict=True))
        hours = row["Hours worked"]
        self.assertEqual(hours.value, 176.5)
        self.assertEqual(hours.number_format, "#,##0.00")
        self.assertEqual(row["Statutory overtime hours"].number_format, "#,##0.00")
        self.assertEqual(row["Incentive (歩合給, wages)"].number_format, "¥#,##0")
        self.assertEqual(row["Payable"].number_format, "¥#,##0")
        self.assertEqual(row["Hourly base (incentive ÷ hours worked)"].number_format, "#,##0.000")
        self.assertTrue(row["Payment date"].is_date)
        self.assertEqual(row["Payment date"].value.date(), self.run.payment_date)
        self.assertTrue(row["Period start"].is_date)
        self.assertEqual(sheet.auto_filter.ref, f"A1:{sheet.cell(1, len(headers)).column_letter}2")
        self.assertEqual(sheet.page_setup.orientation, "landscape")
        self.assertEqual(sheet.page_setup.fitToWidth, 1)
        self.assertEqual(sheet.print_title_rows, "$1:$1")
        self.assertGreater(sheet.column_dimensions["B"].width, 8)
        self.assertEqual(book.properties.creator, self.company.name)
        self.assertIn(str(self.run.date_from), book.properties.subject)
        entries = book["Entries"]
        self.assertTrue(entries["A2"].is_date)
        self.assertEqual(entries["G2"].number_format, "¥#,##0")
        self.assertTrue(book["Rules in force"].auto_filter.ref)

    def test_payroll_treatment_per_line(self):
        for lang, wages, remuneration, bonus, forbidden in (
            ("en_US", "monthly table", "Remuneration", "Bonus (賞与) candidate", "not wages"),
            ("ja_JP", "月額表", "報酬", "賞与", "賃金ではない"),
        ):
            with self.subTest(lang=lang):
                book = self.workbook(lang)
                sheet = book.worksheets[0]
                headers = [cell.value for cell in sheet[1]]
                self.assertFalse([h for h in headers if forbidden in h], headers)
                (values,) = [
                    dict(zip(headers, row, strict=True))
                    for row in sheet.iter_rows(min_row=2, values_only=True)
                    if row[1] == self.employee_support.name
                ]
                treatments = [v for v in values.values() if isinstance(v, str)]
                self.assertTrue(any(wages in v for v in treatments), treatments)
                self.assertTrue(any(remuneration in v for v in treatments), treatments)
                self.assertTrue(any(bonus in v for v in treatments), treatments)
                self.assertIn(20_000, values.values())

    def test_employee_key_is_the_same_whoever_exports(self):
        """The key is the payroll employee code HR fills in, whoever exports:
        the right to export decides, never the exporter's HR rights; never
        the Identification No (it may hold a My Number) nor Odoo's id."""
        self.env["res.lang"]._activate_lang("ja_JP")
        self.employee_support.sudo().write(
            {
                "barcode": "0042",
                "identification_id": "MYNUMBER1",
                "everyone_sells_payroll_code": "7",
            }
        )
        as_payroll = self.run.with_user(self.user_admin)
        self.assertFalse(self.user_admin.has_group("hr.group_hr_user"))

        def numbers():
            as_payroll.action_export_xlsx()
            book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(self.run.xlsx_file)))
            return {row[1]: row[0] for row in book.worksheets[0].iter_rows(values_only=True)}

        self.assertEqual(numbers()["佐藤 花子"], "7")
        self.user_admin.groups_id += self.env.ref("hr.group_hr_user")
        self.assertEqual(numbers()["佐藤 花子"], "7")
        self.employee_support.sudo().everyone_sells_payroll_code = False
        self.assertIsNone(numbers()["佐藤 花子"])

    def test_rows_read_a_batch_at_a_time_give_the_same_files(self):
        """Lines and entries come from a server-side cursor a batch at a
        time (a large payout is never held): batches of one row write the
        same workbook and the same payroll file as one batch of all."""
        for index, line in enumerate(self.run.line_ids, 1):
            line.employee_id.sudo().everyone_sells_payroll_code = str(9000 + index)
        payroll_format = self.env["crm.contribution.payroll.format"].create(
            {"name": "freee", "preset": "freee", "company_id": self.company.id}
        )

        def files():
            book = self.workbook("ja_JP")
            sheets = {
                sheet.title: [[cell.value for cell in row] for row in sheet.iter_rows()]
                for sheet in book.worksheets
            }
            return sheets, self.run._payroll_file(payroll_format)

        whole = files()
        with patch.object(payroll_workbook, "BATCH_ROWS", 1):
            one_by_one = files()
        self.assertEqual(one_by_one, whole)
        sheets, (_name, content, _replaced) = whole
        self.assertGreater(len(sheets[self.run.with_context(lang="ja_JP").env._("Entries")]), 2)
        self.assertEqual(len(content.splitlines()), 1 + len(self.run.line_ids))


@tagged("post_install", "-at_install")
class TestPayrollWorkbookSentences(PayoutCase):
    def test_entries_say_what_the_explainer_says_reversals_included(self):
        """The Entries sheet's sentences are the explainer's, in each
        employee's language, for a credit and for the reversal that cancels
        it, whichever batch each is read in (the credits that reversals
        cancel are read per batch, not joined)."""
        self.env["res.lang"]._activate_lang("ja_JP")
        self.employee_support.work_contact_id.lang = "ja_JP"
        self.won_and_approved()
        lead, _credits = self.won_and_approved(revenue=2_000_000, name="失注案件")
        lead.action_set_lost()
        self.run_crediting()
        run = self.payout(export_lang="en_US")
        run.action_compute()
        run.line_ids.write({"worked_hours": 160})
        run.action_confirm()
        entries = run.entry_ids
        self.assertTrue(entries.filtered("reversed_entry_id"), "the payout holds a reversal")
        expected = sorted(
            entries.with_user(self.user_admin)
            .with_context(lang="en_US")
            ._explained_for_employees()
            .values()
        )
        self.assertTrue(any("（" in sentence for sentence in expected), "a sentence in Japanese")

        def sentences():
            run.action_export_xlsx()
            book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(run.xlsx_file)))
            rows = list(book["Entries"].iter_rows(values_only=True))
            column = rows[0].index("Explanation")
            return sorted(row[column] for row in rows[1:])

        self.assertEqual(sentences(), expected)
        with patch.object(payroll_workbook, "BATCH_ROWS", 1):
            self.assertEqual(sentences(), expected)


@tagged("post_install", "-at_install")
class TestPayrollWorkbookReadAhead(PayoutCase):
    """The next batch is fetched by a thread while the caller writes this
    one: the thread stops however the reading ends, and its error reaches
    the caller."""

    def readers(self):
        return [
            thread
            for thread in threading.enumerate()
            if thread.name == "everyone_sells_read_ahead" and thread.is_alive()
        ]

    def test_a_reader_left_early_stops_its_thread_and_the_transaction_goes_on(self):
        workbook = self.env["crm.contribution.payroll.workbook"]
        query = SQL("SELECT n FROM generate_series(1, 50) n ORDER BY n")
        with patch.object(payroll_workbook, "BATCH_ROWS", 7):
            batches = workbook._batches(query)
            self.assertEqual([n for (n,) in next(batches)], list(range(1, 8)))
            # Other queries share the connection while the thread reads ahead.
            self.assertEqual(self.env.execute_query(SQL("SELECT 41 + 1")), [(42,)])
            batches.close()
        self.assertFalse(self.readers())
        with patch.object(payroll_workbook, "BATCH_ROWS", 7):
            read = [n for batch in workbook._batches(query) for (n,) in batch]
        self.assertEqual(read, list(range(1, 51)))
        self.assertFalse(self.readers())

    def test_a_read_alone_is_on_our_connection_once_we_wrote(self):
        """What this transaction wrote no other connection sees: the
        entries' cursor then stays on the export's connection (as it does
        on a test's cursor, a savepoint)."""
        workbook = self.env["crm.contribution.payroll.workbook"]
        self.assertIsNone(workbook._snapshot_cursor())
        with sql_db.db_connect(self.env.cr.dbname).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            # As a write does, the transaction gets an id.
            cr.execute("SELECT txid_current()")
            workbook = env["crm.contribution.payroll.workbook"]
            self.assertIsNone(workbook._snapshot_cursor())
            query = SQL("SELECT n FROM generate_series(1, 20) n ORDER BY n")
            with patch.object(payroll_workbook, "BATCH_ROWS", 7):
                batches = workbook._batches(query, alone=True)
                self.assertIsNone(batches._connection_cursor)
                self.assertEqual([n for batch in batches for (n,) in batch], list(range(1, 21)))

    def test_a_read_alone_sees_what_a_transaction_that_wrote_nothing_sees(self):
        """An export that wrote nothing reads its entries on a connection of
        its own, in its own snapshot: the same rows, and the connection
        closed with the read."""
        query = SQL("SELECT id, code FROM res_lang ORDER BY id")
        # A transaction of its own, which has written nothing (the test's
        # own has): as an export's request is when it starts.
        with sql_db.db_connect(self.env.cr.dbname).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            workbook = env["crm.contribution.payroll.workbook"]
            expected = env.execute_query(query)
            with patch.object(payroll_workbook, "BATCH_ROWS", 2):
                batches = workbook._batches(query, alone=True)
                own = batches._connection_cursor
                self.assertIsNotNone(own)
                self.assertNotEqual(own._cnx, cr._cnx)
                self.assertEqual([row for batch in batches for row in batch], expected)
            self.assertTrue(own.closed)
            self.assertFalse(self.readers())
            # Nothing was written meanwhile: the export's transaction goes on.
            self.assertEqual(env.execute_query(SQL("SELECT txid_current_if_assigned()")), [(None,)])

    def test_the_threads_error_is_raised_to_the_reader(self):
        class Broken:
            closed = False

            def fetchmany(self, size):
                raise ValueError("the connection broke")

            def close(self):
                self.closed = True

        cursor = Broken()
        with self.assertRaisesRegex(ValueError, "the connection broke"):
            list(payroll_workbook._ReadAhead(cursor, 10))
        self.assertFalse(self.readers())
        self.assertTrue(cursor.closed)

    def test_an_export_that_fails_stops_its_readers(self):
        """The entries' cursor is declared before the payroll sheet is
        written (PostgreSQL sorts the entries meanwhile): an export that
        fails on the payroll sheet still closes it."""
        self.won_and_approved()
        run = self.payout()
        run.action_compute()
        run.line_ids.write({"worked_hours": 160})
        run.action_confirm()
        workbook = type(self.env["crm.contribution.payroll.workbook"])

        def broken(self, payout, identities):
            yield from ()  # a generator, as the sheet's rows are
            raise ValueError("the payroll sheet broke")

        with (
            patch.object(workbook, "_payroll_batches", broken),
            self.assertRaisesRegex(ValueError, "the payroll sheet broke"),
        ):
            run.action_export_xlsx()
        self.assertFalse(self.readers())
        # The transaction goes on: the workbook is written once nothing breaks.
        run.action_export_xlsx()
        self.assertTrue(run.xlsx_file)
