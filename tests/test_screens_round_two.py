"""Issue 22, items 6, 7, 8, 13 and 14: what the screens offer and say, as the
people who use them (the tours walk the same in the browser:
test_tour_round_two.py)."""

from datetime import datetime
from xml.etree import ElementTree

from freezegun import freeze_time

from odoo.tests import tagged

from .common import EveryoneSellsCase, PayoutCase, working_calendar
from .test_mail_gateway import SignalMailCase
from .test_routing import RoutingCase


@tagged("post_install", "-at_install")
class TestToConfirm(SignalMailCase):
    """Item 6: an e-mailed signal is not with sales until its employee
    confirms it, and the screens say so."""

    def test_unconfirmed_signal_has_no_answer_deadline_until_confirmed(self):
        signal = self._receive(self.user_support.email, "メールで届いた要望")
        self.assertTrue(signal.to_confirm)
        # Nothing says sales are on it: there is no deadline to show.
        self.assertFalse(signal.response_deadline)
        self.assertFalse(signal.with_user(self.user_support).response_deadline_label)
        action = signal.with_user(self.user_support).action_confirm_signal()
        # Confirming says what happened and when to expect an answer.
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(action["params"]["next"]["tag"], "soft_reload")
        self.assertFalse(signal.to_confirm)
        self.assertTrue(signal.confirmed_date)
        self.assertTrue(signal.response_deadline)
        self.assertIn(
            signal.with_user(self.user_support).response_deadline_label,
            action["params"]["message"],
        )

    def test_to_confirm_is_a_filter_of_its_own(self):
        """With My Signals, To Confirm narrows the list (AND), never widens
        it: filters of one group are OR'd in Odoo's search."""
        arch = self.env["crm.signal"].get_view(view_type="search")["arch"]
        groups = [[]]
        for node in ElementTree.fromstring(arch):
            if node.tag == "separator":
                groups.append([])
            elif node.tag == "filter":
                groups[-1].append(node.get("name"))
        group_of = {name: i for i, group in enumerate(groups) for name in group}
        self.assertNotEqual(group_of["to_confirm"], group_of["mine"])

    def test_form_says_why_to_confirm_and_not_with_sales(self):
        arch = self.env["crm.signal"].get_view(view_type="form")["arch"]
        self.assertIn("o_crm_signal_to_confirm", arch)
        with_sales = ElementTree.fromstring(arch).find(".//div[@role='status']/div")
        self.assertIsNotNone(with_sales)
        self.assertIn(
            "to_confirm",
            next(
                div.get("invisible")
                for div in ElementTree.fromstring(arch).iter("div")
                if "With sales" in "".join(div.itertext())
                and div.get("class", "").startswith("alert")
            ),
        )


@tagged("post_install", "-at_install")
class TestOneAnswerDeadline(RoutingCase):
    """Item 7: one deadline, from the working calendar, said the same way in
    the form, the lists, the notices and the receivers' activities."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.resource_calendar_id = working_calendar(cls.env, cls.company)
        cls.company.everyone_sells_response_hours = 16

    def test_routed_signal_says_one_deadline_everywhere(self):
        # Friday 2027-01-08 10:00 in Tokyo: 16 working hours end on Tuesday
        # 12th at 10:00 (Friday 10-18 = 7 h, Monday 8 h, Tuesday 1 h).
        with freeze_time("2027-01-08 01:00:00"):
            signal = self.log_request()
        self.assertEqual(signal.state, "routed")
        self.assertEqual(signal.response_deadline, datetime(2027, 1, 12, 1, 0))
        label = signal.with_user(self.user_support).response_deadline_label
        self.assertEqual(label, "Jan 12 (Tue) 10:00")
        # The receiver's activity: the deadline's day, and the time in its summary.
        activity = signal.activity_ids
        self.assertEqual(str(activity.date_deadline), "2027-01-12")
        self.assertIn(label, activity.summary)
        # The author's notice says the same.
        notice = signal.message_ids.filtered(lambda m: "answer by" in (m.body or ""))
        self.assertIn(label, notice.body)
        self.assertNotIn("hours", notice.body)

    def test_send_notification_says_the_same_deadline(self):
        with freeze_time("2027-01-08 01:00:00"):
            signal = self.log_signal()
            action = signal.with_user(self.user_support).action_send()
        label = signal.with_user(self.user_support).response_deadline_label
        self.assertTrue(label)
        self.assertIn(f"Expect an answer by {label}.", action["params"]["message"])

    def test_no_seconds_and_the_readers_time_zone(self):
        with freeze_time("2027-01-08 01:00:00"):
            signal = self.log_request()
        self.user_support.tz = "Europe/Paris"
        label = signal.with_user(self.user_support).response_deadline_label
        # Friday 10:00 Tokyo + 16 working hours = Tuesday 10:00 Tokyo = 02:00 Paris.
        self.assertEqual(label, "Jan 12 (Tue) 02:00")

    def test_list_shows_the_same_label(self):
        arch = self.env["crm.signal"].get_view(view_type="list")["arch"]
        self.assertIn('name="response_deadline_label"', arch)
        self.assertNotIn("remaining_days", arch)


@tagged("post_install", "-at_install")
class TestOwnRoutedSignalOffersNothingRefused(RoutingCase):
    """Item 14: the author of a routed signal is not offered Resolve or
    Decline (pressing them was refused)."""

    def test_who_is_offered_resolve_and_decline(self):
        signal = self.log_request(user=self.user_support)
        self.assertEqual(signal.state, "routed")
        self.assertFalse(signal.with_user(self.user_support).can_answer, "the author")
        self.assertTrue(signal.with_user(self.user_engineer).can_answer, "the receiver")
        self.assertTrue(signal.with_user(self.user_manager).can_answer, "a manager")
        self.assertFalse(signal.with_user(self.user_marketer).can_answer, "a stranger")
        # The engineer's own request, routed to the engineer's department:
        # their colleague answers, not they.
        own = self.log_request(user=self.user_engineer2, name="自分の要望")
        self.assertFalse(own.with_user(self.user_engineer2).can_answer)
        self.assertTrue(own.with_user(self.user_engineer).can_answer)
        self.resolve(signal, self.user_engineer)
        self.assertFalse(signal.with_user(self.user_engineer).can_answer, "answered")

    def test_form_buttons_follow_can_answer(self):
        arch = self.env["crm.signal"].get_view(view_type="form")["arch"]
        root = ElementTree.fromstring(arch)
        for name in ("action_resolve", "action_decline"):
            invisible = {
                button.get("invisible")
                for button in root.iter("button")
                if button.get("name") == name and "state != 'new'" not in button.get("invisible")
            }
            self.assertEqual(invisible, {"not can_answer"}, name)


@tagged("post_install", "-at_install")
class TestCustomerPickerListsCustomersFirst(EveryoneSellsCase):
    """Item 8: the signal forms' customer picker lists companies first."""

    def test_companies_before_people(self):
        Partner = self.env["res.partner"]
        person = Partner.create({"name": "Aoyama 青山 一郎"})
        company = Partner.create({"name": "青山工業株式会社", "is_company": True})
        picker = Partner.with_user(self.user_support).with_context(
            everyone_sells_customers_first=True
        )
        found = [partner_id for partner_id, _name in picker.name_search("青山")]
        self.assertLess(found.index(company.id), found.index(person.id))
        # The same partners are found, in another order.
        plain = [partner_id for partner_id, _name in Partner.name_search("青山")]
        self.assertEqual(sorted(found), sorted(plain))

    def test_phone_picker_and_send_button(self):
        kanban = self.env.ref("crm_everyone_sells.res_partner_view_kanban_pick")
        self.assertIn('default_order="is_company desc', kanban.arch)
        log_form = self.env["crm.signal"].get_view(
            self.env.ref("crm_everyone_sells.crm_signal_view_form_log").id
        )["arch"]
        # The phone's Send is in the sheet (the header's buttons fold into ⚙).
        sheet = ElementTree.fromstring(log_form).find(".//sheet")
        self.assertTrue(
            [b for b in sheet.iter("button") if b.get("name") == "action_send"],
        )


@tagged("post_install", "-at_install")
class TestStatementsPrintWithoutLayoutDialog(PayoutCase):
    """Item 13: printing statements does not open Odoo's document-layout
    dialog (a US sample invoice), and leaves the company's layout alone."""

    def test_print_statements_is_the_report_itself(self):
        self.won_and_approved()
        payout = self.payout()
        payout.action_compute()
        self.company.external_report_layout_id = False
        # An administrator (the dialog is offered to them only).
        admin = self.env.ref("base.user_admin")
        admin.company_ids |= self.company
        payout_as_admin = payout.with_user(admin).with_company(self.company)
        self.assertTrue(payout_as_admin.env.is_admin())
        for action in (
            payout_as_admin.action_print_statements(),
            payout_as_admin.line_ids[:1].action_print_statement(),
        ):
            self.assertEqual(action["type"], "ir.actions.report")
            self.assertEqual(action["report_name"], "crm_everyone_sells.report_payout_statement")
        self.assertFalse(self.company.external_report_layout_id)


@tagged("post_install", "-at_install")
class TestLowItems(PayoutCase):
    """Issue 22's low items that a model can prove."""

    def test_publishing_a_rule_is_an_action_that_asks(self):
        rule = self.make_rule(name="新ルール", is_published=False)
        form = self.env["crm.contribution.rule"].get_view(view_type="form")["arch"]
        root = ElementTree.fromstring(form)
        publish = next(b for b in root.iter("button") if b.get("name") == "action_publish")
        self.assertTrue(publish.get("confirm"))
        checkbox = next(f for f in root.iter("field") if f.get("name") == "is_published")
        self.assertEqual(checkbox.get("readonly"), "1")
        rule.with_user(self.user_admin).action_publish()
        self.assertTrue(rule.is_published)
        rule.with_user(self.user_admin).action_unpublish()
        self.assertFalse(rule.is_published)

    def test_signal_address_is_empty_until_a_mail_domain_exists(self):
        alias = self.env.ref("crm_everyone_sells.mail_alias_crm_signal")
        alias.alias_domain_id = False
        settings = self.env["res.config.settings"].create({})
        self.assertFalse(settings.everyone_sells_alias_email)
        arch = settings.get_view(view_type="form")["arch"]
        self.assertIn("o_everyone_sells_alias_hint", arch)
