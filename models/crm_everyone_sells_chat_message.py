import base64
import binascii
import hashlib
import hmac
import logging
import re
import time
from datetime import timedelta

import psycopg2
import requests
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import clean_context, html2plaintext, mute_logger, plaintext2html

from ..core.bounds import TITLE_LENGTH
from .crm_everyone_sells_chat_identity import PLATFORMS

_logger = logging.getLogger(__name__)

# A Slack request older than this is refused: a replayed one.
REPLAY_SECONDS = 5 * 60
# Days a message waits for its sender to connect; also how long a request id
# is remembered, so that a repeated request creates nothing twice.
KEEP_DAYS = 7
# Slack answers a response_url only on its own host (never a host the body names).
SLACK_RESPONSE_HOST = "https://hooks.slack.com/"
SLACK_TIMEOUT = 5
# "connect 123456" sent from chat links the sender to the code's user.
CONNECT = re.compile(r"^\s*connect\s+(\d{6})\s*$", re.IGNORECASE)
# "顧客: 株式会社みらい商事" or "customer: ACME" names the customer.
CUSTOMER = re.compile(r"(?:^|\s)(?:顧客|customer)\s*[:：]\s*(.+)\s*$", re.IGNORECASE | re.DOTALL)
TEAMS_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)


def _title_and_body(text):
    """(first line, the whole text as HTML when the first line is not all of
    it or is longer than a title): the signal's own ``_fit_text`` then cuts
    both to what a signal holds."""
    text = (text or "").strip()
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if first == text and len(first) <= TITLE_LENGTH:
        return first, False
    return first, plaintext2html(text)


def _slack_escape(text):
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class CrmEveryoneSellsChatMessage(models.Model):
    """What Slack or Teams sent: one row per request id (Slack's trigger_id,
    Teams' activity id), so a request sent twice creates one signal. A
    message from someone not yet connected waits here (seven days) and
    becomes their signal when they connect; Slack's answer waits here until
    the reply job posts it to the request's response_url."""

    _name = "crm.everyone.sells.chat.message"
    _description = "Everyone Sells Chat Message"
    _order = "id desc"

    platform = fields.Selection(PLATFORMS, required=True, readonly=True)
    external_id = fields.Char(
        string="Request ID",
        required=True,
        readonly=True,
        help="Slack's trigger_id or Teams' activity id: a request sent twice is one message.",
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    identity_id = fields.Many2one(
        "crm.everyone.sells.chat.identity",
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    kind = fields.Selection(
        [("signal", "Signal"), ("connect", "Connection"), ("help", "Help")],
        required=True,
        readonly=True,
    )
    text = fields.Text(readonly=True)
    customer_name = fields.Char(readonly=True)
    state = fields.Selection(
        [
            ("pending", "Waiting for Connection"),
            ("done", "Done"),
            ("failed", "Failed"),
        ],
        required=True,
        default="done",
        readonly=True,
        index=True,
    )
    signal_id = fields.Many2one("crm.signal", readonly=True, ondelete="set null")
    error = fields.Text(readonly=True)
    response_url = fields.Char(readonly=True)
    reply_text = fields.Text(readonly=True)
    reply_url = fields.Char(readonly=True)
    reply_state = fields.Selection(
        [("none", "None"), ("to_send", "To Send"), ("sent", "Sent"), ("failed", "Failed")],
        default="none",
        required=True,
        readonly=True,
        index=True,
    )

    _sql_constraints = [
        (
            "request_uniq",
            "UNIQUE(platform, external_id)",
            "A chat request is received once.",
        ),
    ]

    # ------------------------------------------------------------------
    # WHO SENT IT: the platform's signature, checked before anything is read
    # ------------------------------------------------------------------

    @api.model
    def _slack_company(self, body, timestamp, signature):
        """The company whose Slack signing secret signed ``body``: HMAC-SHA256
        of ``v0:{timestamp}:{body}``, compared in constant time; none when
        the signature matches no company or the request is over five
        minutes old (a replay)."""
        Company = self.env["res.company"]
        if not (timestamp or "").isdigit() or abs(time.time() - int(timestamp)) > REPLAY_SECONDS:
            return Company
        base = b"v0:" + timestamp.encode() + b":" + body
        given = (signature or "").encode()
        # sudo: the secrets are the system's; only whether one matches is used.
        signed = Company.sudo().search([("everyone_sells_slack_signing_secret", "!=", False)])
        for company in signed:
            secret = company.everyone_sells_slack_signing_secret.encode()
            expected = b"v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest().encode()
            if hmac.compare_digest(expected, given):
                return company.sudo(False)
        return Company

    @api.model
    def _teams_company(self, body, authorization):
        """The company whose Teams security token signed ``body``
        (``Authorization: HMAC <base64 HMAC-SHA256 of the body>``, keyed with
        the base64-decoded token); none otherwise."""
        Company = self.env["res.company"]
        scheme, _sep, given = (authorization or "").partition(" ")
        if scheme != "HMAC" or not given:
            return Company
        # sudo: see _slack_company.
        signed = Company.sudo().search([("everyone_sells_teams_security_token", "!=", False)])
        for company in signed:
            try:
                key = base64.b64decode(company.everyone_sells_teams_security_token)
            except (binascii.Error, ValueError):
                continue
            expected = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest())
            if hmac.compare_digest(expected, given.strip().encode()):
                return company.sudo(False)
        return Company

    # ------------------------------------------------------------------
    # RECEIVE: one request, answered in the sender's language
    # ------------------------------------------------------------------

    @api.model
    def _receive(
        self,
        platform,
        company,
        workspace,
        member_id,
        external_id,
        text,
        member_name=False,
        response_url=False,
        is_shortcut=False,
    ):
        """Handle a verified request; returns the message (None when this
        request id was received already: nothing is done twice)."""
        # sudo: the request is proven by the platform's signature, not by a
        # session; the signal itself is created as the linked user.
        Message = self.sudo()
        identity = self.env["crm.everyone.sells.chat.identity"]._find_or_create(
            platform, company, workspace, member_id, member_name
        )
        text = (text or "").strip()
        connect = None if is_shortcut else CONNECT.match(text)
        customer = None
        if not connect and not is_shortcut:
            found = CUSTOMER.search(text)
            if found:
                customer = found.group(1).strip()
                text = text[: found.start()].strip()
        kind = "connect" if connect else "signal" if text else "help"
        if Message.search_count(
            [("platform", "=", platform), ("external_id", "=", external_id)], limit=1
        ):
            return None
        try:
            # The unique index settles two copies of one request at once.
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                message = Message.create(
                    {
                        "platform": platform,
                        "external_id": external_id,
                        "company_id": company.id,
                        "identity_id": identity.id,
                        "kind": kind,
                        # The code is spent once used: it is not kept.
                        "text": "connect ******" if connect else text,
                        "customer_name": customer,
                        "response_url": response_url
                        if (response_url or "").startswith(SLACK_RESPONSE_HOST)
                        else False,
                    }
                )
        except psycopg2.errors.UniqueViolation:
            return None
        if connect:
            message._connect(connect.group(1))
        elif kind == "help":
            message._reply(message._help_text(message._lang()))
        else:
            user = identity._linked_user()
            if user:
                message._create_signal(user)
            else:
                message.state = "pending"
                env = self.with_context(lang=message._lang()).env
                message._reply(
                    env._(
                        "Your %(platform)s account is not connected to Everyone Sells yet. In "
                        "Odoo, open My Preferences, Everyone Sells tab, Connect chat, then send "
                        "“%(command)s” here with the code. Your message is kept for 7 days and "
                        "becomes your signal once you are connected.",
                        platform=message._platform_label(env),
                        command=message._command(env, "connect 123456"),
                    )
                )
        return message

    def _lang(self):
        self.ensure_one()
        user = self.identity_id._linked_user()
        return user.lang or self.company_id.partner_id.lang or "en_US"

    def _platform_label(self, env):
        return dict(self._fields["platform"]._description_selection(env))[self.platform]

    def _command(self, env, words):
        if self.platform == "slack":
            return f"/signal {words}"
        return f"@Everyone Sells {words}"

    def _help_text(self, lang):
        env = self.with_context(lang=lang).env
        words = env._("what the customer said customer: name")
        return env._(
            "Tell what the customer said: “%(example)s”.", example=self._command(env, words)
        )

    def _reply(self, text, url=False):
        """Keep the answer; Slack's is posted to the response_url by the
        reply job, after the request was acknowledged."""
        self.ensure_one()
        values = {"reply_text": text, "reply_url": url}
        if self.platform == "slack" and self.response_url:
            values["reply_state"] = "to_send"
        self.write(values)
        if values.get("reply_state") == "to_send":
            # sudo: whoever Slack verified may wake the system's reply job.
            self.env.ref("crm_everyone_sells.ir_cron_chat_replies").sudo()._trigger()

    def _connect(self, code):
        """Link the sender to the user whose code this is (My Preferences)."""
        self.ensure_one()
        identity = self.identity_id
        env = self.with_context(lang=self._lang()).env
        if not identity._may_try_code():
            self.state = "failed"
            return self._reply(env._("Too many wrong codes: wait an hour, then send a new code."))
        user = self.env["crm.everyone.sells.chat.link.code"]._consume(code)
        if not user or self.company_id not in user.company_ids or not user._is_internal():
            identity._count_link_failure()
            self.state = "failed"
            return self._reply(
                env._(
                    "This code is unknown or expired, or its user does not work in %(company)s. "
                    "Get a new one in Odoo: My Preferences, Everyone Sells tab, Connect chat.",
                    company=self.company_id.name,
                )
            )
        identity.sudo().write(
            {
                "user_id": user.id,
                "date_linked": fields.Datetime.now(),
                "link_failures": 0,
                "link_failure_date": False,
            }
        )
        env = self.with_context(lang=user.lang).env
        kept = self.sudo().search(
            [
                ("identity_id", "=", identity.id),
                ("state", "=", "pending"),
                ("create_date", ">", fields.Datetime.now() - timedelta(days=KEEP_DAYS)),
            ],
            order="id",
        )
        for message in kept:
            # Their own response_url is long expired: this answer says it all.
            message._create_signal(user, reply=False)
        text = env._(
            "Connected: what you send here is logged as signals of %(user)s in %(company)s.",
            user=user.name,
            company=self.company_id.name,
        )
        made = kept.filtered(lambda m: m.state == "done" and m.signal_id)
        if made:
            text += " " + env._("%(count)s kept message(s) became your signals.", count=len(made))
        self._reply(text)
        return None

    def _create_signal(self, user, reply=True):
        """The signal of ``user`` for this message, created as them (their
        rights, the signal's own guards, their employee); answered with
        where it went."""
        self.ensure_one()
        company = self.company_id
        # As the user (no superuser), without the caller's default_* keys.
        user_env = self.env(user=user.id, su=False, context=clean_context(self.env.context))
        Signal = user_env["crm.signal"].with_context(
            lang=user.lang, tz=user.tz, allowed_company_ids=company.ids
        )
        env = Signal.env
        title, description, overflow = Signal._fit_text(*_title_and_body(self.text))
        values = {"name": title, "description": description}
        if self.customer_name:
            values["contact_name"] = self.customer_name
        customer = Signal.new(dict(values))._suggest_customer()
        if customer:
            values["partner_id"] = customer.id
        try:
            with self.env.cr.savepoint():
                signal = Signal.create(values)
                signal._keep_original(overflow)
                signal.message_post(
                    body=Markup("<p>%s</p>")
                    % env._("Logged from %(platform)s.", platform=self._platform_label(env)),
                    subtype_xmlid="mail.mt_note",
                )
        except (UserError, AccessError, ValidationError) as failure:
            self.write({"state": "failed", "error": str(failure)})
            if not reply:
                return None
            return self._reply(
                env._("The signal could not be logged: %(error)s", error=str(failure))
            )
        self.write({"state": "done", "signal_id": signal.id})
        if not reply:
            return None
        return self._reply(
            self._where_it_went(signal),
            url=f"{signal.get_base_url()}/odoo/crm.signal/{signal.id}",
        )

    def _where_it_went(self, signal):
        """Where the new signal went, in its author's language. Teams answers
        in the channel for all to see: its sentence names no customer and no
        text, only where the signal went."""
        env = signal.env
        if signal.state == "routed":
            where = env._(
                "it was sent to %(receivers)s, who will answer you in Odoo",
                receivers=", ".join(
                    filter(
                        None,
                        [
                            signal.routed_department_id.name,
                            *signal.routed_employee_ids.mapped("name"),
                        ],
                    )
                ),
            )
        elif signal.duplicate_of_id and self.platform == "slack":
            where = env._(
                "an earlier open signal about this customer keeps the originator role; "
                "sales sees both"
            )
        else:
            where = env._("it waits for sales to take it over")
        if self.platform == "teams":
            return env._("Signal logged for %(user)s: %(where)s.", user=env.user.name, where=where)
        return env._("Your signal “%(name)s” is logged: %(where)s.", name=signal.name, where=where)

    # ------------------------------------------------------------------
    # SLACK'S ANSWERS: after the acknowledgement, by a scheduled action
    # ------------------------------------------------------------------

    @api.model
    def _cron_send_replies(self):
        """Post the waiting answers to their Slack response_url (ephemeral:
        only the sender sees them)."""
        # sudo: the answers are the system's to send.
        waiting = self.sudo().search([("reply_state", "=", "to_send")], order="id", limit=100)
        for message in waiting:
            env = self.with_context(lang=message._lang()).env
            text = _slack_escape(message.reply_text)
            if message.reply_url:
                text += f" <{message.reply_url}|{_slack_escape(env._('Open the signal'))}>"
            sent = message._slack_post(
                message.response_url, {"response_type": "ephemeral", "text": text}
            )
            message.reply_state = "sent" if sent else "failed"
        return len(waiting)

    def _slack_post(self, url, payload):
        """POST ``payload`` to Slack's ``url``; True when Slack took it. The
        one place this addon reaches the network (patched in tests)."""
        if not (url or "").startswith(SLACK_RESPONSE_HOST):
            return False
        try:
            response = requests.post(url, json=payload, timeout=SLACK_TIMEOUT)
        except requests.RequestException as error:
            _logger.warning("Slack answer not delivered: %s", error)
            return False
        return response.ok

    @api.autovacuum
    def _gc_old_messages(self):
        """Messages older than seven days go: a waiting one is no longer
        turned into a signal, and a request id is no longer remembered."""
        limit = fields.Datetime.now() - timedelta(days=KEEP_DAYS)
        # sudo: the system's clean-up of its own messages.
        self.sudo().search([("create_date", "<", limit)]).unlink()

    # ------------------------------------------------------------------
    # PARSING what the platforms send (after the signature was checked)
    # ------------------------------------------------------------------

    @api.model
    def _teams_text(self, html):
        """The words of a Teams message, without the @mention of the app."""
        return html2plaintext(TEAMS_MENTION.sub("", html or "")).replace("\xa0", " ").strip()
