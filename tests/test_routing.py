from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import SQL

from .common import ContributionCase, working_calendar


@tagged("post_install", "-at_install")
class RoutingCase(ContributionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.type_improvement = cls.env.ref("crm_everyone_sells.signal_type_improvement")
        cls.type_improvement.route_department_id = cls.dept_engineering
        cls.dept_engineering.manager_id = cls.employee_engineer
        cls.user_engineer2 = cls._make_user("es_engineer2", "森 健二", cls.dept_engineering)
        cls.employee_engineer2 = cls._employee_of(cls.user_engineer2)

    def log_request(self, user=None, **values):
        values.setdefault("name", "CSVの一括取込が欲しい")
        values.setdefault("signal_type_id", self.type_improvement.id)
        return self.log_signal(user=user, **values)

    def resolve(self, signals, user, resolution="春のリリースに追加しました"):
        wizard = (
            self.env["crm.signal.resolve"]
            .with_user(user)
            .create({"signal_ids": [Command.set(signals.ids)], "resolution": resolution})
        )
        return wizard.action_apply()

    def make_resolution_rule(self):
        """The published rule: 5 points (an award) for a request resolved."""
        return self.make_rule(
            name="改善要望の解決",
            trigger="resolved",
            compute_method="fixed",
            fixed_amount=0,
            points=5,
            wage_type="award",
        )

    def told(self, signal, user):
        return signal.message_ids.filtered(lambda m: user.partner_id in m.partner_ids)


@tagged("post_install", "-at_install")
class TestRouting(RoutingCase):
    def test_improvement_request_goes_to_its_department_by_itself(self):
        signal = self.log_request()
        self.assertEqual(signal.state, "routed")
        self.assertEqual(signal.routed_department_id, self.dept_engineering)
        self.assertTrue(signal.routed_date)
        activity = signal.activity_ids
        self.assertEqual(activity.user_id, self.user_engineer, "the department's manager")
        self.assertIn("CSV", activity.summary)
        self.assertTrue(self.told(signal, self.user_support))

    def test_department_without_manager_reaches_its_members(self):
        self.dept_engineering.manager_id = False
        signal = self.log_request()
        self.assertEqual(signal.activity_ids.user_id, self.user_engineer | self.user_engineer2)

    def test_sales_signals_and_types_without_route_stay_in_the_inbox(self):
        self.assertEqual(self.log_signal().state, "new")
        self.type_improvement.route_department_id = False
        self.assertEqual(self.log_request(name="別の要望").state, "new")

    def test_wizard_routes_to_a_department(self):
        signal = self.log_signal(name="マニュアルの誤記")
        self.hand_off(
            signal,
            mode="route",
            route_department_id=self.dept_marketing.id,
            note="マーケで確認をお願いします",
        )
        self.assertEqual(signal.state, "routed")
        self.assertEqual(signal.routed_department_id, self.dept_marketing)
        self.assertIn("マーケで確認", self.told(signal, self.user_support)[0].body)

    def test_wizard_routes_to_named_people(self):
        signal = self.log_signal(name="APIの仕様確認")
        self.hand_off(
            signal, mode="route", route_employee_ids=[Command.set(self.employee_engineer2.ids)]
        )
        self.assertEqual(signal.activity_ids.user_id, self.user_engineer2)

    def test_wizard_defaults_to_the_route_of_the_type(self):
        self.type_improvement.route_department_id = False
        signal = self.log_request()
        self.type_improvement.route_department_id = self.dept_engineering
        wizard = (
            self.env["crm.signal.handoff"]
            .with_user(self.user_salesman)
            .create({"signal_ids": [Command.set(signal.ids)]})
        )
        self.assertEqual(wizard.mode, "route")
        self.assertEqual(wizard.route_department_id, self.dept_engineering)

    def test_route_needs_a_destination(self):
        signal = self.log_signal()
        wizard = (
            self.env["crm.signal.handoff"]
            .with_user(self.user_salesman)
            .create({"signal_ids": [Command.set(signal.ids)], "mode": "route"})
        )
        with self.assertRaisesRegex(UserError, "department or the people"):
            wizard.action_apply()


@tagged("post_install", "-at_install")
class TestResolveAndDecline(RoutingCase):
    def test_receiver_resolves_and_the_originator_is_told(self):
        signal = self.log_request()
        self.resolve(signal, self.user_engineer)
        self.assertEqual(signal.state, "resolved")
        self.assertEqual(signal.resolution, "春のリリースに追加しました")
        self.assertTrue(signal.resolved_date)
        self.assertFalse(signal.activity_ids, "the activity is done")
        told = self.told(signal, self.user_support)
        self.assertTrue(told.filtered(lambda m: "春のリリース" in m.body))

    def test_department_member_may_resolve(self):
        signal = self.log_request()
        self.resolve(signal, self.user_engineer2)
        self.assertEqual(signal.state, "resolved")

    def test_resolution_is_required(self):
        signal = self.log_request()
        with self.assertRaises(Exception):  # noqa: B017 - required field or UserError
            self.resolve(signal, self.user_engineer, resolution="  ")
        self.assertEqual(signal.state, "routed")

    def test_others_cannot_resolve(self):
        signal = self.log_request()
        for user in (self.user_marketer, self.user_support):
            with self.subTest(user=user.login), self.assertRaises(UserError):
                self.resolve(signal, user)
        self.assertEqual(signal.state, "routed")

    def test_receiver_declines_with_a_reason(self):
        signal = self.log_request()
        wizard = (
            self.env["crm.signal.decline"]
            .with_user(self.user_engineer)
            .create(
                {
                    "signal_ids": [Command.set(signal.ids)],
                    "reason": "other",
                    "note": "製品方針と合わないため見送ります",
                }
            )
        )
        wizard.action_apply()
        self.assertEqual(signal.state, "declined")
        self.assertFalse(signal.activity_ids)
        self.assertTrue(
            self.told(signal, self.user_support).filtered(lambda m: "製品方針" in m.body)
        )

    def test_resolution_earns_published_points(self):
        self.make_resolution_rule()
        signal = self.log_request()
        self.resolve(signal, self.user_engineer)
        entry = signal.contribution_ids
        self.assertEqual(entry.employee_id, self.employee_support)
        self.assertEqual(entry.points, 5)
        self.assertEqual(entry.trigger, "resolved")


@tagged("post_install", "-at_install")
class TestRoutingAccess(RoutingCase):
    def test_receivers_see_what_was_routed_to_them_only(self):
        routed = self.log_request()
        other = self.log_request(name="営業資料の改善", user=self.user_engineer)
        other.sudo().write(
            {
                "routed_department_id": self.dept_marketing.id,
                "routed_employee_ids": [Command.clear()],
            }
        )
        engineer2 = self.env["crm.signal"].with_user(self.user_engineer2)
        self.assertIn(routed, engineer2.search([]))
        self.assertNotIn(other, engineer2.search([]))
        with self.assertRaises(AccessError):
            routed.with_user(self.user_marketer).read(["name"])

    def test_routed_to_me_filter(self):
        routed = self.log_request()
        mine = (
            self.env["crm.signal"]
            .with_user(self.user_engineer2)
            .search([("routed_to_me", "=", True)])
        )
        self.assertIn(routed, mine)
        self.assertNotIn(
            routed,
            self.env["crm.signal"]
            .with_user(self.user_marketer)
            .search([("routed_to_me", "=", True)]),
        )

    def test_nudge_on_a_new_signal_reaches_the_sales_managers(self):
        signal = self.log_signal()
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crm_signal SET create_date = %s WHERE id = %s",
            (fields.Datetime.now() - timedelta(days=30), signal.id),
        )
        signal.invalidate_recordset()
        signal._compute_response_deadline()
        signal.with_user(self.user_support).action_nudge()
        reminder = signal.message_ids.filtered(lambda m: "Reminder" in (m.body or ""))
        self.assertIn(self.user_sales_manager.partner_id, reminder.partner_ids)

    def test_reversal_reason_speaks_the_readers_language(self):
        # Ledger sentences are written when read (issue 17.3): the Japanese
        # employee reads Japanese, an English reader English. The reason is
        # the field's selection label: its Japanese is the module's terms.
        self.env["res.lang"]._activate_lang("ja_JP")
        self.env["ir.module.module"]._load_module_terms(
            ["crm_everyone_sells"], ["ja_JP"], overwrite=True
        )
        self.user_support.lang = "ja_JP"
        lead = self.make_deal()
        self.mark_won(lead)
        lead.action_set_lost()
        reversal = self.credits(lead).filtered("reversed_entry_id")
        as_employee = reversal.with_user(self.user_support).with_context(lang="ja_JP").explanation
        self.assertTrue(as_employee)
        self.assertNotIn("lost", as_employee.split("of:")[0])
        self.assertIn("lost", reversal.with_context(lang="en_US").explanation)

    def test_named_receiver_outside_the_department_sees_it(self):
        signal = self.log_signal(name="請求書の表記")
        self.hand_off(
            signal, mode="route", route_employee_ids=[Command.set(self.employee_marketer.ids)]
        )
        signal.with_user(self.user_marketer).read(["name"])


@tagged("post_install", "-at_install")
class TestServiceLevels(RoutingCase):
    def _age(self, signal, field, hours):
        """Pretend ``field`` was ``hours`` working hours ago, on the
        company's working calendar (the answer time counts working hours)."""
        calendar = self.company.resource_calendar_id
        then = calendar.plan_hours(-hours, fields.Datetime.now(), compute_leaves=True)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE crm_signal SET %s = %s WHERE id = %s",
                SQL.identifier(field),
                then,
                signal.id,
            )
        )
        signal.invalidate_recordset()
        signal._compute_response_deadline()

    def test_overdue_routed_and_new_signals(self):
        routed = self.log_request()
        fresh = self.log_signal(name="新しい声")
        self.assertFalse(routed.is_overdue)
        self._age(routed, "routed_date", 49)
        self._age(fresh, "create_date", 49)
        self.assertTrue(routed.is_overdue)
        self.assertTrue(fresh.is_overdue)
        overdue = self.env["crm.signal"].search([("is_overdue", "=", True)])
        self.assertIn(routed, overdue)
        self.assertIn(fresh, overdue)
        self.resolve(routed, self.user_engineer)
        self.assertFalse(routed.is_overdue)

    def test_response_time_is_a_company_setting(self):
        self.company.everyone_sells_response_hours = 4
        signal = self.log_signal()
        self._age(signal, "create_date", 5)
        self.assertTrue(signal.is_overdue)

    def test_originator_nudges_once_when_late(self):
        signal = self.log_request()
        with self.assertRaisesRegex(UserError, "Give them time"):
            signal.with_user(self.user_support).action_nudge()
        self._age(signal, "routed_date", 72)
        with self.assertRaisesRegex(UserError, "Only the employee"):
            signal.with_user(self.user_marketer).action_nudge()
        signal.with_user(self.user_support).action_nudge()
        self.assertTrue(signal.nudge_date)
        reminder = signal.message_ids.filtered(lambda m: "Reminder" in (m.body or ""))
        self.assertIn(self.user_engineer.partner_id, reminder.partner_ids)
        with self.assertRaisesRegex(UserError, "already sent"):
            signal.with_user(self.user_support).action_nudge()


@tagged("post_install", "-at_install")
class TestCustomerVoice(RoutingCase):
    def test_opportunity_lists_every_signal_about_its_customer(self):
        request = self.log_request()
        lead = self.make_deal(signal_name="増設の相談")
        marketing = self.log_signal(user=self.user_marketer, name="展示会で競合比較を質問")
        voice = lead.with_user(self.user_salesman).customer_signal_ids
        self.assertIn(request, voice)
        self.assertIn(marketing, voice)
        self.assertEqual(voice[0], marketing, "newest first")

    def test_customer_lists_its_voice_for_sales(self):
        request = self.log_request(partner_id=self.customer_contact.id)
        self.make_deal(signal_name="増設の相談")
        voice = self.customer.with_user(self.user_salesman).customer_signal_ids
        self.assertIn(request, voice)

    def test_other_salespeople_do_not_see_another_customers_voice(self):
        request = self.log_request()
        self.make_deal(signal_name="増設の相談")
        self.assertNotIn(
            request, self.env["crm.signal"].with_user(self.user_salesman_other).search([])
        )

    def test_insight_marked_used_counts_for_its_author(self):
        self.make_rule(
            name="インサイト活用",
            trigger="insight_used",
            compute_method="fixed",
            fixed_amount=0,
            points=3,
            wage_type="award",
        )
        insight = self.log_signal(user=self.user_marketer, name="決裁者は情報システム部長")
        self.make_deal(signal_name="増設の相談")
        insight.with_user(self.user_salesman).action_mark_used()
        self.assertEqual(insight.used_by_id, self.user_salesman)
        self.assertTrue(self.told(insight, self.user_marketer))
        used = insight.contribution_ids.filtered(lambda e: e.trigger == "insight_used")
        self.assertEqual(used.points, 3)
        self.assertEqual(used.employee_id, self.employee_marketer)
        with self.assertRaisesRegex(UserError, "Only salespeople"):
            insight.with_user(self.user_support).action_mark_used()

    def test_the_whole_story(self):
        """Support logs a request; it reaches the product team without anyone
        choosing a person; the team resolves it; the engineer is told and
        earns the published points; sales sees it on the opportunity."""
        self.make_resolution_rule()
        request = self.log_request()
        self.assertEqual(request.activity_ids.user_id, self.user_engineer)
        self.resolve(request, self.user_engineer)
        self.assertTrue(self.told(request, self.user_support))
        self.assertEqual(sum(request.contribution_ids.mapped("points")), 5)
        lead = self.make_deal(signal_name="来週の打ち合わせ")
        self.assertIn(request, lead.with_user(self.user_salesman).customer_signal_ids)


@tagged("post_install", "-at_install")
class TestAnswerTimeInWorkingHours(RoutingCase):
    """The 48 hours to a first answer are working hours on the company's
    working calendar, in that calendar's time zone: nothing assumes Tokyo,
    and a weekend is nobody's delay."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 09:00-12:00 and 13:00-18:00, Monday to Friday: 8 hours a day.
        cls.calendar = working_calendar(cls.env, cls.company)
        cls.company.resource_calendar_id = cls.calendar
        cls.company.everyone_sells_response_hours = 48

    def _logged_at(self, when_utc):
        signal = self.log_signal()
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crm_signal SET create_date = %s WHERE id = %s", (when_utc, signal.id)
        )
        signal.invalidate_recordset()
        signal._compute_response_deadline()
        return signal

    def test_friday_evening_signal_is_not_overdue_on_monday_morning(self):
        # Friday 2027-01-08 19:00 in Tokyo (10:00 UTC), after hours.
        signal = self._logged_at(datetime(2027, 1, 8, 10, 0))
        # 48 working hours = six working days: Monday 11th to Monday 18th,
        # 18:00 in Tokyo (09:00 UTC).
        self.assertEqual(signal.response_deadline, datetime(2027, 1, 18, 9, 0))
        with freeze_time("2027-01-11 00:30:00"):  # Monday 09:30 in Tokyo
            signal.invalidate_recordset(["is_overdue"])
            self.assertFalse(signal.is_overdue)
            overdue = self.env["crm.signal"].search([("is_overdue", "=", True)])
            self.assertNotIn(signal, overdue)
        with freeze_time("2027-01-18 09:30:00"):  # Monday after, 18:30 in Tokyo
            signal.invalidate_recordset(["is_overdue"])
            self.assertTrue(signal.is_overdue)
            self.assertIn(signal, self.env["crm.signal"].search([("is_overdue", "=", True)]))

    def test_the_calendar_time_zone_counts_not_tokyo(self):
        """The same calendar in Paris: the working day starts at 09:00 Paris
        time (08:00 UTC in winter), whatever the server or Tokyo say."""
        self.calendar.tz = "Europe/Paris"
        self.company.everyone_sells_response_hours = 2
        # Monday 2027-01-11 07:00 UTC = 08:00 in Paris, before the day starts.
        signal = self._logged_at(datetime(2027, 1, 11, 7, 0))
        self.assertEqual(signal.response_deadline, datetime(2027, 1, 11, 10, 0))

    def test_public_holidays_are_not_working_hours(self):
        self.company.everyone_sells_response_hours = 8
        # Monday 2027-01-11 is 成人の日: a public holiday of the calendar.
        self.env["resource.calendar.leaves"].create(
            {
                "name": "成人の日",
                "calendar_id": self.calendar.id,
                "company_id": self.company.id,
                "date_from": datetime(2027, 1, 10, 15, 0),  # 11th 00:00 in Tokyo
                "date_to": datetime(2027, 1, 11, 15, 0),
            }
        )
        signal = self._logged_at(datetime(2027, 1, 8, 10, 0))  # Friday evening
        # Eight working hours: all of Tuesday 12th, until 18:00 in Tokyo.
        self.assertEqual(signal.response_deadline, datetime(2027, 1, 12, 9, 0))

    def test_without_a_calendar_clock_hours_count(self):
        self.company.resource_calendar_id = False
        signal = self._logged_at(datetime(2027, 1, 8, 10, 0))
        self.assertEqual(signal.response_deadline, datetime(2027, 1, 10, 10, 0))
