"""Guards of the rows written in SQL rather than through the ORM's create.

The crediting job appends ledger lines in one INSERT
(``crm.contribution._insert_entries``), the crediting queue notes deals in
one INSERT (``crm.contribution.queue._enqueue``), and a payout takes its
entries in one INSERT into its link table (``payout_entry_table.py``). Such
an INSERT computes no stored field, fills no default and checks no
selection: these tests fail when the model changes under it, before a
customer's database holds a value its field does not know.
"""

from odoo import Command, models
from odoo.tests import tagged
from odoo.tools import SQL

from ..models.crm_contribution import REVERSAL_REASONS, TRIGGER_SELECTION
from ..models.payout_entry_table import PAYOUT_ENTRY_TABLE
from .common import PayoutCase

# What each raw INSERT fills of the fields the ORM would compute or default
# on create, and how. A field missing here fails the test: fill it in the
# INSERT (and add it here), or write the model through the ORM.
FILLED_BY_THE_INSERT = {
    # _insert_entries: state by _default_state (points alone are approved);
    # wage_type by every caller: the rule's (engine), the credit's
    # (reversal), the default (create, the wizards).
    "crm.contribution": {"state", "wage_type"},
    # _enqueue writes lead_id, reason, user_id and date; nothing else is
    # computed or defaulted.
    "crm.contribution.queue": set(),
}

# The columns the payout's INSERT into its link table writes (_take_entries).
LINK_COLUMNS = {"entry_id", "payout_id"}


def filled_on_create(model):
    """The stored fields the ORM's create would fill by itself: computed
    (related included) or defaulted; not the audit columns."""
    return {
        name
        for name, field in model._fields.items()
        if field.store
        and field.column_type
        and name != "id"
        and name not in models.LOG_ACCESS_COLUMNS
        and (field.compute or field.default is not None)
    }


@tagged("post_install", "-at_install")
class TestRawInserts(PayoutCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for trigger, amount in (
            ("signal_logged", 500),
            ("handed_off", 1_000),
            ("resolved", 3_000),
            ("insight_used", 2_000),
        ):
            cls.make_rule(
                name=f"{trigger} {amount}",
                trigger=trigger,
                compute_method="fixed",
                fixed_amount=amount,
            )
        cls.type_improvement = cls.env.ref("crm_everyone_sells.signal_type_improvement")
        cls.type_improvement.route_department_id = cls.dept_support

    def signal(self, name, user=None, **values):
        """A signal about a customer of its own: a second signal about the
        same customer is a duplicate, which earns nothing."""
        customer = self.env["res.partner"].create({"name": f"株式会社{name}", "is_company": True})
        return self.log_signal(user=user, name=name, partner_id=customer.id, **values)

    def assertSelectionsKnown(self, model_name):
        """Every value a selection column of ``model_name``'s table holds is
        one its field knows."""
        model = self.env[model_name]
        self.env.flush_all()
        for name, field in model._fields.items():
            if field.type != "selection" or not field.store:
                continue
            values = {
                value
                for (value,) in self.env.execute_query(
                    SQL(
                        "SELECT DISTINCT %s FROM %s WHERE %s IS NOT NULL",
                        SQL.identifier(name),
                        SQL.identifier(model._table),
                        SQL.identifier(name),
                    )
                )
            }
            unknown = values - set(field.get_values(self.env))
            self.assertFalse(
                unknown,
                f"{model._table}.{name} holds {sorted(unknown)}, unknown to the field "
                f"{model_name}.{name}: add them to its selection (one list, used by "
                "every writer).",
            )

    def assertDefaultsWritten(self, records):
        """No row of ``records`` holds NULL where the ORM would have put
        the field's default."""
        defaults = records.default_get(sorted(filled_on_create(records)))
        self.env.flush_all()
        for name, default in defaults.items():
            if default in (False, None):
                continue
            [(nulls,)] = self.env.execute_query(
                SQL(
                    "SELECT count(*) FROM %s WHERE id = ANY(%s) AND %s IS NULL",
                    SQL.identifier(records._table),
                    records.ids,
                    SQL.identifier(name),
                )
            )
            self.assertFalse(nulls, f"{records._name}.{name}: NULL where the ORM writes a default")

    def test_the_models_written_in_sql_gain_no_field_the_insert_skips(self):
        for model_name, filled in FILLED_BY_THE_INSERT.items():
            self.assertEqual(
                filled_on_create(self.env[model_name]),
                filled,
                f"{model_name} gained (or lost) a stored computed or defaulted field, "
                "which its INSERT in SQL neither computes nor defaults: write it there "
                "and list it in FILLED_BY_THE_INSERT, or create the rows through the ORM.",
            )

    def test_the_payout_link_table_has_only_the_columns_its_insert_writes(self):
        columns = {
            column
            for (column,) in self.env.execute_query(
                SQL(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
                    PAYOUT_ENTRY_TABLE,
                )
            )
        }
        self.assertEqual(columns, LINK_COLUMNS)

    def test_every_value_written_in_sql_is_known_to_its_field(self):
        """Every trigger and every reversal reason, through the users' own
        acts; then every selection value in the tables is one its field
        knows, and nothing the ORM would default is NULL."""
        ledger = self.env["crm.contribution"]
        before = ledger.search([]).ids
        # An approved credit, for the payout below.
        self.won_and_approved(name="支払う受注")
        # signal_logged, then declined.
        declined = self.signal("見送る要望")
        self.env["crm.signal.decline"].with_user(self.user_salesman).create(
            {"signal_ids": [Command.set(declined.ids)], "reason": "not_actionable"}
        ).action_apply()
        # signal_logged, then deleted.
        self.signal("すぐ消す要望").with_user(self.user_support).unlink()
        # resolved: routed to the author's department, resolved by a colleague.
        routed = self.signal(
            "改善要望", user=self.user_manager, signal_type_id=self.type_improvement.id
        )
        self.env["crm.signal.resolve"].with_user(self.user_support).create(
            {"signal_ids": [Command.set(routed.ids)], "resolution": "次の版で対応"}
        ).action_apply()
        # insight_used.
        insight = self.signal("お客様の関心", user=self.user_engineer)
        insight.with_user(self.user_salesman).action_mark_used()
        # handed_off and won; then revenue, contributors, reopened, won, lost.
        lead = self.make_deal()
        queue = self.env["crm.contribution.queue"]
        lead.write({"stage_id": self.stage_won.id})
        self.assertSelectionsKnown("crm.contribution.queue")
        self.assertDefaultsWritten(queue.search([("lead_id", "=", lead.id)]))
        self.run_crediting()
        lead.expected_revenue = 2_000_000
        self.run_crediting()
        lead.contributor_ids = [
            Command.create({"employee_id": self.employee_engineer.id, "role": "technical"})
        ]
        self.run_crediting()
        lead.stage_id = self.stage_new
        self.run_crediting()
        self.mark_won(lead)
        lead.action_set_lost()
        self.run_crediting()
        # adjustment, on an employee's dispute.
        dispute = (
            self.env["crm.contribution.dispute"]
            .with_user(self.user_support)
            .create({"signal_id": self.signal("争う要望").id, "reason": "漏れています"})
        )
        self.env["crm.contribution.adjust"].with_user(self.user_manager).create(
            {"dispute_id": dispute.id, "amount": 1_000, "explanation": "調整"}
        ).action_apply()
        # A payout takes the approved entries: its links and lines.
        payout = self.payout()
        payout.action_compute()
        self.assertTrue(payout.line_ids)

        written = ledger.search([("id", "not in", before), ("company_id", "=", self.company.id)])
        self.assertEqual(
            set(written.mapped("trigger")), {code for code, _label in TRIGGER_SELECTION}
        )
        self.assertEqual(
            set(written.mapped("reversal_reason")) - {False},
            {code for code, _label in REVERSAL_REASONS},
        )
        for model_name in ("crm.contribution", "crm.contribution.payout.line"):
            self.assertSelectionsKnown(model_name)
        self.assertDefaultsWritten(written)
        # The link table has no foreign keys: every link this scenario wrote
        # names a ledger line and a payout that exist (the whole table's are
        # not this test's: other tests' committed data comes and goes).
        [(orphans,)] = self.env.execute_query(
            SQL(
                """
                SELECT count(*) FROM %(links)s link
                 WHERE (link.payout_id = %(payout)s OR link.entry_id = ANY(%(entries)s))
                   AND (NOT EXISTS (SELECT 1 FROM crm_contribution e WHERE e.id = link.entry_id)
                        OR NOT EXISTS (SELECT 1 FROM crm_contribution_payout p
                                        WHERE p.id = link.payout_id))
                """,
                links=SQL.identifier(PAYOUT_ENTRY_TABLE),
                payout=payout.id,
                entries=written.ids,
            )
        )
        self.assertFalse(orphans)
        self.assertTrue(payout.entry_ids)
