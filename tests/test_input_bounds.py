"""Master data and human input within reason (issue 21, items 7, 11, 12,
14, 15 and 16), each as the user who would type it."""

import math
from datetime import date, timedelta

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from ..core.bounds import DESCRIPTION_BYTES, TITLE_LENGTH
from .common import PayoutCase
from .test_mail_gateway import SignalMailCase
from .test_program import ProgramCase

NOT_FINITE = (math.nan, math.inf, -math.inf, 1e308, -1e308)


@tagged("post_install", "-at_install")
class TestMinimumWageIsLaw(PayoutCase):
    """Item 11: an administrator of a company set Tokyo's rate to ¥1; NaN passed."""

    def setUp(self):
        super().setUp()
        self.tokyo = self.env.ref("base.state_jp_jp-13")
        self.row = self.env["crm.contribution.minimum.wage"].create(
            {"state_id": self.tokyo.id, "date_from": "2030-10-01", "hourly_amount": 1500}
        )

    def test_contribution_administrators_only_read_it(self):
        for user in (self.user_admin, self.user_manager, self.user_support):
            Wage = self.env["crm.contribution.minimum.wage"].with_user(user)
            with self.subTest(user=user.login):
                if user != self.user_support:  # the payout's checks read it for everyone
                    self.assertEqual(self.row.with_user(user).hourly_amount, 1500)
                with self.assertRaises(AccessError):
                    self.row.with_user(user).write({"hourly_amount": 1})
                with self.assertRaises(AccessError):
                    Wage.create(
                        {"state_id": self.tokyo.id, "date_from": "2031-10-01", "hourly_amount": 1}
                    )
                with self.assertRaises(AccessError):
                    self.row.with_user(user).unlink()
        self.assertEqual(self.row.hourly_amount, 1500)

    def test_settings_users_change_it_within_bounds(self):
        settings = new_test_user(
            self.env,
            login="es_settings",
            groups="base.group_user,base.group_system",
            company_id=self.other_company.id,
            company_ids=[Command.set(self.other_company.ids)],
        )
        row = self.row.with_user(settings)
        for rate in (*NOT_FINITE, 1, 99, 10_001, -1500):
            with self.subTest(rate=rate), self.assertRaisesRegex(ValidationError, "between"):
                row.write({"hourly_amount": rate})
        row.write({"hourly_amount": 1600})
        self.assertEqual(self.row.hourly_amount, 1600)


@tagged("post_install", "-at_install")
class TestPayoutLineBounds(PayoutCase):
    """Items 12: net wage −1 deducted ¥100,000 with no warning; ±1e308 passed."""

    def setUp(self):
        super().setUp()
        self.won_and_approved()
        self.payout_record = self.payout()
        self.payout_record.action_compute()
        self.line = self.line_of(self.payout_record, self.employee_support).with_user(
            self.user_admin
        )

    def test_wages_are_plausible_amounts(self):
        for fname in ("net_wage_amount", "fixed_wage_amount"):
            for value in (*NOT_FINITE, -1, 100_000_000):
                with (
                    self.subTest(field=fname, value=value),
                    self.assertRaisesRegex(ValidationError, "zero or more and below"),
                ):
                    self.line.write({fname: value})
        self.line.write({"net_wage_amount": 99_999_999, "fixed_wage_amount": 250_000})
        self.assertEqual(self.line.net_wage_amount, 99_999_999)

    def test_hours_are_within_the_period(self):
        hours = ((self.month_end - self.month_start).days + 1) * 24
        for fname in (
            "worked_hours",
            "overtime_hours",
            "late_night_hours",
            "holiday_hours",
            "scheduled_hours",
        ):
            for value in (math.nan, math.inf, -1, hours + 1):
                with (
                    self.subTest(field=fname, value=value),
                    self.assertRaisesRegex(ValidationError, "wage period holds"),
                ):
                    self.line.write({fname: value})
        self.line.write({"worked_hours": hours, "scheduled_hours": 160})
        self.assertEqual(self.line.worked_hours, hours)


@tagged("post_install", "-at_install")
class TestAwardAndAdjustmentBounds(PayoutCase):
    """Item 14: awards of ¥10^15, dated 1900-01-01 or 9999-12-31, were accepted."""

    def award(self, **values):
        return (
            self.env["crm.contribution.award"]
            .with_user(self.user_manager)
            .create(
                {
                    "company_id": self.company.id,
                    "employee_id": self.employee_support.id,
                    "amount": 10_000,
                    "reason": "展示会の立て直し",
                    **values,
                }
            )
        )

    def test_award_amounts(self):
        for amount in (*NOT_FINITE, 10**15, 100_000_000, -5, 0):
            with self.subTest(amount=amount), self.assertRaisesRegex(ValidationError, "positive"):
                self.award(amount=amount)
        self.assertEqual(self.award(amount=99_999_999).amount, 99_999_999)

    def test_award_dates_in_an_unpaid_period(self):
        for day in (date(1900, 1, 1), date(9999, 12, 31), self.month_start - timedelta(days=70)):
            with self.subTest(day=day), self.assertRaisesRegex(ValidationError, "unpaid"):
                self.award(date=day)
        self.assertTrue(self.award(date=self.today))
        # The previous period while its payout is open, the next one too.
        self.assertTrue(self.award(date=self.month_start - timedelta(days=1)))
        self.assertTrue(self.award(date=self.next_end))
        # Once the previous period is paid, it is closed to awards.
        previous_end = self.month_start - timedelta(days=1)
        action = self.award(date=previous_end).action_apply()
        entry = self.env["crm.contribution"].browse(action["res_id"])
        if entry.state == "draft":  # waiting for a second approver
            entry.with_user(self.user_admin).action_approve()
        payout = self.payout(previous_end.replace(day=1), previous_end)
        payout.action_compute()
        self.assertTrue(payout.line_ids)
        payout.action_confirm()
        with self.assertRaisesRegex(ValidationError, "unpaid"):
            self.award(date=previous_end)

    def test_adjustments_are_signed_but_bounded(self):
        lead = self.make_deal()
        self.mark_won(lead)
        dispute = (
            self.env["crm.contribution.dispute"]
            .with_user(self.user_support)
            .create({"contribution_id": self.credits(lead).id, "reason": "割合が違います"})
        )
        Adjust = self.env["crm.contribution.adjust"].with_user(self.user_manager)
        for amount in (*NOT_FINITE, 10**15, -(10**15), 100_000_000, -100_000_000):
            with self.subTest(amount=amount), self.assertRaisesRegex(ValidationError, "below"):
                Adjust.create({"dispute_id": dispute.id, "amount": amount, "explanation": "x"})
        for amount in (-50_000, 50_000):
            wizard = Adjust.create({"dispute_id": dispute.id, "amount": amount, "explanation": "x"})
            self.assertEqual(wizard.amount, amount)


@tagged("post_install", "-at_install")
@tagged("post_install", "-at_install")
class TestContributorWeightBounds(PayoutCase):
    """Found by the ledger fuzzer: a salesperson's contributor of weight
    -1e308 crashed the ORM's rounding; a weight is a share, within reason."""

    def test_weights_are_plausible_shares(self):
        lead = self.make_deal(contributors=[(self.employee_support, 1, "originator")])
        Contributor = self.env["crm.lead.contributor"].with_user(self.user_salesman)
        for weight in (-1e308, float("inf"), float("nan"), -1, 1_000_000):
            with self.subTest(weight=weight), self.assertRaises(ValidationError):
                Contributor.create(
                    {"lead_id": lead.id, "employee_id": self.employee_engineer.id, "weight": weight}
                )
        with self.assertRaises(ValidationError):
            lead.contributor_ids.with_user(self.user_salesman).write({"weight": float("inf")})
        self.assertEqual(lead.contributor_ids.weight, 1)
        helper = Contributor.create(
            {"lead_id": lead.id, "employee_id": self.employee_engineer.id, "weight": 3}
        )
        self.assertEqual(helper.weight, 3)


class TestSignalTextBounds(SignalMailCase):
    """Item 15: a 1,000,000-character title and a 5 MB description passed."""

    def test_typed_title_and_description_are_bounded(self):
        with self.assertRaisesRegex(ValidationError, "at most 200 characters"):
            self.log_signal(name="あ" * 1_000_000)
        with self.assertRaisesRegex(ValidationError, "at most 100 KB"):
            self.log_signal(description="<p>" + "x" * 5_000_000 + "</p>")
        signal = self.log_signal(
            name="あ" * TITLE_LENGTH, description="<p>" + "x" * 50_000 + "</p>"
        )
        with self.assertRaisesRegex(ValidationError, "at most 200 characters"):
            signal.with_user(self.user_support).write({"name": "い" * (TITLE_LENGTH + 1)})

    def test_fit_text_cuts_and_keeps_the_original(self):
        Signal = self.env["crm.signal"]
        self.assertEqual(
            Signal._fit_text("短い件名", "<p>本文</p>"), ("短い件名", "<p>本文</p>", False)
        )
        body = "<p>" + "長い本文です。" * 40_000 + "</p>"
        title, description, overflow = Signal._fit_text("件" * 1000, body)
        self.assertEqual(len(title), TITLE_LENGTH)
        self.assertLessEqual(len(description.encode()), DESCRIPTION_BYTES)
        self.assertIn("長い本文です。", description)
        self.assertIn(body, overflow)
        self.assertIn("件" * 1000, overflow)

    def test_a_long_email_is_cut_to_fit_with_the_original_attached(self):
        subject = "長い件名" * 100
        body = "お客様からの要望です。" * 20_000
        self._receive(self.user_support.email, subject, body=body)
        signal = self.env["crm.signal"].search(
            [("employee_id", "=", self.employee_support.id)], order="id desc", limit=1
        )
        self.assertEqual(len(signal.name), TITLE_LENGTH)
        self.assertLessEqual(len(signal.description.encode()), DESCRIPTION_BYTES)
        original = (
            self.env["ir.attachment"]
            .search([("res_model", "=", "crm.signal"), ("res_id", "=", signal.id)])
            .filtered(lambda a: a.name == "original-message.html")
        )
        self.assertEqual(len(original), 1)
        kept = original.raw.decode()
        self.assertIn(subject, kept)
        self.assertEqual(kept.count("お客様からの要望です。"), 20_000)


@tagged("post_install", "-at_install")
class TestProgramTotalsForManagers(ProgramCase):
    """Item 16: every employee read the program's incentive total."""

    def test_employees_open_the_program_without_its_cost(self):
        self.start_pilot()
        program = self.program.with_user(self.user_engineer)
        self.assertEqual(program.read(["name", "signal_count"])[0]["name"], "全員営業 2027")
        for fname in ("incentive_total", "revenue_per_incentive"):
            with self.subTest(field=fname), self.assertRaises(AccessError):
                program.read([fname])
        arch = program.get_views([(False, "form"), (False, "list")])["views"]
        self.assertNotIn("incentive_total", arch["form"]["arch"])
        self.assertNotIn("incentive_total", arch["list"]["arch"])
        self.assertIn("incentive_total", self.as_admin(self.program).read(["incentive_total"])[0])
        manager = self.program.with_user(self.user_manager).read(["incentive_total"])
        self.assertEqual(manager[0]["incentive_total"], 0)


@tagged("post_install", "-at_install")
class TestDisputeOnchangeNamesNothingForeign(PayoutCase):
    """Item 7: the dispute's onchange named another employee's deal and signal."""

    SPEC = {
        "contribution_id": {},
        "signal_id": {},
        "lead_id": {"fields": {"display_name": {}}},
        "lead_name": {},
        "reason": {},
    }

    def onchange(self, user, values):
        Dispute = self.env["crm.contribution.dispute"].with_user(user)
        try:
            return Dispute.onchange({"reason": "?", **values}, list(values), self.SPEC)["value"]
        except AccessError:
            return {}

    def test_another_employees_credit_and_signal_are_not_named(self):
        lead = self.make_deal(revenue=2_000_000, name="極秘の大型案件")
        self.mark_won(lead)
        credit = self.credits(lead, self.employee_support)
        outsider = self.env["hr.employee"].create(
            {"name": "別会社 社員", "company_id": self.other_company.id}
        )
        foreign_signal = (
            self.env["crm.signal"]
            .with_company(self.other_company)
            .create(
                {
                    "name": "他社の秘密の要望",
                    "partner_id": self.customer.id,
                    "employee_id": outsider.id,
                    "company_id": self.other_company.id,
                }
            )
        )
        for user in (self.user_engineer, self.user_manager):
            for values in ({"contribution_id": credit.id}, {"signal_id": foreign_signal.id}):
                if user == self.user_manager and "contribution_id" in values:
                    continue  # a manager of the company reads its credits
                with self.subTest(user=user.login, values=values):
                    result = self.onchange(user, values)
                    self.assertFalse(result.get("lead_name"))
                    self.assertFalse(result.get("lead_id"))
        # Their own credit still names the deal they may not open.
        own = self.onchange(self.user_support, {"contribution_id": credit.id})
        self.assertEqual(own["lead_name"], lead.name)
