import re
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_amount, html2plaintext

from ..core.crediting import event_credit
from ..core.money import format_points
from .crm_contribution import TRIGGER_SELECTION, WAGE_TYPES

# What a rule can credit: every trigger of the ledger but a manager's
# adjustment, which no rule writes.
TRIGGERS = [(code, label) for code, label in TRIGGER_SELECTION if code != "adjustment"]

# Fields that decide what a rule pays: once it has credited, they are history.
COMPUTATION_FIELDS = {
    "trigger",
    "department_ids",
    "channel_ids",
    "signal_type_ids",
    "team_ids",
    "min_revenue",
    "exclude_sales",
    "compute_method",
    "fixed_amount",
    "points",
    "percentage",
    "tier_ids",
    "cap_per_deal",
    "cap_per_period",
    "split_method",
    "date_from",
    "wage_type",
    "program_id",
    "company_id",
    "is_published",
}

# A rule must not fold overtime pay into the incentive (Supreme Court, 2020):
# "overtime" near "include / subtract / deduct", in Japanese or English.
OVERTIME_WORDS = r"(残業|時間外|割増|overtime)"
FOLDING_WORDS = r"(含|込み|込|差し?引|控除|相殺|includ|subtract|deduct|net of|minus)"
OVERTIME_FOLDING = re.compile(
    rf"{OVERTIME_WORDS}.{{0,20}}{FOLDING_WORDS}|{FOLDING_WORDS}.{{0,20}}{OVERTIME_WORDS}",
    re.IGNORECASE | re.DOTALL,
)

EXAMPLE_REVENUE = 1_000_000
# The example's two contributors, (role, weight): an originator and a helper
# weighted 70/30, split as the rule splits a real deal.
EXAMPLE_CONTRIBUTORS = [("originator", 70), ("technical", 30)]


class CrmContributionRule(models.Model):
    _name = "crm.contribution.rule"
    _description = "Contribution Scoring Rule"
    _inherit = ["mail.thread"]
    _order = "sequence, date_from desc, id"

    name = fields.Char(required=True, translate=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, tracking=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    program_id = fields.Many2one(
        "crm.contribution.program",
        tracking=True,
        help="When set, the rule credits only the program's departments while "
        "the program is a pilot, everyone once it is rolled out, and nobody "
        "while it is a draft or closed.",
    )
    description = fields.Html(
        translate=True,
        help="In plain words, for every employee: what earns credit and why.",
    )
    trigger = fields.Selection(
        TRIGGERS,
        required=True,
        default="won",
        tracking=True,
        help="The event that earns the credit.",
    )
    # Filters
    department_ids = fields.Many2many(
        "hr.department",
        string="Departments",
        help="Only contributors from these departments earn (empty: all).",
    )
    channel_ids = fields.Many2many(
        "crm.signal.channel",
        string="Channels",
        help="Only signals heard through these channels count (empty: all).",
    )
    signal_type_ids = fields.Many2many(
        "crm.signal.type",
        string="Signal Types",
        help="Only signals of these types count (empty: all).",
    )
    team_ids = fields.Many2many(
        "crm.team",
        string="Sales Teams",
        help="Only opportunities of these sales teams count (empty: all).",
    )
    min_revenue = fields.Monetary(
        string="Minimum Revenue",
        tracking=True,
        help="Deals or estimates below this amount earn nothing from this rule.",
    )
    exclude_sales = fields.Boolean(
        string="Exclude Sales Team Members",
        default=True,
        tracking=True,
        help="Members of a sales team earn nothing from this rule: selling is already their job.",
    )
    # Computation
    compute_method = fields.Selection(
        [
            ("fixed", "Fixed amount"),
            ("percentage", "Percentage of revenue"),
            ("tiered", "Tiered percentage (marginal)"),
        ],
        required=True,
        default="percentage",
        tracking=True,
    )
    fixed_amount = fields.Monetary(
        tracking=True, help="Paid per event, before the split between contributors."
    )
    points = fields.Float(
        digits=(16, 2),
        tracking=True,
        help="Recognition points per event, split like the money. Points feed "
        "goals and badges, never pay.",
    )
    percentage = fields.Float(digits=(16, 4), tracking=True, help="Percent of the revenue.")
    tier_ids = fields.One2many("crm.contribution.rule.tier", "rule_id", copy=True)
    cap_per_deal = fields.Monetary(
        tracking=True,
        help="Most the rule pays for one deal or signal, all contributors together (0: no cap).",
    )
    cap_per_period = fields.Monetary(
        tracking=True,
        help="Most one employee earns from this rule in one pay period (a "
        "calendar month) (0: no cap).",
    )
    split_method = fields.Selection(
        [
            ("weight", "By contributor weight"),
            ("equal", "Equal shares"),
            ("originator", "Originator only"),
        ],
        required=True,
        default="weight",
        tracking=True,
    )
    date_from = fields.Date(
        string="Valid From",
        required=True,
        default=fields.Date.context_today,
        tracking=True,
        help="Events on or after this date use this rule.",
    )
    date_to = fields.Date(
        string="Valid Until",
        tracking=True,
        help="Events after this date no longer use this rule (empty: open-ended).",
    )
    wage_type = fields.Selection(
        WAGE_TYPES,
        required=True,
        default="incentive",
        tracking=True,
        help="A payment fixed in advance by a rule is wages (Labour Standards "
        "Act art. 11) and enters the overtime premium base, whatever it is "
        "called. An award rule gives points and badges only; a cash award is "
        "entered by a manager, with its reason, outside the rules.",
    )
    is_published = fields.Boolean(
        string="Published",
        tracking=True,
        help="Only published rules credit anyone: a fair rule is one every "
        "employee can read, on the 'How credit works' page.",
    )
    previous_version_id = fields.Many2one(
        "crm.contribution.rule",
        readonly=True,
        copy=False,
        help="The rule this version replaced.",
    )
    contribution_count = fields.Integer(compute="_compute_contribution_count")
    example_text = fields.Text(
        string="Example",
        compute="_compute_example_text",
        help="What a ¥1,000,000 deal pays under this rule.",
    )
    warning = fields.Text(compute="_compute_warning")

    _sql_constraints = [
        (
            "amounts_not_negative",
            "CHECK(fixed_amount >= 0 AND percentage >= 0 AND points >= 0 AND "
            "cap_per_deal >= 0 AND cap_per_period >= 0 AND min_revenue >= 0)",
            "A scoring rule never subtracts: amounts, percentages, points and caps "
            "cannot be negative.",
        ),
    ]

    # ------------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------------

    def _compute_contribution_count(self):
        counts = dict(
            self.env["crm.contribution"]
            .sudo()
            ._read_group([("rule_id", "in", self.ids)], ["rule_id"], ["__count"])
        )
        for rule in self:
            rule.contribution_count = counts.get(rule._origin, 0)

    @api.depends(
        "compute_method",
        "fixed_amount",
        "percentage",
        "tier_ids.threshold",
        "tier_ids.percentage",
        "cap_per_deal",
        "split_method",
        "points",
        "currency_id",
    )
    def _compute_example_text(self):
        for rule in self:
            rule.example_text = rule._example_text()

    def _event_credit(self, basis, contributors, digits):
        """What this rule pays for one event of ``basis`` and each of
        ``contributors`` ((role, weight) pairs) gets of it: the one
        computation of the engine and the example (core ``event_credit``)."""
        self.ensure_one()
        return event_credit(
            self.compute_method,
            basis,
            self.split_method,
            contributors,
            digits,
            fixed_amount=self.fixed_amount,
            percentage=self.percentage,
            tiers=[(t.threshold, t.percentage) for t in self.tier_ids],
            cap=self.cap_per_deal,
            points=self.points,
        )

    def _example_text(self):
        currency = self.currency_id or self.env.company.currency_id
        credit = self._event_credit(EXAMPLE_REVENUE, EXAMPLE_CONTRIBUTORS, currency.decimal_places)
        if not credit.total and self.points:
            points = format_points(self.points)
            return self.env._(
                "No money: %(points)s point(s) each time, split between the contributors "
                "like money would be.",
                points=points,
            )
        deal = format_amount(self.env, EXAMPLE_REVENUE, currency)
        total = format_amount(self.env, float(credit.total), currency)
        if self.split_method == "originator":
            return self.env._(
                "A %(deal)s deal pays %(total)s, all to the employee who brought it.",
                deal=deal,
                total=total,
            )
        first, second = (float(part.amount) for part in credit.parts)
        return self.env._(
            "A %(deal)s deal pays %(total)s; with two contributors weighted "
            "70/30 this rule gives %(first)s and %(second)s.",
            deal=deal,
            total=total,
            first=format_amount(self.env, first, currency),
            second=format_amount(self.env, second, currency),
        )

    @api.depends("wage_type", "compute_method")
    def _compute_warning(self):
        for rule in self:
            rule.warning = (
                self.env._(
                    "This rule pays by a formula fixed in advance, which makes it wages "
                    "whatever its label (Labour Standards Act art. 11): an 'award' "
                    "is only a discretionary payment with no preset criteria. Check "
                    "with your labour and social security attorney (社労士)."
                )
                if rule.wage_type == "award" and rule.compute_method in ("percentage", "tiered")
                else False
            )

    # ------------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------------

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for rule in self:
            if rule.date_to and rule.date_to < rule.date_from:
                raise ValidationError(
                    self.env._("%(rule)s ends before it starts.", rule=rule.display_name)
                )
            previous = rule.previous_version_id
            if previous and (not previous.date_to or previous.date_to >= rule.date_from):
                raise ValidationError(
                    self.env._(
                        "%(rule)s overlaps its previous version: the previous one must "
                        "end before this one starts.",
                        rule=rule.display_name,
                    )
                )

    @api.constrains("compute_method", "percentage", "fixed_amount", "tier_ids")
    def _check_computation(self):
        for rule in self:
            if rule.compute_method == "tiered" and not rule.tier_ids:
                raise ValidationError(
                    self.env._("%(rule)s is tiered but has no tier.", rule=rule.display_name)
                )
            if rule.compute_method == "percentage" and rule.percentage > 100:
                raise ValidationError(
                    self.env._(
                        "%(rule)s pays more than 100 %% of the revenue.", rule=rule.display_name
                    )
                )

    @api.constrains("wage_type", "compute_method", "percentage", "fixed_amount", "tier_ids")
    def _check_award_gives_no_money(self):
        """A published rule fixes its criteria in advance, so any money it
        computes is wages (LSA art. 11; 昭22.9.13 発基17号), whatever it is
        called: an "award" rule gives points and badges only. Money outside
        the rules is a discretionary award a manager enters with a reason."""
        for rule in self:
            if rule.wage_type != "award":
                continue
            gives_money = (
                (rule.compute_method == "fixed" and rule.fixed_amount)
                or (rule.compute_method == "percentage" and rule.percentage)
                or rule.compute_method == "tiered"
            )
            if gives_money:
                raise ValidationError(
                    self.env._(
                        "%(rule)s is an award but pays money. Money a published rule "
                        "promises is wages, whatever the rule calls it (Labour "
                        "Standards Act art. 11): make it an incentive, or keep the "
                        "award to points and enter a discretionary cash award by hand, "
                        "with its reason.",
                        rule=rule.display_name,
                    )
                )

    @api.constrains("name", "description")
    def _check_no_overtime_folding(self):
        for rule in self:
            text = " ".join(filter(None, [rule.name, html2plaintext(rule.description or "")]))
            if OVERTIME_FOLDING.search(text):
                raise ValidationError(
                    self.env._(
                        "%(rule)s mentions including or subtracting overtime pay. An "
                        "incentive that absorbs or deducts overtime pay does not pay the "
                        "overtime premium the law requires (Supreme Court, 2020): the "
                        "premium is computed separately on every payout. Reword the rule.",
                        rule=rule.display_name,
                    )
                )

    # ------------------------------------------------------------------
    # VERSIONS
    # ------------------------------------------------------------------

    def write(self, vals):
        changed = COMPUTATION_FIELDS & set(vals)
        if changed:
            used = self._credited()
            if used:
                raise UserError(
                    self.env._(
                        "%(rule)s has already credited employees, so what it pays is "
                        "history. End it and start a new version with the 'New "
                        "Version' button.",
                        rule=used[0].display_name,
                    )
                )
        return super().write(vals)

    def _credited(self):
        """The rules of ``self`` that have credited someone (read fresh, not cached)."""
        groups = (
            self.env["crm.contribution"]
            .sudo()
            ._read_group([("rule_id", "in", self.ids)], ["rule_id"])
        )
        return self.browse([rule.id for (rule,) in groups])

    def action_publish(self):
        """Publish: from its start date the rule credits employees, and every
        employee can read it (the button asks first)."""
        self.write({"is_published": True})

    def action_unpublish(self):
        self.write({"is_published": False})

    def action_new_version(self):
        """End this rule yesterday and open a copy that starts today."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        start = max(today, self.date_from + timedelta(days=1))
        self.date_to = start - timedelta(days=1)
        new_rule = self.copy(
            {
                "date_from": start,
                "date_to": False,
                "previous_version_id": self.id,
                "name": self.name,
            }
        )
        self.message_post(
            body=self.env._("Ended: replaced by a new version from %(date)s.", date=start)
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": new_rule.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def action_view_contributions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_everyone_sells.crm_contribution_action_all"
        )
        action["domain"] = [("rule_id", "=", self.id)]
        return action

    # ------------------------------------------------------------------
    # MATCHING
    # ------------------------------------------------------------------

    def _in_force(self, date):
        self.ensure_one()
        return self.date_from <= date and (not self.date_to or date <= self.date_to)

    def _covers_department(self, department):
        """Whether a contributor from ``department`` may earn under this rule."""
        self.ensure_one()
        if self.department_ids and department not in self.department_ids:
            return False
        if self.program_id:
            return self.program_id._covers_department(department)
        return True
