import re

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import clean_context, email_normalize, html2plaintext, plaintext2html
from odoo.tools.mail import email_re, email_split_tuples

from ..core.summary import signal_summary
from .crm_signal import SOURCE_DERIVED_FIELDS

# Save as Signal: signals saved from a chatter or Discuss message, and the
# customer recognised from what the employee typed (issue 15).

# What separates words in a typed text, to find a company name in it.
COMPANY_NAME_SEPARATORS = re.compile(r"[\s,.;:/()\[\]「」『』（）、。，．：；／様]+")


class CrmSignal(models.Model):
    _inherit = "crm.signal"

    source_message_id = fields.Many2one(
        "mail.message",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The chatter or Discuss message this signal was saved from. Set when "
        "the signal is logged, never afterwards.",
    )
    source_model = fields.Char(
        readonly=True,
        copy=False,
        help="Technical name of the model of the record the signal was saved from "
        "(for example res.partner, crm.lead, project.task or discuss.channel).",
    )
    source_res_id = fields.Many2oneReference(
        string="Source Record ID",
        model_field="source_model",
        readonly=True,
        copy=False,
        help="The record the signal was saved from, in the model above.",
    )
    source_name = fields.Char(
        string="Saved From",
        readonly=True,
        copy=False,
        help="The name of the record the signal was saved from. Only its name is "
        "kept on the signal: opening the record still needs the right to read it.",
    )
    source_readable = fields.Boolean(
        compute="_compute_source_readable",
        help="Whether the current user may open the record the signal was saved from.",
    )
    customer_hint = fields.Char(
        compute="_compute_customer_hint",
        help="Says when the customer was recognised from an e-mail address or a "
        "company name in what was typed.",
    )

    @api.depends("source_model", "source_res_id")
    @api.depends_context("uid")
    def _compute_source_readable(self):
        for signal in self:
            record = (
                self.env[signal.source_model].browse(signal.source_res_id).exists()
                if signal.source_model in self.env and signal.source_res_id
                else None
            )
            signal.source_readable = bool(record and record.has_access("read"))

    @api.model
    def _source_fields(self):
        return {"source_message_id", "source_model", "source_res_id", "source_name"}

    @api.model
    def action_prepare_from_message(self, message_id):
        """Open the ten-second form prefilled from a chatter or Discuss
        message the current user can read (the "Save as Signal" message
        action)."""
        message = self._source_message(message_id)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Save as Signal"),
            "res_model": "crm.signal",
            "views": [(self.env.ref("crm_everyone_sells.crm_signal_view_form_quick").id, "form")],
            "target": "new",
            "context": {"crm_signal_source_message_id": message.id},
        }

    @api.model
    def _source_message(self, message_id):
        """The message ``message_id`` and its record, if the current user may
        turn it into a signal; refused otherwise (portal, guests, a message or
        record they may not read)."""
        if not self.env.user._is_internal():
            raise AccessError(self.env._("Only employees can save a message as a customer signal."))
        self.check_access("create")
        try:
            message = self.env["mail.message"].browse(int(message_id)).exists()
        except (TypeError, ValueError):
            message = self.env["mail.message"]
        if not message or not message.model or not message.res_id:
            raise UserError(self.env._("This message no longer exists or belongs to no record."))
        if message.message_type in ("notification", "user_notification"):
            raise UserError(
                self.env._("Only what a person wrote can become a signal, not a notification.")
            )
        message.check_access("read")
        if message.model not in self.env:
            raise UserError(self.env._("The record of this message cannot be opened."))
        self.env[message.model].browse(message.res_id).check_access("read")
        return message

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        message_id = self.env.context.get("crm_signal_source_message_id")
        if message_id:
            prefill = self._prefill_from_message(self._source_message(message_id))
            values.update({k: v for k, v in prefill.items() if k in fields_list})
        return values

    @api.model
    def _prefill_from_message(self, message):
        """What the form shows for ``message``: a summary (its subject, or its
        first sentence that is not courtesy: ``core.summary``), its text as
        details, its sender as contact, the customer it speaks for, the
        channel guessed from where it was written."""
        text = html2plaintext(message.body or "").strip()
        record = self.env[message.model].browse(message.res_id)
        values = {
            "name": signal_summary(message.subject, text, record.display_name),
            "description": plaintext2html(text) if text else False,
            "source_name": self._source_label(record),
        }
        customer = self._customer_of_message(message, record)
        if customer:
            values["partner_id"] = customer.id
        if message.email_from and not message.author_id:
            # A sender with no contact yet stays on the signal as its contact:
            # sales need to know who spoke, not only for which company.
            values["email_from"] = message.email_from
            sender = email_split_tuples(message.email_from)
            if sender and sender[0][0]:
                values["contact_name"] = sender[0][0]
        code = (
            "other"
            if message.model == "discuss.channel"
            else "support"
            if message.message_type == "email"
            else False
        )
        if code:
            channel = self.env["crm.signal.channel"].search([("code", "=", code)], limit=1)
            if channel:
                values["channel_id"] = channel.id
        return values

    @api.model
    def _customer_of_message(self, message, record):
        """The customer (commercial entity) a message speaks for: its author
        when outside the company; for a sender with no contact, the company
        of the sender's mail domain when that domain is not the record
        partner's (a colleague of another company writing on this deal);
        else the partner of its record."""
        Partner = self.env["res.partner"]
        author = message.author_id
        own = self.env.companies.partner_id
        record_partner = Partner
        if record._name == "res.partner":
            record_partner = record.commercial_partner_id
        elif record._fields.get("partner_id") and (
            record._fields["partner_id"].comodel_name == "res.partner"
        ):
            record_partner = record.partner_id.commercial_partner_id
        customer = Partner
        if author and author.partner_share:
            customer = author.commercial_partner_id
        elif not author and message.email_from:
            email = email_normalize(message.email_from)
            if email:
                customer = Partner.search(
                    [("email_normalized", "=", email), ("partner_share", "=", True)], limit=1
                ).commercial_partner_id
                domain = email.rpartition("@")[2]
                if not customer and domain != self._mail_domain(record_partner):
                    customer = self._company_of_mail_domain(domain) - own
        if not customer:
            customer = record_partner
        if customer in own or not customer.has_access("read"):
            return Partner
        return customer

    @api.model
    def _mail_domain(self, partner):
        """The mail domain of ``partner`` (its company's address first)."""
        for address in (partner.commercial_partner_id.email_normalized, partner.email_normalized):
            if address:
                return address.rpartition("@")[2]
        return False

    @api.model
    def _company_of_mail_domain(self, domain):
        """The one company whose contacts write from ``domain``, if exactly
        one does (a free-mail domain shared by several companies names none).
        An exact comparison of the domain part: what a mail says is never a
        search pattern."""
        Partner = self.env["res.partner"]
        if not domain:
            return Partner
        Partner.flush_model(["email_normalized", "partner_share", "commercial_partner_id"])
        # The ORM has no operator for "the part after @ equals": split_part
        # compares the whole domain exactly, with the value as a parameter.
        self.env.cr.execute(
            """
            SELECT DISTINCT commercial_partner_id FROM res_partner
             WHERE split_part(email_normalized, '@', 2) = %s
               AND partner_share AND active AND commercial_partner_id IS NOT NULL
             LIMIT 2
            """,
            [domain],
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        # Read through the ORM: the user's record rules and companies apply.
        companies = Partner.search([("id", "in", ids)]) if len(ids) == 1 else Partner
        return companies

    @api.model
    def _source_label(self, record):
        description = self.env["ir.model"]._get(record._name).name
        return f"{description}: {record.display_name}"

    def _prepare_sources(self, vals_list):
        """Fill the source link from the message only, after checking that the
        author may read it and its record: the link never comes from the
        caller (a crafted RPC would otherwise copy attachments it may not
        read)."""
        default_message = self.env.context.get("crm_signal_source_message_id")
        for vals in vals_list:
            for fname in SOURCE_DERIVED_FIELDS:
                vals.pop(fname, None)
            message_id = vals.get("source_message_id") or default_message
            if not message_id:
                continue
            message = self._source_message(message_id)
            record = self.env[message.model].browse(message.res_id)
            vals.update(
                {
                    "source_message_id": message.id,
                    "source_model": message.model,
                    "source_res_id": message.res_id,
                    "source_name": self._source_label(record),
                }
            )

    def _link_sources(self):
        """Copy the source message's attachments and tell the source record."""
        # Defaults of the dialog (default_name…) must not leak into the
        # attachments and the note.
        signals = self.with_context(clean_context(self.env.context)).filtered("source_message_id")
        for signal in signals:
            # sudo: the author may read the message (checked in
            # _prepare_sources); the copies belong to their new signal.
            message = signal.sudo().source_message_id
            # Only what the author may open as themselves: a message can carry
            # attachments of records they may not read (a payroll workbook).
            readable = self.env["ir.attachment"]._filter_attachment_access(
                message.attachment_ids.ids
            )
            for attachment in readable.sudo():
                attachment.copy({"res_model": "crm.signal", "res_id": signal.id})
            record = signal.env[signal.source_model].browse(signal.source_res_id)
            # A Discuss conversation is not a record's history: nothing posted.
            if signal.source_model == "discuss.channel" or not hasattr(record, "message_post"):
                continue
            link = Markup('<a href="#" data-oe-model="crm.signal" data-oe-id="%s">%s</a>') % (
                signal.id,
                self.env._("customer signal"),
            )
            # One translatable sentence with the link inside (a QWeb template
            # would split it into fragments no Japanese word order fits).
            # sudo: reading the record is enough to save from it; the note is
            # internal (employees only) and names no more than the author.
            record.sudo().message_post(
                body=Markup("<p>%s</p>")
                % self.env._(
                    "Saved as a %(signal)s by %(author)s.",
                    signal=link,
                    author=signal.employee_id.name or self.env.user.name,
                ),
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )

    def _check_source_fields(self, vals):
        if not self.env.su and self._source_fields() & set(vals):
            raise UserError(
                self.env._("Where a signal was saved from is history: it cannot be changed.")
            )

    @api.readonly
    def action_open_source(self):
        """Open the record the signal was saved from, for whoever may read it."""
        self.ensure_one()
        if not self.source_model or self.source_model not in self.env:
            raise UserError(self.env._("This signal was not saved from a message."))
        record = self.env[self.source_model].browse(self.source_res_id).exists()
        if not record:
            raise UserError(self.env._("The record this signal was saved from no longer exists."))
        if not record.has_access("read"):
            raise AccessError(
                self.env._(
                    "You may not open %(record)s: only its name is shown on the signal.",
                    record=self.source_name,
                )
            )
        if self.source_model == "discuss.channel" and self.source_message_id:
            return {
                "type": "ir.actions.act_url",
                "url": f"/mail/message/{self.source_message_id.id}",
                "target": "self",
            }
        return {
            "type": "ir.actions.act_window",
            "res_model": self.source_model,
            "res_id": record.id,
            "views": [(False, "form")],
        }

    @api.onchange("email_from", "contact_name", "name", "description")
    def _onchange_suggest_customer(self):
        if self.partner_id or self._origin.id:
            return
        customer = self._suggest_customer()
        if customer:
            self.partner_id = customer

    @api.depends("partner_id", "email_from", "contact_name", "name", "description")
    def _compute_customer_hint(self):
        for signal in self:
            recognised = (
                not signal._origin.id
                and signal.partner_id
                and signal.partner_id == signal._suggest_customer()
            )
            signal.customer_hint = (
                self.env._(
                    "Customer recognised from what you typed: %(customer)s. Change it if it "
                    "is not the right one.",
                    customer=signal.partner_id.display_name,
                )
                if recognised
                else False
            )

    def _suggest_customer(self):
        """The one customer an e-mail address or a company name in the typed
        text points to. Exact matches only (normalised e-mail, whole company
        name): what a user types is never a search pattern."""
        self.ensure_one()
        Partner = self.env["res.partner"]
        texts = [
            self.email_from,
            self.contact_name,
            self.name,
            html2plaintext(self.description or "") if self.description else "",
        ]
        texts = [text for text in texts if text]
        if not texts:
            return Partner
        own = self.env.companies.partner_id
        emails = {
            email_normalize(address) for text in texts for address in email_re.findall(text)
        } - {False}
        if emails:
            customers = (
                Partner.search(
                    [("email_normalized", "in", sorted(emails)), ("partner_share", "=", True)],
                    limit=10,
                ).commercial_partner_id
                - own
            )
            if len(customers) == 1:
                return customers
        names = set()
        for text in texts:
            for token in COMPANY_NAME_SEPARATORS.split(text)[:100]:
                token = token.strip()
                if len(token) < 2:
                    continue
                names.add(token)
                if "株式会社" not in token:
                    names.update({f"株式会社{token}", f"{token}株式会社"})
        if not names:
            return Partner
        companies = (
            Partner.search([("is_company", "=", True), ("name", "in", sorted(names))], limit=2)
            - own
        )
        return companies if len(companies) == 1 else Partner
