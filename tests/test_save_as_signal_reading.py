import base64

from markupsafe import Markup

from odoo.tests import Form, tagged

from .common import EveryoneSellsCase
from .test_mail_gateway import SignalMailCase

QUICK_FORM = "crm_everyone_sells.crm_signal_view_form_quick"
# An ordinary Japanese business mail: salutation, greeting, self-introduction,
# thanks, and only then what the customer wants.
BUSINESS_MAIL = Markup(
    "<p>伊藤様</p><p>いつもお世話になっております。<br>東邦精工の小野です。</p>"
    "<p>先日の障害の件、早急にご対応いただきありがとうございました。</p>"
    "<p>経理部から、帳票をExcelで出力したいという要望が出ています。</p>"
)


@tagged("post_install", "-at_install")
class TestSaveAsSignalReadsJapaneseMail(EveryoneSellsCase):
    """Issue 22 items 2 and 3, issue 21 item 6: Save as Signal on ordinary
    Japanese business mail, from senders with no contact yet."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hokuto = cls.env["res.partner"].create(
            {"name": "北斗精機株式会社", "is_company": True, "email": "info@hokuto.example.jp"}
        )
        # The sender's company is known, the sender is not.
        cls.toho = cls.env["res.partner"].create(
            {"name": "東邦精工株式会社", "is_company": True, "email": "info@toho-seiko.example.jp"}
        )
        cls.lead = cls.env["crm.lead"].create(
            {
                "name": "北斗精機 生産管理システム更新",
                "type": "opportunity",
                "partner_id": cls.hokuto.id,
                "user_id": cls.user_salesman.id,
                "team_id": cls.team.id,
            }
        )
        cls.env["crm.lead"].flush_model()

    def mail(self, subject, body=BUSINESS_MAIL, email_from='"小野 健" <ono@toho-seiko.example.jp>'):
        return self.lead.message_post(
            body=body,
            subject=subject,
            message_type="email",
            author_id=False,
            email_from=email_from,
            subtype_xmlid="mail.mt_comment",
        )

    def form_for(self, message, user=None):
        # A salesperson reads the deal's mail.
        user = user or self.user_salesman
        action = (
            self.env["crm.signal"]
            .with_user(user)
            .with_context(allowed_company_ids=user.company_ids.ids)
            .action_prepare_from_message(message.id)
        )
        Signal = (
            self.env["crm.signal"]
            .with_user(user)
            .with_context(allowed_company_ids=user.company_ids.ids, **action["context"])
        )
        return Form(Signal, view=QUICK_FORM)

    def test_subject_without_reply_prefixes_is_the_summary(self):
        form = self.form_for(self.mail("Re: RE: [外部] 返信: 帳票のExcel出力について"))
        self.assertEqual(form.name, "帳票のExcel出力について")
        # The user sees it and may change it.
        form.name = "帳票のExcel出力（経理部）"
        self.assertEqual(form.save().name, "帳票のExcel出力（経理部）")

    def test_without_subject_the_first_sentence_that_is_not_courtesy(self):
        form = self.form_for(self.mail(False))
        self.assertEqual(form.name, "経理部から、帳票をExcelで出力したいという要望が出ています。")

    def test_subject_repeating_the_record_name_is_not_a_summary(self):
        form = self.form_for(self.mail("Fwd: " + self.lead.name))
        self.assertEqual(form.name, "経理部から、帳票をExcelで出力したいという要望が出ています。")

    def test_unknown_sender_of_another_company_is_the_contact_and_their_company_the_customer(
        self,
    ):
        form = self.form_for(self.mail("帳票のExcel出力について"))
        self.assertEqual(form.contact_name, "小野 健")
        self.assertIn("ono@toho-seiko.example.jp", form.email_from)
        self.assertEqual(form.partner_id, self.toho)
        signal = form.save()
        self.assertEqual(signal.partner_id, self.toho)
        self.assertEqual(signal.contact_name, "小野 健")

    def test_unknown_sender_of_the_deals_company_keeps_the_deals_customer(self):
        form = self.form_for(
            self.mail("帳票のExcel出力について", email_from="伊藤 誠 <ito@hokuto.example.jp>")
        )
        self.assertEqual(form.partner_id, self.hokuto)
        self.assertEqual(form.contact_name, "伊藤 誠")

    def test_domain_is_matched_exactly_never_as_a_pattern(self):
        # A look-alike domain names no company; nor does a pattern.
        for sender in ("ono@seiko.example.jp", "ono@%toho-seiko.example.jp", "x@_"):
            form = self.form_for(self.mail("帳票", email_from=sender))
            self.assertEqual(form.partner_id, self.hokuto, sender)

    def test_duplicate_check_runs_on_the_senders_company_and_says_why(self):
        # An earlier signal about the deal's customer does not make the
        # sender's company a duplicate...
        self.log_signal(self.user_engineer, partner_id=self.hokuto.id)
        form = self.form_for(self.mail("帳票のExcel出力について"))
        form.signal_type_id = self.type_new_need
        self.assertFalse(form.duplicate_hint)
        # ...an earlier signal about the sender's company does, and the hint
        # says whose and why.
        self.log_signal(self.user_support, partner_id=self.toho.id)
        form = self.form_for(self.mail("帳票のExcel出力について"))
        form.signal_type_id = self.type_new_need
        self.assertIn(self.employee_support.name, form.duplicate_hint)
        self.assertIn(self.toho.name, form.duplicate_hint)

    def test_only_attachments_the_user_can_read_are_copied(self):
        readable = self.env["ir.attachment"].create(
            {
                "name": "要望一覧.txt",
                "datas": base64.b64encode("帳票".encode()),
                "res_model": "crm.lead",
                "res_id": self.lead.id,
            }
        )
        # A payroll file the employee may not read, attached to the message
        # by a privileged user.
        payout = self.env["crm.contribution.payout"].create(
            {"company_id": self.company.id, "date_from": "2026-01-01", "date_to": "2026-01-31"}
        )
        secret = self.env["ir.attachment"].create(
            {
                "name": "給与計算.xlsx",
                "datas": base64.b64encode(b"wages"),
                "res_model": "crm.contribution.payout",
                "res_id": payout.id,
            }
        )
        message = self.mail("帳票のExcel出力について")
        message.attachment_ids = readable | secret
        signal = self.form_for(message).save()
        copies = self.env["ir.attachment"].search(
            [("res_model", "=", "crm.signal"), ("res_id", "=", signal.id)]
        )
        self.assertEqual(copies.mapped("name"), ["要望一覧.txt"])


@tagged("post_install", "-at_install")
class TestEmailedSignalSummary(SignalMailCase):
    """An employee forwards a customer's mail to the signal alias: the
    summary reads the same way as Save as Signal's."""

    def test_forwarded_subject_loses_its_prefixes(self):
        self._receive(self.user_support.email, "Fwd: RE: 帳票のExcel出力について")
        self.assertTrue(self.env["crm.signal"].search([("name", "=", "帳票のExcel出力について")]))

    def test_no_subject_takes_the_first_sentence_that_is_not_courtesy(self):
        self._receive(
            self.user_support.email,
            "",
            body="伊藤様\nいつもお世話になっております。\n倉庫管理の更新を検討しています。",
        )
        self.assertTrue(
            self.env["crm.signal"].search([("name", "=", "倉庫管理の更新を検討しています。")])
        )
