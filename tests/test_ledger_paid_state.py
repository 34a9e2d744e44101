"""Paid is read from the payout, never written on the ledger (issue 25).

Mark as Paid writes the payout's state, not the rows of the entries it
pays: an entry is paid when the payout that took it is paid and pays it.
Every reader sees the same status: the record, a domain (as an RPC caller
or a record rule sends it), a grouped read, the analysis.
"""

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import SQL

from ..models.crm_contribution_state import unstore_paid
from .common import PayoutCase


@tagged("post_install", "-at_install")
class TestPaidIsReadFromThePayout(PayoutCase):
    def paid_payout(self):
        _lead, sato = self.won_and_approved(name="佐藤さんの件")
        _lead2, suzuki = self.won_and_approved(
            contributors=[(self.employee_engineer, 1, "originator")], name="鈴木さんの件"
        )
        entries = sato | suzuki
        payout = self.payout()
        payout.action_compute()
        payout.line_ids.filtered("incentive_amount").write({"worked_hours": 160})
        payout.action_confirm()
        return payout, entries

    def stored(self, entries):
        """{id: (stored state, row's physical place)} read in SQL."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT id, state, ctid::text FROM crm_contribution WHERE id IN %s",
                tuple(entries.ids),
            )
        )
        return {row[0]: row[1:] for row in self.env.cr.fetchall()}

    def analysis_totals(self):
        """The analysis's credit per status, in our company, as its pivot reads it."""
        self.env.flush_all()
        analysis = self.env["crm.contribution.analysis"]
        analysis.invalidate_model()
        return dict(
            analysis._read_group([("company_id", "=", self.company.id)], ["state"], ["amount:sum"])
        )

    def test_mark_as_paid_writes_no_ledger_row(self):
        payout, entries = self.paid_payout()
        before = self.stored(entries)
        payout.action_done()
        self.assertEqual(set(entries.mapped("state")), {"paid"})
        # The same rows, untouched: no new row version, the stored status
        # still approved.
        self.assertEqual(self.stored(entries), before)
        self.assertEqual({state for state, _place in before.values()}, {"approved"})

    def test_every_reader_sees_paid(self):
        payout, entries = self.paid_payout()
        ledger = self.env["crm.contribution"]
        mine = [("id", "in", entries.ids)]
        self.assertEqual(ledger.search([*mine, ("state", "=", "paid")]), ledger)
        payout.action_done()
        for domain, expected in (
            ([("state", "=", "paid")], entries),
            ([("state", "=", "approved")], ledger),
            ([("state", "!=", "paid")], ledger),
            ([("state", "in", ("approved", "paid"))], entries),
            ([("state", "not in", ("draft", "approved"))], entries),
            ([("state", "!=", "draft")], entries),
        ):
            with self.subTest(domain=domain):
                self.assertEqual(ledger.search(mine + domain), expected)
                self.assertEqual(entries.filtered_domain(domain), expected)
        groups = ledger._read_group(mine, ["state"], ["__count"])
        self.assertEqual(groups, [("paid", len(entries))])
        self.assertEqual(ledger.search(mine, order="state, id"), entries.sorted("id"))

    def test_an_employee_finds_their_paid_credits(self):
        payout, entries = self.paid_payout()
        payout.action_done()
        own = entries.filtered(lambda e: e.employee_id == self.employee_support)
        self.assertTrue(own)
        as_employee = self.env["crm.contribution"].with_user(self.user_support)
        self.assertEqual(as_employee.search([("state", "=", "paid")]), own)
        self.assertFalse(as_employee.search([("state", "=", "approved")]))
        self.assertEqual(own.with_user(self.user_support).read(["state"])[0]["state"], "paid")

    def test_the_analysis_moves_the_totals_to_paid(self):
        payout, entries = self.paid_payout()
        before = self.analysis_totals()
        payout.action_done()
        after = self.analysis_totals()
        moved = sum(entries.mapped("amount"))
        self.assertTrue(moved)
        self.assertAlmostEqual(after.get("paid", 0), before.get("paid", 0) + moved)
        self.assertAlmostEqual(after.get("approved", 0), before.get("approved", 0) - moved)

    def test_nobody_writes_paid(self):
        payout, entries = self.paid_payout()
        for user in (self.user_admin, self.user_manager):
            with self.subTest(user=user.login), self.assertRaises(UserError):
                entries.with_user(user).write({"state": "paid"})
        with self.assertRaisesRegex(UserError, "cannot go from"):
            entries.sudo()._workflow().write({"state": "paid"})
        self.assertEqual(set(entries.mapped("state")), {"approved"})
        self.assertEqual(payout.state, "confirmed")

    def test_an_update_stores_approved_what_older_versions_stored_paid(self):
        """Older versions wrote "paid" on the entries: the update stores them
        approved again; they still read paid, and the analysis keeps them
        under Paid."""
        payout, entries = self.paid_payout()
        payout.action_done()
        analysis = self.env["crm.contribution.analysis"]
        before = self.analysis_totals()
        # As an older version left them: stored paid, counted once as paid.
        self.env.cr.execute(
            SQL(
                "WITH entries AS (SELECT unnest(%s::int[]) AS entry_id),"
                " legacy AS (UPDATE crm_contribution SET state = 'paid' WHERE id IN %s)"
                " %s",
                entries.ids,
                tuple(entries.ids),
                analysis._move_sql(SQL("entries"), "paid", "approved"),
            )
        )
        self.assertEqual(self.analysis_totals(), before)
        unstore_paid(self.env)
        self.env.invalidate_all()
        self.assertEqual({state for state, _place in self.stored(entries).values()}, {"approved"})
        self.assertEqual(set(entries.mapped("state")), {"paid"})
        self.assertEqual(self.analysis_totals(), before)
        # Nothing left to do the next time.
        unstore_paid(self.env)
        self.assertEqual(self.analysis_totals(), before)
