from psycopg2 import IntegrityError

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import PayoutCase


@tagged("post_install", "-at_install")
class TestPayoutLinks(PayoutCase):
    """A payout takes its entries into a narrow link table (issue 16): the
    ledger's rows are not rewritten, and every guarantee of the link holds
    as before — paid once by the database, nothing linked by hand."""

    def test_compute_links_entries_without_rewriting_the_ledger(self):
        _lead, entries = self.won_and_approved()
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT id, write_date FROM crm_contribution WHERE id = ANY(%s)", [entries.ids]
        )
        before = dict(self.env.cr.fetchall())
        payout = self.payout()
        payout.action_compute()
        self.assertEqual(entries.payout_id, payout)
        self.assertEqual(payout.entry_ids, entries)
        self.assertEqual(payout.entry_count, len(entries))
        self.env.cr.execute(
            "SELECT id, write_date FROM crm_contribution WHERE id = ANY(%s)", [entries.ids]
        )
        self.assertEqual(dict(self.env.cr.fetchall()), before, "ledger rows untouched")
        self.env.cr.execute(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = 'crm_contribution' AND column_name = 'payout_id'"
        )
        self.assertFalse(self.env.cr.fetchone(), "the link is not a ledger column")

    def test_database_refuses_a_second_payout_for_an_entry(self):
        _lead, entries = self.won_and_approved()
        payout = self.payout()
        payout.action_compute()
        other = self.payout(self.next_start, self.next_end)
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(
                "INSERT INTO crm_contribution_payout_entry (entry_id, payout_id) VALUES (%s, %s)",
                [entries[0].id, other.id],
            )

    def test_links_are_not_written_by_hand(self):
        _lead, entries = self.won_and_approved()
        payout = self.payout()
        other = self.payout(self.next_start, self.next_end)
        payout.action_compute()
        admin = self.user_admin
        with self.assertRaisesRegex(UserError, "taken by Compute"):
            other.with_user(admin).write({"entry_ids": [(4, entries[0].id)]})
        with self.assertRaisesRegex(UserError, "taken by Compute"):
            self.env["crm.contribution.payout"].with_user(admin).create(
                {
                    "company_id": self.company.id,
                    "date_from": "2040-01-01",
                    "date_to": "2040-01-31",
                    "entry_ids": [(6, 0, entries.ids)],
                }
            )
        with self.assertRaises(UserError):
            entries.with_user(admin).write({"payout_id": other.id})
        with self.assertRaises(UserError):
            entries.sudo().write({"payout_id": False})
        self.assertEqual(entries.payout_id, payout)
        self.assertFalse(other.entry_ids)

    def test_searching_by_payout(self):
        _lead, entries = self.won_and_approved()
        late = self.make_deal(signal_name="後から")
        self.mark_won(late)
        waiting = self.credits(late)
        payout = self.payout()
        payout.action_compute()
        Ledger = self.env["crm.contribution"]
        mine = Ledger.search([("id", "in", (entries | waiting).ids)])
        self.assertEqual(mine.filtered_domain([("payout_id", "=", payout.id)]), entries)
        self.assertEqual(
            Ledger.search([("id", "in", mine.ids), ("payout_id", "=", False)]), waiting
        )
        self.assertEqual(
            Ledger.search([("id", "in", mine.ids), ("payout_id", "!=", False)]), entries
        )
        self.assertEqual(
            Ledger.search([("id", "in", mine.ids), ("payout_id", "in", [payout.id])]), entries
        )
        self.assertEqual(
            Ledger.search([("id", "in", mine.ids), ("payout_id.state", "=", "draft")]), entries
        )
        self.assertFalse(Ledger.search([("id", "in", mine.ids), ("payout_id.state", "=", "done")]))

    def test_cancel_and_delete_release_the_links(self):
        _lead, entries = self.won_and_approved()
        payout = self.payout()
        payout.action_compute()
        payout.action_cancel()
        self.assertFalse(entries.payout_id)
        again = self.payout()
        again.action_compute()
        self.assertEqual(entries.payout_id, again)
        again.action_cancel()
        again.unlink()
        self.env.cr.execute(
            "SELECT count(*) FROM crm_contribution_payout_entry WHERE payout_id = %s", [again.id]
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.assertFalse(entries.payout_id)

    def test_the_ledger_keeps_only_the_indexes_its_reads_use(self):
        self.env.cr.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'crm_contribution'")
        names = {row[0] for row in self.env.cr.fetchall()}
        for gone in ("company_id", "credit_key", "payable_date", "state", "reversed_entry_id"):
            self.assertNotIn(f"crm_contribution__{gone}_index", names)
        self.assertIn("crm_contribution_unpaid_index", names)
        self.assertIn("crm_contribution_open_credit_uniq", names)
