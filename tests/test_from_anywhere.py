import base64

from markupsafe import Markup

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged
from odoo.tools import format_date

from .common import EveryoneSellsCase

QUICK_FORM = "crm_everyone_sells.crm_signal_view_form_quick"
EMAIL_BODY = Markup(
    "<p>API連携オプションがあれば購入したい</p>"
    "<p>来月の予算会議で決めます。<br>見積もりをお願いします。</p>"
)


@tagged("post_install", "-at_install")
class TestSignalFromMessage(EveryoneSellsCase):
    """ "Save as Signal" on a chatter or Discuss message: what is prefilled,
    what is kept of the source, and who may do it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.attachment = cls.env["ir.attachment"].create(
            {
                "name": "仕様書.txt",
                "datas": base64.b64encode("API仕様の要望".encode()),
                "res_model": "res.partner",
                "res_id": cls.customer.id,
            }
        )
        # A customer's e-mail in the chatter of their company's contact.
        cls.email = cls.customer.message_post(
            body=EMAIL_BODY,
            subject="API連携について",
            message_type="email",
            author_id=cls.customer_contact.id,
            attachment_ids=cls.attachment.ids,
            subtype_xmlid="mail.mt_comment",
        )
        cls.channel_other = cls.env.ref("crm_everyone_sells.signal_channel_other")

    def prepare(self, message, user=None):
        user = user or self.user_engineer
        return (
            self.env["crm.signal"]
            .with_user(user)
            .with_context(allowed_company_ids=user.company_ids.ids)
            .action_prepare_from_message(message.id)
        )

    def save_from(self, message, user=None, **changes):
        """What the dialog does: open the quick form on the prepared action,
        change what the employee changes, save."""
        user = user or self.user_engineer
        action = self.prepare(message, user)
        Signal = (
            self.env["crm.signal"]
            .with_user(user)
            .with_context(allowed_company_ids=user.company_ids.ids, **action["context"])
        )
        form = Form(Signal, view=QUICK_FORM)
        for name, value in changes.items():
            setattr(form, name, value)
        return form.save().with_env(self.env)

    def test_customer_email_prefills_the_form(self):
        action = self.prepare(self.email)
        self.assertEqual(action["res_model"], "crm.signal")
        self.assertEqual(action["target"], "new")
        self.assertEqual(action["context"], {"crm_signal_source_message_id": self.email.id})
        values = (
            self.env["crm.signal"]
            .with_user(self.user_engineer)
            .with_context(**action["context"])
            .default_get(["name", "description", "partner_id", "channel_id", "source_name"])
        )
        # The subject says what the mail is about (issue 22).
        self.assertEqual(values["name"], "API連携について")
        self.assertIn("見積もりをお願いします", values["description"])
        # The author is a contact: the customer is their company.
        self.assertEqual(values["partner_id"], self.customer.id)
        self.assertEqual(values["channel_id"], self.channel_support.id)
        self.assertIn(self.customer.name, values["source_name"])

    def test_saved_signal_keeps_its_source_and_attachments(self):
        signal = self.save_from(self.email, estimated_revenue=600_000)
        self.assertEqual(signal.employee_id, self.employee_engineer)
        self.assertEqual(signal.partner_id, self.customer)
        self.assertEqual(signal.source_message_id, self.email)
        self.assertEqual(signal.source_model, "res.partner")
        self.assertEqual(signal.source_res_id, self.customer.id)
        self.assertIn(self.customer.name, signal.source_name)
        copies = self.env["ir.attachment"].search(
            [("res_model", "=", "crm.signal"), ("res_id", "=", signal.id)]
        )
        self.assertEqual(copies.mapped("name"), ["仕様書.txt"])
        self.assertEqual(copies.raw, self.attachment.raw)
        # The original stays where it was.
        self.assertEqual(self.attachment.res_model, "res.partner")
        note = self.customer.message_ids.filtered(lambda m: "customer signal" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertIn(self.employee_engineer.name, note.body)
        # A link to the signal, which opens for those who may read it.
        self.assertIn(f'data-oe-model="crm.signal" data-oe-id="{signal.id}"', note.body)
        self.assertEqual(note.subtype_id, self.env.ref("mail.mt_note"))
        self.assertEqual(note.author_id, self.user_engineer.partner_id)
        # An internal note: nobody was notified, no follower of the contact
        # (the customer) reads it.
        self.assertFalse(note.notified_partner_ids)

    def test_colleague_comment_takes_the_record_partner(self):
        lead = self.env["crm.lead"].create(
            {
                "name": "みらい商事 API案件",
                "type": "opportunity",
                "partner_id": self.customer_contact.id,
                "user_id": self.user_salesman.id,
                "team_id": self.team.id,
            }
        )
        comment = lead.with_user(self.user_salesman).message_post(
            body=Markup("<p>先方が他部署への展開も検討中とのこと</p>"),
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        signal = self.save_from(comment, user=self.user_salesman, signal_type_id=self.type_upsell)
        self.assertEqual(signal.partner_id, self.customer)
        self.assertEqual(signal.name, "先方が他部署への展開も検討中とのこと")
        # A comment is not an inquiry: the channel is the employee's to say.
        self.assertFalse(signal.channel_id)
        self.assertEqual((signal.source_model, signal.source_res_id), ("crm.lead", lead.id))

    def test_unknown_sender_keeps_the_address(self):
        lead = self.env["crm.lead"].create({"name": "問い合わせ"})
        message = lead.message_post(
            body=Markup("<p>見積もりをお願いします</p>"),
            message_type="email",
            author_id=False,
            email_from='"木村 直人" <kimura@hikari.example.jp>',
            subtype_xmlid="mail.mt_comment",
        )
        values = self.env["crm.signal"]._prefill_from_message(message)
        self.assertNotIn("partner_id", values)
        self.assertEqual(values["email_from"], '"木村 直人" <kimura@hikari.example.jp>')
        self.assertEqual(values["contact_name"], "木村 直人")

    def test_discuss_message(self):
        # A private group conversation: the salesperson is not in it.
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
        before = channel.message_ids
        signal = self.save_from(message, user=self.user_engineer)
        self.assertEqual(signal.channel_id, self.channel_other)
        self.assertEqual(signal.source_model, "discuss.channel")
        self.assertIn("技術相談", signal.source_name)
        # Nothing is posted into the conversation.
        self.assertEqual(channel.message_ids, before)
        # A salesperson reads the signal and the channel's name, not the channel.
        as_sales = signal.with_user(self.user_salesman)
        self.assertIn("技術相談", as_sales.source_name)
        self.assertFalse(as_sales.source_readable)
        self.assertTrue(signal.with_user(self.user_engineer).source_readable)
        with self.assertRaises(AccessError):
            as_sales.action_open_source()
        action = signal.with_user(self.user_engineer).action_open_source()
        self.assertEqual(action["url"], f"/mail/message/{message.id}")

    def test_record_the_user_cannot_read_is_refused(self):
        lead = self.env["crm.lead"].create({"name": "極秘案件", "partner_id": self.customer.id})
        secret = lead.message_post(
            body=Markup("<p>値引きは20%まで</p>"),
            message_type="comment",
            subtype_xmlid="mail.mt_note",
            attachment_ids=[
                self.env["ir.attachment"]
                .create(
                    {"name": "原価.txt", "raw": b"cost", "res_model": "crm.lead", "res_id": lead.id}
                )
                .id
            ],
        )
        # An engineer may not read opportunities.
        with self.assertRaises(AccessError):
            self.prepare(secret)
        # Nor smuggle the message in over RPC to copy its attachments.
        Signal = self.env["crm.signal"].with_user(self.user_engineer)
        with self.assertRaises(AccessError):
            Signal.create({"name": "x", "source_message_id": secret.id})
        with self.assertRaises(AccessError):
            Signal.with_context(crm_signal_source_message_id=secret.id).create({"name": "x"})
        self.assertFalse(
            self.env["ir.attachment"].search(
                [("res_model", "=", "crm.signal"), ("name", "=", "原価.txt")]
            )
        )

    def test_garbage_message_ids_are_refused_clearly(self):
        Signal = self.env["crm.signal"].with_user(self.user_engineer)
        for message_id in ("abc", None, [1], -1, 10**9):
            with self.assertRaisesRegex(UserError, "no longer exists"):
                Signal.action_prepare_from_message(message_id)

    def test_portal_user_is_refused(self):
        with self.assertRaises(AccessError):
            self.prepare(self.email, user=self.user_portal)

    def test_notification_cannot_become_a_signal(self):
        notice = self.customer.message_post(
            body=Markup("<p>自動通知</p>"), message_type="notification"
        )
        with self.assertRaisesRegex(UserError, "notification"):
            self.prepare(notice)

    def test_source_is_set_at_creation_only(self):
        signal = self.save_from(self.email)
        as_author = signal.with_user(self.user_engineer)
        for values in (
            {"source_name": "別の記録"},
            {"source_model": "crm.lead"},
            {"source_res_id": 1},
            {"source_message_id": False},
        ):
            with self.assertRaisesRegex(UserError, "history"):
                as_author.write(values)
        # Made-up source values without a message are dropped.
        forged = self.log_signal(
            user=self.user_engineer,
            partner_id=self.customer_other.id,
            source_model="crm.lead",
            source_res_id=1,
            source_name="偽物",
        )
        self.assertFalse(forged.source_model or forged.source_res_id or forged.source_name)


@tagged("post_install", "-at_install")
class TestLiveHelp(EveryoneSellsCase):
    """While typing: the duplicate warning (whose, since when, once) and the
    customer recognised from what was typed."""

    def quick_form(self, user):
        return Form(self.env["crm.signal"].with_user(user), view=QUICK_FORM)

    def test_duplicate_warning_names_author_and_date_not_content(self):
        first = self.log_signal(name="社外秘: 競合A社から乗り換え検討")
        form = self.quick_form(self.user_engineer)
        form.name = "別の声"
        self.assertFalse(form.duplicate_hint)
        form.partner_id = self.customer_contact
        hint = form.duplicate_hint
        self.assertIn(self.employee_support.name, hint)
        as_engineer = self.env(user=self.user_engineer)
        logged_on = fields.Datetime.context_timestamp(as_engineer["crm.signal"], first.create_date)
        self.assertIn(format_date(as_engineer, logged_on.date()), hint)
        self.assertNotIn("競合", hint)

    def test_duplicate_warning_by_email_without_customer(self):
        self.log_signal(partner_id=False, contact_name="木村様", email_from="kimura@x.jp")
        draft = (
            self.env["crm.signal"]
            .with_user(self.user_engineer)
            .new(
                {
                    "name": "同じ人",
                    "email_from": "Kimura <KIMURA@x.jp>",
                    "company_id": self.company.id,
                    "signal_type_id": self.type_new_need.id,
                }
            )
        )
        self.assertIn(self.employee_support.name, draft.duplicate_hint)

    def test_duplicate_warning_is_no_popup(self):
        """Shown on the form, not as a warning dialog on each field change."""
        self.log_signal()
        form = self.quick_form(self.user_engineer)
        form.name = "別の声"
        with self.assertNoLogs("odoo.tests.form.onchange", level="WARNING"):
            form.partner_id = self.customer
            form.signal_type_id = self.type_upsell
        self.assertTrue(form.duplicate_hint)

    def test_own_earlier_signal_says_you(self):
        self.log_signal()
        form = self.quick_form(self.user_support)
        form.name = "追加の要望"
        form.partner_id = self.customer
        self.assertTrue(form.duplicate_hint.startswith("You logged"))

    def test_duplicate_earns_nothing_and_says_whose(self):
        self.env["crm.contribution.rule"].create(
            {
                "name": "登録 ¥500",
                "trigger": "signal_logged",
                "compute_method": "fixed",
                "fixed_amount": 500,
                "date_from": "2020-01-01",
                "company_id": self.company.id,
                "is_published": True,
            }
        )
        self.log_signal()
        form = self.quick_form(self.user_engineer)
        form.name = "同じ顧客"
        form.partner_id = self.customer
        self.assertTrue(form.duplicate_hint)
        duplicate = form.save().with_env(self.env)
        self.assertTrue(duplicate.duplicate_of_id)
        self.assertEqual(duplicate.whatif_amount, 0)
        self.assertIn("duplicate", duplicate.whatif_explanation)
        self.assertIn(
            self.employee_support.name, duplicate.with_user(self.user_engineer).duplicate_hint
        )

    def test_non_sale_type_has_no_warning(self):
        self.log_signal()
        form = self.quick_form(self.user_engineer)
        form.name = "画面が重い"
        form.signal_type_id = self.env.ref("crm_everyone_sells.signal_type_improvement")
        form.partner_id = self.customer
        self.assertFalse(form.duplicate_hint)

    def test_customer_recognised_from_an_email_address(self):
        form = self.quick_form(self.user_engineer)
        form.name = "山田様(Yamada@Mirai.example.jp)から増設の相談"
        self.assertEqual(form.partner_id, self.customer)
        self.assertIn(self.customer.name, form.customer_hint)

    def test_customer_recognised_from_a_company_name(self):
        form = self.quick_form(self.user_engineer)
        form.name = "増設の相談"
        form.contact_name = "みらい商事 購買部 小野様"
        self.assertEqual(form.partner_id, self.customer)

    def test_only_exact_matches(self):
        """A fragment or a pattern typed by the user never matches."""
        form = self.quick_form(self.user_engineer)
        form.name = "増設の相談"
        for typed in ("みらい", "%みらい%", "mirai.example.jp", "_@mirai.example.jp"):
            form.contact_name = typed
            self.assertFalse(form.partner_id, typed)
            self.assertFalse(form.customer_hint)

    def test_chosen_customer_is_not_replaced(self):
        form = self.quick_form(self.user_engineer)
        form.name = "増設の相談"
        form.partner_id = self.customer_other
        form.description = "<p>yamada@mirai.example.jp</p>"
        self.assertEqual(form.partner_id, self.customer_other)

    def test_employee_address_is_no_customer(self):
        form = self.quick_form(self.user_engineer)
        form.name = "es_support@mirai-seisakusho.example.jp から聞いた話"
        self.assertFalse(form.partner_id)
