from odoo import api, fields, models

# The routes Slack and Teams call (controllers/chat.py).
SLACK_COMMAND_PATH = "/everyone_sells/slack/command"
SLACK_INTERACTIVITY_PATH = "/everyone_sells/slack/interactivity"
TEAMS_PATH = "/everyone_sells/teams"


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    everyone_sells_protection_days = fields.Integer(
        related="company_id.everyone_sells_protection_days",
        readonly=False,
    )
    everyone_sells_hold_days = fields.Integer(
        related="company_id.everyone_sells_hold_days",
        readonly=False,
    )
    everyone_sells_payout_background_size = fields.Integer(
        related="company_id.everyone_sells_payout_background_size",
        readonly=False,
    )
    everyone_sells_job_background_size = fields.Integer(
        related="company_id.everyone_sells_job_background_size",
        readonly=False,
    )
    everyone_sells_wage_deduction_agreement = fields.Boolean(
        related="company_id.everyone_sells_wage_deduction_agreement",
        readonly=False,
    )
    everyone_sells_wage_deduction_date_from = fields.Date(
        related="company_id.everyone_sells_wage_deduction_date_from",
        readonly=False,
    )
    everyone_sells_wage_deduction_date_to = fields.Date(
        related="company_id.everyone_sells_wage_deduction_date_to",
        readonly=False,
    )
    everyone_sells_payment_day = fields.Integer(
        related="company_id.everyone_sells_payment_day",
        readonly=False,
    )
    everyone_sells_closing_day = fields.Integer(
        related="company_id.everyone_sells_closing_day",
        readonly=False,
    )
    everyone_sells_response_hours = fields.Integer(
        related="company_id.everyone_sells_response_hours",
        readonly=False,
    )
    everyone_sells_alias_email = fields.Char(
        string="Signal E-mail Address",
        compute="_compute_everyone_sells_alias_email",
        help="Employees forward customer e-mails here to log a signal.",
    )

    def _compute_everyone_sells_alias_email(self):
        alias = self.env.ref("crm_everyone_sells.mail_alias_crm_signal", raise_if_not_found=False)
        for settings in self:
            # Without a mail domain the alias is a bare name nobody can write to.
            settings.everyone_sells_alias_email = (
                alias.alias_full_name if alias and alias.alias_domain_id else False
            )

    # The chat settings: the workspace and tenant ids, and the secrets as write-only fields. A
    # secret typed here is written to the company; the field always reads empty, so no browser
    # ever receives a secret back.
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
