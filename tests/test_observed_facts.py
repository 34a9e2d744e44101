"""Issue 21: money follows only facts the server observed, and no behaviour
switch comes from the client (reproductions 1, 2, 8 and 9)."""

import json
import xmlrpc.client
from datetime import date, timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from ..models import crm_everyone_sells_job
from ..models.server_switches import crediting_is_off, without_crediting
from .common import ContributionCase
from .test_background_jobs import JobsMixin
from .test_mail_gateway import SignalMailCase

# The keys a hostile caller tries: the ones the addon used to obey, and the
# names of its private switches (a caller can send the key, never the object).
CLIENT_SWITCHES = {
    "everyone_sells_no_credit": True,
    "import_file": True,
    "everyone_sells_credit_import": False,
    "everyone_sells_crediting_switch": True,
    "everyone_sells_import_switch": True,
    "everyone_sells_confirm_switch": True,
    "everyone_sells_mail_switch": True,
    "tz": "Pacific/Kiritimati",
}


class ObservedFactsCase(ContributionCase):
    def today(self):
        return self.env["crm.contribution"]._company_today(self.company)

    def won_deal(self, **values):
        """A deal the salesperson wins, credited (¥50,000 to support)."""
        lead = self.make_deal(**values)
        lead.with_user(self.user_salesman).action_set_won()
        self.assertEqual(self.credits(lead).amount, 50_000)
        return lead


@tagged("post_install", "-at_install")
class TestNoClientSwitchOverXmlRpc(HttpCase, ObservedFactsCase):
    """Reproduction 1, as it was done: the salesperson over XML-RPC, with the
    context keys that used to switch crediting off."""

    def rpc(self, model, method, args, context=None):
        uid = self.xmlrpc_common.authenticate(self.env.cr.dbname, "es_salesman", "es_salesman", {})
        self.assertEqual(uid, self.user_salesman.id)
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname,
            uid,
            "es_salesman",
            model,
            method,
            args,
            {"context": context or {}},
        )

    def jsonrpc(self, model, method, args, context=None):
        """The same over JSON-RPC (``action_set_lost`` returns None, which
        XML-RPC cannot carry)."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [
                    self.env.cr.dbname,
                    self.user_salesman.id,
                    "es_salesman",
                    model,
                    method,
                    args,
                    {"context": context or {}},
                ],
            },
        }
        response = self.url_open(
            "/jsonrpc", data=json.dumps(payload), headers={"Content-Type": "application/json"}
        ).json()
        self.assertNotIn("error", response)
        return response.get("result")

    def assertReversed(self, lead):
        entries = self.credits(lead)
        reversal = entries.filtered("reversed_entry_id")
        self.assertEqual(len(reversal), 1, "the credit is reversed")
        self.assertEqual(reversal.amount, -50_000)
        self.assertEqual(reversal.reversal_reason, "lost")
        self.assertEqual(sum(entries.mapped("amount")), 0)

    def test_lost_with_no_credit_context_is_reversed(self):
        lead = self.won_deal()
        self.jsonrpc("crm.lead", "action_set_lost", [lead.ids], {"everyone_sells_no_credit": True})
        lead.invalidate_recordset()
        self.assertFalse(lead.active)
        self.assertReversed(lead)

    def test_archived_with_import_file_context_is_reversed(self):
        lead = self.won_deal()
        self.rpc("crm.lead", "write", [lead.ids, {"active": False}], {"import_file": True})
        self.assertReversed(lead)

    def test_no_context_key_switches_a_win_off(self):
        lead = self.make_deal()
        self.rpc("crm.lead", "write", [lead.ids, {"stage_id": self.stage_won.id}], CLIENT_SWITCHES)
        entry = self.credits(lead)
        self.assertEqual(entry.amount, 50_000)
        self.assertEqual(entry.date, self.today(), "dated in Tokyo, not in the caller's tz")
        lead.invalidate_recordset()
        self.assertTrue(lead.everyone_sells_won_date)

    def test_won_date_is_not_the_callers_to_write(self):
        lead = self.won_deal()
        observed = lead.everyone_sells_won_date
        for method, args in (
            ("write", [lead.ids, {"everyone_sells_won_date": "2025-06-30 03:00:00"}]),
            (
                "create",
                [
                    {
                        "name": "日付つきの受注",
                        "type": "opportunity",
                        "everyone_sells_won_date": "2025-06-30 03:00:00",
                    }
                ],
            ),
        ):
            with self.subTest(method=method), self.assertRaises(xmlrpc.client.Fault) as caught:
                self.rpc("crm.lead", method, args, CLIENT_SWITCHES)
            self.assertIn("nobody writes it", caught.exception.faultString)
        result = self.rpc(
            "crm.lead",
            "load",
            [[".id", "everyone_sells_won_date"], [[str(lead.id), "2025-06-30 03:00:00"]]],
        )
        self.assertTrue(result["messages"], "the import refuses it")
        lead.invalidate_recordset()
        self.assertEqual(lead.everyone_sells_won_date, observed)


@tagged("post_install", "-at_install")
class TestMoneyFollowsObservedFacts(ObservedFactsCase):
    """Reproduction 2 and the principle: the day the server saw the win
    dates the credit and chooses the rule; nothing a salesperson writes
    moves it into the past."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # This year's 5 % rule, and last year's 20 % rule, long expired.
        cls.rule_won.date_from = "2026-01-01"
        cls.rule_expired = cls.make_rule(
            name="旧受注貢献 20 %", percentage=20, date_from="2020-01-01", date_to="2025-12-31"
        )

    def test_backdated_close_date_and_nudged_revenue_credit_nothing_in_the_past(self):
        lead = self.won_deal()
        self.assertEqual(self.credits(lead).rule_id, self.rule_won)
        as_salesman = lead.with_user(self.user_salesman)
        as_salesman.write({"date_closed": "2025-06-30 03:00:00"})
        as_salesman.write({"expected_revenue": 1_100_000})
        entries = self.credits(lead)
        self.assertFalse(entries.filtered(lambda e: e.rule_id == self.rule_expired))
        self.assertFalse(entries.filtered(lambda e: e.date < self.today()), "nothing backdated")
        correction = entries.filtered(lambda e: e.amount > 0 and not e.reversed_entry_id)
        self.assertEqual(sorted(correction.mapped("amount")), [50_000, 55_000])
        new = correction.filtered(lambda e: e.amount == 55_000)
        self.assertEqual((new.state, new.date), ("draft", self.today()), "reviewed like any credit")
        self.assertFalse(new.backdate_reason)
        self.assertEqual(sum(entries.mapped("amount")), 55_000)

    def test_close_date_alone_changes_nothing(self):
        lead = self.won_deal()
        lead.with_user(self.user_salesman).write({"date_closed": "2025-06-30 03:00:00"})
        self.assertEqual(len(self.credits(lead)), 1)

    def test_contributor_added_after_the_win_is_credited_today(self):
        lead = self.won_deal()
        self.env.flush_all()
        # The server saw the win on 2026-01-15 (Tokyo).
        self.env.cr.execute(
            "UPDATE crm_lead SET everyone_sells_won_date = '2026-01-15 01:00:00' WHERE id = %s",
            [lead.id],
        )
        self.env.invalidate_all()
        lead.with_user(self.user_salesman).contributor_ids = [
            Command.create({"employee_id": self.employee_engineer.id, "role": "technical"})
        ]
        added = self.credits(lead, self.employee_engineer)
        self.assertEqual(added.rule_id, self.rule_won, "the rules of the observed win")
        self.assertEqual(added.date, self.today(), "dated when the change was observed")

    def test_created_won_with_an_old_close_date_waits_for_credit_past_wins(self):
        lead = (
            self.env["crm.lead"]
            .with_user(self.user_salesman)
            .create(
                {
                    "name": "最初から受注の商談",
                    "type": "opportunity",
                    "company_id": self.company.id,
                    "team_id": self.team.id,
                    "expected_revenue": 1_000_000,
                    "stage_id": self.stage_won.id,
                    "probability": 100,
                    "date_closed": "2025-06-30 03:00:00",
                    "contributor_ids": [
                        Command.create({"employee_id": self.employee_support.id, "role": "other"})
                    ],
                }
            )
        )
        self.assertTrue(lead.everyone_sells_is_won)
        self.assertFalse(self.credits(lead), "not credited by itself")
        self.assertFalse(lead.everyone_sells_won_date)
        # Listed for Credit Past Wins.
        listed = (
            self.env["crm.lead"]
            .with_user(self.user_admin)
            .search([("everyone_sells_past_win", "=", True)])
        )
        self.assertIn(lead, listed)
        # Nudging it credits nothing either.
        lead.with_user(self.user_salesman).write({"expected_revenue": 1_000_001})
        self.assertFalse(self.credits(lead))
        # Only Credit Past Wins credits it: an administrator's act, with a reason.
        with self.assertRaises(AccessError):
            self.env["crm.contribution.credit.history"].with_user(self.user_salesman).create(
                {"lead_ids": [Command.set(lead.ids)], "date": "2025-06-30", "reason": "x"}
            ).action_apply()
        Wizard = self.env["crm.contribution.credit.history"].with_user(self.user_admin)
        with self.assertRaises(UserError):
            Wizard.create(
                {"lead_ids": [Command.set(lead.ids)], "date": "2025-06-30", "reason": "  "}
            ).action_apply()
        with self.assertRaises(UserError):
            Wizard.create(
                {
                    "lead_ids": [Command.set(lead.ids)],
                    "date": self.today() + timedelta(days=2),
                    "reason": "未来の日付",
                }
            ).action_apply()
        self.assertFalse(self.credits(lead))
        Wizard.create(
            {
                "lead_ids": [Command.set(lead.ids)],
                "date": "2025-06-30",
                "reason": "2025年6月の受注を旧システムから移行",
            }
        ).action_apply()
        entry = self.credits(lead)
        self.assertEqual(entry.rule_id, self.rule_expired, "the rules of the chosen date")
        self.assertEqual((entry.amount, entry.date), (200_000, date(2025, 6, 30)))
        self.assertEqual(entry.backdate_reason, "2025年6月の受注を旧システムから移行")
        self.assertEqual(entry.maker_id, self.user_admin)
        self.assertEqual(entry.state, "draft")
        lead.invalidate_recordset()
        self.assertFalse(lead.everyone_sells_past_win)

    def test_credit_past_wins_on_today_records_no_backdate(self):
        lead = self.make_deal()
        self.import_won(lead)
        self.env["crm.contribution.credit.history"].with_user(self.user_admin).create(
            {"lead_ids": [Command.set(lead.ids)], "date": self.today(), "reason": "本日分"}
        ).action_apply()
        entry = self.credits(lead)
        self.assertEqual(entry.date, self.today())
        self.assertFalse(entry.backdate_reason, "set only on credits dated in the past")

    def test_tz_context_cannot_move_a_credit_date(self):
        for tz in ("Pacific/Kiritimati", "Etc/GMT+12"):
            with self.subTest(tz=tz):
                lead = self.make_deal(signal_name=f"要望 {tz}")
                lead.with_user(self.user_salesman).with_context(tz=tz).action_set_won()
                self.env["crm.contribution.queue"].with_context(tz=tz)._process()
                self.assertEqual(self.credits(lead).date, self.today())

    def test_reversal_is_dated_in_the_company_time_zone(self):
        lead = self.won_deal()
        for tz in ("Pacific/Kiritimati", "Etc/GMT+12"):
            self.user_salesman.tz = tz
            as_salesman = lead.with_user(self.user_salesman).with_context(tz=tz)
            as_salesman.action_set_lost()
            self.run_crediting()
            as_salesman.action_unarchive()
            as_salesman.write({"stage_id": self.stage_new.id})
            as_salesman.write({"stage_id": self.stage_won.id})
            self.run_crediting()
        entries = self.credits(lead).filtered("reversed_entry_id")
        self.assertEqual(len(entries), 2)
        self.assertEqual(set(entries.mapped("date")), {self.today()})

    def test_deleting_a_credited_deal_reverses_its_credit(self):
        lead = self.won_deal()
        credit = self.credits(lead)
        lead.with_user(self.user_sales_manager).with_context(**CLIENT_SWITCHES).unlink()
        self.assertEqual(credit.reversal_entry_ids.amount, -50_000)

    def test_merging_a_credited_deal_away_reverses_its_credit(self):
        lead = self.won_deal()
        credit = self.credits(lead)
        other = self.make_deal(signal_name="同じ顧客の別件")
        merged = (
            (other | lead)
            .with_context(**CLIENT_SWITCHES)
            ._merge_opportunity(auto_unlink=True, max_length=None)
        )
        if merged == lead:
            self.assertFalse(credit.reversal_entry_ids, "the surviving deal keeps its credit")
        else:
            self.assertEqual(credit.reversal_entry_ids.amount, -50_000)


@tagged("post_install", "-at_install")
class TestCreditPastWinsInTheBackground(JobsMixin, ObservedFactsCase):
    def test_the_job_keeps_the_wizards_user_as_maker_and_the_reason(self):
        leads = self.make_deal() | self.make_deal(signal_name="二件目")
        self.import_won(leads)
        action = (
            self.env["crm.contribution.credit.history"]
            .with_user(self.user_admin)
            .create(
                {
                    "lead_ids": [Command.set(leads.ids)],
                    "date": "2026-01-31",
                    "reason": "一月の受注を移行",
                }
            )
            .action_apply()
        )
        self.assertEqual(action["tag"], "display_notification", "queued")
        with patch.object(crm_everyone_sells_job, "CREDIT_BATCH", 1):
            self.run_jobs()
        entries = self.env["crm.contribution"].search([("lead_id", "in", leads.ids)])
        self.assertEqual(len(entries), 2)
        self.assertEqual(entries.maker_id, self.user_admin)
        self.assertEqual(set(entries.mapped("backdate_reason")), {"一月の受注を移行"})
        self.assertEqual(set(entries.mapped("date")), {date(2026, 1, 31)})


@tagged("post_install", "-at_install")
class TestNobodyEarnsOnTheirOwnSignal(SignalMailCase, ContributionCase):
    """Reproductions 8 and 9."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for trigger in ("handed_off", "resolved", "insight_used"):
            cls.make_rule(
                name=f"{trigger} 1,000円",
                trigger=trigger,
                compute_method="fixed",
                fixed_amount=1_000,
                exclude_sales=False,
            )

    def handoff_credits(self, signal):
        signal.invalidate_recordset(["contribution_ids"])
        return signal.contribution_ids.filtered(lambda e: e.trigger == "handed_off")

    def test_own_signal_handed_off_earns_no_handoff_credit(self):
        own = self.log_signal(user=self.user_salesman, name="自分で聞いた要望")
        self.hand_off(own, user=self.user_salesman)
        self.assertEqual(own.state, "handed_off")
        self.assertFalse(self.handoff_credits(own), "nobody earns on their own signal")
        # A colleague's signal, handed off by the salesperson, earns.
        other = self.log_signal(name="サポートが聞いた要望", partner_id=self.customer_other.id)
        self.hand_off(other, user=self.user_salesman)
        self.assertEqual(self.handoff_credits(other).amount, 1_000)

    def test_no_resolution_or_insight_credit_on_ones_own_signal(self):
        own = self.log_signal(user=self.user_salesman, name="自分の気づき")
        for trigger in ("resolved", "insight_used"):
            with self.subTest(trigger=trigger):
                earned = own.with_user(self.user_salesman)._credit_signal_event(trigger)
                self.assertFalse(earned)

    def test_to_confirm_is_not_the_salespersons_to_clear(self):
        signal = self._receive(self.user_support.email, "メールで届いた要望")
        self.assertTrue(signal.to_confirm)
        as_salesman = signal.with_user(self.user_salesman).with_context(**CLIENT_SWITCHES)
        with self.assertRaises(AccessError):
            as_salesman.write({"to_confirm": False})
        with self.assertRaises(AccessError):
            signal.write({"to_confirm": False})  # not even the superuser writes it
        with self.assertRaises(UserError):
            as_salesman.write({"state": "handed_off", "lead_id": self.make_deal().id})
        with self.assertRaisesRegex(UserError, "waits for its employee"):
            self.hand_off(signal, user=self.user_salesman)
        self.assertFalse(signal.contribution_ids)
        signal.invalidate_recordset()
        self.assertTrue(signal.to_confirm)
        # Its employee's Confirm is the one way: then it goes on and earns.
        signal.with_user(self.user_support).action_confirm_signal()
        self.assertFalse(signal.to_confirm)
        self.hand_off(signal, user=self.user_salesman)
        self.assertEqual(self.handoff_credits(signal).amount, 1_000)

    def test_nobody_logs_a_signal_waiting_for_confirmation(self):
        for user in (self.user_support, self.user_salesman):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["crm.signal"].with_user(user).with_context(**CLIENT_SWITCHES).create(
                    {
                        "name": "確認待ちの偽装",
                        "employee_id": self.employee_support.id,
                        "to_confirm": True,
                    }
                )
        signal = self.log_signal(name="普通の記録")
        self.assertFalse(signal.to_confirm)


@tagged("post_install", "-at_install")
class TestTheServerSwitchIsNotTheClients(ObservedFactsCase):
    def test_only_the_private_object_switches_crediting_off(self):
        self.assertTrue(crediting_is_off(without_crediting(self.env)))
        self.assertFalse(crediting_is_off(self.env(context=dict(CLIENT_SWITCHES))))
        self.assertEqual(
            self.env["crm.contribution"]
            .with_context(tz="Etc/GMT+12")
            ._event_date(fields.Datetime.now(), self.company),
            self.today(),
        )
