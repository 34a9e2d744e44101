import json
import logging

from odoo import http
from odoo.http import request

from ..models.res_config_settings_chat import (
    SLACK_COMMAND_PATH,
    SLACK_INTERACTIVITY_PATH,
    TEAMS_PATH,
)

_logger = logging.getLogger(__name__)

# Larger bodies are refused (413) before they are read.
MAX_BODY = 64 * 1024
# The callback id of the Slack message shortcut "Save as signal".
SLACK_SHORTCUT_CALLBACK = "save_as_signal"

ROUTE = {
    "type": "http",
    "auth": "public",
    "methods": ["POST"],
    "csrf": False,
    "save_session": False,
    "max_content_length": MAX_BODY,
    # ir.http keeps the raw body of these routes before Odoo parses the form.
    "everyone_sells_raw_body": True,
}


def _plain(status, text=""):
    return request.make_response(text, headers=[("Content-Type", "text/plain")], status=status)


def _json(payload):
    return request.make_response(
        json.dumps(payload), headers=[("Content-Type", "application/json")]
    )


class EveryoneSellsChat(http.Controller):
    """Slack and Microsoft Teams post here. Each request is verified with its
    platform's signature over the raw body before anything in it is read;
    then the work runs as the linked user. Slack is answered at once (its
    answer follows on the response_url), Teams with the answer itself."""

    def _raw_body(self):
        return request.httprequest.get_data()

    def _chat(self):
        # sudo: an anonymous request; who sent it is proven by the signature
        # (checked first), and the signal is created as the linked user.
        return request.env["crm.everyone.sells.chat.message"].sudo()

    def _slack(self):
        """(company, form) of a verified Slack request, or (None, response)."""
        body = self._raw_body()
        headers = request.httprequest.headers
        company = self._chat()._slack_company(
            body,
            headers.get("X-Slack-Request-Timestamp"),
            headers.get("X-Slack-Signature"),
        )
        if not company:
            return None, _plain(401, "invalid signature")
        return company, request.httprequest.form

    @http.route(SLACK_COMMAND_PATH, **ROUTE)
    def slack_command(self, **_kwargs):
        company, form = self._slack()
        if company is None:
            return form
        if form.get("team_id") != company.everyone_sells_slack_team_id:
            return _plain(403, "unknown workspace")
        if not form.get("trigger_id") or not form.get("user_id"):
            return _plain(400, "trigger_id and user_id are required")
        self._chat()._receive(
            "slack",
            company,
            form["team_id"],
            form["user_id"],
            form["trigger_id"],
            form.get("text"),
            member_name=form.get("user_name"),
            response_url=form.get("response_url"),
        )
        # The answer follows on the response_url, once this one is sent.
        return _plain(200)

    @http.route(SLACK_INTERACTIVITY_PATH, **ROUTE)
    def slack_interactivity(self, **_kwargs):
        company, form = self._slack()
        if company is None:
            return form
        try:
            payload = json.loads(form.get("payload") or "")
        except ValueError:
            return _plain(400, "payload is not JSON")
        if not isinstance(payload, dict):
            return _plain(400, "payload is not an object")
        if (payload.get("team") or {}).get("id") != company.everyone_sells_slack_team_id:
            return _plain(403, "unknown workspace")
        if (
            payload.get("type") != "message_action"
            or payload.get("callback_id") != SLACK_SHORTCUT_CALLBACK
        ):
            return _plain(200)  # another interaction of the app: nothing to do here
        user = payload.get("user") or {}
        if not payload.get("trigger_id") or not user.get("id"):
            return _plain(400, "trigger_id and user are required")
        self._chat()._receive(
            "slack",
            company,
            payload["team"]["id"],
            user["id"],
            payload["trigger_id"],
            (payload.get("message") or {}).get("text"),
            member_name=user.get("username") or user.get("name"),
            response_url=payload.get("response_url"),
            is_shortcut=True,
        )
        return _plain(200)

    @http.route(TEAMS_PATH, **ROUTE)
    def teams(self, **_kwargs):
        body = self._raw_body()
        chat = self._chat()
        company = chat._teams_company(body, request.httprequest.headers.get("Authorization"))
        if not company:
            return _plain(401, "invalid signature")
        try:
            activity = json.loads(body)
        except ValueError:
            return _plain(400, "not JSON")
        if not isinstance(activity, dict):
            return _plain(400, "not an activity")
        tenant = ((activity.get("channelData") or {}).get("tenant") or {}).get("id")
        if not tenant or tenant != company.everyone_sells_teams_tenant_id:
            return _plain(403, "unknown tenant")
        sender = activity.get("from") or {}
        member = sender.get("aadObjectId") or sender.get("id")
        if not activity.get("id") or not member:
            return _plain(400, "id and from are required")
        message = chat._receive(
            "teams",
            company,
            tenant,
            member,
            activity["id"],
            chat._teams_text(activity.get("text")),
            member_name=sender.get("name"),
        )
        if message is None:
            # Sent twice: the first answer stands; this one says it again.
            message = chat.search(
                [("platform", "=", "teams"), ("external_id", "=", activity["id"])], limit=1
            )
        return _json({"type": "message", "text": message.reply_text or ""})
