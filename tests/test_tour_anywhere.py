from markupsafe import Markup

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

CUSTOMER_NAME = "株式会社みらい商事"
EMAIL_FIRST_LINE = "API連携オプションがあれば購入したい"
SYSTRAY_SUMMARY = "納期を短縮できれば追加発注したい"
MOBILE_SUMMARY = "来期は拠点を2つ増やす予定"


class AnywhereTourCase(HttpCase):
    """Three employees outside sales and a customer with a contact."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        Department = cls.env["hr.department"]
        cls.dept_support = Department.create(
            {"name": "カスタマーサポート部", "company_id": cls.company.id}
        )
        cls.dept_engineering = Department.create({"name": "技術部", "company_id": cls.company.id})
        cls.dept_marketing = Department.create(
            {"name": "マーケティング部", "company_id": cls.company.id}
        )
        cls.user_support, cls.employee_support = cls._make_user(
            "es_tour_support", "佐藤 花子", cls.dept_support
        )
        cls.user_engineer, cls.employee_engineer = cls._make_user(
            "es_tour_engineer", "鈴木 一郎", cls.dept_engineering
        )
        cls.user_marketer, cls.employee_marketer = cls._make_user(
            "es_tour_marketer", "高橋 美咲", cls.dept_marketing
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": CUSTOMER_NAME, "is_company": True, "email": "info@mirai.example.jp"}
        )
        cls.customer_contact = cls.env["res.partner"].create(
            {"name": "山田 太郎", "parent_id": cls.customer.id, "email": "yamada@mirai.example.jp"}
        )

    @classmethod
    def _make_user(cls, login, name, department):
        user = new_test_user(
            cls.env,
            login=login,
            password=login,
            name=name,
            email=f"{login}@mirai-seisakusho.example.jp",
            groups="base.group_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
            tz="Asia/Tokyo",
        )
        employee = cls.env["hr.employee"].create(
            {
                "name": name,
                "user_id": user.id,
                "department_id": department.id,
                "company_id": cls.company.id,
            }
        )
        return user, employee


@tagged("post_install", "-at_install", "everyone_sells_tour")
class TestSignalFromAnywhereTour(AnywhereTourCase):
    """Signals logged where the customer's words are: a chatter message, the
    systray on any screen; the duplicate warning before saving."""

    def test_engineer_saves_a_customer_email_from_the_chatter(self):
        attachment = self.env["ir.attachment"].create(
            {
                "name": "要望.txt",
                "raw": b"API",
                "res_model": "res.partner",
                "res_id": self.customer.id,
            }
        )
        email = self.customer.message_post(
            body=Markup("<p>%s</p><p>来月の予算会議で決めます。</p>") % EMAIL_FIRST_LINE,
            message_type="email",
            author_id=self.customer_contact.id,
            attachment_ids=attachment.ids,
            subtype_xmlid="mail.mt_comment",
        )
        self.start_tour(
            f"/odoo/res.partner/{self.customer.id}",
            "crm_everyone_sells_save_from_chatter",
            login="es_tour_engineer",
        )
        signal = self.env["crm.signal"].search([("source_message_id", "=", email.id)])
        self.assertEqual(len(signal), 1)
        self.assertEqual(signal.name, EMAIL_FIRST_LINE)
        self.assertEqual(signal.employee_id, self.employee_engineer)
        self.assertEqual(signal.partner_id, self.customer)
        self.assertEqual(signal.channel_id.code, "support")
        self.assertEqual(
            (signal.source_model, signal.source_res_id), ("res.partner", self.customer.id)
        )
        self.assertEqual(
            self.env["ir.attachment"]
            .search([("res_model", "=", "crm.signal"), ("res_id", "=", signal.id)])
            .mapped("name"),
            ["要望.txt"],
        )
        self.assertTrue(
            self.customer.message_ids.filtered(lambda m: "customer signal" in (m.body or ""))
        )

    def test_engineer_saves_a_discuss_message(self):
        channel = (
            self.env["discuss.channel"]
            .with_user(self.user_engineer)
            .create_group(partners_to=self.user_support.partner_id.ids, name="技術相談")
        )
        message = channel.with_user(self.user_support).message_post(
            body=Markup("<p>ひかり物産の木村さんが保守契約の延長を相談したいそうです</p>"),
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.start_tour(
            f"/odoo/action-mail.action_discuss?active_id=discuss.channel_{channel.id}",
            "crm_everyone_sells_save_from_discuss",
            login="es_tour_engineer",
        )
        signal = self.env["crm.signal"].search([("source_message_id", "=", message.id)])
        self.assertEqual(len(signal), 1)
        self.assertEqual(signal.employee_id, self.employee_engineer)
        self.assertEqual(signal.channel_id.code, "other")
        self.assertEqual(signal.source_model, "discuss.channel")

    def test_support_logs_from_the_systray_without_leaving(self):
        self.start_tour(
            "/odoo/action-mail.action_discuss",
            "crm_everyone_sells_systray",
            login="es_tour_support",
        )
        signal = self.env["crm.signal"].search([("name", "=", SYSTRAY_SUMMARY)])
        self.assertEqual(len(signal), 1)
        self.assertEqual(signal.employee_id, self.employee_support)
        self.assertEqual(signal.partner_id, self.customer)
        self.assertEqual(signal.state, "new")

    def test_duplicate_warning_before_saving(self):
        self.env["crm.signal"].create(
            {
                "name": "社外秘: 乗り換え検討",
                "partner_id": self.customer.id,
                "employee_id": self.employee_support.id,
            }
        )
        self.start_tour(
            "/odoo/action-mail.action_discuss",
            "crm_everyone_sells_duplicate_warning",
            login="es_tour_marketer",
        )
        self.assertFalse(
            self.env["crm.signal"].search([("employee_id", "=", self.employee_marketer.id)])
        )


@tagged("post_install", "-at_install", "everyone_sells_tour")
class TestSignalFromAnywhereMobileTour(AnywhereTourCase):
    """On a phone: the systray button, the dialog, the customer recognised
    from the name typed."""

    browser_size = "375x667"
    touch_enabled = True

    def test_log_from_a_phone(self):
        self.start_tour(
            f"/odoo/res.partner/{self.customer.id}",
            "crm_everyone_sells_systray_mobile",
            login="es_tour_support",
        )
        signal = self.env["crm.signal"].search([("name", "=", MOBILE_SUMMARY)])
        self.assertEqual(len(signal), 1)
        self.assertEqual(signal.partner_id, self.customer)
        self.assertEqual(signal.contact_name, "みらい商事 購買部 小野様")
