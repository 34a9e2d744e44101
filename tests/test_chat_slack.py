import time
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .chat_common import RESPONSE_URL, SLACK_TEAM, ChatCase


@tagged("post_install", "-at_install")
class TestSlack(HttpCase, ChatCase):
    """Slack's slash command and message shortcut, posted to the addon's routes
    exactly as Slack posts them (HttpCase: pytest-odoo skips these without
    --odoo-http; Odoo's runner runs them)."""

    def test_a_slash_command_logs_a_signal_as_the_linked_employee(self):
        self.link("slack", "U0SATO", self.user_support)
        response = self.slack_command("API連携オプションを検討中 顧客: 株式会社みらい商事")
        self.assertEqual(response.status_code, 200)
        signal = self.new_signals()
        self.assertEqual(len(signal), 1)
        self.assertEqual(signal.name, "API連携オプションを検討中")
        self.assertEqual(signal.employee_id, self.employee_support)
        self.assertEqual(signal.department_id, self.dept_support)
        self.assertEqual(signal.partner_id, self.customer)
        self.assertEqual(signal.create_uid, self.user_support)
        self.assertFalse(signal.to_confirm, "the platform signed who sent it")
        self.assertEqual(signal.state, "new")
        # Acknowledged at once; the answer follows on the response_url.
        self.assertFalse(response.text)
        posted = self.slack_answers()
        self.assertEqual(len(posted), 1)
        url, payload = posted[0]
        self.assertEqual(url, RESPONSE_URL)
        self.assertEqual(payload["response_type"], "ephemeral")
        self.assertIn("waits for sales", payload["text"])
        self.assertIn(f"/odoo/crm.signal/{signal.id}|", payload["text"])
        self.assertFalse(self.slack_answers(), "an answer is sent once")

    def test_the_message_shortcut_saves_the_message_as_a_signal(self):
        self.link("slack", "U0SATO", self.user_support)
        response = self.slack_shortcut("来期に全社展開したいので見積が欲しい <https://x.example|x>")
        self.assertEqual(response.status_code, 200)
        signal = self.new_signals()
        self.assertEqual(len(signal), 1)
        self.assertEqual(signal.employee_id, self.employee_support)
        self.assertIn("来期に全社展開したい", signal.name)
        self.assertIn("Logged from Slack", signal.message_ids.mapped("body")[0])

    def test_other_interactions_of_the_app_create_nothing(self):
        self.link("slack", "U0SATO", self.user_support)
        body = self.slack_shortcut_body("何か").replace(b"save_as_signal", b"other_thing")
        response = self.slack_post("/everyone_sells/slack/interactivity", body)
        self.assertEqual(response.status_code, 200)
        self.assertFalse(self.new_signals())

    def test_a_wrong_or_missing_signature_is_refused_and_writes_nothing(self):
        self.link("slack", "U0SATO", self.user_support)
        body = self.slack_command_body("なりすまし")
        forged = self.slack_sign(body, secret="not-the-secret")
        response = self.url_open("/everyone_sells/slack/command", data=body, headers=forged)
        self.assertEqual(response.status_code, 401)
        unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
        response = self.url_open("/everyone_sells/slack/command", data=body, headers=unsigned)
        self.assertEqual(response.status_code, 401)
        # A body changed after signing.
        headers = self.slack_sign(body)
        tampered = body + b"&channel_name=general"
        response = self.url_open("/everyone_sells/slack/command", data=tampered, headers=headers)
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self.new_signals())
        self.assertFalse(self.Message.search([]))

    def test_an_old_timestamp_is_a_replay_and_is_refused(self):
        self.link("slack", "U0SATO", self.user_support)
        old = int(time.time()) - 6 * 60
        response = self.slack_post(
            "/everyone_sells/slack/command", self.slack_command_body("再送"), timestamp=old
        )
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self.new_signals())

    def test_an_unknown_workspace_is_refused(self):
        response = self.slack_command("別のワークスペース", team="T0OTHER99")
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self.new_signals())
        self.assertFalse(self.Identity.search([("workspace", "=", "T0OTHER99")]))

    def test_a_body_over_64_kb_is_refused(self):
        self.link("slack", "U0SATO", self.user_support)
        response = self.slack_command("大" * 30_000)  # 270 KB once form-encoded
        self.assertEqual(response.status_code, 413)
        self.assertFalse(self.new_signals())

    def test_the_same_trigger_id_twice_is_one_signal(self):
        self.link("slack", "U0SATO", self.user_support)
        body = self.slack_command_body("二度送られた要望", trigger_id="1337.42.same")
        for _attempt in range(2):
            response = self.slack_post("/everyone_sells/slack/command", body)
            self.assertEqual(response.status_code, 200)
        self.assertEqual(len(self.new_signals()), 1)
        self.assertEqual(len(self.slack_answers()), 1)

    def test_a_long_text_becomes_title_and_description(self):
        self.link("slack", "U0SATO", self.user_support)
        text = "長い要望の説明です。" * 40
        self.slack_command(text)
        signal = self.new_signals()
        self.assertLessEqual(len(signal.name), 200)
        self.assertTrue(signal.name.endswith("…"))
        self.assertIn(text, signal.description)

    def test_an_unlinked_member_is_kept_then_created_on_linking(self):
        self.slack_command("接続前の要望", member="U0SUZUKI")
        self.assertFalse(self.new_signals(), "nothing is created for an unlinked member")
        kept = self.Message.search([("state", "=", "pending")])
        self.assertEqual(kept.text, "接続前の要望")
        (answer,) = self.slack_answers()
        self.assertIn("not connected", answer[1]["text"])
        self.assertIn("/signal connect", answer[1]["text"])

        code = self.connect_code(self.user_engineer)
        response = self.slack_command(f"connect {code}", member="U0SUZUKI")
        self.assertEqual(response.status_code, 200)
        identity = self.Identity.search([("member_id", "=", "U0SUZUKI")])
        self.assertEqual(identity.user_id, self.user_engineer)
        signal = self.new_signals()
        self.assertEqual(signal.name, "接続前の要望")
        self.assertEqual(signal.employee_id, self.employee_engineer)
        self.assertEqual(kept.state, "done")
        (answer,) = self.slack_answers()
        self.assertIn("Connected", answer[1]["text"])
        self.assertIn("1 kept message", answer[1]["text"])
        self.assertNotIn(code, self.Message.search([]).mapped("text"), "a code is not kept")
        # The code works once.
        self.slack_command(f"connect {code}", member="U0OTHER")
        self.assertFalse(self.Identity.search([("member_id", "=", "U0OTHER")]).user_id)

    def test_a_message_kept_over_seven_days_becomes_nothing(self):
        self.slack_command("古い要望", member="U0SUZUKI")
        kept = self.Message.search([("state", "=", "pending")])
        self.backdate(kept, "create_date", days=8)
        self.slack_command(f"connect {self.connect_code(self.user_engineer)}", member="U0SUZUKI")
        self.assertFalse(self.new_signals())
        self.Message._gc_old_messages()
        self.assertFalse(kept.exists())

    def test_a_wrong_code_links_nothing_and_guessing_stops(self):
        self.slack_command("connect 000000", member="U0GUESS")
        identity = self.Identity.search([("member_id", "=", "U0GUESS")])
        self.assertFalse(identity.user_id)
        for _attempt in range(5):
            self.slack_command("connect 000001", member="U0GUESS")
        # Even the right code is refused after too many wrong ones.
        self.slack_command(f"connect {self.connect_code(self.user_engineer)}", member="U0GUESS")
        self.assertFalse(identity.user_id)
        self.assertIn("Too many wrong codes", self.slack_answers()[-1][1]["text"])

    def test_an_expired_code_links_nothing(self):
        code = self.connect_code(self.user_engineer)
        self.env["crm.everyone.sells.chat.link.code"].search([]).date_expiry = (
            fields.Datetime.now() - timedelta(minutes=1)
        )
        self.slack_command(f"connect {code}", member="U0LATE")
        self.assertFalse(self.Identity.search([("member_id", "=", "U0LATE")]).user_id)

    def test_a_code_binds_only_a_user_of_the_workspace_company(self):
        self.user_engineer.write(
            {"company_ids": [(6, 0, self.other_company.ids)], "company_id": self.other_company.id}
        )
        code = self.connect_code(self.user_engineer)
        self.slack_command(f"connect {code}", member="U0ELSEWHERE")
        self.assertFalse(self.Identity.search([("member_id", "=", "U0ELSEWHERE")]).user_id)

    def test_a_linked_user_logs_only_what_their_rights_allow(self):
        """The user without an employee: the signal's own guard speaks."""
        self.link("slack", "U0NOEMP", self.user_no_employee)
        self.slack_command("従業員でない人の要望", member="U0NOEMP")
        self.assertFalse(self.new_signals())
        (answer,) = self.slack_answers()
        self.assertIn("could not be logged", answer[1]["text"])

    def test_a_response_url_elsewhere_than_slack_is_never_called(self):
        self.link("slack", "U0SATO", self.user_support)
        body = self.slack_command_body("外部URL").replace(b"hooks.slack.com", b"attacker.example")
        self.slack_post("/everyone_sells/slack/command", body)
        self.assertEqual(len(self.new_signals()), 1)
        self.assertFalse(self.slack_answers())

    def test_empty_text_answers_how_to_use_it(self):
        self.link("slack", "U0SATO", self.user_support)
        self.slack_command("")
        self.assertFalse(self.new_signals())
        (answer,) = self.slack_answers()
        self.assertIn("/signal", answer[1]["text"])


@tagged("post_install", "-at_install")
class TestChatSettingsAndPreferences(ChatCase):
    """What needs no HTTP server (runs under both runners)."""

    def test_secrets_are_written_in_settings_and_never_read_back(self):
        settings = (
            self.env["res.config.settings"]
            .with_company(self.company)
            .create(
                {
                    "everyone_sells_slack_signing_secret_new": "new-slack-secret",
                    "everyone_sells_teams_security_token_new": "bmV3LXRlYW1zLXRva2Vu",
                }
            )
        )
        settings.execute()
        self.assertEqual(self.company.everyone_sells_slack_signing_secret, "new-slack-secret")
        self.assertEqual(self.company.everyone_sells_teams_security_token, "bmV3LXRlYW1zLXRva2Vu")
        fresh = self.env["res.config.settings"].with_company(self.company).create({})
        values = fresh.read(
            [
                "everyone_sells_slack_signing_secret_new",
                "everyone_sells_teams_security_token_new",
                "everyone_sells_slack_secret_set",
            ]
        )[0]
        self.assertFalse(values["everyone_sells_slack_signing_secret_new"])
        self.assertFalse(values["everyone_sells_teams_security_token_new"])
        self.assertTrue(values["everyone_sells_slack_secret_set"])
        # Left empty, a secret stays as it was.
        self.env["res.config.settings"].with_company(self.company).create({}).execute()
        self.assertEqual(self.company.everyone_sells_slack_signing_secret, "new-slack-secret")
        # An Everyone Sells administrator who is no system administrator reads nothing.
        company = self.company.with_user(self.user_admin)
        with self.assertRaises(AccessError):
            company.read(["everyone_sells_slack_signing_secret"])
        self.assertNotIn(
            "everyone_sells_slack_signing_secret",
            self.env["res.company"].with_user(self.user_admin).fields_get(),
        )

    def test_a_teams_token_must_be_base64(self):
        from odoo.exceptions import ValidationError  # noqa: PLC0415

        with self.assertRaises(ValidationError):
            self.company.everyone_sells_teams_security_token = "not base64 !!"

    def test_a_workspace_logs_in_one_company_only(self):
        from odoo.exceptions import ValidationError  # noqa: PLC0415

        with self.assertRaises(ValidationError):
            self.other_company.everyone_sells_slack_team_id = SLACK_TEAM

    def test_links_are_shown_and_removed_in_my_preferences(self):
        mine = self.link("slack", "U0SATO", self.user_support)
        theirs = self.link("slack", "U0SUZUKI", self.user_engineer)
        me = self.user_support.with_user(self.user_support)
        self.assertEqual(me.everyone_sells_chat_identity_ids, mine)
        identities = self.Identity.with_user(self.user_support).search([])
        self.assertEqual(identities, mine, "a user sees their own links only")
        with self.assertRaises(AccessError):
            theirs.with_user(self.user_support).action_disconnect()
        mine.with_user(self.user_support).action_disconnect()
        self.assertFalse(mine.exists())
        self.assertTrue(theirs.exists())

    def test_nobody_binds_a_chat_account_from_odoo(self):
        me = self.user_support.with_user(self.user_support)
        with self.assertRaises(AccessError):
            self.Identity.with_user(self.user_support).create(
                {
                    "platform": "slack",
                    "workspace": SLACK_TEAM,
                    "member_id": "U0SOMEONE",
                    "company_id": self.company.id,
                    "user_id": self.user_support.id,
                }
            )
        with self.assertRaises(AccessError):
            me.write(
                {
                    "everyone_sells_chat_identity_ids": [
                        (
                            0,
                            0,
                            {
                                "platform": "slack",
                                "workspace": SLACK_TEAM,
                                "member_id": "U0SOMEONE",
                                "company_id": self.company.id,
                            },
                        )
                    ]
                }
            )
        self.assertFalse(self.Identity.search([("member_id", "=", "U0SOMEONE")]))

    def test_the_weekly_word_is_the_users_to_stop(self):
        me = self.user_support.with_user(self.user_support)
        me.write({"everyone_sells_weekly_word": False})
        self.assertFalse(self.user_support.everyone_sells_weekly_word)

    def test_a_code_is_only_ones_own(self):
        from odoo.exceptions import UserError  # noqa: PLC0415

        with self.assertRaises(UserError):
            self.user_engineer.with_user(self.user_support).action_everyone_sells_chat_code()
        self.assertFalse(self.env["crm.everyone.sells.chat.link.code"].search([]))

    def test_my_preferences_show_the_page_to_a_plain_employee(self):
        self.link("slack", "U0SATO", self.user_support)
        me = self.user_support.with_user(self.user_support)
        view = self.env.ref("base.view_users_form_simple_modif")
        arch = me.get_views([(view.id, "form")])["views"]["form"]["arch"]
        self.assertIn("action_everyone_sells_chat_code", arch)
        values = me.web_read(
            {
                "everyone_sells_weekly_word": {},
                "everyone_sells_chat_identity_ids": {
                    "fields": {"platform": {}, "member_name": {}, "date_linked": {}}
                },
            }
        )[0]
        self.assertTrue(values["everyone_sells_weekly_word"])
        self.assertEqual(values["everyone_sells_chat_identity_ids"][0]["platform"], "slack")
