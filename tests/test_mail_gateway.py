from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import MailCase

from .common import EveryoneSellsCase

EMAIL = """Return-Path: <{email_from}>
To: {to}
From: {email_from}
Subject: {subject}
Message-ID: {msg_id}
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="BOUNDARY"

--BOUNDARY
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

{body}
--BOUNDARY
Content-Type: text/plain; charset="utf-8"; name="requirements.txt"
Content-Disposition: attachment; filename="requirements.txt"
Content-Transfer-Encoding: 8bit

CSV import for 10,000 rows
--BOUNDARY--
"""


class SignalMailCase(EveryoneSellsCase, MailCase):
    """The test world with the signal alias on a mail domain, and a way to
    receive an e-mail as the mail gateway would."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._init_mail_gateway()
        cls.alias = cls.env.ref("crm_everyone_sells.mail_alias_crm_signal")
        cls.alias.alias_domain_id = cls.mail_alias_domain
        cls.alias_email = cls.alias.alias_full_name

    def _receive(self, email_from, subject, body="お客様からの要望を転送します。"):
        message = EMAIL.format(
            email_from=email_from,
            to=self.alias_email,
            subject=subject,
            msg_id=f"<{abs(hash((subject, email_from)))}@example.jp>",
            body=body,
        )
        with self.mock_mail_gateway():
            self.env["mail.thread"].sudo().message_process(None, message)
        return self.env["crm.signal"].search([("name", "=", subject)])


@tagged("post_install", "-at_install")
class TestSignalByEmail(SignalMailCase):
    def test_employee_email_becomes_their_signal(self):
        signal = self._receive(self.user_support.email, "CSVの一括取込が欲しい")
        self.assertEqual(len(signal), 1)
        self.assertEqual(signal.employee_id, self.employee_support)
        self.assertEqual(signal.department_id, self.dept_support)
        self.assertEqual(signal.company_id, self.company)
        self.assertIn("要望を転送", signal.description)
        self.assertEqual(signal.message_ids.attachment_ids.mapped("name"), ["requirements.txt"])
        self.assertIn(self.user_support.partner_id, signal.message_partner_ids)

    def test_employee_matched_by_work_email_without_user(self):
        self.employee_without_user.work_email = "kato@mirai-seisakusho.example.jp"
        signal = self._receive("加藤 修 <KATO@mirai-seisakusho.example.jp>", "保守更新の相談")
        self.assertEqual(signal.employee_id, self.employee_without_user)

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_unknown_sender_creates_nothing_and_is_bounced(self):
        signal = self._receive("stranger@spam.example.com", "怪しいメール")
        self.assertFalse(signal)
        bounce = self._new_mails.filtered(lambda m: "stranger@spam.example.com" in m.email_to)
        self.assertTrue(bounce, "the unknown sender is told politely")
        self.assertIn("only accepts customer signals from employees", bounce.body_html)

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_archived_employee_cannot_log_by_email(self):
        self.employee_engineer.active = False
        self.assertFalse(self._receive(self.user_engineer.email, "退職者からのメール"))
