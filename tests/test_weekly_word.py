from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged
from odoo.tools import file_open

from .common import ContributionCase
from .test_background_jobs import JobsMixin
from .test_walkthrough import JapaneseCase

SUBJECTS = ("Your week in Everyone Sells", "今週の全員営業")


class WeeklyWordMixin(JobsMixin):
    """A week of signals: one won (and credited), one declined, one of an
    employee who opted out; the weekly word run as its scheduled actions do."""

    def week(self):
        won = self.log_signal(name="API連携オプションを検討中")
        lead, _action = self.hand_off(won, expected_revenue=1_000_000)
        self.mark_won(lead)
        declined = self.log_signal(user=self.user_engineer, name="海外拠点でも使いたい")
        self.env["crm.signal.decline"].with_user(self.user_salesman).create(
            {
                "signal_ids": [Command.set(declined.ids)],
                "reason": "not_actionable",
                "note": "海外販売は来年度から",
            }
        ).action_apply()
        self.user_marketer.everyone_sells_weekly_word = False
        self.log_signal(user=self.user_marketer, name="展示会で聞いた要望")
        return won, declined

    def send_words(self):
        self.before = self.env["mail.message"].search([], order="id desc", limit=1).id or 0
        jobs = self.Job._cron_queue_weekly_word(
            date_to=self.env["crm.contribution"]._company_today(self.company),
            companies=self.company,
        )
        self.run_jobs()
        return jobs

    def word_of(self, user):
        return self.env["mail.message"].search(
            [
                ("id", ">", self.before),
                ("message_type", "=", "user_notification"),
                ("partner_ids", "in", user.partner_id.ids),
                ("subject", "in", SUBJECTS),
            ]
        )


@tagged("post_install", "-at_install")
class TestWeeklyWord(WeeklyWordMixin, ContributionCase):
    def test_each_employee_reads_what_their_signals_became_and_their_credit(self):
        won, declined = self.week()
        (job,) = self.send_words()
        self.assertEqual(job.kind, "weekly_word")
        self.assertEqual(job.state, "done", job.error)
        word = self.word_of(self.user_support)
        self.assertEqual(len(word), 1)
        self.assertIn(won.name, word.body)
        self.assertIn("Won", word.body)
        self.assertIn("Your credit this week", word.body)
        self.assertIn("50,000", word.body)
        word = self.word_of(self.user_engineer)
        self.assertIn(declined.name, word.body)
        self.assertIn("Declined", word.body)
        self.assertIn("Not actionable", word.body)
        self.assertIn("海外販売は来年度から", word.body)
        self.assertNotIn("Your credit this week", word.body)
        self.assertFalse(self.word_of(self.user_marketer), "she opted out")
        self.assertFalse(self.word_of(self.user_salesman_other), "nothing moved for him")

    def test_managers_read_the_credits_waiting_for_their_approval(self):
        self.week()
        self.send_words()
        word = self.word_of(self.user_manager)
        self.assertEqual(len(word), 1)
        self.assertIn("Credits waiting for your approval", word.body)
        self.assertIn("crm_contribution_action_approval", word.body)
        self.assertNotIn("Credits waiting for your approval", self.word_of(self.user_support).body)

    def test_a_week_is_written_once(self):
        self.week()
        self.send_words()
        self.assertFalse(
            self.Job._cron_queue_weekly_word(
                date_to=self.env["crm.contribution"]._company_today(self.company),
                companies=self.company,
            )
        )

    def test_the_scheduled_action_queues_the_week_ending_yesterday(self):
        cron = self.env.ref("crm_everyone_sells.ir_cron_weekly_word")
        cron.method_direct_trigger()
        job = self.Job.search([("kind", "=", "weekly_word"), ("company_id", "=", self.company.id)])
        self.assertEqual(len(job), 1)
        self.assertEqual((job.date_to - job.date_from).days, 6)
        self.assertLess(job.date_to, fields.Date.context_today(job))
        self.assertGreaterEqual(self.triggers(), 1)


@tagged("post_install", "-at_install")
class TestWeeklyWordInJapanese(WeeklyWordMixin, JapaneseCase):
    def test_the_weekly_word_reaches_employees_in_japanese(self):
        # Odoo reads ja.po through the template: the word's terms count once
        # the lead has regenerated i18n/crm_everyone_sells.pot.
        with file_open("crm_everyone_sells/i18n/crm_everyone_sells.pot") as pot:
            if 'msgid "Your week in Everyone Sells"' not in pot.read():
                self.skipTest("i18n/crm_everyone_sells.pot does not hold the weekly word yet")
        (self.user_support | self.user_engineer | self.user_manager).lang = "ja_JP"
        self.week()
        self.send_words()
        word = self.word_of(self.user_support)
        self.assertEqual(word.subject, "今週の全員営業")
        self.assertIn("佐藤 花子さん", word.body)
        self.assertIn("今週のシグナルの行方", word.body)
        self.assertIn("受注", word.body)
        word = self.word_of(self.user_engineer)
        self.assertIn("対応不可", word.body)
        self.assertIn("承認待ちの貢献額", self.word_of(self.user_manager).body)


@tagged("post_install", "-at_install")
class TestDigestKpis(ContributionCase):
    """Odoo's KPI digest: signals logged, handed off, late for an answer."""

    def kpis(self, user, **values):
        digest = self.env["digest.digest"].create(
            {"name": "全員営業ダイジェスト", "company_id": self.company.id, **values}
        )
        now = fields.Datetime.now()
        digest = digest.with_user(user).with_context(
            start_datetime=now - timedelta(days=7), end_datetime=now + timedelta(hours=1)
        )
        return digest

    def test_managers_read_the_signals_figures(self):
        handed = self.log_signal(name="引き継ぐ要望")
        self.hand_off(handed)
        late = self.log_signal(name="返事を待つ要望", partner_id=self.customer_other.id)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crm_signal SET response_deadline = now() at time zone 'utc' - interval "
            "'1 hour' WHERE id = %s",
            [late.id],
        )
        self.env.invalidate_all()
        digest = self.kpis(self.user_manager)
        self.assertEqual(digest.kpi_everyone_sells_signals_value, 2)
        self.assertEqual(digest.kpi_everyone_sells_handed_off_value, 1)
        self.assertEqual(digest.kpi_everyone_sells_late_value, 1)

    def test_the_figures_are_for_managers_only(self):
        self.log_signal()
        digest = self.kpis(self.user_support, kpi_everyone_sells_signals=True)
        values = digest._compute_kpis(self.company, self.user_support)
        self.assertNotIn(
            "kpi_everyone_sells_signals", [kpi["kpi_name"] for kpi in values], "skipped"
        )
