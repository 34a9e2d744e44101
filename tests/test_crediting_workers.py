import threading

from odoo import SUPERUSER_ID, Command, api
from odoo.tests import tagged

from ..models.server_switches import without_crediting
from .real_connections import RealConnectionsCase

DEALS = 24
BATCH = 4
# Deals of the race test, apart from the others.
RACE_DEALS = 4


@tagged("post_install", "-at_install")
class TestTwoCreditingWorkers(RealConnectionsCase):
    """Issue 16: two cron workers (two real database connections) run the
    crediting job at the same time over many won deals. They share the
    deals (SKIP LOCKED: each holds its own batch), and every deal is
    credited exactly once.

    This test commits (two connections must see the same rows) and removes
    what it committed at the end.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls._connection() as cr:
            env = without_crediting(api.Environment(cr, SUPERUSER_ID, {}))
            company = env.ref("base.main_company")
            cls.rule_id = (
                env["crm.contribution.rule"]
                .create(
                    {
                        "name": f"並行クレジット {cls.tag}",
                        "trigger": "won",
                        "compute_method": "fixed",
                        "fixed_amount": 10_000,
                        "split_method": "equal",
                        "date_from": "2020-01-01",
                        "company_id": company.id,
                        "exclude_sales": False,
                        "is_published": True,
                    }
                )
                .id
            )
            employees = env["hr.employee"].create(
                [{"name": f"並行 {name} {cls.tag}", "company_id": company.id} for name in "AB"]
            )
            cls.employee_ids = employees.ids
            stages = env["crm.stage"]
            cls.stage_open_id = stages.create({"name": f"open {cls.tag}", "sequence": 1}).id
            cls.stage_won_id = stages.create(
                {"name": f"won {cls.tag}", "sequence": 99, "is_won": True}
            ).id
            cls.lead_ids = (
                env["crm.lead"]
                .create(
                    [
                        {
                            "name": f"並行商談 {cls.tag} {index}",
                            "type": "opportunity",
                            "expected_revenue": 1_000_000,
                            "stage_id": cls.stage_open_id,
                            "contributor_ids": [
                                Command.create({"employee_id": employee, "role": "other"})
                                for employee in employees.ids
                            ],
                        }
                        for index in range(DEALS + RACE_DEALS)
                    ]
                )
                .ids
            )
            cls.lead_ids, cls.race_lead_ids = cls.lead_ids[:DEALS], cls.lead_ids[DEALS:]
        cls.addClassCleanup(cls._remove_committed_data)

    @classmethod
    def _remove_committed_data(cls):
        with cls._connection() as cr:
            # The ledger refuses deletion through the ORM; these rows exist
            # only for this test.
            cr.execute("DELETE FROM crm_contribution WHERE rule_id = %s", (cls.rule_id,))
            leads = cls.lead_ids + cls.race_lead_ids
            cr.execute("DELETE FROM crm_contribution_queue WHERE lead_id = ANY(%s)", [leads])
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["crm.lead"].with_context(active_test=False).browse(leads).unlink()
            env["crm.contribution.rule"].browse(cls.rule_id).unlink()
            env["hr.employee"].browse(cls.employee_ids).unlink()
            env["crm.stage"].browse([cls.stage_open_id, cls.stage_won_id]).unlink()

    def test_two_workers_share_the_deals_and_credit_each_once(self):
        with self._connection() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["crm.lead"].browse(self.lead_ids).write({"stage_id": self.stage_won_id})
        # Both workers hold a batch at the same moment before either commits:
        # proof that the second skipped the first's notes instead of waiting.
        both_hold_a_batch = threading.Barrier(2, timeout=20)
        done = {}
        errors = []

        def worker(name):
            threading.current_thread().testing = True
            done[name] = 0
            first = True
            try:
                while True:
                    with self._connection() as cr:
                        env = api.Environment(cr, SUPERUSER_ID, {})
                        count, remaining = env["crm.contribution.queue"]._process(limit=BATCH)
                        env.flush_all()
                        if first:
                            first = False
                            both_hold_a_batch.wait()
                        # The point of the test: two real transactions committing.
                        cr.commit()  # pylint: disable=invalid-commit
                    done[name] += count
                    if not count and not remaining:
                        return
            except Exception as error:  # reported by the assertion below
                errors.append(repr(error))

        threads = [threading.Thread(target=worker, args=(name,)) for name in ("cron 1", "cron 2")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        self.assertFalse(errors)
        self.assertEqual(sum(done.values()), DEALS, done)
        self.assertTrue(all(done.values()), f"both workers credited deals: {done}")
        with self._connection() as cr:
            cr.execute(
                """
                SELECT lead_id, employee_id, count(*), sum(amount)
                  FROM crm_contribution WHERE rule_id = %s AND lead_id = ANY(%s)
                 GROUP BY lead_id, employee_id
                """,
                (self.rule_id, self.lead_ids),
            )
            rows = cr.fetchall()
            cr.execute(
                "SELECT count(*) FROM crm_contribution_queue WHERE lead_id = ANY(%s)",
                [self.lead_ids],
            )
            left = cr.fetchone()[0]
        self.assertEqual(len(rows), DEALS * 2, "every contributor of every deal credited")
        self.assertEqual(
            {(count, amount) for _l, _e, count, amount in rows}, {(1, 5_000)}, "once each"
        )
        self.assertEqual(left, 0, "nothing left in the queue")

    def test_a_worker_that_loses_the_race_stops_without_error(self):
        """The race the test above meets by chance, made certain: a worker's
        transaction has taken its snapshot when another worker credits the
        notes and commits. Locking rows changed after one's snapshot fails in
        PostgreSQL's REPEATABLE READ (Odoo's isolation) instead of skipping
        them; the late worker stops without error, having credited nothing,
        and its next transaction finds nothing left."""
        with self._connection() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["crm.lead"].browse(self.race_lead_ids).write({"stage_id": self.stage_won_id})
        late = self._connection()
        try:
            late.execute("SELECT count(*) FROM crm_contribution_queue")  # its snapshot
            with self._connection() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                self.assertEqual(env["crm.contribution.queue"]._process(), (RACE_DEALS, 0))
            env = api.Environment(late, SUPERUSER_ID, {})
            done, remaining = env["crm.contribution.queue"]._process()
            env.flush_all()
            self.assertEqual(done, 0, "the late worker credits nothing")
            self.assertEqual(remaining, RACE_DEALS, "it still sees the notes it lost")
            late.commit()  # its transaction is still usable
        finally:
            late.close()
        with self._connection() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.assertEqual(env["crm.contribution.queue"]._process(), (0, 0))
            cr.execute(
                """
                SELECT count(*), count(DISTINCT (lead_id, employee_id))
                  FROM crm_contribution WHERE rule_id = %s AND lead_id = ANY(%s)
                """,
                (self.rule_id, self.race_lead_ids),
            )
            self.assertEqual(cr.fetchone(), (RACE_DEALS * 2, RACE_DEALS * 2), "once each")
