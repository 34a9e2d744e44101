from datetime import timedelta

from odoo import api, fields, models

PLATFORMS = [("slack", "Slack"), ("teams", "Microsoft Teams")]
# Wrong codes an identity may send in an hour before it must wait.
MAX_LINK_FAILURES = 5


class CrmEveryoneSellsChatIdentity(models.Model):
    """A person in Slack or Teams: a member of one workspace or tenant, which
    is connected to one company. Created by the system when they first write
    to the app; linked to an Odoo user once, by a code the user got in Odoo
    and sent from chat (both sides confirmed). Linked, they log signals as
    that user; the user sees and removes the link in My Preferences."""

    _name = "crm.everyone.sells.chat.identity"
    _description = "Everyone Sells Chat Identity"
    _order = "platform, id"
    _rec_name = "member_name"

    platform = fields.Selection(PLATFORMS, required=True, readonly=True)
    workspace = fields.Char(
        string="Workspace or Tenant",
        required=True,
        readonly=True,
        help="The Slack workspace (team_id) or Microsoft 365 tenant id.",
    )
    member_id = fields.Char(
        string="Member ID",
        required=True,
        readonly=True,
        help="The person's id in Slack (U…) or Teams (their Microsoft Entra object id).",
    )
    member_name = fields.Char(string="Name in Chat", readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    user_id = fields.Many2one(
        "res.users",
        string="Odoo User",
        readonly=True,
        index="btree_not_null",
        ondelete="cascade",
        help="The user whose signals this person logs from chat.",
    )
    date_linked = fields.Datetime(string="Connected On", readonly=True)
    link_failures = fields.Integer(readonly=True)
    link_failure_date = fields.Datetime(readonly=True)

    _sql_constraints = [
        (
            "member_uniq",
            "UNIQUE(platform, workspace, member_id)",
            "A chat member exists once per workspace or tenant.",
        ),
    ]

    @api.model
    def _find_or_create(self, platform, company, workspace, member_id, member_name=False):
        """The identity of ``member_id`` (created unlinked at first contact)."""
        # sudo: identities are the system's; the request is proven by the
        # platform's signature, not by an Odoo session.
        Identity = self.sudo()
        identity = Identity.search(
            [
                ("platform", "=", platform),
                ("workspace", "=", workspace),
                ("member_id", "=", member_id),
            ],
            limit=1,
        )
        if not identity:
            identity = Identity.create(
                {
                    "platform": platform,
                    "workspace": workspace,
                    "member_id": member_id,
                    "member_name": member_name,
                    "company_id": company.id,
                }
            )
        elif member_name and identity.member_name != member_name:
            identity.member_name = member_name
        return identity

    def _linked_user(self):
        """The linked user while they may still log signals in its company."""
        self.ensure_one()
        user = self.user_id
        if user and user.active and user._is_internal() and self.company_id in user.company_ids:
            return user
        return self.env["res.users"]

    def _may_try_code(self):
        self.ensure_one()
        recent = self.link_failure_date and self.link_failure_date > (
            fields.Datetime.now() - timedelta(hours=1)
        )
        return not recent or self.link_failures < MAX_LINK_FAILURES

    def _count_link_failure(self):
        self.ensure_one()
        recent = self.link_failure_date and self.link_failure_date > (
            fields.Datetime.now() - timedelta(hours=1)
        )
        self.sudo().write(
            {
                "link_failures": (self.link_failures if recent else 0) + 1,
                "link_failure_date": fields.Datetime.now(),
            }
        )

    def action_disconnect(self):
        """Remove the link (My Preferences): only its own user, or an administrator."""
        self.check_access("unlink")
        self.unlink()
        return {"type": "ir.actions.client", "tag": "soft_reload"}
