import base64
import binascii

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    """Which Slack workspace and which Microsoft Teams tenant speak for this
    company, and the secrets that prove a request comes from them. The
    secrets are readable by the system only (``groups``): Settings writes
    them and never shows them again."""

    _inherit = "res.company"

    everyone_sells_slack_team_id = fields.Char(
        string="Slack Workspace ID",
        copy=False,
        help="The Slack workspace (team_id, T…) whose members log signals in this company.",
    )
    everyone_sells_slack_signing_secret = fields.Char(
        string="Slack Signing Secret",
        copy=False,
        groups="base.group_system",
        help="From the Slack app's Basic Information page; proves a request comes from Slack.",
    )
    everyone_sells_teams_tenant_id = fields.Char(
        string="Microsoft Teams Tenant ID",
        copy=False,
        help="The Microsoft 365 tenant whose Teams members log signals in this company.",
    )
    everyone_sells_teams_security_token = fields.Char(
        string="Teams Security Token",
        copy=False,
        groups="base.group_system",
        help="Shown once by Teams when the outgoing webhook is created; proves a request "
        "comes from Teams.",
    )

    @api.constrains("everyone_sells_teams_security_token")
    def _check_everyone_sells_teams_security_token(self):
        for company in self.sudo():
            token = company.everyone_sells_teams_security_token
            if not token:
                continue
            try:
                base64.b64decode(token, validate=True)
            except (binascii.Error, ValueError) as error:
                raise ValidationError(
                    self.env._(
                        "The Teams security token is the base64 text Teams showed when the "
                        "outgoing webhook was created: copy it again, whole."
                    )
                ) from error

    @api.constrains("everyone_sells_slack_team_id", "everyone_sells_teams_tenant_id")
    def _check_everyone_sells_chat_unique(self):
        for fname, label in (
            ("everyone_sells_slack_team_id", self.env._("Slack workspace")),
            ("everyone_sells_teams_tenant_id", self.env._("Teams tenant")),
        ):
            for company in self.filtered(fname):
                # sudo: the other company may be one the administrator cannot see.
                other = self.sudo().search(
                    [(fname, "=", company[fname]), ("id", "!=", company.id)], limit=1
                )
                if other:
                    raise ValidationError(
                        self.env._(
                            "This %(what)s is already connected to another company: a "
                            "workspace or tenant logs signals in one company only.",
                            what=label,
                        )
                    )
