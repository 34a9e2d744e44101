from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

# Only managers move a dispute; the employee writes the reason.
RESOLUTION_FIELDS = {"state", "resolution", "adjustment_id", "resolved_by_id"}

# Set by the server only, whoever calls: who opened a dispute, and whether
# its employee has still to confirm it (opened on their behalf).
SERVER_FIELDS = {"opened_by_id", "to_confirm"}

# Whitelists for the employee who contests (not a manager): what they give
# when opening a dispute, and what they may change afterwards (while open).
AUTHOR_CREATE_FIELDS = {
    "contribution_id",
    "signal_id",
    "lead_id",
    "reason",
    "company_id",
    "employee_id",
}
AUTHOR_WRITE_FIELDS = {"reason"}


class CrmContributionDispute(models.Model):
    _name = "crm.contribution.dispute"
    _description = "Contribution Dispute"
    _inherit = ["mail.thread"]
    _order = "state, create_date desc, id desc"
    _rec_name = "reason"
    _mail_post_access = "read"

    employee_id = fields.Many2one(
        "hr.employee",
        required=True,
        index=True,
        default=lambda self: self.env.user.employee_id,
        readonly=True,
        help="Who contests.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    contribution_id = fields.Many2one(
        "crm.contribution",
        string="Contested Credit",
        index="btree_not_null",
        help="The ledger line you contest, if any.",
    )
    signal_id = fields.Many2one(
        "crm.signal",
        string="Your Signal",
        help="For 'I helped on this deal and got nothing': the signal that led to it.",
    )
    lead_id = fields.Many2one(
        "crm.lead",
        string="Deal",
        compute="_compute_lead_id",
        store=True,
        readonly=False,
        index="btree_not_null",
    )
    lead_name = fields.Char(compute="_compute_lead_id", store=True)
    reason = fields.Text(required=True, help="What is wrong, in your words.")
    state = fields.Selection(
        [("open", "Open"), ("accepted", "Accepted"), ("rejected", "Rejected")],
        default="open",
        required=True,
        tracking=True,
        index=True,
    )
    resolution = fields.Text(tracking=True, help="The manager's answer.")
    adjustment_id = fields.Many2one("crm.contribution", readonly=True)
    resolved_by_id = fields.Many2one("res.users", readonly=True)
    opened_by_id = fields.Many2one(
        "res.users",
        readonly=True,
        help="Who opened the dispute: its employee, or a manager on their behalf (who then "
        "neither resolves it nor approves its adjustment).",
    )
    to_confirm = fields.Boolean(
        readonly=True,
        index=True,
        tracking=True,
        help="Opened by a manager on the employee's behalf: nobody resolves it until the "
        "employee confirms it is theirs.",
    )

    can_confirm = fields.Boolean(compute="_compute_can_confirm")

    @api.depends_context("uid")
    @api.depends("to_confirm", "employee_id")
    def _compute_can_confirm(self):
        for dispute in self:
            dispute.can_confirm = (
                dispute.to_confirm and dispute.employee_id.user_id == self.env.user
            )

    @api.depends("contribution_id", "signal_id")
    def _compute_lead_id(self):
        for dispute in self:
            contribution, signal, lead = dispute._visible_subjects()
            derived = contribution.lead_id or signal.lead_id
            dispute.lead_id = derived or lead
            dispute.lead_name = (
                derived.name or lead.name or contribution.lead_name or signal.name or False
            )

    def _visible_subjects(self):
        """The dispute's credit, signal and deal, read with sudo only where
        the current user may see them: a record they may read as themselves,
        or (the employee's own case) their own credit or signal and the deal
        behind it, which they may not read. Anything else comes back empty:
        an onchange never names another employee's deal or signal."""
        self.ensure_one()
        # sudo: only to read the names of the records kept below.
        source = self.sudo()
        # The real user, even here: a stored compute runs as superuser
        # (compute_sudo), an onchange too.
        user = self.env.user
        own = user.employee_ids.ids

        def visible(record, owner):
            if not record:
                return record.sudo()
            if record.with_user(user)._filtered_access("read"):
                return record.sudo()
            return record.sudo() if owner.id in own else record.sudo().browse()

        contribution = visible(self.contribution_id, source.contribution_id.employee_id)
        signal = visible(self.signal_id, source.signal_id.employee_id)
        lead = self.lead_id
        if lead:
            readable = bool(lead.with_user(user)._filtered_access("read"))
            derived = contribution.lead_id | signal.lead_id
            brought = any(
                source.new({"employee_id": employee_id})._brought_or_credited(lead.sudo())
                for employee_id in own
            )
            if not (readable or lead.sudo() in derived or brought):
                lead = lead.browse()
        return contribution, signal, lead.sudo()

    @api.constrains("contribution_id", "signal_id", "lead_id", "employee_id")
    def _check_subject(self):
        for dispute in self:
            # sudo: the check must see the credit and signal whoever opens it.
            source = dispute.sudo()
            theirs = source.contribution_id.employee_id | source.signal_id.employee_id
            if theirs - source.employee_id:
                raise ValidationError(
                    self.env._("You can contest only your own credits and signals.")
                )
            if not (dispute.contribution_id or dispute.signal_id or dispute.lead_id):
                raise ValidationError(
                    self.env._("Say what you contest: a credit, your signal, or the deal.")
                )
            dispute._check_subject_is_theirs()

    def _check_subject_is_theirs(self):
        """A dispute is about the employee's own credit, own signal, or a deal
        they brought or were credited on, in the dispute's company. The
        refusal never names the deal: the employee may not read it."""
        self.ensure_one()
        # sudo: who brought or was credited on a deal is decided over records
        # the employee may not read; nothing of them is returned.
        source = self.sudo()
        employee = source.employee_id
        companies = (
            source.contribution_id.company_id
            | source.signal_id.company_id
            | source.lead_id.company_id
        ) - self.company_id
        derived = source.contribution_id.lead_id | source.signal_id.lead_id
        lead = source.lead_id
        if (
            companies
            or employee.company_id not in (self.company_id, self.env["res.company"])
            or (lead and lead not in derived and not source._brought_or_credited(lead))
        ):
            raise ValidationError(
                self.env._(
                    "You can contest only your own credits and signals, and the deals "
                    "you brought or were credited on, in your company."
                )
            )

    def _brought_or_credited(self, lead):
        employee = self.employee_id
        if lead.origin_employee_id == employee or employee in lead.contributor_ids.employee_id:
            return True
        if self.env["crm.signal"].search_count(
            [("lead_id", "=", lead.id), ("employee_id", "=", employee.id)], limit=1
        ):
            return True
        return bool(
            self.env["crm.contribution"].search_count(
                [("lead_id", "=", lead.id), ("employee_id", "=", employee.id)], limit=1
            )
        )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.user.employee_id and any(not v.get("employee_id") for v in vals_list):
            raise UserError(
                self.env._(
                    "Your user is not linked to an employee: ask HR to link it before "
                    "contesting a credit."
                )
            )
        own_employee = self.env.user.employee_id
        for vals in vals_list:
            for name in SERVER_FIELDS:
                vals.pop(name, None)
            # The form sends the defaults it shows (an open state): only what
            # differs from a new dispute's is refused.
            if vals.get("state") == "open":
                vals.pop("state")
            decided = [name for name in RESOLUTION_FIELDS if vals.get(name)]
            if decided and not self.env.su:
                # A dispute opens open, whoever opens it: it is decided only
                # by Accept or Reject.
                raise UserError(
                    self.env._(
                        "A dispute opens undecided: %(fields)s are set when a manager "
                        "accepts or rejects it.",
                        fields=self._labels(decided),
                    )
                )
            if not (self.env.su or self._is_manager()):
                refused = [
                    name
                    for name, value in vals.items()
                    if value and name not in AUTHOR_CREATE_FIELDS
                ]
                if refused:
                    raise UserError(
                        self.env._(
                            "When contesting you say what and why; %(fields)s are set by "
                            "the manager who decides.",
                            fields=self._labels(refused),
                        )
                    )
                if vals.get("employee_id") and vals["employee_id"] not in own_employee.ids:
                    raise UserError(
                        self.env._(
                            "You open disputes in your own name; a manager may open one on "
                            "a colleague's behalf, which they then confirm."
                        )
                    )
            employee = self.env["hr.employee"].browse(vals.get("employee_id") or own_employee.id)
            vals["opened_by_id"] = self.env.uid
            # Opened on someone's behalf: it is theirs only once they confirm.
            vals["to_confirm"] = employee.user_id != self.env.user
        disputes = super().create(vals_list)
        # Also at creation: the constraint does not fire when none of its
        # fields is given.
        disputes._check_subject()
        for dispute in disputes:
            partner = dispute.employee_id.user_id.partner_id
            if partner:
                dispute.message_subscribe(partner_ids=partner.ids)
        return disputes

    def _is_manager(self):
        return self.env.user.has_group("crm_everyone_sells.group_manager")

    def _labels(self, names):
        """The fields ``names`` as the user reads them on the form."""
        return ", ".join(sorted(self._fields[name]._description_string(self.env) for name in names))

    def action_confirm_dispute(self):
        """The employee confirms a dispute a manager opened on their behalf:
        only now may a manager resolve it."""
        others = self.filtered(lambda d: d.employee_id.user_id != self.env.user)
        if others:
            raise UserError(
                self.env._(
                    "Only the employee a dispute is about can confirm it: %(dispute)s.",
                    dispute=others[0].display_name,
                )
            )
        pending = self.filtered("to_confirm")
        # sudo: confirming is the employee's one act on a field nobody
        # writes; who they are was checked above.
        pending.sudo().write({"to_confirm": False})
        return True

    def write(self, vals):
        if "employee_id" in vals and self.filtered(
            lambda d: d.employee_id.id != vals["employee_id"]
        ):
            raise UserError(self.env._("Who contests is part of the dispute: it never changes."))
        if SERVER_FIELDS & set(vals) and not self.env.su:
            raise UserError(
                self.env._(
                    "%(fields)s are set by the system: a dispute opened on an employee's "
                    "behalf waits until the employee confirms it.",
                    fields=self._labels(SERVER_FIELDS & set(vals)),
                )
            )
        if RESOLUTION_FIELDS & set(vals) and not self.env.su:
            self._check_can_resolve()
        if not (self.env.su or self._is_manager()):
            refused = [
                name
                for name in vals
                if name not in AUTHOR_WRITE_FIELDS and not name.startswith("message_")
            ]
            if refused:
                raise UserError(
                    self.env._(
                        "You can change only the reason of your dispute; %(fields)s "
                        "cannot be changed.",
                        fields=self._labels(refused),
                    )
                )
        if "reason" in vals and self.filtered(lambda d: d.state != "open"):
            raise UserError(self.env._("A resolved dispute's reason is part of its history."))
        return super().write(vals)

    def _check_can_resolve(self):
        if not self.env.user.has_group("crm_everyone_sells.group_manager"):
            raise UserError(self.env._("Only contribution managers resolve disputes."))
        if any(d.employee_id.user_id == self.env.user for d in self):
            raise UserError(self.env._("You cannot resolve your own dispute: ask another manager."))
        if any(d.state != "open" for d in self):
            raise UserError(self.env._("This dispute is already resolved."))
        if any(d.to_confirm for d in self):
            raise UserError(
                self.env._(
                    "This dispute was opened on the employee's behalf: it is resolved once "
                    "the employee confirms it."
                )
            )
        if any(d.opened_by_id == self.env.user for d in self):
            raise UserError(
                self.env._(
                    "You opened this dispute on the employee's behalf: another manager resolves it."
                )
            )

    def action_accept(self):
        self.ensure_one()
        self._check_can_resolve()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Accept Dispute"),
            "res_model": "crm.contribution.adjust",
            "view_mode": "form",
            "target": "new",
            "context": {"default_dispute_id": self.id},
        }

    def action_reject(self):
        self._check_can_resolve()
        if any(not (d.resolution or "").strip() for d in self):
            raise UserError(
                self.env._("Write the resolution first: the employee deserves a reason.")
            )
        self.write({"state": "rejected", "resolved_by_id": self.env.uid})
        for dispute in self:
            dispute._notify_both(
                self.env._("Dispute rejected: %(resolution)s", resolution=dispute.resolution)
            )
        return True

    def _notify_both(self, text):
        """Tell the employee and the deciding manager, in the chatter."""
        self.ensure_one()
        partners = self.employee_id.user_id.partner_id | self.env.user.partner_id
        self.message_post(
            body=Markup("<p>%s</p>") % text,
            partner_ids=partners.ids,
            subtype_xmlid="mail.mt_comment",
        )
