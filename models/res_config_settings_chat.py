from odoo import api, fields, models

# The routes Slack and Teams call (controllers/chat.py).
SLACK_COMMAND_PATH = "/everyone_sells/slack/command"
SLACK_INTERACTIVITY_PATH = "/everyone_sells/slack/interactivity"
TEAMS_PATH = "/everyone_sells/teams"


class ResConfigSettings(models.TransientModel):
    """The chat settings: the workspace and tenant ids, and the secrets as
    write-only fields. A secret typed here is written to the company; the
    field always reads empty, so no browser ever receives a secret back."""

    _inherit = "res.config.settings"

    everyone_sells_slack_team_id = fields.Char(
        related="company_id.everyone_sells_slack_team_id", readonly=False
    )
    everyone_sells_teams_tenant_id = fields.Char(
        related="company_id.everyone_sells_teams_tenant_id", readonly=False
    )
    everyone_sells_slack_signing_secret_new = fields.Char(
        string="New Slack Signing Secret",
        compute="_compute_everyone_sells_chat_secrets",
        inverse="_inverse_everyone_sells_slack_signing_secret",
        help="Type a new signing secret to replace the current one; it is never shown again.",
    )
    everyone_sells_teams_security_token_new = fields.Char(
        string="New Teams Security Token",
        compute="_compute_everyone_sells_chat_secrets",
        inverse="_inverse_everyone_sells_teams_security_token",
        help="Type a new security token to replace the current one; it is never shown again.",
    )
    everyone_sells_slack_secret_set = fields.Boolean(
        string="Slack Secret Set", compute="_compute_everyone_sells_chat_secrets"
    )
    everyone_sells_teams_token_set = fields.Boolean(
        string="Teams Token Set", compute="_compute_everyone_sells_chat_secrets"
    )
    everyone_sells_slack_command_url = fields.Char(
        string="Slack Request URL", compute="_compute_everyone_sells_chat_urls"
    )
    everyone_sells_slack_interactivity_url = fields.Char(
        string="Slack Interactivity URL", compute="_compute_everyone_sells_chat_urls"
    )
    everyone_sells_teams_url = fields.Char(
        string="Teams Callback URL", compute="_compute_everyone_sells_chat_urls"
    )

    @api.depends("company_id")
    def _compute_everyone_sells_chat_secrets(self):
        for settings in self:
            # sudo: only whether a secret is set is shown, never the secret.
            company = settings.company_id.sudo()
            settings.everyone_sells_slack_signing_secret_new = False
            settings.everyone_sells_teams_security_token_new = False
            settings.everyone_sells_slack_secret_set = bool(
                company.everyone_sells_slack_signing_secret
            )
            settings.everyone_sells_teams_token_set = bool(
                company.everyone_sells_teams_security_token
            )

    def _inverse_everyone_sells_slack_signing_secret(self):
        for settings in self:
            secret = (settings.everyone_sells_slack_signing_secret_new or "").strip()
            if secret:
                settings.company_id.everyone_sells_slack_signing_secret = secret

    def _inverse_everyone_sells_teams_security_token(self):
        for settings in self:
            token = (settings.everyone_sells_teams_security_token_new or "").strip()
            if token:
                settings.company_id.everyone_sells_teams_security_token = token

    def _compute_everyone_sells_chat_urls(self):
        for settings in self:
            base = settings.company_id.get_base_url()
            settings.everyone_sells_slack_command_url = base + SLACK_COMMAND_PATH
            settings.everyone_sells_slack_interactivity_url = base + SLACK_INTERACTIVITY_PATH
            settings.everyone_sells_teams_url = base + TEAMS_PATH
