import hashlib
import hmac
import secrets
from datetime import timedelta

from odoo import api, fields, models

# Minutes a code from My Preferences stays valid.
CODE_MINUTES = 10


class CrmEveryoneSellsChatLinkCode(models.Model):
    """A short-lived code shown to a user in My Preferences (Connect chat).
    Sent from Slack or Teams, it links that chat identity to the user: the
    user proves who they are in Odoo, the platform's signature who they are
    in chat. Only a keyed hash of the code is kept; nobody reads this model
    but the system."""

    _name = "crm.everyone.sells.chat.link.code"
    _description = "Everyone Sells Chat Connection Code"

    user_id = fields.Many2one("res.users", required=True, index=True, ondelete="cascade")
    code_hash = fields.Char(required=True, index=True)
    date_expiry = fields.Datetime(required=True)

    @api.model
    def _hash(self, code):
        # sudo: the database secret keys the hash; it is never shown.
        key = self.env["ir.config_parameter"].sudo().get_param("database.secret", "")
        return hmac.new(key.encode(), code.encode(), hashlib.sha256).hexdigest()

    @api.model
    def _new_code(self, user):
        """A fresh six-digit code for ``user`` (their earlier codes end)."""
        code = f"{secrets.randbelow(10**6):06d}"
        # sudo: codes are the system's; the user asked for their own.
        Code = self.sudo()
        Code.search([("user_id", "=", user.id)]).unlink()
        Code.create(
            {
                "user_id": user.id,
                "code_hash": self._hash(code),
                "date_expiry": fields.Datetime.now() + timedelta(minutes=CODE_MINUTES),
            }
        )
        return code

    @api.model
    def _consume(self, code):
        """The user whose valid code ``code`` is, once: the code is spent."""
        # sudo: see _new_code.
        found = self.sudo().search(
            [("code_hash", "=", self._hash(code)), ("date_expiry", ">", fields.Datetime.now())],
            limit=1,
        )
        user = found.user_id
        found.unlink()
        return user

    @api.autovacuum
    def _gc_expired_codes(self):
        # sudo: the system's clean-up of its own codes.
        self.sudo().search([("date_expiry", "<", fields.Datetime.now())]).unlink()
