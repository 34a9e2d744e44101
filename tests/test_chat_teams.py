from odoo.tests import HttpCase, tagged

from .chat_common import ChatCase


@tagged("post_install", "-at_install")
class TestTeams(HttpCase, ChatCase):
    """Microsoft Teams' outgoing webhook (``@Everyone Sells <text>`` in a
    channel), posted as Teams posts it (HttpCase: pytest-odoo skips these
    without --odoo-http; Odoo's runner runs them)."""

    def test_a_mention_logs_a_signal_as_the_linked_employee(self):
        self.link("teams", "aad-sato", self.user_support)
        response = self.teams_post(self.teams_activity("保守契約の更新時に上位プランを検討したい"))
        self.assertEqual(response.status_code, 200)
        signal = self.new_signals()
        self.assertEqual(len(signal), 1)
        self.assertEqual(signal.name, "保守契約の更新時に上位プランを検討したい")
        self.assertEqual(signal.employee_id, self.employee_support)
        self.assertEqual(signal.create_uid, self.user_support)
        self.assertFalse(signal.to_confirm)
        answer = response.json()
        self.assertEqual(answer["type"], "message")
        self.assertIn("waits for sales", answer["text"])
        # The channel reads it: where the signal went, nothing it says.
        self.assertNotIn("上位プラン", answer["text"])
        self.assertNotIn("/odoo/", answer["text"])

    def test_a_routed_signal_says_where_it_went(self):
        improvement = self.env.ref("crm_everyone_sells.signal_type_improvement")
        improvement.route_department_id = self.dept_engineering
        self.link("teams", "aad-sato", self.user_support)
        self.env["crm.signal.type"].search([("id", "!=", improvement.id)]).active = False
        response = self.teams_post(self.teams_activity("CSV出力の文字化けを直してほしい"))
        signal = self.new_signals()
        self.assertEqual(signal.state, "routed")
        self.assertIn("技術部", response.json()["text"])

    def test_a_wrong_or_missing_signature_is_refused_and_writes_nothing(self):
        self.link("teams", "aad-sato", self.user_support)
        activity = self.teams_activity("なりすまし")
        wrong_key = "d3Jvbmcta2V5LW9mLXNvbWVvbmUtZWxzZQ=="
        self.assertEqual(self.teams_post(activity, token=wrong_key).status_code, 401)
        self.assertEqual(self.teams_post(activity, authorization="").status_code, 401)
        self.assertEqual(self.teams_post(activity, authorization="Bearer x").status_code, 401)
        self.assertFalse(self.new_signals())
        self.assertFalse(self.Message.search([]))

    def test_an_unknown_tenant_is_refused(self):
        response = self.teams_post(self.teams_activity("別テナント", tenant="other-tenant"))
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self.new_signals())

    def test_a_body_over_64_kb_is_refused(self):
        self.link("teams", "aad-sato", self.user_support)
        response = self.teams_post(self.teams_activity("x" * 70_000))
        self.assertEqual(response.status_code, 413)
        self.assertFalse(self.new_signals())

    def test_the_same_activity_twice_is_one_signal(self):
        self.link("teams", "aad-sato", self.user_support)
        activity = self.teams_activity("二度届いたメッセージ", activity_id="1485983408511")
        first = self.teams_post(activity)
        second = self.teams_post(activity)
        self.assertEqual(len(self.new_signals()), 1)
        self.assertEqual(first.json(), second.json())

    def test_an_unlinked_member_is_kept_then_created_on_linking(self):
        response = self.teams_post(self.teams_activity("接続前の要望", member="aad-suzuki"))
        self.assertIn("@Everyone Sells connect", response.json()["text"])
        self.assertFalse(self.new_signals())
        code = self.connect_code(self.user_engineer)
        response = self.teams_post(self.teams_activity(f"connect {code}", member="aad-suzuki"))
        self.assertIn("Connected", response.json()["text"])
        signal = self.new_signals()
        self.assertEqual(signal.name, "接続前の要望")
        self.assertEqual(signal.employee_id, self.employee_engineer)

    def test_a_slack_link_is_not_a_teams_link(self):
        self.link("slack", "aad-sato", self.user_support)
        self.teams_post(self.teams_activity("別プラットフォーム"))
        self.assertFalse(self.new_signals())
