from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import clean_context

from .crm_signal_routing import WAITING_STATES

# Hand-off and decline: a signal's life with sales.

DECLINE_REASONS = [
    ("duplicate", "Duplicate"),
    ("not_actionable", "Not actionable"),
    ("in_progress", "Already in progress"),
    ("other", "Other"),
]


class CrmSignal(models.Model):
    _inherit = "crm.signal"

    decline_reason = fields.Selection(DECLINE_REASONS, tracking=True)
    decline_note = fields.Text()
    handoff_date = fields.Datetime(string="Handed Off On", readonly=True)
    is_handed_off = fields.Boolean(
        string="Accepted by Sales",
        compute="_compute_is_handed_off",
        store=True,
        help="Sales accepted the signal: it was handed off, or it belongs to an "
        "opportunity. The one definition reports, KPIs and goals share.",
    )

    @api.depends("handoff_date", "lead_id")
    def _compute_is_handed_off(self):
        for signal in self:
            signal.is_handed_off = bool(signal.handoff_date or signal.lead_id)

    def _check_new(self, action_label):
        self._check_confirmed()
        not_new = self.filtered(lambda s: s.state != "new")
        if not_new:
            raise UserError(
                self.env._(
                    "Only new signals can be %(action)s. Already processed: %(signals)s.",
                    action=action_label,
                    signals=", ".join(not_new.mapped("display_name")),
                )
            )

    def action_send(self):
        """The log form's Send: say where the signal went and offer the next one."""
        self.ensure_one()
        if self.state == "routed":
            where = self.env._(
                "Sent to %(receivers)s.",
                receivers=", ".join(
                    filter(
                        None,
                        [self.routed_department_id.name, *self.routed_employee_ids.mapped("name")],
                    )
                ),
            )
        elif self.user_id or self.team_id:
            where = self.env._("Sent to %(sales)s.", sales=(self.user_id.name or self.team_id.name))
        else:
            where = self.env._("Sent to the sales inbox.")
        if self.response_deadline and self.state in WAITING_STATES:
            where += " " + self.env._(
                "Expect an answer by %(deadline)s.", deadline=self._deadline_text()
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Thank you: “%(signal)s”", signal=self.name),
                "message": where,
                "type": "success",
                # A fresh form for the next signal, without a trail of the
                # ones already sent in the breadcrumbs.
                "next": {
                    **self.env["ir.actions.act_window"]._for_xml_id(
                        "crm_everyone_sells.crm_signal_action_log"
                    ),
                    "target": "main",
                },
            },
        }

    def action_handoff(self):
        self._check_new(self.env._("handed off"))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Hand Off to Sales"),
            "res_model": "crm.signal.handoff",
            "view_mode": "form",
            "target": "new",
            "context": {"default_signal_ids": self.ids},
        }

    def action_decline(self):
        routed = self.filtered(lambda s: s.state == "routed")
        routed._check_receiver(self.env._("declined"))
        (self - routed)._check_new(self.env._("declined"))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Decline Signal"),
            "res_model": "crm.signal.decline",
            "view_mode": "form",
            "target": "new",
            "context": {"default_signal_ids": self.ids},
        }

    @api.readonly
    def action_open_lead(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.lead",
            "res_id": self.lead_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def _first_signal(self):
        """The earliest of these signals: first signal wins, for the
        opportunity's defaults as for its originator."""
        return self.sorted(lambda s: (s.create_date or fields.Datetime.now(), s.id))[:1]

    def _originator_signal(self):
        """The signal whose employee brought the deal: the first one, a
        duplicate counting as the earlier signal it repeats."""
        # sudo: the earlier signal a duplicate points to may have gone to
        # another team; only its employee and origin are used.
        return self.sudo().mapped(lambda s: s.duplicate_of_id or s)._first_signal()

    def _check_hand_off(self, lead=None):
        if not self:
            raise UserError(self.env._("Select at least one signal to hand off."))
        self._check_new(self.env._("handed off"))
        if len(self.company_id) > 1:
            raise UserError(
                self.env._("Signals of different companies cannot go to one opportunity.")
            )
        if lead and lead.company_id not in (self.company_id, self.env["res.company"]):
            raise UserError(
                self.env._("The opportunity belongs to another company than the signals.")
            )

    def _prepare_lead_values(self, values):
        """A new opportunity for these signals: the salesperson's ``values``
        (title, customer, revenue, team, salesperson) completed from the first
        signal, whose typed contact follows when there is no customer."""
        first = self._first_signal()
        partner = self.env["res.partner"].browse(values.get("partner_id"))
        description = Markup("").join(
            Markup("<p><strong>%s</strong> (%s)</p>%s")
            % (signal.name, signal.employee_id.name, signal.description or "")
            for signal in self
        )
        return {
            "type": "opportunity",
            "contact_name": False if partner else first.contact_name,
            "email_from": partner.email or first.email_from,
            "phone": partner.phone or first.phone,
            "description": description,
            "company_id": self.company_id.id,
            **values,
        }

    def _create_lead(self, values):
        """Create the opportunity these signals are handed off to."""
        self._check_hand_off()
        # A clean context: a wizard's default_signal_ids must not become the
        # new opportunity's signals before the hand-off is written.
        return (
            self.env["crm.lead"]
            .with_context(clean_context(self.env.context))
            .create(self._prepare_lead_values(values))
        )

    def _prepare_contributor_commands(self, lead, originator):
        """Originator first (if the deal has none), then other non-duplicate
        employees as plain contributors; a duplicate earns no role."""
        listed = lead.contributor_ids.employee_id
        commands = []
        has_originator = lead.contributor_ids.filtered(lambda c: c.role == "originator")
        if not has_originator and originator.employee_id not in listed:
            commands.append(
                Command.create(
                    {
                        "employee_id": originator.employee_id.id,
                        "department_id": originator.department_id.id,
                        "role": "originator",
                    }
                )
            )
            listed |= originator.employee_id
        for signal in self.filtered(lambda s: not s.duplicate_of_id):
            if signal.employee_id not in listed:
                commands.append(
                    Command.create(
                        {
                            "employee_id": signal.employee_id.id,
                            "department_id": signal.department_id.id,
                            "role": "other",
                        }
                    )
                )
                listed |= signal.employee_id
        return commands

    def _hand_off(self, lead, note=False):
        """Hand these new signals off to the opportunity ``lead``: its
        originator and contributors, the customer's origin, the credit of
        the hand-off, and a word on the deal and to each originator."""
        self._check_hand_off(lead)
        originator = self._originator_signal()
        lead._everyone_sells_set_origin(originator)
        commands = self._prepare_contributor_commands(lead, originator)
        if commands:
            lead.write({"contributor_ids": commands})
        self.write(
            {
                "lead_id": lead.id,
                "user_id": lead.user_id.id,
                "team_id": lead.team_id.id,
                "handoff_date": fields.Datetime.now(),
            }
        )
        self._credit_signal_event("handed_off")
        customer = lead.partner_id | lead.partner_id.commercial_partner_id
        customer._everyone_sells_set_origin(originator)
        # The originators follow the outcome only (won / lost), not the
        # opportunity's customer e-mails they are not allowed to open.
        originators = self.employee_id.user_id.partner_id
        outcome = self.env.ref("crm.mt_lead_won") | self.env.ref("crm.mt_lead_lost")
        lead.message_subscribe(partner_ids=originators.ids, subtype_ids=outcome.ids)
        lines = Markup("").join(
            Markup("<li>%s — %s</li>") % (signal.name, signal.employee_id.name) for signal in self
        )
        body = Markup("<p>%s</p><ul>%s</ul>") % (
            self.env._("Signals handed off to this opportunity:"),
            lines,
        )
        if note:
            body += Markup("<p>%s</p>") % note
        lead.message_post(body=body, subtype_xmlid="mail.mt_note")
        acting = self.env.user.name

        def notice(env):
            # In the originator's language, not the acting salesperson's.
            text = Markup("<p>%s</p>") % env._(
                "Thank you! Your signal was handed off to %(user)s as the opportunity “%(lead)s”.",
                user=lead.user_id.name or lead.with_env(env).team_id.name or acting,
                lead=lead.name,
            )
            if note:
                text += Markup("<p>%s</p>") % note
            return text

        self._notify_originators(notice)
        return lead

    def _decline(self, reason, note=False):
        """Decline these signals for ``reason`` (a code of DECLINE_REASONS):
        new ones by sales, routed ones by their receivers. What logging them
        earned is reversed, and each originator is told why."""
        routed = self.filtered(lambda s: s.state == "routed")
        routed._check_receiver(self.env._("declined"))
        (self - routed)._check_new(self.env._("declined"))
        if reason == "other" and not (note or "").strip():
            raise UserError(self.env._("Tell your colleague why: a note is required for 'Other'."))
        values = {
            "state": "declined",
            "decline_reason": reason,
            "decline_note": note,
            # Who declined stays visible, and keeps access to answer.
            "user_id": self.env.user.id,
        }
        # sudo for routed signals: their receivers decline a signal they do
        # not own (checked above); sales declines from the inbox itself.
        routed.sudo().write(values)
        (self - routed).write(values)
        routed.sudo()._close_receiver_activities()
        ledger = self.env["crm.contribution"]
        ledger._reverse(
            ledger._open_credits_for(signals=self, trigger="signal_logged"),
            "declined",
        )

        def notice(env):
            # In the originator's language, not the acting receiver's.
            label = dict(self._fields["decline_reason"]._description_selection(env))[reason]
            text = Markup("<p>%s</p>") % env._(
                "Your signal was declined: %(reason)s.", reason=label
            )
            if note:
                text += Markup("<p>%s</p>") % note
            return text

        self._notify_originators(notice)

    def _notify_originators(self, body):
        """Post ``body`` on each signal, addressed to the employee who logged it.

        ``body`` is Markup, or a function of an environment returning Markup:
        it is then written in the language of the employee who reads it, not
        of whoever acted."""
        for signal in self:
            partner = signal.employee_id.user_id.partner_id
            if callable(body):
                lang = partner.lang or signal.company_id.partner_id.lang or self.env.lang
                text = body(self.with_context(lang=lang).env)
            else:
                text = body
            signal.message_post(
                body=text,
                partner_ids=partner.ids,
                subtype_xmlid="mail.mt_note",
            )
