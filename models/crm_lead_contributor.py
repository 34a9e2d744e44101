from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import ValidationError

from ..core.bounds import MAX_WEIGHT, plausible_weight

CONTRIBUTOR_ROLES = [
    ("originator", "Originator"),
    ("technical", "Technical Support"),
    ("presales", "Presales"),
    ("customer_success", "Customer Success"),
    ("other", "Other"),
]


class CrmLeadContributor(models.Model):
    _name = "crm.lead.contributor"
    _description = "Opportunity Contributor"
    _order = "lead_id, weight desc, id"

    lead_id = fields.Many2one(
        "crm.lead", string="Opportunity", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="lead_id.company_id", store=True)
    employee_id = fields.Many2one("hr.employee", required=True, index=True)
    department_id = fields.Many2one(
        "hr.department",
        help="The employee's department when they were added; a later transfer "
        "does not rewrite it.",
    )
    role = fields.Selection(CONTRIBUTOR_ROLES, required=True, default="other")
    weight = fields.Float(
        default=1.0,
        digits=(16, 2),
        help="Relative share of the credit: weights 3 and 1 split a credit 75 % / 25 %.",
    )

    _sql_constraints = [
        (
            "lead_employee_uniq",
            "unique(lead_id, employee_id)",
            "An employee is listed once per opportunity.",
        ),
    ]

    @api.model
    def _check_given_weights(self, vals_list):
        """Weights as given, before the ORM rounds them (an infinite or
        absurd weight would crash the rounding or take the whole credit)."""
        for vals in vals_list:
            if "weight" not in vals or plausible_weight(vals["weight"]):
                continue
            if float(vals["weight"] or 0.0) < 0:
                raise ValidationError(self.env._("A contributor's weight cannot be negative."))
            raise ValidationError(
                self.env._(
                    "A contributor's weight is a number from 0 to %(most)s (weights 3 and "
                    "1 split a credit 75 %% / 25 %%).",
                    most=MAX_WEIGHT,
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        self._check_given_weights(vals_list)
        employees = self.env["hr.employee"].browse(
            [vals["employee_id"] for vals in vals_list if vals.get("employee_id")]
        )
        for vals in vals_list:
            if vals.get("employee_id") and "department_id" not in vals:
                vals["department_id"] = employees.browse(vals["employee_id"]).department_id.id
        contributors = super().create(vals_list)
        self._note_who_set(contributors.lead_id)
        contributors.lead_id._everyone_sells_recredit_contributors()
        return contributors

    def write(self, vals):
        self._check_given_weights([vals])
        leads = self.lead_id
        result = super().write(vals)
        if {"employee_id", "weight", "role", "lead_id"} & set(vals):
            self._note_who_set(leads | self.lead_id)
            (leads | self.lead_id)._everyone_sells_recredit_contributors()
        return result

    def unlink(self):
        leads = self.lead_id
        result = super().unlink()
        self._note_who_set(leads.exists())
        leads.exists()._everyone_sells_recredit_contributors()
        return result

    @api.model
    def _note_who_set(self, leads):
        """The acting user set these deals' contributors or weights: the maker
        of their credits (maker ≠ checker). The system's own writes (OdooBot)
        leave the person who set them before."""
        if leads and self.env.uid != SUPERUSER_ID:
            # sudo: the record is the system's; no user writes it directly.
            leads.sudo().write({"everyone_sells_contributors_by_id": self.env.uid})

    @api.constrains("weight")
    def _check_weight(self):
        if any(contributor.weight < 0 for contributor in self):
            raise ValidationError(self.env._("A contributor's weight cannot be negative."))
        for lead in self.lead_id:
            if lead.contributor_ids and not any(lead.contributor_ids.mapped("weight")):
                raise ValidationError(
                    self.env._(
                        "Give at least one contributor of %(lead)s a weight: with all "
                        "weights at zero nobody would share its credit.",
                        lead=lead.display_name,
                    )
                )

    @api.constrains("employee_id", "lead_id")
    def _check_employee_company(self):
        for contributor in self:
            employee_company = contributor.employee_id.company_id
            lead_company = contributor.lead_id.company_id
            if employee_company and lead_company and employee_company != lead_company:
                raise ValidationError(
                    self.env._(
                        "%(employee)s works for %(company)s: only employees of the deal's "
                        "company share its credit and its payroll.",
                        employee=contributor.employee_id.name,
                        company=employee_company.name,
                    )
                )

    @api.constrains("role", "lead_id")
    def _check_single_originator(self):
        leads = self.filtered(lambda c: c.role == "originator").lead_id
        for lead in leads:
            if len(lead.contributor_ids.filtered(lambda c: c.role == "originator")) > 1:
                raise ValidationError(
                    self.env._(
                        "%(lead)s already has an originator: first signal wins.",
                        lead=lead.display_name,
                    )
                )
