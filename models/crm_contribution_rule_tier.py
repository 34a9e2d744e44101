from odoo import api, fields, models
from odoo.exceptions import UserError


class CrmContributionRuleTier(models.Model):
    _name = "crm.contribution.rule.tier"
    _description = "Scoring Rule Tier"
    _order = "rule_id, threshold"

    rule_id = fields.Many2one(
        "crm.contribution.rule", required=True, index=True, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="rule_id.currency_id")
    threshold = fields.Monetary(
        string="From",
        required=True,
        help="The percentage applies to the part of the revenue above this amount, "
        "up to the next tier (marginal, like tax brackets).",
    )
    percentage = fields.Float(digits=(16, 4), required=True)

    _sql_constraints = [
        (
            "tier_not_negative",
            "CHECK(threshold >= 0 AND percentage >= 0 AND percentage <= 100)",
            "A tier starts at zero or more and pays between 0 and 100 %.",
        ),
        (
            "threshold_uniq",
            "unique(rule_id, threshold)",
            "Two tiers of a rule cannot start at the same amount.",
        ),
    ]

    def _check_rule_unused(self, rules):
        used = rules._credited()
        if used:
            raise UserError(
                self.env._(
                    "%(rule)s has already credited employees, so its tiers are history. "
                    "End it and start a new version with the 'New Version' button.",
                    rule=used[0].display_name,
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        rules = self.env["crm.contribution.rule"].browse(
            [vals["rule_id"] for vals in vals_list if vals.get("rule_id")]
        )
        self._check_rule_unused(rules)
        return super().create(vals_list)

    def write(self, vals):
        self._check_rule_unused(self.rule_id)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_unused_rule_only(self):
        self._check_rule_unused(self.rule_id)
