"""The README's walk-through as people live it: each reads in their language,
and hears back when something happens."""

import io
from unittest.mock import patch

from lxml import etree

from odoo import Command
from odoo.tests import tagged
from odoo.tools.mail import html_normalize, html_sanitize
from odoo.tools.pdf import PdfFileReader, PdfFileWriter

from .common import PayoutCase

STATEMENT = "crm_everyone_sells.action_report_payout_statement"


def blank_pdf():
    writer = PdfFileWriter()
    writer.addBlankPage(width=595, height=842)
    stream = io.BytesIO()
    writer.write(stream)
    return stream.getvalue()


class JapaneseCase(PayoutCase):
    """The test company with Japanese loaded and the module's ja.po installed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ja_JP")
        cls.env["ir.module.module"].search(
            [("name", "=", "crm_everyone_sells")]
        )._update_translations(["ja_JP"])


@tagged("post_install", "-at_install")
class TestStatementLanguage(JapaneseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_support.lang = "ja_JP"
        cls.user_engineer.lang = "en_US"
        cls.user_admin.lang = "en_US"

    def setUp(self):
        super().setUp()
        self.won_and_approved(
            contributors=[
                (self.employee_support, 1.0, "originator"),
                (self.employee_engineer, 1.0, "technical"),
            ]
        )
        self.run = self.payout()
        self.run.action_compute()
        # Payroll enters the hours before confirming (the overtime premium needs them).
        self.run.line_ids.write({"worked_hours": 160})
        self.run.action_confirm()
        self.line_ja = self.line_of(self.run, self.employee_support)
        self.line_en = self.line_of(self.run, self.employee_engineer)

    def render_html(self, lines, user=None):
        report = self.env["ir.actions.report"].with_user(user or self.user_admin)
        html, _type = report.with_context(lang=(user or self.user_admin).lang)._render_qweb_html(
            STATEMENT, lines.ids
        )
        return html.decode()

    def test_each_statement_prints_in_its_employees_language(self):
        html = self.render_html(self.line_ja | self.line_en)
        self.assertIn("今期のあなたの貢献報酬", html)
        self.assertIn("Your credits this period", html)
        self.assertEqual(html.count("今期のあなたの貢献報酬"), 1)
        self.assertEqual(html.count("Your credits this period"), 1)
        # Dates in the employee's format, kept on one line.
        date_ja = self.run.date_from.strftime("%Y年%m月%d日")
        self.assertIn(date_ja, html)
        self.assertIn(f'white-space: nowrap;">{date_ja}', html.replace("\n", ""))

    def test_japanese_employee_prints_japanese_whatever_the_printer(self):
        self.user_admin.lang = "ja_JP"
        html = self.render_html(self.line_en)
        self.assertIn("Your credits this period", html)
        self.assertNotIn("今期のあなたの貢献報酬", html)
        html = self.render_html(self.line_ja, user=self.user_support)
        self.assertIn("今期のあなたの貢献報酬", html)

    def test_many_statements_are_one_pdf_per_employee_merged(self):
        """Debian's wkhtmltopdf (unpatched Qt) cannot split a multi-record PDF:
        each statement is rendered alone, then the PDFs are merged."""
        report = self.env["ir.actions.report"].with_user(self.user_admin)
        with patch.object(
            type(report), "_run_wkhtmltopdf", autospec=True, return_value=blank_pdf()
        ) as run:
            pdf, kind = report.with_context(force_report_rendering=True)._render_qweb_pdf(
                STATEMENT, self.run.line_ids.ids
            )
        self.assertEqual(kind, "pdf")
        self.assertEqual(run.call_count, len(self.run.line_ids))
        self.assertTrue(all(len(call.args[1]) == 1 for call in run.call_args_list))
        self.assertEqual(PdfFileReader(io.BytesIO(pdf)).numPages, len(self.run.line_ids))

    def test_statement_breadcrumb_names_employee_and_payout(self):
        line = self.line_ja.with_user(self.user_support)
        self.assertEqual(line.display_name, f"佐藤 花子 – {self.run.name}")
        home = self.env["crm.everyone.sells.home"].with_user(self.user_support).new({})
        self.assertNotIn("crm.everyone.sells.home", home.display_name)


@tagged("post_install", "-at_install")
class TestNoticesInRecipientLanguage(JapaneseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_support.lang = "ja_JP"
        cls.user_engineer.lang = "en_US"
        cls.type_improvement = cls.env.ref("crm_everyone_sells.signal_type_improvement")
        cls.type_improvement.route_department_id = cls.dept_engineering

    def notices(self, signal):
        partner = self.user_support.partner_id
        return signal.message_ids.filtered(
            lambda m: partner in m.partner_ids and m.subtype_id == self.env.ref("mail.mt_note")
        ).sorted("id")

    def test_routed_and_resolved_notices_speak_the_originators_language(self):
        signal = self.log_signal(name="API の改善要望", signal_type_id=self.type_improvement.id)
        self.assertEqual(signal.state, "routed")
        routed = self.notices(signal)
        self.assertIn("技術部", routed[-1].body)
        # The one deadline (working hours), as the originator reads it (#22 item 7).
        deadline = (
            signal.with_user(self.user_support).with_context(lang="ja_JP").response_deadline_label
        )
        self.assertTrue(deadline)
        self.assertIn(deadline, routed[-1].body)
        self.assertNotIn("Your signal", routed[-1].body)
        # The engineer works in English; the originator still reads Japanese.
        wizard = (
            self.env["crm.signal.resolve"]
            .with_user(self.user_engineer)
            .with_context(lang="en_US")
            .create({"signal_ids": [Command.set(signal.ids)], "resolution": "春のリリースに追加"})
        )
        wizard.action_apply()
        resolved = self.notices(signal)[-1]
        self.assertIn("対応が完了しました", resolved.body)
        self.assertNotIn("Your signal was resolved", resolved.body)

    def test_receivers_to_do_is_in_their_language(self):
        self.user_support.lang = "en_US"
        self.user_engineer.lang = "ja_JP"
        signal = (
            self.env["crm.signal"]
            .with_user(self.user_support)
            .with_context(lang="en_US")
            .create(
                {
                    "name": "API の改善要望",
                    "partner_id": self.customer.id,
                    "signal_type_id": self.type_improvement.id,
                }
            )
        )
        self.assertIn("回答が必要な顧客シグナル", signal.sudo().activity_ids.summary)

    def test_what_was_done_is_said_once(self):
        signal = self.log_signal(name="API の改善要望", signal_type_id=self.type_improvement.id)
        self.assertEqual(len(signal.activity_ids), 1)  # the department's member
        self.env["crm.signal.resolve"].with_user(self.user_engineer).create(
            {"signal_ids": [Command.set(signal.ids)], "resolution": "春のリリースに追加"}
        ).action_apply()
        said = signal.message_ids.filtered(lambda m: "春のリリースに追加" in (m.body or ""))
        self.assertEqual(len(said), 1)
        self.assertFalse(signal.activity_ids)

    def test_why_declined_is_said_once(self):
        signal = self.log_signal(name="API の改善要望", signal_type_id=self.type_improvement.id)
        self.env["crm.signal.decline"].with_user(self.user_engineer).create(
            {"signal_ids": [Command.set(signal.ids)], "reason": "other", "note": "対応予定なし"}
        ).action_apply()
        said = signal.message_ids.filtered(lambda m: "対応予定なし" in (m.body or ""))
        self.assertEqual(len(said), 1)
        self.assertFalse(signal.activity_ids)


@tagged("post_install", "-at_install")
class TestLogAndFollow(JapaneseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_support.lang = "ja_JP"
        cls.type_improvement = cls.env.ref("crm_everyone_sells.signal_type_improvement")
        cls.type_improvement.route_department_id = cls.dept_engineering

    def send(self, signal):
        return (
            signal.with_user(self.user_support)
            .with_context(lang="ja_JP", allowed_company_ids=self.company.ids)
            .action_send()
        )

    def test_send_says_where_it_went_and_offers_the_next_form(self):
        routed = self.log_signal(name="API の改善要望", signal_type_id=self.type_improvement.id)
        action = self.send(routed)
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("技術部", action["params"]["message"])
        deadline = (
            routed.with_user(self.user_support).with_context(lang="ja_JP").response_deadline_label
        )
        self.assertIn(deadline, action["params"]["message"])
        self.assertIn("API の改善要望", action["params"]["title"])
        fresh = action["params"]["next"]
        self.assertEqual(fresh["res_model"], "crm.signal")
        self.assertFalse(fresh.get("res_id"))
        self.assertEqual(fresh["target"], "main")
        self.assertEqual(
            fresh["view_id"][0] if isinstance(fresh["view_id"], list | tuple) else fresh["view_id"],
            self.env.ref("crm_everyone_sells.crm_signal_view_form_log").id,
        )
        for_sales = self.send(self.log_signal(name="増設の相談"))
        inbox = self.env["crm.signal"].with_context(lang="ja_JP").env._("Sent to the sales inbox.")
        self.assertIn(inbox, for_sales["params"]["message"])

    def test_my_signals_columns_follow_the_workflow(self):
        signal = self.log_signal(name="増設の相談")
        self.hand_off(signal)
        self.log_signal(name="別件の相談", partner_id=self.customer_other.id)
        signals = (
            self.env["crm.signal"]
            .with_user(self.user_support)
            .with_context(everyone_sells_workflow_columns=True)
        )
        groups = signals.read_group(
            [("employee_id", "=", self.employee_support.id)], ["state"], ["state"]
        )
        self.assertEqual([g["state"] for g in groups], ["new", "handed_off", "won", "lost"])
        # Elsewhere (Routed to Us), only the columns that hold signals, in order.
        groups = signals.with_context(everyone_sells_workflow_columns=False).read_group(
            [("employee_id", "=", self.employee_support.id)], ["state"], ["state"]
        )
        self.assertEqual([g["state"] for g in groups], ["new", "handed_off"])


@tagged("post_install", "-at_install")
class TestFeedback(PayoutCase):
    def test_won_deal_lists_who_was_credited_once(self):
        lead = self.make_deal(
            revenue=1_200_000,
            contributors=[
                (self.employee_support, 1.0, "originator"),
                (self.employee_engineer, 0.5, "technical"),
            ],
        )
        self.mark_won(lead)
        notes = lead.message_ids.filtered(lambda m: "Everyone Sells credited" in (m.body or ""))
        self.assertEqual(len(notes), 1, "one note per deal")
        self.assertIn("鈴木 一郎", notes.body)
        self.assertIn("40,000", notes.body)
        self.assertIn("20,000", notes.body)
        self.assertIn(self.rule_won.name, notes.body)
        # The salesperson reads it on the deal they won.
        self.assertIn(notes, lead.with_user(self.user_salesman).message_ids)
        # Running the job again (nothing new to credit) posts nothing more.
        lead.write({"expected_revenue": 1_200_000})
        self.run_crediting()
        self.assertEqual(
            len(lead.message_ids.filtered(lambda m: "Everyone Sells credited" in (m.body or ""))),
            1,
        )

    def test_credit_note_in_the_winners_language_and_safe_as_built(self):
        # The note is laid out with Markup, not QWeb, and stored without
        # another pass of the sanitizer: names are escaped, and the sanitizer
        # would remove nothing from it.
        self.env["res.lang"]._activate_lang("ja_JP")
        self.user_salesman.lang = "ja_JP"
        self.make_rule(
            name='<b onclick="x()">特別</b> & 賞',
            compute_method="fixed",
            fixed_amount=0,
            points=3,
            wage_type="award",
        )
        lead = self.make_deal(
            revenue=1_200_000,
            contributors=[
                (self.employee_support, 1.0, "originator"),
                (self.employee_engineer, 0.5, "technical"),
            ],
        )
        lead.with_user(self.user_salesman).write({"stage_id": self.stage_won.id})
        self.run_crediting()
        notes = lead.message_ids.filtered(lambda m: "全員営業で" in (m.body or ""))
        self.assertEqual(len(notes), 1, "one note per deal, in the winner's language")
        body = str(notes.body)
        self.assertIn("全員営業で次の貢献報酬が計上されました：", body)
        self.assertIn("佐藤 花子 — ¥\xa040,000 (受注貢献 5 %)", body)
        self.assertIn("鈴木 一郎 — 1.00 ポイント (&lt;b onclick=", body)
        self.assertIn("佐藤 花子 — 2.00 ポイント", body)
        self.assertIn("マネージャーの承認を経てから支払われます", body)
        self.assertNotIn("<b", body)
        sanitize_style = self.env["mail.message"]._fields["body"].sanitize_style
        self.assertEqual(html_sanitize(body, sanitize_style=sanitize_style), html_normalize(body))

    def test_points_only_people_get_no_zero_yen_line(self):
        points_rule = self.make_rule(
            name="情報提供ポイント",
            trigger="won",
            compute_method="fixed",
            fixed_amount=0,
            points=1,
            wage_type="award",
            exclude_sales=False,
        )
        self.assertNotIn("¥", points_rule.example_text)
        self.assertIn("1", points_rule.example_text)
        self.rule_won.exclude_sales = True
        _lead, entries = self.won_and_approved(
            contributors=[
                (self.employee_support, 1.0, "originator"),
                (self.employee_salesman, 1.0, "other"),
            ]
        )
        self.assertTrue(entries.filtered(lambda e: e.employee_id == self.employee_salesman))
        payout = self.payout()
        payout.action_compute()
        self.assertEqual(payout.line_ids.employee_id, self.employee_support)
        self.assertFalse(payout.line_ids.filtered(lambda line: not line.payable_amount))

    def test_points_only_rule_is_said_as_points_in_what_you_could_earn(self):
        self.make_rule(
            name="情報提供ポイント",
            trigger="signal_logged",
            compute_method="fixed",
            fixed_amount=0,
            points=1,
            wage_type="award",
        )
        signal = self.log_signal(name="増設の相談", estimated_revenue=1_000_000)
        signal = signal.with_user(self.user_support)
        self.assertEqual(signal.whatif_amount, 50_000)
        lines = signal.whatif_explanation.splitlines()
        points_line = next(line for line in lines if "情報提供ポイント" in line)
        self.assertNotIn("¥", points_line)

    def test_confirm_asks_when_lines_have_warnings(self):
        arch = self.env["crm.contribution.payout"].get_view(
            self.env.ref("crm_everyone_sells.crm_contribution_payout_view_form").id, "form"
        )["arch"]
        buttons = etree.fromstring(arch).xpath("//header/button[@name='action_confirm']")
        asking = [b for b in buttons if b.get("confirm")]
        silent = [b for b in buttons if not b.get("confirm")]
        self.assertEqual(len(asking), 1)
        self.assertIn("not warning_count", asking[0].get("invisible"))
        self.assertTrue(all("or warning_count" in b.get("invisible") for b in silent))
