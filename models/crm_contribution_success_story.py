from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext


class CrmContributionSuccessStory(models.Model):
    _name = "crm.contribution.success.story"
    _description = "Everyone Sells Success Story"
    _inherit = ["mail.thread"]
    _order = "date_published desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Title",
        required=True,
        translate=True,
        tracking=True,
        help="One line every employee understands, e.g. 'A support call became our "
        "largest order of the year'.",
    )
    lead_id = fields.Many2one(
        "crm.lead",
        string="Won Deal",
        required=True,
        index=True,
        check_company=True,
        domain="[('everyone_sells_is_won', '=', True)]",
        help="The won opportunity the story tells.",
    )
    partner_id = fields.Many2one(related="lead_id.partner_id", string="Customer")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    revenue = fields.Monetary(
        related="lead_id.expected_revenue", help="The deal's revenue when won."
    )
    program_id = fields.Many2one(
        "crm.contribution.program",
        compute="_compute_from_lead",
        store=True,
        readonly=False,
        check_company=True,
        help="The program the deal's signal belonged to.",
    )
    helper_ids = fields.Many2many(
        "hr.employee",
        string="Who Helped",
        compute="_compute_from_lead",
        store=True,
        readonly=False,
        help="The originator and the contributors of the deal.",
    )
    what_happened = fields.Html(
        translate=True,
        help="What the customer said, who noticed it, how sales took it over.",
    )
    customer_gain = fields.Html(
        string="The Customer's Gain",
        translate=True,
        help="What the customer gained: time saved, a problem solved, growth.",
    )
    state = fields.Selection(
        [("draft", "Draft"), ("published", "Published")],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
    )
    date_published = fields.Datetime(readonly=True, copy=False)
    message_id = fields.Many2one(
        "mail.message",
        string="Channel Post",
        readonly=True,
        copy=False,
        help="The post announcing the story to every employee.",
    )

    @api.depends("lead_id")
    def _compute_from_lead(self):
        for story in self:
            lead = story.lead_id
            # sudo: the author of a story may not read every signal and
            # contributor line of the deal; the story names who helped.
            lead_sudo = lead.sudo()
            story.helper_ids = [Command.set(lead_sudo.contributor_ids.employee_id.ids)]
            story.program_id = lead_sudo.signal_ids.program_id[:1]

    def _channel(self):
        return self.env.ref("crm_everyone_sells.channel_success_stories", raise_if_not_found=False)

    def _post_body(self):
        self.ensure_one()
        helpers = ", ".join(self.helper_ids.mapped("name"))
        return Markup(
            "<p><b>%(title)s</b></p><p>%(customer)s — %(helpers_label)s %(helpers)s</p>"
            "%(what)s%(gain)s"
        ) % {
            "title": self.name,
            "customer": self.partner_id.display_name or self.lead_id.name,
            "helpers_label": self.env._("Who helped:"),
            "helpers": helpers,
            "what": self.what_happened or "",
            "gain": self.customer_gain or "",
        }

    def action_publish(self):
        if not self.env.user.has_group("crm_everyone_sells.group_manager"):
            raise UserError(self.env._("Only contribution managers publish success stories."))
        for story in self:
            if story.state != "draft":
                raise UserError(self.env._("%(story)s is already published.", story=story.name))
            if not story.lead_id.sudo().everyone_sells_is_won:
                raise UserError(
                    self.env._(
                        "%(deal)s is not won: a success story tells a won deal.",
                        deal=story.lead_id.display_name,
                    )
                )
            if not html2plaintext(story.what_happened or "").strip():
                raise UserError(
                    self.env._("Tell what happened before publishing %(story)s.", story=story.name)
                )
            message = False
            channel = story._channel()
            if channel:
                # sudo: every employee reads the channel, but the manager
                # publishing may not be one of its members.
                message = channel.sudo().message_post(
                    body=story._post_body(),
                    author_id=self.env.user.partner_id.id,
                    message_type="comment",
                    subtype_xmlid="mail.mt_comment",
                )
            story.write(
                {
                    "state": "published",
                    "date_published": fields.Datetime.now(),
                    "message_id": message.id if message else False,
                }
            )
        return True
