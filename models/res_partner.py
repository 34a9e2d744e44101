from odoo import api, fields, models
from odoo.osv import expression


class ResPartner(models.Model):
    _inherit = "res.partner"

    origin_employee_id = fields.Many2one(
        "hr.employee",
        string="Brought By",
        help="The employee whose signal first brought this customer to sales.",
    )
    origin_department_id = fields.Many2one(
        "hr.department",
        help="The originator's department when the first signal was logged.",
    )
    signal_channel_id = fields.Many2one(
        "crm.signal.channel",
        help="Where the first signal about this customer was heard.",
    )
    signal_ids = fields.One2many("crm.signal", "partner_id", string="Signals")
    customer_signal_ids = fields.Many2many(
        "crm.signal",
        string="Customer Voice",
        compute="_compute_customer_signal_ids",
        groups="sales_team.group_sale_salesman",
        help="Every signal about this customer and its contacts, newest first.",
    )
    signal_count = fields.Integer(
        compute="_compute_signal_count",
        groups="sales_team.group_sale_salesman",
    )

    def _compute_customer_signal_ids(self):
        for partner in self:
            # Searched with the reader's own rights: what they may not read is
            # not listed.
            partner.customer_signal_ids = self.env["crm.signal"].search(
                [("partner_id", "child_of", partner.commercial_partner_id.id)],
                order="create_date desc, id desc",
            )

    def _compute_signal_count(self):
        self.signal_count = 0
        family = self.with_context(active_test=False).search_fetch(
            [("id", "child_of", self.ids)], ["parent_id"]
        )
        counts = self.env["crm.signal"]._read_group(
            [("partner_id", "in", family.ids)], ["partner_id"], ["__count"]
        )
        own_ids = set(self._ids)
        for partner, count in counts:
            while partner:
                if partner.id in own_ids:
                    partner.signal_count += count
                partner = partner.parent_id

    def _everyone_sells_set_origin(self, signal):
        """Record ``signal`` as the customer's origin where it has none yet."""
        partners = self.filtered(lambda p: not p.origin_employee_id)
        if partners:
            # sudo: a salesperson may hand off a signal about a customer they
            # are not allowed to edit; only the empty origin fields are set.
            partners.sudo().write(
                {
                    "origin_employee_id": signal.employee_id.id,
                    "origin_department_id": signal.department_id.id,
                    "signal_channel_id": signal.channel_id.id,
                }
            )

    def action_view_signals(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_everyone_sells.crm_signal_action_all"
        )
        action["domain"] = [("partner_id", "child_of", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.id}
        return action

    @api.model
    @api.readonly
    def name_search(self, name="", args=None, operator="ilike", limit=100):
        """The signal forms' customer picker lists customers first: companies
        of the company's country, other companies, other contacts outside the
        company, then the rest (employees' and users' own contacts). Only the
        order changes: the same partners are found."""
        if not self.env.context.get("everyone_sells_customers_first"):
            return super().name_search(name, args, operator, limit)
        country = self.env.company.country_id
        tiers = [
            [("is_company", "=", True), ("country_id", "=", country.id)] if country else None,
            [("is_company", "=", True)],
            [("partner_share", "=", True)],
            [],
        ]
        found = []
        for tier in filter(lambda t: t is not None, tiers):
            if limit and len(found) >= limit:
                break
            domain = expression.AND([args or [], tier, [("id", "not in", [i for i, _n in found])]])
            found += super().name_search(
                name, domain, operator, limit - len(found) if limit else limit
            )
        return found
