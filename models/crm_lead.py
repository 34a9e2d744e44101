from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..core.money import format_points
from .boolean_search import searched_true
from .sentence_explainer import AmountFormatter
from .server_switches import crediting_is_off, importing, is_importing

# Writing any of these may move a deal into or out of won, or change its credit.
CREDIT_FIELDS = {"stage_id", "probability", "active", "expected_revenue", "company_id"}


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Who brought the deal is its originator contributor row, and nothing
    # else: these two only mirror it (for search, grouping and the reports'
    # SQL), so a merge or a conversion has nothing to reconcile.
    origin_employee_id = fields.Many2one(
        "hr.employee",
        string="Brought By",
        compute="_compute_origin",
        store=True,
        tracking=True,
        index="btree_not_null",
        help="The employee whose signal started this opportunity: its contributor "
        "with the role Originator.",
    )
    origin_department_id = fields.Many2one(
        "hr.department",
        compute="_compute_origin",
        store=True,
        index="btree_not_null",
        help="The originator's department when the signal was logged.",
    )
    everyone_sells_is_won = fields.Boolean(
        string="Won (Everyone Sells)",
        compute="_compute_everyone_sells_is_won",
        store=True,
        index=True,
        help="Active, at probability 100, in a won stage: the one definition of a won "
        "deal that crediting, reports and goals share.",
    )
    signal_channel_id = fields.Many2one(
        "crm.signal.channel",
        help="Where the originator heard the customer.",
    )
    signal_ids = fields.One2many("crm.signal", "lead_id", string="Signals")
    signal_count = fields.Integer(compute="_compute_signal_count")
    customer_signal_ids = fields.Many2many(
        "crm.signal",
        string="Customer Voice",
        compute="_compute_customer_signal_ids",
        help="Every signal about this customer from every department, newest first: "
        "support's history, marketing's analysis, what engineering heard.",
    )
    contribution_ids = fields.One2many(
        "crm.contribution",
        "lead_id",
        string="Contributions",
        help="The ledger lines this deal earned its contributors.",
    )
    contributor_ids = fields.One2many(
        "crm.lead.contributor",
        "lead_id",
        string="Contributors",
        copy=False,
        help="Employees who helped on this deal and share its credit by weight.",
    )
    # Maker ≠ checker: whoever last set the contributors or their weights
    # is the maker of the won deal's credits (see crm.lead.contributor).
    everyone_sells_contributors_by_id = fields.Many2one(
        "res.users",
        string="Contributors Set By",
        readonly=True,
        copy=False,
        help="Who last added, changed or removed a contributor of this deal: the maker of "
        "its credits, who cannot approve them.",
    )

    everyone_sells_won_date = fields.Datetime(
        string="Won (observed)",
        readonly=True,
        copy=False,
        help="When the server observed this deal enter a won stage: the day its credit is "
        "dated and whose rules apply. Set by the server only, at the stage change; empty "
        "for a deal created already won or won by an import, which Credit Past Wins "
        "credits. The closing date is the salesperson's field: money never follows it.",
    )
    everyone_sells_past_win = fields.Boolean(
        string="Past Win to Credit",
        compute="_compute_everyone_sells_past_win",
        search="_search_everyone_sells_past_win",
        help="Won without the server seeing it win (created won, imported), with "
        "contributors and no credit yet: Credit Past Wins credits it, with a reason.",
    )

    everyone_sells_credit_pending = fields.Boolean(
        string="Credit Pending",
        compute="_compute_everyone_sells_credit_pending",
        help="The crediting job has still to write this deal's ledger lines (it runs "
        "right after the deal is won, lost or changed).",
    )

    @api.depends("stage_id", "active", "expected_revenue", "contributor_ids")
    def _compute_everyone_sells_credit_pending(self):
        # sudo: the queue is the system's; whoever reads the deal may know
        # its credit is on its way.
        pending = set(
            self.env["crm.contribution.queue"]
            .sudo()
            .search_fetch([("lead_id", "in", self._origin.ids)], ["lead_id"])
            .lead_id.ids
        )
        for lead in self:
            lead.everyone_sells_credit_pending = lead._origin.id in pending

    def _everyone_sells_past_win_domain(self):
        # sudo: whether a deal was credited is the system's bookkeeping; the
        # ledger's record rules would hide colleagues' credits.
        credited = (
            self.env["crm.contribution"]
            .sudo()
            ._search([("trigger", "=", "won"), ("lead_id", "!=", False)])
            .subselect("lead_id")
        )
        return [
            ("everyone_sells_is_won", "=", True),
            ("everyone_sells_won_date", "=", False),
            ("contributor_ids", "!=", False),
            ("id", "not in", credited),
        ]

    @api.depends("everyone_sells_is_won", "everyone_sells_won_date", "contributor_ids")
    def _compute_everyone_sells_past_win(self):
        domain = self._everyone_sells_past_win_domain()
        leads = self.search([("id", "in", self._origin.ids), *domain])
        for lead in self:
            lead.everyone_sells_past_win = lead._origin in leads

    def _search_everyone_sells_past_win(self, operator, value):
        domain = self._everyone_sells_past_win_domain()
        if searched_true(self, "everyone_sells_past_win", operator, value):
            return domain
        return [("id", "not in", self._search(domain).subselect())]

    @api.depends(
        "contributor_ids.role", "contributor_ids.employee_id", "contributor_ids.department_id"
    )
    def _compute_origin(self):
        for lead in self:
            originator = lead.contributor_ids.filtered(lambda c: c.role == "originator")[:1]
            lead.origin_employee_id = originator.employee_id
            lead.origin_department_id = originator.department_id

    @api.depends("active", "probability", "stage_id.is_won")
    def _compute_everyone_sells_is_won(self):
        # Odoo 18 has no stored won flag: won is an active lead at
        # probability 100 in a won stage.
        for lead in self:
            lead.everyone_sells_is_won = bool(
                lead.active and lead.probability == 100 and lead.stage_id.is_won
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

    @api.depends("partner_id")
    def _compute_customer_signal_ids(self):
        for lead in self:
            customer = lead.partner_id.commercial_partner_id
            # Searched with the reader's own rights: what they may not read is
            # not listed.
            lead.customer_signal_ids = (
                self.env["crm.signal"].search(
                    [("partner_id", "child_of", customer.id)], order="create_date desc, id desc"
                )
                if customer
                else False
            )

    def _everyone_sells_is_won(self):
        self.ensure_one()
        return self.everyone_sells_is_won

    def _everyone_sells_won(self):
        """The won leads of ``self`` (see ``everyone_sells_is_won``)."""
        return self.filtered("everyone_sells_is_won")

    def _check_server_fields_not_written(self, vals):
        if "everyone_sells_contributors_by_id" in vals and not self.env.su:
            raise UserError(
                self.env._(
                    "Who set a deal's contributors is recorded by the system when they "
                    "change; it cannot be written."
                )
            )
        if "everyone_sells_won_date" in vals:
            raise UserError(
                self.env._(
                    "When a deal was won is what the server observed when it entered a "
                    "won stage: nobody writes it."
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        # A deal created already won was not seen winning: it is not credited
        # by itself but listed for Credit Past Wins (an administrator's act,
        # with a reason), whatever its closing date says.
        for vals in vals_list:
            self._check_server_fields_not_written(vals)
        return super().create(vals_list)

    @api.model
    def load(self, fields, data):
        # The import's path (the import screen and the API's load): deals it
        # moves into won were not seen winning. Server-side: the private
        # switch cannot come from a client's context.
        return super(CrmLead, importing(self)).load(fields, data)

    def write(self, vals):
        self._check_server_fields_not_written(vals)
        if crediting_is_off(self.env) or not CREDIT_FIELDS & set(vals):
            return super().write(vals)
        # Compare each lead's won state before and after, whatever the path:
        # button, drag and drop, import, API or server action. The deals are
        # noted for the crediting job, which writes the ledger right after
        # this transaction (see crm.contribution.queue).
        was_won = self._everyone_sells_won()
        revenue_before = {lead.id: lead.expected_revenue for lead in was_won}
        result = super().write(vals)
        now_won = self._everyone_sells_won()
        entered = now_won - was_won
        left = was_won - now_won
        # The server saw these deals win now; an import's wins it did not see
        # (they wait for Credit Past Wins). Deals that left won lose the date.
        observed = self.browse() if is_importing(self.env) else entered
        if observed:
            super(CrmLead, observed).write({"everyone_sells_won_date": self.env.cr.now()})
        stale = (entered - observed) | left.filtered("everyone_sells_won_date")
        if stale:
            super(CrmLead, stale).write({"everyone_sells_won_date": False})
        changed = (was_won & now_won).filtered(
            lambda lead: lead.expected_revenue != revenue_before[lead.id]
        )
        # Reversals are never skipped, whoever writes and however.
        self.env["crm.contribution.queue"]._enqueue(observed | left | changed)
        return result

    def unlink(self):
        # A deleted (or merged away) deal keeps no credit: its open credits
        # are reversed in the same transaction, before the link is cut.
        if not crediting_is_off(self.env):
            ledger = self.env["crm.contribution"]
            open_credits = ledger._open_credits_for(leads=self)._lock_for_workflow()
            ledger._reverse(open_credits, "lost")
        return super().unlink()

    def _everyone_sells_recredit_contributors(self):
        """Contributors of a won deal changed: the ledger follows."""
        if not crediting_is_off(self.env):
            won = self._everyone_sells_won()
            self.env["crm.contribution.queue"]._enqueue(won, "contributors")

    def _everyone_sells_outcome(self):
        """The signal state this opportunity implies: won, lost (archived) or
        handed_off."""
        self.ensure_one()
        if not self.active:
            return "lost"
        return "won" if self._everyone_sells_is_won() else "handed_off"

    def _everyone_sells_set_origin(self, signal):
        """Record where ``signal`` was heard where the opportunity does not say
        yet (who brought it is its originator contributor row)."""
        if signal.channel_id:
            self.filtered(lambda lead: not lead.signal_channel_id).write(
                {"signal_channel_id": signal.channel_id.id}
            )

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
            "signal_channel_id",
        ]

    def _merge_dependences(self, opportunities):
        result = super()._merge_dependences(opportunities)
        # sudo: the user merging may see these opportunities without owning the
        # signals and contributor lines attached to them; they move with the
        # opportunity so that the origin is never lost.
        opportunities.sudo().signal_ids.write({"lead_id": self.id})
        kept = self.contributor_ids
        # One line per employee: the surviving opportunity's, else the first
        # merged (an originator's line first). An employee on two of the
        # merged opportunities is not on the survivor twice.
        seen = set(kept.employee_id.ids)
        repeated = self.env["crm.lead.contributor"].sudo()
        for contributor in opportunities.sudo().contributor_ids.sorted(
            lambda c: (c.role != "originator", c.id)
        ):
            if contributor.employee_id.id in seen:
                repeated |= contributor
            seen.add(contributor.employee_id.id)
        moving = opportunities.sudo().contributor_ids - repeated
        # One originator: the surviving opportunity's, else the first one
        # merged; the others stay as contributors. The origin fields follow.
        originators = (kept | moving).filtered(lambda c: c.role == "originator")
        (originators[1:] & moving).write({"role": "other"})
        moving.write({"lead_id": self.id})
        repeated.unlink()
        return result

    # ------------------------------------------------------------------
    # FEEDBACK: who was credited, on the deal itself
    # ------------------------------------------------------------------

    @api.model
    def _everyone_sells_post_credit_summaries(self, entries):
        """One note per deal listing the credits the crediting job just wrote,
        so that whoever won it sees who was credited. Written in the language
        of the user who changed the deal (the job runs as them), in one batched
        insert: the job's queries do not grow with the deals.

        The job notes a thousand deals at a time: the words are translated
        once and each note is laid out with ``Markup`` (every name and figure
        escaped), not rendered by QWeb and sanitized twice by the ORM deal by
        deal (that doubled the job's time). Such a body holds only the tags
        written here, which the sanitizer keeps as they are (see
        tests/test_walkthrough.py), so it is stored as built."""
        entries = entries.filtered(lambda e: e.lead_id and (e.amount or e.points))
        if not entries:
            return self.env["mail.message"]
        env = self.env(context=dict(self.env.context, lang=self.env.user.lang))
        # The subtype's id from the cached xmlid, as mail.thread's batch log does.
        note_subtype_id = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note")
        author = self.env.user.partner_id
        leads = entries.lead_id
        # What mail.message would look up deal by deal, looked up for all at once.
        reply_to = leads._notify_get_reply_to(default=author.email_formatted)
        messages = self.env["mail.message"]
        money = AmountFormatter(env)
        heading = env._("Everyone Sells credited:")
        points_unit = env._("pt")
        footer = env._("Credits wait for a manager's approval before they are paid.")
        currencies = {}

        def item(entry):
            figures = []
            if entry.amount:
                company = entry.company_id
                if company.id not in currencies:
                    currencies[company.id] = company.currency_id
                figures.append(money(entry.amount, currencies[company.id]))
            if entry.points:
                figures.append(f"{format_points(entry.points)} {points_unit}")
            return Markup("<li>%s — %s (%s)</li>") % (
                entry.employee_id.name,
                " ".join(figures),
                entry.rule_id.name,
            )

        values = []
        bodies = []
        for lead, lead_entries in entries.grouped("lead_id").items():
            items = [
                item(entry)
                for entry in lead_entries.with_env(env).sorted(lambda e: (-e.amount, e.id))
            ]
            bodies.append(
                Markup('<p>%s</p><ul>%s</ul><p class="text-muted">%s</p>')
                % (heading, Markup("").join(items), footer)
            )
            values.append(
                {
                    "model": "crm.lead",
                    "res_id": lead.id,
                    "record_name": lead.name,
                    "message_type": "notification",
                    "subtype_id": note_subtype_id,
                    "author_id": author.id,
                    "email_from": author.email_formatted,
                    "reply_to": reply_to.get(lead.id) or author.email_formatted,
                    "message_id": messages._get_message_id(
                        {"model": "crm.lead", "res_id": lead.id}
                    ),
                    "body": "",
                }
            )
        # sudo: the job writes the note for the system, as it writes the ledger.
        messages = self.env["mail.message"].sudo().create(values)
        # The bodies built above, stored in one statement as they are.
        self.env.cr.execute(
            SQL(
                "UPDATE mail_message SET body = note.body"
                "  FROM (VALUES %s) AS note(id, body) WHERE mail_message.id = note.id",
                SQL(", ").join(
                    SQL("(%s, %s)", message.id, str(body))
                    for message, body in zip(messages, bodies, strict=True)
                ),
            )
        )
        messages.invalidate_recordset(["body"])
        return messages
