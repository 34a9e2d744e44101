from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from ..models.crm_contribution_analysis import DELTA_TABLE
from .common import ContributionCase, PayoutCase

KEYS = ["company_id", "department_id", "rule_id", "trigger", "state", "wage_type", "date:month"]


@tagged("post_install", "-at_install")
class TestContributionAnalysis(ContributionCase):
    """The Contributions analysis adds the ledger up (kept by PostgreSQL as
    the ledger changes): whatever changes the ledger, its totals are the
    ledger's own."""

    def totals(self, model):
        groups = (
            self.env[model]
            .sudo()
            ._read_group(
                [("company_id", "=", self.company.id)],
                KEYS,
                [
                    "amount:sum",
                    "points:sum",
                    "__count" if model == "crm.contribution" else "entry_count:sum",
                ],
            )
        )
        return {
            tuple(getattr(key, "id", key) for key in keys): (
                round(amount, 2),
                round(points, 2),
                count,
            )
            for *keys, amount, points, count in groups
            if count or amount or points
        }

    def assertMatchesLedger(self):
        ledger = self.totals("crm.contribution")
        self.assertTrue(ledger)
        self.assertEqual(self.totals("crm.contribution.analysis"), ledger)

    def win_deal(self, revenue=1_000_000):
        lead = self.make_deal(
            revenue=revenue,
            contributors=[
                (self.employee_support, 7, "originator"),
                (self.employee_engineer, 3, "technical"),
            ],
        )
        self.mark_won(lead)
        return lead

    def test_follows_every_change_of_the_ledger(self):
        lead = self.win_deal()
        self.assertMatchesLedger()
        # Approval moves the lines to another status.
        self.credits(lead).with_user(self.user_admin).action_approve()
        self.assertMatchesLedger()
        # A revenue change writes the difference; losing reverses.
        lead.expected_revenue = 1_500_000
        self.run_crediting()
        self.assertMatchesLedger()
        lead.action_set_lost()
        self.run_crediting()
        self.assertMatchesLedger()

    def test_reads_the_ledgers_changes_not_yet_written(self):
        # Approved in this transaction and not flushed: the totals read first
        # (before anything reads the ledger) already count them approved.
        entries = self.credits(self.win_deal())
        entries.with_user(self.user_admin).action_approve()
        states = dict(
            self.env["crm.contribution.analysis"]
            .sudo()
            ._read_group([("company_id", "=", self.company.id)], ["state"], ["entry_count:sum"])
        )
        self.assertEqual(states, {"approved": len(entries)})

    def test_compaction_keeps_the_totals_in_one_row_per_group(self):
        lead = self.win_deal()
        self.credits(lead).filtered(lambda e: e.employee_id == self.employee_support).with_user(
            self.user_admin
        ).action_approve()
        self.win_deal(revenue=2_000_000)
        before = self.totals("crm.contribution.analysis")
        rows = (
            self.env["crm.contribution.analysis"]
            .sudo()
            .search([("company_id", "=", self.company.id)])
        )
        self.assertEqual(len(rows), len(before), "each group is one row of the analysis")
        self.env.cr.execute(f"SELECT count(*) FROM {DELTA_TABLE}")
        appended = self.env.cr.fetchone()[0]
        self.assertGreater(appended, len(before), "one row per statement and group")
        self.env.ref("crm_everyone_sells.ir_cron_analysis_compact").sudo().method_direct_trigger()
        self.assertEqual(self.totals("crm.contribution.analysis"), before)
        self.env.cr.execute(
            f"SELECT count(*) FROM {DELTA_TABLE} WHERE company_id = %s", [self.company.id]
        )
        self.assertEqual(self.env.cr.fetchone()[0], len(before), "folded: one row per group")
        self.assertMatchesLedger()

    def test_a_row_opens_its_ledger_lines(self):
        lead = self.win_deal()
        self.credits(lead).with_user(self.user_admin).action_approve()
        row = (
            self.env["crm.contribution.analysis"]
            .with_user(self.user_manager)
            .search([("department_id", "=", self.dept_support.id)])
        )
        self.assertEqual(len(row), 1)
        action = row.action_open_entries()
        entries = self.env["crm.contribution"].with_user(self.user_manager).search(action["domain"])
        self.assertEqual(entries, self.credits(lead, self.employee_support))
        self.assertEqual(row.amount, sum(entries.mapped("amount")))
        self.assertEqual(row.entry_count, len(entries))

    def test_managers_read_it_as_the_pivot_does(self):
        self.win_deal()
        groups = (
            self.env["crm.contribution.analysis"]
            .with_user(self.user_manager)
            .read_group(
                [], ["amount:sum", "points:sum"], ["department_id", "date:month"], lazy=False
            )
        )
        by_department = {group["department_id"][0]: group["amount"] for group in groups}
        self.assertEqual(by_department[self.dept_support.id], 35_000)
        self.assertEqual(by_department[self.dept_engineering.id], 15_000)

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")
    def test_nobody_writes_it_and_employees_do_not_read_it(self):
        self.win_deal()
        Analysis = self.env["crm.contribution.analysis"]
        row = Analysis.sudo().search([("company_id", "=", self.company.id)], limit=1)
        with self.assertRaises(AccessError):
            Analysis.with_user(self.user_support).search([])
        for user in (self.user_manager, self.user_admin):
            with self.assertRaises(AccessError):
                row.with_user(user).write({"amount": 1})
            with self.assertRaises(AccessError):
                Analysis.with_user(user).create({"company_id": self.company.id, "amount": 1})
            with self.assertRaises(AccessError):
                row.with_user(user).unlink()
        # Another company's totals stay out of sight.
        other = Analysis.with_user(self.user_manager).with_company(self.company)
        self.assertFalse(other.search([("company_id", "=", self.other_company.id)]))

    def test_evaluation_sorts_in_memory_without_lowering_the_server(self):
        Evaluation = self.env["crm.contribution.evaluation.report"].with_user(self.user_manager)

        def work_mem():
            self.env.cr.execute("SELECT pg_size_bytes(current_setting('work_mem'))")
            return self.env.cr.fetchone()[0]

        self.env.cr.execute("SET LOCAL work_mem = '4MB'")
        Evaluation.read_group([], ["points:sum"], ["department_id"])
        self.assertEqual(work_mem(), 16 * 1024 * 1024)
        self.env.cr.execute("SET LOCAL work_mem = '64MB'")
        Evaluation.read_group([], ["points:sum"], ["department_id"])
        self.assertEqual(work_mem(), 64 * 1024 * 1024, "a larger setting is kept")


@tagged("post_install", "-at_install")
class TestContributionAnalysisOfPayouts(PayoutCase):
    """A payout moves its entries in one statement each (Compute links
    them, Mark as Paid moves them from approved to paid): the totals stay
    the ledger's own, status by status."""

    totals = TestContributionAnalysis.totals
    assertMatchesLedger = TestContributionAnalysis.assertMatchesLedger

    def test_mark_as_paid_moves_the_totals_to_paid(self):
        lead, _entries = self.won_and_approved()
        self.won_and_approved(contributors=[(self.employee_engineer, 1, "originator")], name="別件")
        payout = self.payout()
        payout.action_compute()
        payout.line_ids.write({"worked_hours": 160})
        payout.action_confirm()
        self.assertMatchesLedger()
        before = self.totals("crm.contribution.analysis")
        payout.action_done()
        self.assertMatchesLedger()
        after = self.totals("crm.contribution.analysis")
        self.assertNotEqual(after, before)
        self.assertIn("paid", {key[4] for key in after})
        # Lost after payment: a reversal, then its clawback paid.
        lead.action_set_lost()
        self.run_crediting()
        self.assertMatchesLedger()
        following = self.payout(self.next_start, self.next_end)
        following.action_compute()
        following.line_ids.write({"worked_hours": 160})
        following.action_confirm()
        following.action_done()
        self.assertMatchesLedger()

    def test_an_update_that_changes_no_key_adds_no_row(self):
        """Rows whose keys and figures did not change add nothing to the
        differences (old and new rows cancel out, group by group)."""
        _lead, entries = self.won_and_approved()
        self.env.flush_all()
        self.env.cr.execute(SQL("SELECT count(*) FROM %s", SQL.identifier(DELTA_TABLE)))
        [(rows,)] = self.env.cr.fetchall()
        self.env.cr.execute(
            SQL(
                "UPDATE crm_contribution SET write_date = now() WHERE company_id = %s",
                self.company.id,
            )
        )
        self.env.cr.execute(SQL("SELECT count(*) FROM %s", SQL.identifier(DELTA_TABLE)))
        self.assertEqual(self.env.cr.fetchall(), [(rows,)])
        self.assertTrue(entries)
        self.assertMatchesLedger()
