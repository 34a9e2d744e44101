from datetime import date

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..models.server_switches import without_crediting
from .common import ContributionCase


@tagged("post_install", "-at_install")
class TestCreditingJob(ContributionCase):
    """Winning notes the deal; the crediting job writes the ledger right
    after, as the user who won it, and one bad deal never holds the others."""

    def queue(self, lead):
        return self.env["crm.contribution.queue"].search([("lead_id", "=", lead.id)])

    def test_winning_notes_the_deal_and_the_job_credits_it(self):
        lead = self.make_deal()
        lead.with_user(self.user_salesman).action_set_won()
        note = self.queue(lead)
        self.assertEqual(note.reason, "won")
        self.assertEqual(note.user_id, self.user_salesman)
        self.assertTrue(lead.everyone_sells_credit_pending)
        self.assertFalse(self.env["crm.contribution"].search([("lead_id", "=", lead.id)]))
        self.run_crediting()
        entry = self.env["crm.contribution"].search([("lead_id", "=", lead.id)])
        self.assertEqual(entry.amount, 50_000)
        # The lines are stamped with who won the deal, not with the job's user.
        self.assertEqual(entry.create_uid, self.user_salesman)
        self.assertFalse(self.queue(lead))
        self.assertFalse(lead.everyone_sells_credit_pending)

    def test_the_deal_state_when_the_job_runs_decides(self):
        """Won then reopened before the job ran: nothing to credit, nothing
        to reverse."""
        lead = self.make_deal()
        lead.write({"stage_id": self.stage_won.id})
        lead.write({"stage_id": self.stage_new.id})
        self.run_crediting()
        self.assertFalse(self.env["crm.contribution"].search([("lead_id", "=", lead.id)]))
        self.assertFalse(self.queue(lead))

    def test_credit_is_dated_in_the_company_time_zone(self):
        # The job runs as OdooBot, the winner asks for New York: the deal is
        # dated in the company's time zone (its working calendar's, Tokyo).
        self.env.ref("base.user_root").tz = "UTC"
        self.user_salesman.tz = "America/New_York"
        lead = self.make_deal()
        lead.with_user(self.user_salesman).with_context(tz="Pacific/Honolulu").action_set_won()
        # Observed and noted on 31 March 16:30 UTC, 1 April 01:30 in Tokyo.
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crm_lead SET everyone_sells_won_date = '2026-03-31 16:30:00' WHERE id = %s",
            [lead.id],
        )
        self.env.cr.execute(
            "UPDATE crm_contribution_queue SET date = '2026-03-31 16:30:00' WHERE lead_id = %s",
            [lead.id],
        )
        self.env.invalidate_all()
        self.run_crediting()
        self.assertEqual(self.credits(lead).date, date(2026, 4, 1))

    def test_a_failing_deal_never_holds_the_others(self):
        good, bad = self.make_deal(signal_name="良い商談"), self.make_deal(signal_name="壊れた商談")
        Ledger = type(self.env["crm.contribution"])
        original = Ledger._won_events
        broken = [True]

        def won_events(ledger, leads, **kwargs):
            if broken[0] and bad in leads:
                raise ValueError("壊れた商談は計上できません")
            return original(ledger, leads, **kwargs)

        self.patch(Ledger, "_won_events", won_events)
        (good | bad).write({"stage_id": self.stage_won.id})
        done, remaining = self.env["crm.contribution.queue"]._process()
        self.assertEqual((done, remaining), (1, 0), "the failed note does not loop the job")
        self.assertEqual(self.credits(good).amount, 50_000)
        self.assertFalse(self.env["crm.contribution"].search([("lead_id", "=", bad.id)]))
        self.assertIn("壊れた商談は計上できません", self.queue(bad).error)
        # Later wins go in one batch again: only the deal that failed is
        # retried on its own.
        Queue = type(self.env["crm.contribution.queue"])
        one_by_one = Queue._reconcile_one_by_one
        alone = []

        def record_alone(queue, latest):
            alone.extend(latest)
            return one_by_one(queue, latest)

        self.patch(Queue, "_reconcile_one_by_one", record_alone)
        later = self.make_deal(signal_name="後の商談")
        later.write({"stage_id": self.stage_won.id})
        self.assertEqual(self.env["crm.contribution.queue"]._process(), (1, 0))
        self.assertEqual(alone, [bad.id])
        self.assertEqual(self.credits(later).amount, 50_000)
        self.assertTrue(self.queue(bad).error)
        # Fixed: the next run credits it and clears the note.
        broken[0] = False
        self.run_crediting()
        self.assertEqual(self.credits(bad).amount, 50_000)
        self.assertFalse(self.queue(bad))

    def test_only_administrators_see_and_run_the_queue(self):
        lead = self.make_deal()
        lead.write({"stage_id": self.stage_won.id})
        for user in (self.user_support, self.user_salesman, self.user_manager):
            with self.assertRaises(AccessError):
                self.env["crm.contribution.queue"].with_user(user).search([])
            with self.assertRaises(UserError):
                self.env["crm.contribution.queue"].with_user(user).action_process_now()
        Queue = self.env["crm.contribution.queue"].with_user(self.user_admin)
        self.assertEqual(Queue.search([]).lead_id, lead)
        action = Queue.search([]).action_process_now()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(self.credits(lead).amount, 50_000)
        self.assertFalse(Queue.search([]))

    def test_switched_off_crediting_notes_nothing(self):
        # The server's own switch (the bench's), out of any client's reach.
        lead = self.make_deal()
        lead.with_env(without_crediting(self.env)).write({"stage_id": self.stage_won.id})
        self.assertFalse(self.queue(lead))
        other = self.make_deal(signal_name="別の要望")
        other.with_context(everyone_sells_no_credit=True).write({"stage_id": self.stage_won.id})
        self.assertTrue(self.queue(other), "a context key switches nothing off")

    def test_the_scheduled_action_is_installed_and_active(self):
        cron = self.env.ref("crm_everyone_sells.ir_cron_crediting")
        self.assertTrue(cron.active)
        self.assertEqual(cron.model_id.model, "crm.contribution.queue")
