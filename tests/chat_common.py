"""Requests exactly as Slack and Microsoft Teams send them, signed with test
secrets, for the chat tests (tests/test_chat_slack.py, tests/test_chat_teams.py)."""

import base64
import hashlib
import hmac
import json
import re
import time
from unittest.mock import patch
from urllib.parse import urlencode

from .common import EveryoneSellsCase

SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_TEAM = "T0MIRAI01"
TEAMS_TOKEN = base64.b64encode(b"mirai-teams-outgoing-webhook-key").decode()
TEAMS_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
RESPONSE_URL = "https://hooks.slack.com/commands/T0MIRAI01/1234/abcd"


class ChatCase(EveryoneSellsCase):
    """The test company connected to a Slack workspace and a Teams tenant."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "everyone_sells_slack_team_id": SLACK_TEAM,
                "everyone_sells_slack_signing_secret": SLACK_SECRET,
                "everyone_sells_teams_tenant_id": TEAMS_TENANT,
                "everyone_sells_teams_security_token": TEAMS_TOKEN,
            }
        )
        cls.Identity = cls.env["crm.everyone.sells.chat.identity"]
        cls.Message = cls.env["crm.everyone.sells.chat.message"]
        cls.sequence = 0

    def setUp(self):
        super().setUp()
        self.signals_before = self.env["crm.signal"].search([])

    # ------------------------------------------------------------------

    def new_signals(self):
        self.env.invalidate_all()
        return self.env["crm.signal"].search([]) - self.signals_before

    def link(self, platform, member, user, workspace=None):
        """``member`` already connected to ``user`` (the code flow is tested
        on its own)."""
        return self.Identity.create(
            {
                "platform": platform,
                "workspace": workspace or (SLACK_TEAM if platform == "slack" else TEAMS_TENANT),
                "member_id": member,
                "company_id": self.company.id,
                "user_id": user.id,
            }
        )

    def connect_code(self, user):
        """The code My Preferences' Connect chat shows ``user``."""
        action = user.with_user(user).action_everyone_sells_chat_code()
        return re.search(r"\d{6}", action["params"]["title"]).group(0)

    def next_id(self, prefix):
        type(self).sequence += 1
        return f"{prefix}{type(self).sequence:06d}"

    # ------------------------------------------------------------------
    # SLACK
    # ------------------------------------------------------------------

    def slack_sign(self, body, timestamp=None, secret=SLACK_SECRET):
        timestamp = str(int(time.time()) if timestamp is None else timestamp)
        base = b"v0:" + timestamp.encode() + b":" + body
        signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
        return {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        }

    def slack_command_body(self, text, member="U0SATO", team=SLACK_TEAM, trigger_id=None):
        """A slash command as Slack posts it (form-encoded)."""
        return urlencode(
            {
                "token": "gIkuvaNzQIHg97ATvDxqgjtO",
                "team_id": team,
                "team_domain": "mirai",
                "channel_id": "C2147483705",
                "channel_name": "support",
                "user_id": member,
                "user_name": "sato",
                "command": "/signal",
                "text": text,
                "api_app_id": "A123456",
                "response_url": RESPONSE_URL,
                "trigger_id": trigger_id or self.next_id("13345224609.738474920."),
            }
        ).encode()

    def slack_shortcut_body(self, text, member="U0SATO", team=SLACK_TEAM, trigger_id=None):
        """A message shortcut as Slack posts it (form-encoded JSON payload)."""
        payload = {
            "type": "message_action",
            "callback_id": "save_as_signal",
            "trigger_id": trigger_id or self.next_id("9337.3359.shortcut"),
            "response_url": RESPONSE_URL,
            "team": {"id": team, "domain": "mirai"},
            "user": {"id": member, "username": "sato", "team_id": team},
            "channel": {"id": "C2147483705", "name": "support"},
            "message_ts": "1575415478.000400",
            "message": {
                "type": "message",
                "user": "U0CUSTOMER",
                "ts": "1575415478.000400",
                "text": text,
            },
        }
        return urlencode({"payload": json.dumps(payload)}).encode()

    def slack_post(self, path, body, **sign):
        headers = self.slack_sign(body, **sign)
        return self.url_open(path, data=body, headers=headers)

    def slack_command(self, text, **values):
        return self.slack_post(
            "/everyone_sells/slack/command", self.slack_command_body(text, **values)
        )

    def slack_shortcut(self, text, **values):
        return self.slack_post(
            "/everyone_sells/slack/interactivity", self.slack_shortcut_body(text, **values)
        )

    def slack_answers(self):
        """Run the answer job as its scheduled action does; what it posted."""
        posted = []

        def fake_post(message, url, payload):
            posted.append((url, payload))
            return True

        Message = type(self.env["crm.everyone.sells.chat.message"])
        with patch.object(Message, "_slack_post", fake_post):
            self.env["crm.everyone.sells.chat.message"]._cron_send_replies()
        return posted

    # ------------------------------------------------------------------
    # TEAMS
    # ------------------------------------------------------------------

    def teams_activity(self, text, member="aad-sato", tenant=TEAMS_TENANT, activity_id=None):
        """An outgoing webhook's activity as Teams posts it."""
        return {
            "type": "message",
            "id": activity_id or self.next_id("1485983408511"),
            "timestamp": "2026-12-06T09:00:00.000Z",
            "serviceUrl": "https://smba.trafficmanager.net/apac/",
            "channelId": "msteams",
            "from": {
                "id": "29:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB",
                "name": "佐藤 花子",
                "aadObjectId": member,
            },
            "conversation": {"isGroup": True, "id": "19:channel@thread.skype;messageid=1"},
            "recipient": None,
            "textFormat": "plain",
            "text": f"<at>Everyone Sells</at>&nbsp;{text}",
            "attachments": [],
            "entities": [],
            "channelData": {
                "teamsChannelId": "19:channel@thread.skype",
                "teamsTeamId": "19:team@thread.skype",
                "channel": {"id": "19:channel@thread.skype"},
                "team": {"id": "19:team@thread.skype"},
                "tenant": {"id": tenant},
            },
        }

    def teams_post(self, activity, token=TEAMS_TOKEN, authorization=None):
        body = json.dumps(activity, ensure_ascii=False).encode()
        if authorization is None:
            digest = hmac.new(base64.b64decode(token), body, hashlib.sha256).digest()
            authorization = "HMAC " + base64.b64encode(digest).decode()
        headers = {"Content-Type": "application/json", "Authorization": authorization}
        return self.url_open("/everyone_sells/teams", data=body, headers=headers)
