import base64
import io
import zipfile
from datetime import timedelta
from unittest.mock import patch

import openpyxl

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import file_open, mute_logger

from ..models import crm_contribution_payout as payout_model
from ..models import crm_everyone_sells_job
from .common import ContributionCase, PayoutCase
from .test_walkthrough import JapaneseCase


class JobsMixin:
    """Background jobs at a size of 1 entry, run as the cron runs them."""

    def setUp(self):
        super().setUp()
        self.company.everyone_sells_job_background_size = 1
        self.cron = self.env.ref("crm_everyone_sells.ir_cron_background_jobs")
        self.Job = self.env["crm.everyone.sells.job"]
        # The job works in a cursor of its own: here, one over the test's
        # transaction (its commits are savepoints).
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)

    # ------------------------------------------------------------------

    def imported_wins(self, count=2):
        """Won deals imported (``load``) without credit, two contributors each."""
        leads = self.env["crm.lead"]
        for number in range(count):
            lead = self.make_deal(name=f"過去の受注 {number}")
            lead.contributor_ids = [
                Command.create(
                    {"employee_id": self.employee_engineer.id, "weight": 1, "role": "other"}
                )
            ]
            self.import_won(lead)
            leads |= lead
        self.assertFalse(self.ledger(leads))
        return leads

    def two_credits(self):
        """Two ledger entries this month: more than the company's size (1)."""
        for number in range(2):
            self.mark_won(self.make_deal(name=f"今月の受注 {number}"))

    def ledger(self, leads):
        self.env.flush_all()
        return self.env["crm.contribution"].search([("lead_id", "in", leads.ids)])

    def credit_past_wins(self, leads, user=None, **context):
        wizard = (
            self.env["crm.contribution.credit.history"]
            .with_user(user or self.user_admin)
            .with_context(**context)
            .create(
                {
                    "lead_ids": [Command.set(leads.ids)],
                    "date": "2025-06-30",
                    "reason": "旧システムから移行した受注",
                }
            )
        )
        return wizard.action_apply()

    def export(self, user=None, **values):
        wizard = (
            self.env["crm.contribution.evaluation.export"]
            .with_user(user or self.user_manager)
            .create(
                {
                    "date_from": fields.Date.today().replace(day=1),
                    "date_to": fields.Date.today() + timedelta(days=1),
                    **values,
                }
            )
        )
        return wizard.action_export_xlsx()

    def run_step(self):
        """One call of the scheduled action; what it reported."""
        with patch.object(type(self.env["ir.cron"]), "_notify_progress") as notify:
            self.Job._cron_run()
        self.env.invalidate_all()
        return notify.call_args.kwargs

    def run_jobs(self):
        """The scheduled action called again while it says jobs remain."""
        for _call in range(20):
            if not self.run_step()["remaining"]:
                return
        self.fail("the jobs never end")

    def triggers(self):
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])

    def last_job(self):
        return self.Job.search([], limit=1)

    def company_today(self):
        """The company's today (Asia/Tokyo), the day credits are dated: from
        15:00 UTC it is already tomorrow there."""
        return self.env["crm.contribution"]._company_today(self.company)


@tagged("post_install", "-at_install")
class TestBackgroundJobs(JobsMixin, ContributionCase):
    """Issue 16: Credit Past Wins and the evaluation export too large for one
    request run as a job, as the user who started it, who follows its
    progress and is notified with the result; nobody can forge a job."""

    # ------------------------------------------------------------------
    # BELOW THE SIZE: as before
    # ------------------------------------------------------------------

    def test_small_work_runs_at_once(self):
        self.company.everyone_sells_job_background_size = 5_000
        leads = self.imported_wins()
        action = self.credit_past_wins(leads)
        self.assertEqual(action["res_model"], "crm.contribution")
        self.assertEqual(sorted(action["domain"][0][2]), sorted(self.ledger(leads).ids))
        self.two_credits()
        action = self.export()
        self.assertIn("/xlsx_file/", action["url"])
        self.assertFalse(self.Job.search_count([]), "no job below the size")

    def test_zero_size_never_runs_in_the_background(self):
        self.company.everyone_sells_job_background_size = 0
        leads = self.imported_wins()
        self.assertEqual(self.credit_past_wins(leads)["res_model"], "crm.contribution")
        self.assertFalse(self.Job.search_count([]))

    # ------------------------------------------------------------------
    # CREDIT PAST WINS
    # ------------------------------------------------------------------

    def test_large_credit_history_runs_in_batches_and_notifies_its_starter(self):
        leads = self.imported_wins()
        triggers = self.triggers()
        action = self.credit_past_wins(leads)
        self.assertEqual(action["tag"], "display_notification")
        job = self.last_job()
        self.assertIn(job._url(), action["params"]["links"][0]["url"])
        self.assertEqual(
            (job.kind, job.state, job.user_id, job.company_id),
            ("credit_history", "queued", self.user_admin, self.company),
        )
        self.assertEqual(job.lead_ids, leads)
        self.assertFalse(self.ledger(leads), "nothing credited in the request")
        self.assertGreater(self.triggers(), triggers, "the job is woken at once")

        sent = []
        bus = type(self.env["bus.bus"])
        with (
            patch.object(crm_everyone_sells_job, "CREDIT_BATCH", 1),
            patch.object(
                bus,
                "_sendone",
                lambda _bus, _target, kind, payload: (
                    kind == "simple_notification" and sent.append(payload)
                ),
            ),
        ):
            self.assertEqual(self.run_step(), {"done": 1, "remaining": 1})
            self.assertEqual((job.state, job.progress_done, job.progress_total), ("running", 0, 2))
            self.assertTrue(job.date_started)
            self.assertFalse(self.ledger(leads))
            self.assertEqual(self.run_step(), {"done": 1, "remaining": 1})
            self.assertEqual((job.state, job.progress_done, job.progress_total), ("running", 1, 2))
            self.assertEqual(job.progress, 50.0)
            first = self.ledger(leads)
            self.assertEqual(first.lead_id, leads.sorted("id")[:1])
            self.assertEqual(job.entry_ids, first)
            self.assertFalse(sent, "not notified before the end")
            self.assertEqual(self.run_step(), {"done": 1, "remaining": 0})
        self.assertEqual(job.state, "done")
        entries = self.ledger(leads)
        self.assertEqual(entries.lead_id, leads)
        self.assertEqual(job.entry_ids, entries)
        self.assertEqual({str(date) for date in entries.mapped("date")}, {"2025-06-30"})
        # The result, from the job the notification links to.
        result = job.with_user(self.user_admin).action_open_entries()
        self.assertEqual(result["domain"], [("id", "in", entries.ids)])
        message = job.message_ids[:1]
        self.assertIn(self.user_admin.partner_id, message.partner_ids, "the starter is notified")
        self.assertIn(job._url(), message.body)
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent[0]["type"], "success")

    def test_running_again_never_credits_twice(self):
        leads = self.imported_wins()
        self.credit_past_wins(leads)
        job = self.last_job()
        self.run_jobs()
        credited = self.ledger(leads)
        self.assertTrue(credited)
        self.run_jobs()
        # A worker that died after crediting a batch is resumed from the
        # last committed step; crediting the same deals again adds nothing.
        job.write({"state": "running", "progress_done": 0})
        self.run_jobs()
        self.assertEqual(job.state, "done")
        self.assertEqual(self.ledger(leads), credited)
        self.credit_past_wins(leads)
        self.run_jobs()
        self.assertEqual(self.ledger(leads), credited, "a second job credits nothing")
        self.assertFalse(self.last_job().entry_ids)

    def test_a_failure_is_reported_and_changes_nothing(self):
        leads = self.imported_wins()
        self.credit_past_wins(leads)
        job = self.last_job()
        ledger = type(self.env["crm.contribution"])
        credit = ledger._credit_won_leads

        def credit_then_fail(records, *args, **kwargs):
            credit(records, *args, **kwargs)
            raise ValueError("Le serveur a refusé")

        with (
            patch.object(ledger, "_credit_won_leads", credit_then_fail),
            mute_logger("odoo.sql_db"),
        ):
            self.run_jobs()
        self.assertEqual(job.state, "failed")
        self.assertIn("refusé", job.error)
        self.assertFalse(self.ledger(leads), "the failed step wrote nothing")
        self.assertIn("failed", job.message_ids[:1].body)
        # Only its starter retries it, and it goes on from there.
        with self.assertRaises(UserError):
            job.with_user(self.user_manager).action_retry()
        job.with_user(self.user_admin).action_retry()
        self.assertEqual(job.state, "queued")
        self.run_jobs()
        self.assertEqual(job.state, "done")
        self.assertEqual(self.ledger(leads).lead_id, leads)

    def test_a_step_that_never_ends_fails_the_job_and_frees_the_queue(self):
        leads = self.imported_wins()
        self.credit_past_wins(leads)
        stuck = self.last_job()
        self.two_credits()
        self.export()
        export = self.last_job()
        # Three workers died in the same step (killed at the time limit).
        stuck.write({"state": "running", "attempts": 3})
        self.run_jobs()
        self.assertEqual(stuck.state, "failed")
        self.assertIn("never ended", stuck.error)
        self.assertFalse(self.ledger(leads))
        self.assertEqual(export.state, "done", "the next job ran")
        self.assertEqual(export.attempts, 0)

    def test_the_job_runs_as_its_starter(self):
        leads = self.imported_wins()
        self.credit_past_wins(leads)
        job = self.last_job()
        # The starter lost the right to credit past wins before it ran.
        self.user_admin.groups_id = [
            Command.unlink(self.env.ref("crm_everyone_sells.group_admin").id)
        ]
        self.run_jobs()
        self.assertEqual(job.state, "failed")
        self.assertIn("administrators", job.error)
        self.assertFalse(self.ledger(leads))

    # ------------------------------------------------------------------
    # EVALUATION EXPORT
    # ------------------------------------------------------------------

    def test_large_export_runs_as_a_job_with_a_private_download(self):
        self.two_credits()
        action = self.export()
        self.assertEqual(action["tag"], "display_notification")
        job = self.last_job()
        self.assertEqual(
            (job.kind, job.state, job.user_id), ("evaluation_export", "queued", self.user_manager)
        )
        self.run_jobs()
        self.assertEqual(job.state, "done")
        self.assertEqual(
            self.env["crm.contribution.evaluation.export"].search([], limit=1).create_uid,
            self.user_manager,
            "the workbook is read as its starter",
        )
        mine = job.with_user(self.user_manager)
        sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(mine.result_file))).active
        rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
        self.assertEqual(rows["佐藤 花子"][1], "カスタマーサポート部")
        self.assertEqual(job.progress_done, len(rows))
        self.assertEqual(mine.action_download()["url"], job._download_url())
        self.assertIn(job._download_url().replace("&", "&amp;"), job.message_ids[:1].body)
        # Someone else's job and its file stay theirs.
        for user in (self.user_support, self.user_sales_manager):
            with self.assertRaises(AccessError):
                job.with_user(user).read(["result_file"])
        self.assertEqual(self.Job.with_user(self.user_support).search([]), self.Job)

    # ------------------------------------------------------------------
    # WHAT AN RPC CALLER COULD TRY
    # ------------------------------------------------------------------

    def test_nobody_creates_or_writes_a_job(self):
        for user in (self.user_manager, self.user_admin):
            with self.assertRaises(AccessError):
                self.Job.with_user(user).create(
                    {"kind": "evaluation_export", "user_id": self.user_support.id}
                )
        self.two_credits()
        self.export()
        job = self.last_job()
        self.assertTrue(job)
        for values in (
            {"user_id": self.user_admin.id},
            {"state": "done"},
            {"company_id": self.other_company.id},
        ):
            with self.assertRaises(AccessError):
                job.with_user(self.user_manager).write(values)
        with self.assertRaises(AccessError):
            job.with_user(self.user_manager).unlink()

    def test_ended_jobs_and_their_files_go_after_some_days(self):
        keep = crm_everyone_sells_job.KEEP_DAYS
        self.assertTrue(getattr(type(self.Job)._gc_ended_jobs, "_autovacuum", False))
        self.assertIn(f"{keep} days", self.Job._fields["date_done"].help)
        self.two_credits()
        self.export()
        self.run_jobs()
        ended = self.last_job()
        self.assertEqual(ended.state, "done")
        files = self.env["ir.attachment"].search(
            [
                ("res_model", "=", ended._name),
                ("res_id", "=", ended.id),
                ("res_field", "=", "result_file"),
            ]
        )
        self.assertTrue(files)
        self.export()
        waiting = self.last_job()
        self.assertEqual(waiting.state, "queued")
        self.assertEqual(self.Job._gc_ended_jobs(), 0, "a job ended today is kept")
        long_ago = fields.Datetime.now() - timedelta(days=keep + 1)
        (ended | waiting).write({"date_done": long_ago})
        self.assertEqual(self.Job._gc_ended_jobs(), 1)
        self.assertFalse(ended.exists())
        self.assertFalse(files.exists(), "its file went with it")
        self.assertTrue(waiting.exists(), "a job that has not ended stays")

    def test_defaults_in_the_context_do_not_fill_the_job(self):
        self.two_credits()
        wizard = (
            self.env["crm.contribution.evaluation.export"]
            .with_user(self.user_manager)
            .create({"date_from": "2020-01-01", "date_to": self.company_today()})
        )
        wizard.with_context(
            default_user_id=self.user_admin.id,
            default_state="done",
            default_progress_done=99,
            default_result_filename="forged.xlsx",
        ).action_export_xlsx()
        job = self.last_job()
        self.assertEqual(
            (job.user_id, job.state, job.progress_done, job.result_filename),
            (self.user_manager, "queued", 0, False),
        )

    def test_no_job_in_another_company(self):
        with self.assertRaisesRegex(UserError, "companies"):
            self.Job.with_user(self.user_manager)._queue(
                "evaluation_export", self.other_company, {"date_from": "2020-01-01"}
            )
        self.assertFalse(self.Job.search_count([]))
        # A job whose starter has left its company fails, reading nothing.
        self.two_credits()
        self.export()
        job = self.last_job()
        self.user_manager.write(
            {
                "company_ids": [Command.set(self.other_company.ids)],
                "company_id": self.other_company.id,
            }
        )
        self.run_jobs()
        self.assertEqual(job.state, "failed")
        self.assertFalse(job.result_file)

    def test_the_jobs_have_a_menu_and_screens(self):
        menu = self.env.ref("crm_everyone_sells.menu_background_jobs")
        for user in (self.user_manager, self.user_admin):
            menus = self.env["ir.ui.menu"].with_user(user).load_menus(False)
            self.assertIn(menu.id, menus, f"{user.name} finds Background Jobs")
        views = self.Job.with_user(self.user_manager).get_views(
            [(False, "list"), (False, "form"), (False, "search")]
        )
        self.assertIn("action_download", views["views"]["form"]["arch"])

    def test_one_runner_for_every_kind(self):
        """One mechanism for background work (issue 24): every kind, the
        payout's Compute, Confirm and Mark as Paid included, is a step of the
        one scheduled action; the payout has no scheduled action of its own."""
        kinds = dict(self.Job._fields["kind"].selection)
        self.assertLessEqual({"payout_compute", "payout_confirm", "payout_done"}, set(kinds))
        for kind in kinds:
            self.assertTrue(callable(getattr(self.Job, f"_step_{kind}", None)), kind)
        self.assertEqual(self.cron.code, "model._cron_run()")
        self.assertFalse(
            self.env["ir.cron"].search_count([("model_id.model", "=", "crm.contribution.payout")])
        )


@tagged("post_install", "-at_install")
class TestBackgroundJobsInJapanese(JobsMixin, JapaneseCase):
    def test_the_starter_reads_the_end_in_their_language(self):
        # Odoo reads ja.po through the template: new terms count once the
        # lead has regenerated i18n/crm_everyone_sells.pot.
        with file_open("crm_everyone_sells/i18n/crm_everyone_sells.pot") as pot:
            if 'msgid "%(job)s is done."' not in pot.read():
                self.skipTest("i18n/crm_everyone_sells.pot does not hold the jobs' terms yet")
        self.user_admin.lang = "ja_JP"
        self.user_manager.lang = "ja_JP"
        leads = self.imported_wins()
        action = self.credit_past_wins(leads, lang="ja_JP")
        self.assertEqual(action["params"]["title"], "バックグラウンドで実行中")
        self.two_credits()
        self.export()
        self.run_jobs()
        credit, export = self.Job.search([], order="id")
        self.assertIn("過去の受注に付与", credit.message_ids[:1].body)
        self.assertIn("完了しました", credit.message_ids[:1].body)
        self.assertIn("Excelファイルをダウンロード", export.message_ids[:1].body)
        sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(export.result_file))).active
        self.assertEqual(sheet.title, "評価")


@tagged("post_install", "-at_install")
class TestStatementsInBackground(JobsMixin, PayoutCase):
    """Printing the statements of a large payout (a PDF run per employee)
    is a background job: by department, in parts, in one ZIP file."""

    def confirmed_payout(self):
        self.won_and_approved(
            contributors=[
                (self.employee_support, 1, "originator"),
                (self.employee_engineer, 1, "technical"),
                (self.employee_marketer, 1, "other"),
            ]
        )
        payout = self.payout()
        payout.action_compute()
        payout.line_ids.write({"worked_hours": 160})
        payout.action_confirm()
        return payout

    def test_a_few_statements_print_at_once(self):
        payout = self.confirmed_payout()
        action = payout.with_user(self.user_admin).action_print_statements()
        self.assertEqual(action["type"], "ir.actions.report")
        self.assertFalse(self.Job.search([("payout_id", "=", payout.id)]))

    def test_many_statements_print_by_department_in_the_background(self):
        payout = self.confirmed_payout()
        self.assertEqual(len(payout.line_ids), 3)
        with (
            patch.object(payout_model, "STATEMENTS_AT_ONCE", 2),
            patch.object(crm_everyone_sells_job, "STATEMENT_BATCH", 1),
        ):
            result = payout.with_user(self.user_admin).action_print_statements()
            self.assertEqual(result["tag"], "display_notification")
            job = self.Job.search([("payout_id", "=", payout.id)])
            self.assertEqual(
                (job.kind, job.state, job.user_id), ("statements", "queued", self.user_admin)
            )
            self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual((job.progress_done, job.progress_total), (3, 3))
        archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(job.result_file)))
        departments = sorted(payout.line_ids.department_id, key=lambda department: department.name)
        self.assertEqual(
            archive.namelist(), [f"{department.name} 01.pdf" for department in departments]
        )
        for name in archive.namelist():
            self.assertTrue(archive.read(name))
        self.assertTrue(job.result_filename.startswith("statements_"))
        self.assertFalse(job._statement_parts(), "the parts are in the ZIP file, not kept")
        message = job.message_ids[:1]
        self.assertIn(self.user_admin.partner_id, message.partner_ids)
        self.assertIn(job._download_url(), message.body)

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")
    def test_an_employee_cannot_print_a_payouts_statements(self):
        payout = self.confirmed_payout()
        with patch.object(payout_model, "STATEMENTS_AT_ONCE", 0), self.assertRaises(AccessError):
            payout.with_user(self.user_support).action_print_statements()
        self.assertFalse(self.Job.search([("payout_id", "=", payout.id)]))
