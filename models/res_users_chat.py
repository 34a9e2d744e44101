from odoo import fields, models
from odoo.exceptions import UserError

from .crm_everyone_sells_chat_link_code import CODE_MINUTES

CHAT_FIELDS = ["everyone_sells_chat_identity_ids", "everyone_sells_weekly_word"]


class ResUsers(models.Model):
    """My Preferences: the chat accounts linked to me (shown, removable),
    Connect chat, and whether I get the weekly word."""

    _inherit = "res.users"

    everyone_sells_chat_identity_ids = fields.One2many(
        "crm.everyone.sells.chat.identity",
        "user_id",
        string="Chat Accounts",
        readonly=True,
        help="Slack and Microsoft Teams accounts that log signals as you.",
    )
    everyone_sells_weekly_word = fields.Boolean(
        string="Weekly Word",
        default=True,
        help="Every week, a word on what your signals became and what you earned "
        "(and, for managers, the credits waiting for approval).",
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return [*super().SELF_READABLE_FIELDS, *CHAT_FIELDS]

    @property
    def SELF_WRITEABLE_FIELDS(self):
        # Not the chat accounts: they are linked from chat only, by a code.
        return [*super().SELF_WRITEABLE_FIELDS, "everyone_sells_weekly_word"]

    def action_everyone_sells_chat_code(self):
        """Connect chat: a code for the current user to send from Slack or Teams."""
        self.ensure_one()
        if self != self.env.user or not self.env.user._is_internal():
            raise UserError(self.env._("Only you can connect your own chat account."))
        code = self.env["crm.everyone.sells.chat.link.code"]._new_code(self.env.user)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "sticky": True,
                "title": self.env._("Your code: %(code)s", code=code),
                "message": self.env._(
                    "Within %(minutes)s minutes, send “/signal connect %(code)s” in Slack, or "
                    "“@Everyone Sells connect %(code)s” in Microsoft Teams. Nobody else can "
                    "use it; it works once.",
                    minutes=CODE_MINUTES,
                    code=code,
                ),
            },
        }
