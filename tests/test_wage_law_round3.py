"""Wage law, round three (issue #23, Build 2): staff paid by results only are
checked, scheduled hours are the yearly monthly average, payroll corrects
the workplace, and nothing is deducted without the net wage."""

from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PayoutCase, month_bounds


@tagged("post_install", "-at_install")
class TestWageLawRoundThree(PayoutCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tokyo = cls.env.ref("base.state_jp_jp-13")
        cls.osaka = cls.env.ref("base.state_jp_jp-27")
        cls.company.state_id = cls.tokyo

    def line_with_incentive(self, revenue=3_000_000, results_only=False):
        # 5 % of the revenue: ¥150,000 by default.
        self.employee_support.everyone_sells_results_only = results_only
        self.won_and_approved(
            revenue=revenue, contributors=[(self.employee_support, 1, "originator")]
        )
        payout = self.payout()
        payout.action_compute()
        return payout.line_ids

    def test_paid_by_results_only_is_checked_against_the_minimum_wage(self):
        line = self.line_with_incentive(results_only=True)
        self.assertTrue(line.results_only)
        self.assertEqual(line.incentive_amount, 150_000)
        line.with_user(self.user_admin).write({"worked_hours": 190})
        # ¥150,000 ÷ 190 h = ¥789/h, below Tokyo's ¥1,226: warned, and the
        # guarantee of Art. 27 is asked for.
        self.assertIn("下回って", line.warning)
        self.assertIn("保障給", line.warning)

    def test_a_fixed_wage_not_entered_keeps_todays_behaviour(self):
        line = self.line_with_incentive(results_only=False)
        line.write({"worked_hours": 190})
        self.assertNotIn("下回って", line.warning or "")
        self.assertNotIn("保障給", line.warning or "")

    def test_scheduled_hours_are_the_monthly_average_not_the_month(self):
        line = self.line_with_incentive(revenue=20_000)
        # Default: the working calendar's year ÷ 12 (a full-time 40 h week
        # holds far more than February's 140 h).
        self.assertGreater(line.scheduled_hours, 150)
        # Fixed ¥180,000: February's own 140 h give ¥1,285.7/h, no warning...
        line.with_user(self.user_admin).write(
            {"worked_hours": 140, "fixed_wage_amount": 180_000, "scheduled_hours": 140}
        )
        self.assertNotIn("下回って", line.warning or "")
        # ...the 160 h monthly average gives ¥1,125/h: a violation.
        line.with_user(self.user_admin).write({"scheduled_hours": 160})
        self.assertIn("下回って", line.warning)

    def test_a_part_timers_calendar_gives_a_smaller_average(self):
        calendar = self.env["resource.calendar"].create(
            {
                "name": "週3日 6時間",
                "company_id": self.company.id,
                "tz": "Asia/Tokyo",
                "attendance_ids": [
                    (0, 0, {"name": day, "dayofweek": day, "hour_from": 9, "hour_to": 15})
                    for day in ("0", "2", "4")
                ],
            }
        )
        self.employee_support.resource_calendar_id = calendar
        line = self.line_with_incentive(revenue=20_000)
        # 18 h a week: about 78 h a month.
        self.assertAlmostEqual(line.scheduled_hours, 18 * 52.14 / 12, delta=2)

    def test_the_hours_template_labels_the_monthly_average(self):
        line = self.line_with_incentive(revenue=20_000)
        headers = line.payout_id._hours_template_headers()
        self.assertTrue(any("月平均所定労働時間" in header for header in headers), headers)

    def test_payroll_corrects_the_workplace_on_a_draft_line(self):
        line = self.line_with_incentive()
        self.assertEqual(line.workplace_state_id, self.tokyo)
        self.assertEqual(self.employee_support.everyone_sells_workplace_state_id, self.tokyo)
        line.with_user(self.user_admin).write({"workplace_state_id": self.osaka.id})
        self.assertEqual(line.workplace_state_id, self.osaka)
        line.write({"worked_hours": 160})
        line.payout_id.with_user(self.user_admin).action_confirm()
        with self.assertRaises(UserError):
            line.with_user(self.user_admin).write({"workplace_state_id": self.tokyo.id})

    def test_no_deduction_without_the_net_wage(self):
        self.company.write(
            {
                "everyone_sells_wage_deduction_agreement": True,
                "everyone_sells_wage_deduction_date_from": "2020-01-01",
            }
        )
        lead, _entries = self.won_and_approved(
            contributors=[(self.employee_support, 1, "originator")]
        )
        first = self.payout()
        first.action_compute()
        first.line_ids.write({"worked_hours": 160})
        first.action_confirm()
        first.action_done()
        lead.action_set_lost()
        self.won_and_approved(
            revenue=2_000_000,
            contributors=[(self.employee_support, 1, "originator")],
            name="翌月の受注",
        )
        start, end = month_bounds(self.month_end + timedelta(days=1))
        following = self.payout(start, end)
        following.action_compute()
        line = following.line_ids
        # Under a 24協定 but without the net wage: nothing deducted, the
        # ¥50,000 carried forward, payroll warned.
        self.assertEqual(line.deducted_amount, 0)
        self.assertEqual(line.carry_out_amount, 50_000)
        self.assertEqual(line.deductible_outstanding_amount, 50_000)
        self.assertEqual(line.payable_amount, 100_000)
        self.assertIn("手取り額が未入力", line.warning)
        self.assertIn("50,000", line.warning)
        line.write({"net_wage_amount": 180_000})
        self.assertEqual(line.deducted_amount, 45_000)
        self.assertNotIn("手取り額が未入力", line.warning or "")
