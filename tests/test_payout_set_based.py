"""Compute, Confirm and Mark as Paid in set operations (issue 25).

Compute writes the lines with one grouped INSERT ... SELECT and their stored
figures in one pass; Confirm stores the settlement with one UPDATE and the
same pass; Mark as Paid marks the entries paid with one UPDATE. Guarded here:
the raw writes leave no stored computed, related or defaulted field of a
line unwritten, write only states the ledger knows, give the figures the
fields' own computes give, and issue the same number of queries whatever
the number of employees and entries.
"""

from unittest.mock import patch

from odoo import sql_db
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import SQL

from ..models import crm_contribution_payout_compute as compute_module
from ..models.crm_contribution import LEDGER_STATES, LEDGER_TRANSITIONS
from ..models.crm_contribution_payout_compute import LINE_INSERT_COLUMNS
from ..models.crm_contribution_payout_line import BATCH_FIELDS
from ..models.sql_tools import array_literal
from .common import PayoutCase

# Written by neither on purpose: what payroll enters (NULL reads as 0/False).
PAYROLL_INPUTS = {
    "worked_hours",
    "overtime_hours",
    "late_night_hours",
    "holiday_hours",
    "fixed_wage_amount",
    "net_wage_amount",
    "overtime_exempt",
}


@tagged("post_install", "-at_install")
class TestPayoutSetBased(PayoutCase):
    def _computed_fields(self):
        Line = self.env["crm.contribution.payout.line"]
        return [
            name
            for name, field in Line._fields.items()
            if field.store and field.compute and not field.related and name != "id"
        ]

    def _snapshot(self, lines, fnames):
        lines.invalidate_recordset()
        return {line.id: {fname: line[fname] for fname in fnames} for line in lines}

    def assertSameAsTheComputes(self, lines):
        """What the raw writes stored equals what the fields' computes give."""
        fnames = self._computed_fields()
        stored = self._snapshot(lines, fnames)
        Line = self.env["crm.contribution.payout.line"]
        for fname in fnames:
            self.env.add_to_compute(Line._fields[fname], lines)
        for line in lines:
            for fname in fnames:
                with self.subTest(employee=line.employee_id.name, field=fname):
                    value, expected = stored[line.id][fname], line[fname]
                    if isinstance(expected, float):
                        self.assertAlmostEqual(value, expected, places=3)
                    else:
                        self.assertEqual(value, expected)
        self.env.flush_all()

    # ------------------------------------------------------------------
    # Guards of the raw writes
    # ------------------------------------------------------------------

    def test_every_stored_field_of_a_line_is_written(self):
        """A stored field with a compute, a related or a default that
        neither Compute's INSERT nor the batch pass writes would stay NULL
        on every line a payout makes: added to the model, it must be added
        to one of them."""
        Line = self.env["crm.contribution.payout.line"]
        written = set(LINE_INSERT_COLUMNS) | set(BATCH_FIELDS) | PAYROLL_INPUTS | {"id"}
        for name, field in Line._fields.items():
            if not (field.store and field.column_type):
                continue
            with self.subTest(field=name):
                if field.compute or field.related or field.default or field.required:
                    self.assertIn(name, written)
        for name in (*LINE_INSERT_COLUMNS, *BATCH_FIELDS):
            with self.subTest(column=name):
                self.assertTrue(Line._fields[name].store, name)

    def test_paid_is_a_state_no_write_reaches(self):
        """Paid is one of the ledger's states, read from the payout: no
        transition writes it, so Mark as Paid writes no ledger row."""
        states = dict(LEDGER_STATES)
        self.assertIn("approved", states)
        self.assertIn("paid", states)
        self.assertNotIn("paid", {to for _from, to in LEDGER_TRANSITIONS})
        selection = dict(self.env["crm.contribution"]._fields["state"].selection)
        self.assertIn("paid", selection)

    def test_the_figures_are_those_of_the_computes(self):
        """With a results-only employee, a workplace, an agreement and a
        carried debt, the lines Compute and Confirm write in SQL hold what
        the fields' own computes give."""
        self.company.state_id = self.env.ref("base.state_jp_jp-13")
        # sudo: the test sets HR's pay scheme field.
        self.employee_engineer.sudo().everyone_sells_results_only = True
        self.won_and_approved()
        self.won_and_approved(
            contributors=[(self.employee_engineer, 1, "originator")], name="鈴木さんの件"
        )
        payout = self.payout()
        payout.action_compute()
        self.assertEqual(len(payout.line_ids), 2)
        self.assertSameAsTheComputes(payout.line_ids)
        engineer = self.line_of(payout, self.employee_engineer)
        self.assertTrue(engineer.results_only)
        self.assertEqual(engineer.workplace_state_id, self.company.state_id)
        self.assertIn("労働時間が未入力", engineer.warning)
        payout.line_ids.write({"worked_hours": 170, "overtime_hours": 10, "late_night_hours": 2})
        self.line_of(payout, self.employee_support).write(
            {"fixed_wage_amount": 200_000, "net_wage_amount": 250_000}
        )
        payout.action_confirm()
        self.assertEqual(payout.state, "confirmed")
        self.assertSameAsTheComputes(payout.line_ids)
        self.assertTrue(all(line.overtime_premium_amount > 0 for line in payout.line_ids))

    def test_compute_and_confirm_leave_the_jit_setting_as_it_was(self):
        """Compute and Confirm hold PostgreSQL's JIT off for their sums only:
        the transaction's setting is the same after them."""
        self.env.cr.execute("SHOW jit")
        before = self.env.cr.fetchone()[0]
        self.won_and_approved()
        payout = self.payout()
        payout.action_compute()
        self.env.cr.execute("SHOW jit")
        self.assertEqual(self.env.cr.fetchone()[0], before)
        payout.line_ids.write({"worked_hours": 160})
        payout.action_confirm()
        self.assertEqual(payout.state, "confirmed")
        self.env.cr.execute("SHOW jit")
        self.assertEqual(self.env.cr.fetchone()[0], before)

    def test_the_figures_travel_as_array_literals_unchanged(self):
        """The lines' figures are sent as array literals: what PostgreSQL
        reads back is what was sent, warnings with quotes, backslashes,
        commas, braces, line breaks and Japanese included."""
        texts = [
            'a "quoted" word',
            "back\\slash\\",
            "comma, {brace} and NULL",
            "固定給が総支給額の60%未満です。\n/ Fixed pay",
            "",
            None,
            " spaced ",
        ]
        self.env.cr.execute(SQL("SELECT %s::text[]", array_literal(texts)))
        self.assertEqual(self.env.cr.fetchone()[0], texts)
        numbers = [0.0, -1234.5, 1e-05, 99_999_999.99, None, 12]
        self.env.cr.execute(SQL("SELECT %s::numeric[]", array_literal(numbers)))
        self.assertEqual(
            [None if n is None else float(n) for n in self.env.cr.fetchone()[0]],
            [None if n is None else float(n) for n in numbers],
        )
        self.env.cr.execute(SQL("SELECT %s::bool[]", array_literal([True, False, None])))
        self.assertEqual(self.env.cr.fetchone()[0], [True, False, None])
        # Without a NULL, numbers and booleans take the quick path: the same.
        numbers = [0.0, -1234.5, 1e-05, 99_999_999.99, 12, -0.0, 1e20]
        self.env.cr.execute(SQL("SELECT %s::numeric[]", array_literal(numbers)))
        self.assertEqual([float(n) for n in self.env.cr.fetchone()[0]], numbers)
        self.env.cr.execute(SQL("SELECT %s::bool[]", array_literal([True, False, True])))
        self.assertEqual(self.env.cr.fetchone()[0], [True, False, True])
        self.assertEqual(array_literal([]), "{}")

    def test_a_large_compute_refreshes_the_statistics_and_changes_no_figure(self):
        """Past ANALYZE_AFTER_ROWS rows written at once, Compute refreshes the
        link table's and the lines' statistics in its own transaction (a
        plan made on statistics that know none of them ran Confirm's
        settlement once per line); the figures are the computes' all the
        same, and Confirm goes through."""
        self.won_and_approved()
        payout = self.payout()
        analyzed = []
        execute = sql_db.Cursor.execute

        def spy(cr, query, *args, **kwargs):
            text = query.code if isinstance(query, SQL) else str(query)
            if text.startswith("ANALYZE"):
                analyzed.append(text)
            return execute(cr, query, *args, **kwargs)

        with (
            patch.object(compute_module, "ANALYZE_AFTER_ROWS", 1),
            patch.object(sql_db.Cursor, "execute", spy),
        ):
            payout.action_compute()
        self.assertEqual(
            analyzed,
            ['ANALYZE "crm_contribution_payout_entry"', 'ANALYZE "crm_contribution_payout_line"'],
        )
        self.assertSameAsTheComputes(payout.line_ids)
        payout.line_ids.write({"worked_hours": 160})
        payout.action_confirm()
        self.assertEqual(payout.state, "confirmed")

    def test_a_clawback_carried_under_an_agreement_is_the_computes(self):
        self.company.write(
            {
                "everyone_sells_wage_deduction_agreement": True,
                "everyone_sells_wage_deduction_date_from": "2020-01-01",
            }
        )
        lead, _entries = self.won_and_approved(revenue=1_000_000)
        first = self.payout()
        first.action_compute()
        first.line_ids.write({"worked_hours": 160})
        first.action_confirm()
        first.action_done()
        lead.action_set_lost()
        self.won_and_approved(revenue=400_000, name="翌月の受注")
        following = self.payout(self.next_start, self.next_end)
        following.action_compute()
        line = self.line_of(following, self.employee_support)
        self.assertEqual(line.clawback_amount, 50_000)
        self.assertEqual(line.deductible_clawback_amount, 50_000)
        # Without the net wage nothing is deducted: carried, and payroll is told.
        self.assertEqual(line.carry_out_amount, 50_000)
        self.assertIn("手取り額が未入力", line.warning)
        self.assertSameAsTheComputes(following.line_ids)

    # ------------------------------------------------------------------
    # Mark as Paid in one UPDATE, with the ledger's rules
    # ------------------------------------------------------------------

    def test_mark_as_paid_moves_nothing_when_one_entry_is_not_approved(self):
        _lead, sato = self.won_and_approved()
        _lead2, suzuki = self.won_and_approved(
            contributors=[(self.employee_engineer, 1, "originator")], name="鈴木さんの件"
        )
        payout = self.payout()
        payout.action_compute()
        payout.line_ids.write({"worked_hours": 160})
        payout.action_confirm()
        # However it happened (here: by SQL), an entry no longer approved
        # is not paid again, and nothing else moves.
        self.env.flush_all()
        self.env.cr.execute(
            SQL("UPDATE crm_contribution SET state = 'draft' WHERE id = %s", suzuki[:1].id)
        )
        self.env.invalidate_all()
        with self.assertRaisesRegex(UserError, "cannot go from draft"):
            payout.action_done()
        self.env.invalidate_all()
        self.assertEqual(set(sato.mapped("state")), {"approved"})
        self.assertEqual(payout.state, "confirmed")

    def test_only_a_confirmed_payout_pays(self):
        self.won_and_approved()
        payout = self.payout()
        payout.action_compute()
        with self.assertRaisesRegex(UserError, "confirmed payout"):
            self.env["crm.contribution"]._mark_paid(payout)
        self.assertEqual(set(payout.entry_ids.mapped("state")), {"approved"})

    def test_only_who_may_write_a_payout_computes_it(self):
        self.won_and_approved()
        payout = self.payout()
        with self.assertRaises(AccessError):
            payout.with_user(self.user_manager).action_compute()
        self.assertFalse(payout.entry_ids)
        self.assertFalse(payout.line_ids)

    # ------------------------------------------------------------------
    # Constant queries
    # ------------------------------------------------------------------

    def _counts(self, employees, deals_each=1):
        """Queries of Compute, Confirm and Mark as Paid of a payout of
        ``employees`` with ``deals_each`` approved credits each."""
        for employee in employees:
            for deal in range(deals_each):
                self.won_and_approved(
                    contributors=[(employee, 1, "originator")],
                    name=f"件 {employee.name} {deal + 1}",
                )
        payout = self.payout()
        counts = []
        for step in ("compute", "hours", "confirm", "done"):
            # As assertQueryCount counts: the precommit (tracking) included.
            self.env.flush_all()
            self.env.cr.flush()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            if step == "hours":
                payout.line_ids.write({"worked_hours": 160})
            else:
                getattr(payout, f"action_{step}")()
            self.env.flush_all()
            self.env.cr.flush()
            if step != "hours":
                counts.append(self.env.cr.sql_log_count - before)
        self.assertEqual(payout.state, "done")
        self.assertEqual(set(payout.entry_ids.mapped("state")), {"paid"})
        # Leave the period free for the next run.
        self.env.cr.execute(
            SQL("UPDATE crm_contribution_payout SET state = 'cancel' WHERE id = %s", payout.id)
        )
        self.env.invalidate_all()
        return counts

    def test_compute_confirm_and_pay_in_constant_queries(self):
        self._counts(self.employee_marketer)  # warm the caches
        few = self._counts(self.employee_support)
        many = self._counts(
            self.employee_engineer | self.employee_manager | self.employee_without_user,
            deals_each=3,
        )
        self.assertEqual(few, many, "Compute, Confirm, Mark as Paid: (few, many)")

    def test_mark_as_paid_query_count_is_pinned(self):
        """Mark as Paid of one credit and of twelve: the same queries,
        pinned by the count of the first."""
        self._counts(self.employee_marketer)  # warm the caches
        few = self._counts(self.employee_support)
        for employee in self.employee_engineer | self.employee_manager:
            for deal in range(6):
                self.won_and_approved(
                    contributors=[(employee, 1, "originator")], name=f"件 {employee.name} {deal}"
                )
        payout = self.payout()
        payout.action_compute()
        payout.line_ids.write({"worked_hours": 160})
        payout.action_confirm()
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(few[2]):
            payout.action_done()
            self.env.flush_all()
        self.assertEqual(set(payout.entry_ids.mapped("state")), {"paid"})
