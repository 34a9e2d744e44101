from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import ContributionCase, PayoutCase


@tagged("post_install", "-at_install")
class TestExplanationsAreWrittenWhenRead(ContributionCase):
    """A ledger line stores figures; its sentence is written when read, in
    the reader's language, and says whose share it is (issue 17.3)."""

    def _split_deal(self):
        lead = self.make_deal(
            contributors=[
                (self.employee_support, 2, "originator"),
                (self.employee_engineer, 1, "technical"),
            ]
        )
        self.mark_won(lead)
        return self.credits(lead, self.employee_support)

    def _adjustment(self, credit_key):
        """A manager's ¥1,000 adjustment of 佐藤, in their own words."""
        return (
            self.env["crm.contribution"]
            .sudo()
            .create(
                {
                    "employee_id": self.employee_support.id,
                    "company_id": self.company.id,
                    "trigger": "adjustment",
                    "date": "2026-01-10",
                    "amount": 1_000,
                    "credit_key": credit_key,
                    "explanation": "技術支援の分を追加",
                }
            )
        )

    def test_the_record_keeps_figures_not_a_sentence(self):
        entry = self._split_deal()
        self.assertFalse(self.env["crm.contribution"]._fields["explanation"].store)
        self.assertFalse(entry.note)
        self.assertAlmostEqual(entry.share, 2 / 3, places=4)
        self.assertEqual((entry.basis_amount, entry.rate, entry.amount), (1_000_000, 5, 33_334))

    def test_the_employee_reads_your_share_a_manager_reads_whose(self):
        entry = self._split_deal()
        mine = entry.with_user(self.user_support).with_context(lang="en_US").explanation
        self.assertIn("× your 67 % share", mine)
        theirs = entry.with_user(self.user_manager).with_context(lang="en_US").explanation
        self.assertIn("the 67 % share of 佐藤 花子", theirs)
        self.assertNotIn("your", theirs)

    def test_read_in_japanese_and_in_english(self):
        self.env["res.lang"]._activate_lang("ja_JP")
        entry = self._split_deal()
        english = entry.with_user(self.user_manager).with_context(lang="en_US").explanation
        japanese = entry.with_user(self.user_manager).with_context(lang="ja_JP").explanation
        self.assertIn("share of 佐藤 花子", english)
        self.assertIn("佐藤 花子の配分 67 %", japanese)
        self.assertNotIn("share", japanese)
        own = entry.with_user(self.user_support).with_context(lang="ja_JP").explanation
        self.assertIn("あなたの配分 67 %", own)

    def test_the_statement_speaks_to_its_employee(self):
        entry = self._split_deal()
        addressed = (
            entry.with_user(self.user_admin)
            .with_context(lang="en_US", everyone_sells_to_employee=True)
            .explanation
        )
        self.assertIn("your 67 % share", addressed)

    def test_names_are_written_as_they_are_whatever_they_hold(self):
        """A sentence is a template of its rule filled with each line's
        figures and name: a rule or an employee named with ``%`` or with the
        template's own marks is still written as named, each line with its
        own employee."""
        entry = self._split_deal()
        rule_name = "紹介 100% %(amount)s %s \ue003"
        entry.rule_id.sudo().name = rule_name
        self.employee_support.sudo().name = "佐藤 \ue002 花子 %%"
        engineer = self.credits(entry.lead_id, self.employee_engineer)
        entries = (entry | engineer).with_user(self.user_manager).with_context(lang="en_US")
        mine, theirs = entries.mapped("explanation")
        self.assertIn("the 67 % share of 佐藤 \ue002 花子 %% = ", mine)
        self.assertTrue(mine.endswith(f"— rule {rule_name}"), mine)
        self.assertIn("the 33 % share of 鈴木 一郎 = ", theirs)
        self.assertTrue(theirs.endswith(f"— rule {rule_name}"), theirs)
        self.assertEqual(
            sorted(entries._explained_for_employees().values()), sorted([mine, theirs])
        )

    def test_a_batch_of_lines_says_what_each_line_says(self):
        """The workbook's sentences, written a batch at a time by column
        (``_EmployeeSentences.many``), are each line's own: in two
        languages, a line without a rule, and a rule whose name holds the
        template's marks (no template fits: written whole)."""
        self.env["res.lang"]._activate_lang("ja_JP")
        self.employee_engineer.work_contact_id.lang = "ja_JP"
        entry = self._split_deal()
        engineer = self.credits(entry.lead_id, self.employee_engineer)
        other = self._split_deal()
        other.rule_id.sudo().name = "紹介 \ue003 %s"
        adjustment = self._adjustment("adjustment:batch")
        Entry = self.env["crm.contribution"].with_user(self.user_manager)
        Entry = Entry.with_context(lang="en_US")
        ids = (entry | engineer | other | self.credits(other.lead_id, self.employee_engineer)).ids
        lines = Entry._explanation_lines([*ids, adjustment.id])
        rows = [lines[line_id] for line_id in [*ids, adjustment.id]]
        one_by_one = Entry._employee_sentences()
        expected = [one_by_one(row, lines) for row in rows]
        self.assertIn("技術支援の分を追加", expected)
        self.assertTrue(any("\ue003" in sentence for sentence in expected))
        self.assertTrue(any("（" in sentence for sentence in expected), "one in Japanese")
        templates, figures = Entry._employee_sentences().many(rows, lines)
        self.assertEqual(
            [
                values[0] if template is None else template % values
                for template, values in zip(templates, figures, strict=True)
            ],
            expected,
        )

    def test_an_adjustment_keeps_the_managers_words(self):
        entry = self._adjustment("adjustment:test")
        self.assertEqual(entry.note, "技術支援の分を追加")
        self.assertEqual(entry.explanation, "技術支援の分を追加")
        self.assertEqual(entry.state, "draft")
        self.assertEqual(entry.wage_type, "incentive")

    def test_the_one_write_path_refuses_another_companys_employee(self):
        other_employee = self.env["hr.employee"].create(
            {"name": "別会社の社員", "company_id": self.other_company.id}
        )
        with self.assertRaisesRegex(ValidationError, "another company"):
            self.env["crm.contribution"].sudo().create(
                {
                    "employee_id": other_employee.id,
                    "company_id": self.company.id,
                    "trigger": "adjustment",
                    "date": "2026-01-10",
                    "amount": 1_000,
                    "credit_key": "adjustment:other",
                }
            )

    def test_the_explanation_is_searchable(self):
        entry = self._split_deal()
        found = self.env["crm.contribution"].search([("explanation", "ilike", "受注貢献")])
        self.assertIn(entry, found)


@tagged("post_install", "-at_install")
class TestStatementSpeaksToItsEmployee(PayoutCase):
    def test_statement_printed_by_payroll_is_in_the_employees_language(self):
        self.env["res.lang"]._activate_lang("ja_JP")
        self.user_support.lang = "ja_JP"
        _lead, _entries = self.won_and_approved(
            contributors=[
                (self.employee_support, 2, "originator"),
                (self.employee_engineer, 1, "technical"),
            ]
        )
        run = self.payout()
        run.action_compute()
        line = self.line_of(run, self.employee_support)
        html, _type = (
            self.env["ir.actions.report"]
            .with_user(self.user_admin)
            .with_context(lang="en_US")
            ._render_qweb_html("crm_everyone_sells.action_report_payout_statement", line.ids)
        )
        self.assertIn("あなたの配分 67 %", html.decode())
        # Payroll reading the same line in the back office: whose share, in English.
        self.assertIn(
            "share of 佐藤 花子",
            line.entry_ids.with_user(self.user_admin).with_context(lang="en_US").explanation,
        )


@tagged("post_install", "-at_install")
class TestOneLanguagePerEmployee(PayoutCase):
    """The statement and the payroll workbook decide an employee's language
    the same way (hr.employee._everyone_sells_lang): their user's, else
    their work contact's, else the document's own fallback."""

    def test_user_then_work_contact_then_fallback(self):
        self.env["res.lang"]._activate_lang("ja_JP")
        self.user_support.lang = "ja_JP"
        self.assertEqual(self.employee_support._everyone_sells_lang("en_US"), "ja_JP")
        contact = self.employee_without_user.work_contact_id
        contact.lang = "ja_JP"
        self.assertEqual(self.employee_without_user._everyone_sells_lang("en_US"), "ja_JP")
        contact.lang = False
        self.assertEqual(self.employee_without_user._everyone_sells_lang("en_US"), "en_US")

    def test_statement_and_workbook_agree(self):
        self.env["res.lang"]._activate_lang("ja_JP")
        contact = self.employee_without_user.work_contact_id
        contact.lang = "ja_JP"
        _lead, entries = self.won_and_approved(
            contributors=[
                (self.employee_support, 2, "originator"),
                (self.employee_without_user, 1, "technical"),
            ]
        )
        entry = entries.filtered(lambda e: e.employee_id == self.employee_without_user)
        run = self.payout()
        run.action_compute()
        line = self.line_of(run, self.employee_without_user)

        def statement():
            html, _type = (
                self.env["ir.actions.report"]
                .with_user(self.user_admin)
                .with_context(lang="en_US")
                ._render_qweb_html("crm_everyone_sells.action_report_payout_statement", line.ids)
            )
            return html.decode()

        def workbook_sentence(lang):
            return (
                entry.with_user(self.user_admin)
                .with_context(lang=lang)
                ._explained_for_employees()[entry.id]
            )

        # The work contact's language, in both.
        self.assertIn("あなたの配分 33 %", statement())
        self.assertIn("加藤 修の配分 33 %", workbook_sentence("en_US"))
        # No language of their own: the statement falls back on the
        # company's, the workbook on the language it is exported in.
        contact.lang = False
        self.company.partner_id.lang = "ja_JP"
        self.assertIn("あなたの配分 33 %", statement())
        self.assertIn("share of 加藤 修", workbook_sentence("en_US"))
        self.company.partner_id.lang = "en_US"
        self.assertIn("your 33 % share", statement())
        self.assertIn("加藤 修の配分 33 %", workbook_sentence("ja_JP"))
