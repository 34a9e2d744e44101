"""Issue 22's screens, round two, in the browser: the README's people in
Japanese, on a company of their own (test_tour.WalkthroughCase)."""

from markupsafe import Markup

from odoo.tests import tagged

from ..models.server_switches import from_mail
from .test_tour import WalkthroughCase


class RoundTwoCase(WalkthroughCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.everyone_sells_response_hours = 16
        cls.Signal = cls.env["crm.signal"].with_context(allowed_company_ids=cls.company.ids)


@tagged("post_install", "-at_install", "everyone_sells_tour")
class TestRoundTwoTour(RoundTwoCase):
    def test_to_confirm_then_one_deadline(self):
        """Items 6 and 7: an e-mailed signal says why to confirm and is not
        said to be with sales; once confirmed, its deadline shows as a day
        and a time."""
        # As the mail gateway creates it: only an e-mailed signal waits for
        # its employee's confirmation.
        signal = from_mail(self.Signal).create(
            {
                "name": "メールで届いた要望",
                "employee_id": self.employee_sato.id,
                "company_id": self.company.id,
                "to_confirm": True,
            }
        )
        self.start_tour(
            f"/odoo/crm.signal/{signal.id}", "crm_everyone_sells_to_confirm", login="es_walk_sato"
        )
        self.assertFalse(signal.to_confirm)
        self.assertTrue(signal.response_deadline)
        self.start_tour(
            f"/odoo/crm.signal/{signal.id}", "crm_everyone_sells_one_deadline", login="es_walk_sato"
        )

    def test_own_routed_signal_offers_nothing_refused(self):
        """Item 14: the author of a routed request sees no Resolve/Decline;
        its receiver does."""
        request = self.Signal.with_user(self.sato).create(
            {
                "name": "CSV出力に部署名を入れてほしい",
                "signal_type_id": self.env.ref("crm_everyone_sells.signal_type_improvement").id,
            }
        )
        self.assertEqual(request.state, "routed")
        self.start_tour(
            f"/odoo/crm.signal/{request.id}",
            "crm_everyone_sells_own_routed_signal",
            login="es_walk_sato",
        )
        self.start_tour(
            f"/odoo/crm.signal/{request.id}",
            "crm_everyone_sells_receiver_answers",
            login="es_walk_suzuki",
        )


@tagged("post_install", "-at_install", "everyone_sells_tour")
class TestRoundTwoPhoneTour(RoundTwoCase):
    """Item 8: on a phone, the send button is in sight and the customer
    picker lists companies first."""

    browser_size = "390x844"
    touch_enabled = True

    def test_send_from_a_phone(self):
        # A person whose name sorts before every company.
        self.env["res.partner"].create({"name": "Aaron 個人", "email": "aaron@example.com"})
        self.start_tour(
            "/odoo/action-crm_everyone_sells.crm_signal_action_log",
            "crm_everyone_sells_phone_send",
            login="es_walk_sato",
        )
        signal = self.env["crm.signal"].search([("name", "=", "来期に物流拠点を増やす予定")])
        self.assertEqual(len(signal), 1)
        self.assertEqual(signal.partner_id, self.customer)
        self.assertEqual(signal.employee_id, self.employee_sato)


@tagged("post_install", "-at_install", "everyone_sells_tour")
class TestRoundTwoDisputeTour(RoundTwoCase):
    """Items 1 and 2: an employee opens a dispute on her own credit; Save as
    Signal on a Japanese business e-mail is titled by its subject."""

    def setUp(self):
        super().setUp()
        # 佐藤's ¥60,000 credit, as in the README: the deal she brought is won.
        self.lead.write(
            {"stage_id": self.env["crm.stage"].search([("is_won", "=", True)], limit=1).id}
        )
        self.run_crediting()
        self.credit = self.credits().filtered(lambda c: c.employee_id == self.employee_sato)
        self.assertEqual(len(self.credit), 1)

    def test_employee_opens_a_dispute(self):
        """Item 1: My Disputes → 新規 → her credit, a reason → saved, open."""
        self.start_tour("/odoo", "crm_everyone_sells_open_dispute", login="es_walk_sato")
        dispute = self.env["crm.contribution.dispute"].search(
            [("contribution_id", "=", self.credit.id)]
        )
        self.assertEqual(len(dispute), 1)
        self.assertEqual(dispute.employee_id, self.employee_sato)
        self.assertFalse(dispute.to_confirm)
        self.assertEqual(dispute.state, "open")
        self.assertEqual(dispute.reason, "技術デモも担当したので比率を見直してほしい")

    def test_save_as_signal_reads_the_subject(self):
        """Item 2: a reply whose body opens with a salutation and a greeting
        is summarised by its subject, without the Re: prefix."""
        contact = self.env["res.partner"].create(
            {"name": "山田 太郎", "parent_id": self.customer.id, "email": "yamada@mirai.example.jp"}
        )
        email = self.customer.message_post(
            subject="Re: 帳票のExcel出力について",
            body=Markup(
                "<p>伊藤様<br>いつもお世話になっております。みらい商事の山田です。</p>"
                "<p>月次の帳票をExcelで出力できれば、追加ライセンスを検討します。</p>"
            ),
            message_type="email",
            author_id=contact.id,
            subtype_xmlid="mail.mt_comment",
        )
        self.start_tour(
            f"/odoo/res.partner/{self.customer.id}",
            "crm_everyone_sells_save_subject_as_summary",
            login="es_walk_sato",
        )
        signal = self.env["crm.signal"].search([("source_message_id", "=", email.id)])
        self.assertEqual(len(signal), 1)
        self.assertEqual(signal.name, "帳票のExcel出力について")
        self.assertEqual(signal.employee_id, self.employee_sato)
        self.assertEqual(signal.partner_id, self.customer)
