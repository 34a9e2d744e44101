from odoo import Command
from odoo.tests import tagged, users, warmup

from .common import CONTRIBUTION_ADMIN, EMPLOYEE, ContributionCase, PayoutCase


@tagged("post_install", "-at_install")
class TestCreditingIsSetBased(ContributionCase):
    """Marking deals won costs the same number of queries for 1 or 50 deals:
    crediting gathers, computes and writes in batches, never per deal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_rule(name="受注ポイント", compute_method="fixed", fixed_amount=3_000, points=10)
        cls.make_rule(name="別チーム向け", percentage=2, team_ids=cls.team_other.ids)

    def _deals(self, count):
        leads = self.env["crm.lead"].create(
            [
                {
                    "name": f"一括受注 {index}",
                    "type": "opportunity",
                    "company_id": self.company.id,
                    "team_id": self.team.id,
                    "stage_id": self.stage_new.id,
                    "expected_revenue": 1_000_000 + index,
                    "origin_employee_id": self.employee_support.id,
                    "contributor_ids": [
                        Command.create(
                            {"employee_id": self.employee_support.id, "role": "originator"}
                        ),
                        Command.create(
                            {"employee_id": self.employee_engineer.id, "role": "technical"}
                        ),
                        Command.create({"employee_id": self.employee_marketer.id, "role": "other"}),
                    ],
                }
                for index in range(count)
            ]
        )
        self.env.flush_all()
        self.env.invalidate_all()
        return leads

    def _queries_to_win(self, leads):
        before = self.env.cr.sql_log_count
        leads.write({"stage_id": self.stage_won.id})
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def _queries_to_credit(self):
        """Queries of the crediting job's run over what is noted."""
        # What the deals' own transaction runs at commit (crm's tracking
        # messages) is not the job's: run it first.
        self.env.cr.flush()
        before = self.env.cr.sql_log_count
        self.env["crm.contribution.queue"]._process()
        self.env.flush_all()
        count = self.env.cr.sql_log_count - before
        self.env.invalidate_all()
        return count

    def _warm_up(self):
        """Win and reopen one deal first, so that caches and crm's own lead
        scoring rows exist: what is measured next is the steady state."""
        leads = self._deals(1)
        self._queries_to_win(leads)
        self._queries_to_credit()
        leads.write({"stage_id": self.stage_new.id})
        self._queries_to_credit()
        self.env.flush_all()
        self.env.invalidate_all()

    def test_query_count_does_not_grow_with_the_batch(self):
        self._warm_up()
        counts = {}
        for size in (1, 10, 50):
            counts[size] = (self._queries_to_win(self._deals(size)), self._queries_to_credit())
        self.assertEqual(counts[1], counts[10], counts)
        self.assertEqual(counts[10], counts[50], counts)

    def test_query_count_is_pinned(self):
        self._warm_up()
        leads = self._deals(20)
        # Winning only notes the deals for the crediting job. flush=False:
        # the tracking messages crm posts on every lead at commit are crm's
        # cost, not crediting's.
        with self.assertQueryCount(__system__=19, flush=False):
            leads.write({"stage_id": self.stage_won.id})
            self.env.flush_all()
        self.assertFalse(self.env["crm.contribution"].search([("lead_id", "in", leads.ids)]))
        self.assertTrue(all(leads.mapped("everyone_sells_credit_pending")))
        # The job then writes the 120 ledger lines in a bounded number of queries,
        # one note per deal saying who was credited (one batched insert), and
        # reads the time zone of the company's working calendar once (the
        # job's user has none, and nothing assumes Tokyo). The notes are
        # claimed inside a savepoint (two queries): a worker that loses the
        # race for them stops cleanly (models/skip_locked.py).
        self.env.cr.flush()  # the deals' commit: crm's tracking, not the job's
        with self.assertQueryCount(__system__=32, flush=False):
            self.env["crm.contribution.queue"]._process()
            self.env.flush_all()
        self.env.invalidate_all()
        entries = self.env["crm.contribution"].search([("lead_id", "in", leads.ids)])
        self.assertEqual(len(entries), 20 * 3 * 2)
        self.assertFalse(any(leads.mapped("everyone_sells_credit_pending")))

    def test_reversing_a_batch_is_set_based_too(self):
        self._warm_up()
        small, large = self._deals(1), self._deals(30)
        (small | large).write({"stage_id": self.stage_won.id})
        self._queries_to_credit()
        counts = []
        for leads in (small, large):
            before = self.env.cr.sql_log_count
            leads.write({"stage_id": self.stage_new.id})
            self.env.flush_all()
            counts.append((self.env.cr.sql_log_count - before, self._queries_to_credit()))
            self.env.invalidate_all()
        self.assertEqual(counts[0], counts[1], counts)
        self.assertEqual(
            len(self.env["crm.contribution"].search([("lead_id", "in", large.ids)])),
            30 * 3 * 2 * 2,
            "every credit of the large batch has its reversal",
        )


# What the web client asks when Home opens (its form's figures).
HOME_SPEC = {
    "user_id": {},
    "display_name": {},
    "program_name": {},
    "my_signal_count": {},
    "my_open_signal_count": {},
    "my_won_signal_count": {},
    "my_credit_month": {},
    "my_points_month": {},
    "leaderboard": {},
    "my_signal_ids": {"fields": {"display_name": {}, "state": {}}},
    "rule_ids": {"fields": {"display_name": {}}},
}


@tagged("post_install", "-at_install")
class TestHotPathsArePinned(PayoutCase):
    """Payout Compute and Home pinned as Odoo pins its own (crm's
    test_performances): as the user who opens them, caches warm, so one
    query more is a failing test. Winning and the crediting job are pinned
    above."""

    def setUp(self):
        super().setUp()
        self.win_and_approve_each(
            self.employee_support | self.employee_engineer | self.employee_marketer
        )
        self.draft_payout = self.payout()

    @users(CONTRIBUTION_ADMIN)
    @warmup
    def test_payout_compute(self):
        payout = self.draft_payout.with_env(self.env)
        with self.assertQueryCount(21):
            payout.action_compute()
        self.assertEqual(len(payout.line_ids), 3)

    @users(EMPLOYEE)
    @warmup
    def test_home(self):
        Home = self.env["crm.everyone.sells.home"]
        with self.assertQueryCount(14):
            values = Home.onchange({}, [], HOME_SPEC)["value"]
        self.assertEqual(values["my_signal_count"], 3)
