from odoo import api, fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    origin_employee_id = fields.Many2one(
        "hr.employee",
        string="Brought By",
        tracking=True,
        index="btree_not_null",
        help="The employee whose signal started this opportunity.",
    )
    origin_department_id = fields.Many2one(
        "hr.department",
        index="btree_not_null",
        help="The originator's department when the signal was logged.",
    )
    signal_channel_id = fields.Many2one(
        "crm.signal.channel",
        help="Where the originator heard the customer.",
    )
    signal_ids = fields.One2many("crm.signal", "lead_id", string="Signals")
    signal_count = fields.Integer(compute="_compute_signal_count")
    contributor_ids = fields.One2many(
        "crm.lead.contributor",
        "lead_id",
        string="Contributors",
        copy=False,
        help="Employees who helped on this deal and share its credit by weight.",
    )

    @api.depends("signal_ids")
    def _compute_signal_count(self):
        counts = dict(
            self.env["crm.signal"]._read_group(
                [("lead_id", "in", self.ids)], ["lead_id"], ["__count"]
            )
        )
        for lead in self:
            lead.signal_count = counts.get(lead._origin, 0)

    def _everyone_sells_outcome(self):
        """The signal state this opportunity implies: won, lost or handed_off.

        Odoo 18 has no stored won flag: won is an active lead at probability
        100 in a won stage, lost is an archived lead.
        """
        self.ensure_one()
        if not self.active:
            return "lost"
        if self.probability == 100 and self.stage_id.is_won:
            return "won"
        return "handed_off"

    def _everyone_sells_set_origin(self, signal):
        """Record ``signal`` as the origin where the opportunity has none yet."""
        for lead in self:
            values = {}
            if not lead.origin_employee_id:
                values["origin_employee_id"] = signal.employee_id.id
                values["origin_department_id"] = signal.department_id.id
            if not lead.signal_channel_id and signal.channel_id:
                values["signal_channel_id"] = signal.channel_id.id
            if values:
                lead.write(values)

    def action_view_signals(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_everyone_sells.crm_signal_action_all"
        )
        action["domain"] = [("lead_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    # ------------------------------------------------------------------
    # MERGE: the origin and its people survive
    # ------------------------------------------------------------------

    def _merge_get_fields(self):
        return [
            *super()._merge_get_fields(),
            "origin_employee_id",
            "origin_department_id",
            "signal_channel_id",
        ]

    def _merge_dependences(self, opportunities):
        result = super()._merge_dependences(opportunities)
        # sudo: the user merging may see these opportunities without owning the
        # signals and contributor lines attached to them; they move with the
        # opportunity so that the origin is never lost.
        opportunities.sudo().signal_ids.write({"lead_id": self.id})
        kept = self.contributor_ids
        moving = opportunities.sudo().contributor_ids
        repeated = moving.filtered(lambda c: c.employee_id in kept.employee_id)
        moving -= repeated
        if kept.filtered(lambda c: c.role == "originator"):
            # The surviving opportunity's originator came first; the others
            # stay as contributors.
            moving.filtered(lambda c: c.role == "originator").write({"role": "other"})
        moving.write({"lead_id": self.id})
        repeated.unlink()
        return result
