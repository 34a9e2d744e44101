import base64
import binascii

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    everyone_sells_protection_days = fields.Integer(
        string="Signal Protection Window (days)",
        default=90,
        help="A later signal about the same customer while an earlier one is "
        "still open inside this many days is marked as its duplicate: the "
        "first signal keeps the originator role.",
    )
    everyone_sells_payout_background_size = fields.Integer(
        string="Background Payout Size (entries)",
        default=20_000,
        help="A payout's Compute, Confirm or Mark as Paid over more ledger entries than this runs "
        "as a background job: the screen stays usable and whoever started it is "
        "notified when it ends. 0 runs everything at once.",
    )
    everyone_sells_job_background_size = fields.Integer(
        string="Background Job Size (entries)",
        default=5_000,
        help="Credit Past Wins over deals with more contributor lines than this (each "
        "earns at least one ledger entry), or an evaluation export over a period "
        "with more ledger entries than this, runs as a background job: the screen "
        "stays usable and whoever started it is notified with the result. 0 runs "
        "everything at once.",
    )
    everyone_sells_hold_days = fields.Integer(
        string="Credit Hold Period (days)",
        default=30,
        help="A credit becomes payable only this many days after the win: a "
        "deal cancelled inside this window reverses a credit that was never "
        "paid, which is no deduction from wages.",
    )

    everyone_sells_response_hours = fields.Integer(
        string="Time to First Answer (hours)",
        default=48,
        help="Sales answers a new signal, and the receivers a routed one, within "
        "this many working hours of the company's working calendar; later, the "
        "signal shows as overdue and its author may send one reminder.",
    )
    everyone_sells_wage_deduction_agreement = fields.Boolean(
        string="Wage-Deduction Agreement (24協定)",
        help="A written labour-management agreement allows deducting reversed "
        "credits that were already paid from later incentives. Without one, "
        "nothing is deducted: the amount is shown as outstanding for HR.",
    )
    everyone_sells_wage_deduction_date_from = fields.Date(
        string="Agreement Valid From",
        help="The wage-deduction agreement (24協定) is in force from this day: "
        "only payouts paid inside its validity deduct, and only debts that "
        "arose while it was in force. Without this date nothing is deducted.",
    )
    everyone_sells_wage_deduction_date_to = fields.Date(
        string="Agreement Valid Until",
        help="Optional: the last day the wage-deduction agreement is in force.",
    )
    everyone_sells_payment_day = fields.Integer(
        string="Payday",
        default=25,
        help="Day of the month wages are paid; incentives are paid on the next "
        "payday after the month they were earned in.",
    )
    everyone_sells_closing_day = fields.Integer(
        string="Wage Closing Day (締め日)",
        default=31,
        help="Day of the month the wage period closes (31: the month's end). "
        "Closing on the 20th, a period runs from the 21st to the 20th of the "
        "next month; its incentives and hours are paid on the first payday after it.",
    )

    @api.constrains("everyone_sells_payment_day")
    def _check_everyone_sells_payment_day(self):
        for company in self:
            if not 1 <= company.everyone_sells_payment_day <= 31:
                raise ValidationError(self.env._("The payday is a day of the month, 1 to 31."))

    @api.constrains("everyone_sells_closing_day")
    def _check_everyone_sells_closing_day(self):
        for company in self:
            if not 1 <= company.everyone_sells_closing_day <= 31:
                raise ValidationError(
                    self.env._(
                        "The wage closing day is a day of the month, 1 to 31 (31: month end)."
                    )
                )

    def _everyone_sells_deduction_window(self, payday):
        """(valid from, valid until or None) of the wage-deduction agreement
        when it is in force on ``payday``; None otherwise."""
        self.ensure_one()
        start = self.everyone_sells_wage_deduction_date_from
        end = self.everyone_sells_wage_deduction_date_to
        if not (self.everyone_sells_wage_deduction_agreement and start and payday):
            return None
        if payday < start or (end and payday > end):
            return None
        return start, end or None

    @api.constrains(
        "everyone_sells_wage_deduction_date_from", "everyone_sells_wage_deduction_date_to"
    )
    def _check_everyone_sells_deduction_dates(self):
        for company in self:
            start = company.everyone_sells_wage_deduction_date_from
            end = company.everyone_sells_wage_deduction_date_to
            if start and end and end < start:
                raise ValidationError(
                    self.env._("The wage-deduction agreement ends before it starts.")
                )

    @api.constrains("everyone_sells_protection_days", "everyone_sells_hold_days")
    def _check_everyone_sells_days(self):
        for company in self:
            if company.everyone_sells_protection_days < 0:
                raise ValidationError(self.env._("The protection window cannot be negative."))
            if company.everyone_sells_hold_days < 0:
                raise ValidationError(self.env._("The hold period cannot be negative."))

    # Which Slack workspace and which Microsoft Teams tenant speak for this company, and the
    # secrets that prove a request comes from them. The secrets are readable by the system only
    # (``groups``): Settings writes them and never shows them again.
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
