from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged, users

from .common import EveryoneSellsCase


@tagged("post_install", "-at_install")
class TestSignalAccess(EveryoneSellsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Signal = cls.env["crm.signal"].with_context(allowed_company_ids=cls.company.ids)
        cls.signal_support = Signal.create(
            {
                "name": "CSVの一括取込が欲しい",
                "partner_id": cls.customer.id,
                "employee_id": cls.employee_support.id,
            }
        )
        cls.signal_engineer = Signal.create(
            {
                "name": "保守の追加契約を検討中",
                "partner_id": cls.customer_other.id,
                "employee_id": cls.employee_engineer.id,
            }
        )
        cls.lead = cls.env["crm.lead"].create(
            {
                "name": "既存案件",
                "type": "opportunity",
                "team_id": cls.team.id,
                "user_id": cls.user_salesman.id,
                "company_id": cls.company.id,
            }
        )

    def _visible(self, user, signals):
        return (
            self.env["crm.signal"]
            .with_user(user)
            .with_context(allowed_company_ids=user.company_ids.ids)
            .search([("id", "in", signals.ids)])
        )

    @users("es_support")
    def test_employee_reads_own_signal_only(self):
        signals = self.signal_support | self.signal_engineer
        self.assertEqual(self._visible(self.user_support, signals), self.signal_support)
        with self.assertRaises(AccessError):
            self.signal_engineer.with_user(self.env.user).read(["name"])

    @users("es_support")
    def test_employee_cannot_read_opportunities(self):
        with self.assertRaises(AccessError):
            self.env["crm.lead"].search([])
        with self.assertRaises(AccessError):
            self.lead.with_user(self.env.user).read(["name"])

    @users("es_support")
    def test_employee_cannot_log_in_a_colleagues_name(self):
        with self.assertRaises(AccessError):
            self.env["crm.signal"].create(
                {"name": "なりすまし", "employee_id": self.employee_engineer.id}
            )

    def test_employee_cannot_edit_or_delete_after_handoff(self):
        self.hand_off(self.signal_support)
        signal = self.signal_support.with_user(self.user_support)
        signal.read(["name", "state"])  # still readable
        with self.assertRaises(AccessError):
            signal.write({"name": "書き換え"})
        with self.assertRaises(AccessError):
            signal.unlink()

    def test_originator_can_comment_after_handoff(self):
        self.hand_off(self.signal_support)
        self.signal_support.with_user(self.user_support).message_post(body="補足: 決裁は来月です")
        self.assertIn("決裁は来月", self.signal_support.message_ids[0].body)

    @users("es_support")
    def test_employee_cannot_decide_what_sales_decides(self):
        signal = self.signal_support.with_user(self.env.user)
        for values in (
            {"state": "declined"},
            {"lead_id": self.lead.id},
            {"duplicate_of_id": False},
        ):
            with self.subTest(values=values), self.assertRaises(AccessError):
                signal.write(values)
        with self.assertRaises(AccessError):
            self.env["crm.signal"].create({"name": "勝手に引き継ぎ", "lead_id": self.lead.id})

    def test_kanban_quick_create_in_another_column_still_logs_a_new_signal(self):
        signal = (
            self.env["crm.signal"]
            .with_user(self.user_support)
            .with_context(default_state="won")
            .create({"name": "列から作成"})
        )
        self.assertEqual(signal.state, "new")

    def test_employees_do_not_see_draft_programs(self):
        draft = self.env["crm.contribution.program"].create(
            {"name": "準備中", "company_id": self.company.id}
        )
        running = self.env["crm.contribution.program"].create(
            {"name": "実施中", "company_id": self.company.id, "state": "pilot"}
        )
        visible = self.env["crm.contribution.program"].with_user(self.user_support).search([])
        self.assertIn(running, visible)
        self.assertNotIn(draft, visible)

    def test_managers_cannot_delete_signals(self):
        with self.assertRaises(AccessError):
            self.signal_engineer.with_user(self.user_manager).unlink()

    @users("es_support")
    def test_employee_cannot_hand_off(self):
        with self.assertRaises(AccessError):
            self.env["crm.signal.handoff"].create(
                {"signal_ids": [Command.set(self.signal_support.ids)]}
            )

    def test_salesman_sees_inbox_of_new_signals(self):
        signals = self.signal_support | self.signal_engineer
        self.assertEqual(self._visible(self.user_salesman, signals), signals)

    def test_salesman_does_not_see_signals_of_another_team(self):
        self.hand_off(
            self.signal_engineer, user=self.user_salesman_other, team_id=self.team_other.id
        )
        self.assertFalse(self._visible(self.user_salesman, self.signal_engineer))
        self.assertEqual(
            self._visible(self.user_salesman_other, self.signal_engineer), self.signal_engineer
        )

    def test_salesman_sees_what_was_handed_to_team(self):
        self.hand_off(self.signal_support, user=self.user_salesman_other, team_id=self.team.id)
        self.assertEqual(
            self._visible(self.user_salesman, self.signal_support), self.signal_support
        )

    def test_sales_manager_sees_all_signals(self):
        self.hand_off(
            self.signal_engineer, user=self.user_salesman_other, team_id=self.team_other.id
        )
        signals = self.signal_support | self.signal_engineer
        self.assertEqual(self._visible(self.user_sales_manager, signals), signals)

    def test_contribution_manager_sees_all_signals(self):
        self.signal_engineer.state = "declined"
        signals = self.signal_support | self.signal_engineer
        self.assertEqual(self._visible(self.user_manager, signals), signals)

    @users("es_support")
    def test_only_admins_configure_types_and_channels(self):
        signal_type = self.type_upsell.with_user(self.env.user)
        signal_type.read(["name"])
        with self.assertRaises(AccessError):
            signal_type.write({"name": "変更"})
        with self.assertRaises(AccessError):
            self.env["crm.signal.channel"].create({"name": "新チャネル", "code": "new"})
        with self.assertRaises(AccessError):
            self.env["crm.contribution.program"].create({"name": "勝手なプログラム"})

    @users("es_admin")
    def test_admin_configures_types(self):
        self.env["crm.signal.type"].create({"name": "展示会リード", "code": "expo_lead"})

    @users("es_portal")
    def test_portal_user_has_no_access(self):
        with self.assertRaises(AccessError):
            self.env["crm.signal"].search([])
        with self.assertRaises(AccessError):
            self.env["crm.signal"].create({"name": "ポータルから"})

    def test_other_company_signals_are_invisible(self):
        other_signal = (
            self.env["crm.signal"]
            .with_company(self.other_company)
            .create(
                {
                    "name": "別会社のシグナル",
                    "employee_id": self.employee_without_user.id,
                    "company_id": self.other_company.id,
                }
            )
        )
        self.assertFalse(self._visible(self.user_manager, other_signal))
        self.assertFalse(self._visible(self.user_sales_manager, other_signal))

    def test_manager_reads_contributors_salesman_edits_them(self):
        lead, _action = self.hand_off(self.signal_support)
        manager_only = self._make_user(
            "es_manager_only", "松本 聡", self.dept_support, "crm_everyone_sells.group_manager"
        )
        contributor = lead.contributor_ids.with_user(manager_only)
        contributor.read(["weight"])
        with self.assertRaises(AccessError):
            contributor.write({"weight": 5})
        lead.contributor_ids.with_user(self.user_salesman).write({"weight": 3})
        self.assertEqual(lead.contributor_ids.weight, 3)
        with self.assertRaises(AccessError):
            lead.contributor_ids.with_user(self.user_salesman_other).write({"weight": 9})
