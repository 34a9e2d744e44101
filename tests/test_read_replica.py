"""Reads a read replica can serve.

Odoo 18 runs an RPC call of a method marked ``@api.readonly`` (the web
client's ``/web/dataset/call_kw`` and ``call_button``) on a read-only cursor,
on the replica when one is configured (``--db_replica_host``); a call that
writes there fails and is run again on the primary. The addon's own methods
behind Home, My Signals, My Contributions, the contribution analysis and the
evaluation are marked: each is run here as the client calls it, in a
transaction on which every write fails.
"""

import re
import threading
from contextlib import contextmanager
from datetime import date
from types import SimpleNamespace
from unittest.mock import patch

import psycopg2

from odoo import Command, api
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.web.controllers import dataset

from ..models.crm_contribution_evaluation_report import SUMS
from .test_program import ProgramCase

ADDON_MODULE = "odoo.addons.crm_everyone_sells."

# Every method of the addon marked @api.readonly, and the test that runs it in
# a read-only transaction. A method is marked only with such a test: a
# method that writes, marked by mistake, would fail on a replica (and Odoo
# would run every call of it twice).
READONLY_METHODS = {
    ("crm.everyone.sells.home", "action_open"): "test_home_visit_writes_nothing",
    ("crm.everyone.sells.home", "onchange"): "test_home_visit_writes_nothing",
    ("crm.signal", "action_open_lead"): "test_my_signals_read_only",
    ("crm.signal", "action_open_source"): "test_my_signals_read_only",
    ("res.partner", "name_search"): "test_my_signals_read_only",
    ("crm.contribution.analysis", "action_open_entries"): "test_contribution_analysis_read_only",
    ("crm.contribution.evaluation.report", "_read_group"): "test_evaluation_read_only",
}

# What a read never sends (a read-only transaction refuses most of them; a
# replica refuses them all, temporary tables included).
WRITES = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE|MERGE|CREATE|ALTER|DROP|TRUNCATE|LOCK|COPY)\b"
    r"|\bFOR\s+(NO\s+KEY\s+)?UPDATE\b|\bFOR\s+(KEY\s+)?SHARE\b|\bnextval\s*\(",
    re.IGNORECASE,
)


def marked_methods(env):
    """(model, method) of every method this addon defines with @api.readonly."""
    found = set()
    for name in env.registry:
        for cls in type(env[name]).mro():
            if not cls.__module__.startswith(ADDON_MODULE):
                continue
            for attribute, value in vars(cls).items():
                if callable(value) and getattr(value, "_readonly", False):
                    found.add((name, attribute))
    return found


def routed_read_only(registry, model, method):
    """Whether the web client's call_kw route runs ``model.method`` on a
    read-only cursor (Odoo's own decision, DataSet._call_kw_readonly)."""
    params = {"model": model, "method": method}
    request = SimpleNamespace(get_json_data=lambda: {"params": params}, registry=registry)
    with patch.object(dataset, "request", request):
        return dataset.DataSet._call_kw_readonly(None)


@tagged("post_install", "-at_install")
class TestReadReplica(ProgramCase):
    def setUp(self):
        super().setUp()
        self.start_pilot()
        # A deal from the support employee's signal, won and credited.
        self.lead = self.make_deal(contributors=[(self.employee_support, 1, "originator")])
        self.mark_won(self.lead)
        self.entries = self.credits(self.lead)
        self.assertTrue(self.entries)
        self.env.flush_all()

    def context(self, user, **values):
        return {
            "lang": "en_US",
            "tz": "Asia/Tokyo",
            "uid": user.id,
            "allowed_company_ids": self.company.ids,
            **values,
        }

    @contextmanager
    def read_only_transaction(self, statements=None):
        """A cursor as Odoo opens one for a read-only request: every write
        on it fails. ``statements`` collects what it sends."""
        self.env.flush_all()
        self.registry.enter_test_mode(self.cr)
        thread = threading.current_thread()
        hooks = getattr(thread, "query_hooks", None)
        if statements is not None:
            thread.query_hooks = [
                *(hooks or ()),
                lambda _cr, query, _params, _start, _delay: statements.append(
                    query.decode() if isinstance(query, bytes) else str(query)
                ),
            ]
        try:
            with self.registry.cursor(readonly=True) as cr:
                self.assertTrue(cr.readonly)
                yield cr
        finally:
            if hooks is None:
                thread.__dict__.pop("query_hooks", None)
            else:
                thread.query_hooks = hooks
            self.registry.leave_test_mode()

    def call(self, user, model, method, args=(), kwargs=None, context=None, statements=None):
        """``model.method`` called as the web client calls it (call_kw, the
        user's context), in a read-only transaction; the request's end
        (flush and commit) included."""
        self.assertTrue(
            routed_read_only(self.registry, model, method),
            f"{model}.{method} is not sent to a read-only cursor",
        )
        kwargs = dict(kwargs or {}, context=self.context(user, **(context or {})))
        with self.read_only_transaction(statements) as cr:
            env = api.Environment(cr, user.id, {})
            result = api.call_kw(env[model], method, list(args), kwargs)
            env.flush_all()
        # (the block's end commits the cursor, as the request's end does)
        return result

    def test_marked_methods_are_the_listed_ones(self):
        self.assertEqual(marked_methods(self.env), set(READONLY_METHODS))
        for test in READONLY_METHODS.values():
            self.assertTrue(hasattr(self, test), test)

    def test_the_read_only_transaction_refuses_writes(self):
        with (
            self.assertRaises(psycopg2.errors.ReadOnlySqlTransaction),
            mute_logger("odoo.sql_db"),
            self.read_only_transaction() as cr,
        ):
            env = api.Environment(cr, self.user_support.id, {})
            env["crm.signal"].with_context(allowed_company_ids=self.company.ids).create(
                {"name": "書き込めないはず", "partner_id": self.customer.id}
            )
            env.flush_all()
        # The test's own transaction writes again afterwards.
        self.log_signal(name="読み取り専用のあと")

    def test_home_visit_writes_nothing(self):
        Home = self.env["crm.everyone.sells.home"]
        homes_before = Home.search_count([])
        statements = []
        action = self.call(self.user_support, Home._name, "action_open", statements=statements)
        self.assertEqual(action["res_model"], Home._name)
        self.assertFalse(action.get("res_id"))
        spec = {
            "user_id": {},
            "display_name": {},
            "program_id": {"fields": {"display_name": {}}},
            "program_name": {},
            "program_message": {},
            "my_signal_count": {},
            "my_open_signal_count": {},
            "my_won_signal_count": {},
            "my_credit_month": {},
            "my_points_month": {},
            "currency_id": {"fields": {}},
            "leaderboard": {},
            "my_signal_ids": {"fields": {"name": {}, "partner_id": {}, "state": {}}},
            "rule_ids": {"fields": {"name": {}, "trigger": {}}},
        }
        values = self.call(
            self.user_support,
            Home._name,
            "onchange",
            [[], {}, [], spec],
            statements=statements,
        )["value"]
        self.assertEqual(values["my_signal_count"], 1)
        self.assertEqual(values["my_won_signal_count"], 1)
        self.assertEqual(values["my_credit_month"], sum(self.entries.mapped("amount")))
        self.assertEqual(values["program_id"]["id"], self.program.id)
        self.assertIn("leaderboard", values)
        self.assertTrue(statements)
        self.assertFalse([query for query in statements if WRITES.search(query)])
        self.assertEqual(Home.search_count([]), homes_before, "a visit, no record")

    def test_my_signals_read_only(self):
        user = self.user_support
        context = {"everyone_sells_workflow_columns": True}
        domain = [("employee_id.user_id", "=", user.id)]
        groups = self.call(
            user,
            "crm.signal",
            "web_read_group",
            [domain, [], ["state"]],
            {"lazy": True},
            context=context,
        )
        self.assertIn("won", [group["state"] for group in groups["groups"]])
        records = self.call(
            user,
            "crm.signal",
            "web_search_read",
            [domain, {"name": {}, "state": {}, "partner_id": {"fields": {"display_name": {}}}}],
            {"limit": 40},
            context=context,
        )["records"]
        signal = self.env["crm.signal"].browse(records[0]["id"])
        self.assertEqual(signal.lead_id, self.lead)
        action = self.call(user, "crm.signal", "action_open_lead", [signal.ids])
        self.assertEqual(action["res_id"], self.lead.id)
        # A signal saved from a customer's e-mail opens it.
        message = self.customer.message_post(
            body="保守契約について相談したい", message_type="comment"
        )
        from_message = (
            self.env["crm.signal"]
            .with_user(user)
            .with_context(
                allowed_company_ids=self.company.ids, crm_signal_source_message_id=message.id
            )
            .create({"name": "保守契約の相談", "partner_id": self.customer.id})
        )
        action = self.call(user, "crm.signal", "action_open_source", [from_message.ids])
        self.assertEqual((action["res_model"], action["res_id"]), ("res.partner", self.customer.id))
        # The form's customer picker.
        found = self.call(
            user,
            "res.partner",
            "name_search",
            [],
            {"name": self.customer.name, "limit": 8},
            context={"everyone_sells_customers_first": True},
        )
        self.assertIn(self.customer.id, [partner_id for partner_id, _name in found])

    def test_my_contributions_read_only(self):
        user = self.user_support
        domain = [("is_mine", "=", True)]
        groups = self.call(
            user,
            "crm.contribution",
            "web_read_group",
            [domain, ["amount:sum", "points:sum"], ["date:month"]],
            {"limit": 80, "lazy": True},
        )["groups"]
        self.assertEqual(
            sum(group["amount"] for group in groups), sum(self.entries.mapped("amount"))
        )
        records = self.call(
            user,
            "crm.contribution",
            "web_search_read",
            [groups[0]["__domain"], {"date": {}, "lead_name": {}, "amount": {}, "explanation": {}}],
            {"limit": 80, "count_limit": 10_001},
        )
        self.assertEqual(records["length"], len(self.entries))

    def test_contribution_analysis_read_only(self):
        manager = self.user_manager
        rows = self.call(
            manager,
            "crm.contribution.analysis",
            "read_group",
            [
                [("company_id", "=", self.company.id)],
                ["amount:sum", "points:sum"],
                ["department_id", "date:month"],
            ],
            {"lazy": False},
        )
        self.assertEqual(sum(row["amount"] for row in rows), sum(self.entries.mapped("amount")))
        analysis = self.env["crm.contribution.analysis"].search(
            [("company_id", "=", self.company.id)], limit=1
        )
        action = self.call(
            manager, "crm.contribution.analysis", "action_open_entries", [analysis.ids]
        )
        self.assertEqual(action["res_model"], "crm.contribution")
        behind = self.env["crm.contribution"].search(action["domain"])
        self.assertTrue(behind)
        self.assertLessEqual(behind, self.entries)

    def test_evaluation_read_only(self):
        year = date.today().replace(month=1, day=1)
        domain = [("company_id", "=", self.company.id), ("date", ">=", year)]
        Report = self.env["crm.contribution.evaluation.report"]
        # Department Evaluation's first level: the ledger's monthly totals.
        self.assertTrue(Report._fits_monthly_totals(domain, ["department_id"], list(SUMS)))
        groups = self.call(
            self.user_manager,
            Report._name,
            "web_read_group",
            [domain, list(SUMS), ["department_id", "employee_id"]],
            {"limit": 500, "lazy": True},
        )["groups"]
        amount = sum(self.entries.mapped("amount"))
        self.assertTrue(amount)
        self.assertEqual(sum(group["amount"] for group in groups), amount)
        # An employee's My Evaluation pivot: their own lines.
        cells = self.call(
            self.user_support,
            Report._name,
            "read_group",
            [
                [*domain, ("employee_id.user_id", "=", self.user_support.id)],
                [*SUMS, "__count"],
                ["employee_id", "date:month"],
            ],
            {"lazy": False},
        )
        self.assertEqual(sum(cell["amount"] for cell in cells), amount)
        self.assertEqual(sum(cell["signal_count"] for cell in cells), 1)


@tagged("post_install", "-at_install")
class TestReadReplicaOverHttp(HttpCase):
    """The same screens over JSON-RPC: Odoo's test server opens read-only
    cursors for read-only routes and runs again on a read/write one (with a
    warning) a call that wrote. None may."""

    def test_screens_without_read_write_retry(self):
        company = self.env["res.company"].create({"name": "レプリカ検証株式会社"})
        user = self.env["res.users"].create(
            {
                "name": "読取 太郎",
                "login": "es_replica_reader",
                "password": "es_replica_reader",
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "groups_id": [Command.set(self.env.ref("base.group_user").ids)],
            }
        )
        self.env["hr.employee"].create(
            {"name": user.name, "user_id": user.id, "company_id": company.id}
        )
        self.authenticate(user.login, user.login)
        context = {"lang": "en_US", "uid": user.id, "allowed_company_ids": company.ids}
        calls = [
            ("crm.everyone.sells.home", "action_open", [], {}),
            (
                "crm.everyone.sells.home",
                "onchange",
                [[], {}, [], {"user_id": {}, "my_signal_count": {}, "leaderboard": {}}],
                {},
            ),
            (
                "crm.signal",
                "web_read_group",
                [[("employee_id.user_id", "=", user.id)], [], ["state"]],
                {"context": dict(context, everyone_sells_workflow_columns=True)},
            ),
            (
                "crm.contribution",
                "web_read_group",
                [[("is_mine", "=", True)], ["amount:sum"], ["date:month"]],
                {},
            ),
            (
                "crm.contribution.evaluation.report",
                "read_group",
                [[("employee_id.user_id", "=", user.id)], list(SUMS), ["date:month"]],
                {"lazy": False},
            ),
        ]
        with self.assertNoLogs("odoo.http", "WARNING"):
            for model, method, args, kwargs in calls:
                kwargs.setdefault("context", context)
                self.make_jsonrpc_request(
                    f"/web/dataset/call_kw/{model}/{method}",
                    {"model": model, "method": method, "args": args, "kwargs": kwargs},
                )
