"""The crediting engine of the ledger: events (a won deal, a signal) and the
published rules that match them become ledger lines, split, capped and
reversed; they are appended in one INSERT (``_insert_entries``).

How a rule computes one event's credit is ``core/crediting.py``
(``event_credit``), shared with the rule form's example.
"""

from collections import defaultdict, namedtuple
from dataclasses import dataclass, field
from datetime import timedelta

import psycopg2.errors

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..core.crediting import apply_cap, credit_key, credited_id

# Who shares an event's credit: the employee, their department as recorded
# on the deal or signal, their weight, and their role (originator...).
Contributor = namedtuple("Contributor", "employee department weight role")


@dataclass
class CreditEvent:
    """One thing that happened and may earn credit: a won deal, a signal."""

    trigger: str
    key: str
    company: object
    date: object
    basis: float
    contributors: list  # [Contributor]
    lead: object = None
    signal: object = None
    partner: object = None
    team: object = None
    channels: object = None
    signal_types: object = None
    reason: str = ""
    extra: dict = field(default_factory=dict)
    # The entries' date when it is not the rules' date: a correction of a won
    # deal is booked on the day the server observed the change.
    booked: object = None
    # Set by Credit Past Wins only: why the administrator dated the credit.
    backdate_reason: str = None
    # Whose act caused the event's credits (res.users); None: the acting user.
    maker: object = None


class CrmContribution(models.Model):
    _inherit = "crm.contribution"

    @api.model
    def _company_tz(self, company=None):
        """The time zone that dates a company's events: its working calendar's,
        else the company's own, else UTC. Never the caller's ``tz`` context nor
        their preference: a credit's date is no one's choice."""
        # sudo: the company's calendar decides dates for every user, whatever
        # they may read of it.
        company = (company or self.env.company).sudo()
        return company.resource_calendar_id.tz or company.partner_id.tz or "UTC"

    @api.model
    def _event_date(self, value, company=None):
        """The company's calendar date of a moment the server recorded (a deal
        won at 08:00 in Tokyo counts for that day, not the previous one in
        UTC). Without ``value``: the company's today."""
        value = value or fields.Datetime.now()
        tz = self._company_tz(company)
        return fields.Datetime.context_timestamp(self.with_context(tz=tz), value).date()

    @api.model
    def _company_today(self, company=None):
        return self._event_date(fields.Datetime.now(), company)

    @api.model
    def _win_dates(self, leads):
        """{lead id: the date whose rules apply to its win}: the day the server
        observed it enter a won stage, in its company's time zone. A won deal
        the server never saw winning (created won, imported) has none unless
        Credit Past Wins credited it: then the date of its open credits, as the
        administrator chose it. Deals without either are left for Credit Past
        Wins. Never ``date_closed``: anyone who edits the deal can write it."""
        dates = {}
        unobserved = leads.browse()
        for lead in leads:
            if lead.everyone_sells_won_date:
                dates[lead.id] = self._event_date(lead.everyone_sells_won_date, lead.company_id)
            else:
                unobserved |= lead
        if unobserved:
            open_credits = self._open_credits_for(leads=unobserved)
            for key, entries in open_credits.grouped("credit_key").items():
                dates[credited_id(key)] = min(entries.mapped("date"))
        return dates

    @api.model
    def _won_events(self, leads, date=None, booked=None, backdate_reason=None, dates=None):
        """Credit events of won ``leads``. The rules in force on ``date``
        (Credit Past Wins) or on the observed win (``_win_dates``) apply; a
        deal with neither makes no event. The entries are dated ``date``, else
        on ``booked`` ({lead id: the moment the server observed the change}),
        else on the observed win."""
        if date:
            dates = dict.fromkeys(leads.ids, date)
        elif dates is None:
            dates = self._win_dates(leads)
        events = []
        for lead in leads:
            if lead.id not in dates:
                continue
            contributors = [
                Contributor(c.employee_id, c.department_id, c.weight, c.role)
                for c in lead.contributor_ids
            ]
            if not contributors:
                continue
            company = lead.company_id or self.env.company
            observed = (booked or {}).get(lead.id)
            events.append(
                CreditEvent(
                    trigger="won",
                    key=credit_key("won", "lead", lead.id),
                    company=company,
                    date=dates[lead.id],
                    booked=self._event_date(observed, company) if observed else None,
                    backdate_reason=backdate_reason,
                    basis=lead.expected_revenue,
                    contributors=contributors,
                    lead=lead,
                    partner=lead.partner_id,
                    team=lead.team_id,
                    channels=lead.signal_channel_id,
                    signal_types=lead.signal_ids.signal_type_id,
                    # sudo: who set the contributors is the system's record.
                    maker=lead.sudo().everyone_sells_contributors_by_id or None,
                )
            )
        return events

    @api.model
    def _signal_events(self, signals, trigger):
        date_field = {
            "handed_off": "handoff_date",
            "resolved": "resolved_date",
            "insight_used": "used_date",
        }.get(trigger, "create_date")
        return [
            CreditEvent(
                trigger=trigger,
                key=credit_key(trigger, "signal", signal.id),
                company=signal.company_id,
                date=self._event_date(signal[date_field], signal.company_id),
                basis=signal.estimated_revenue,
                contributors=[
                    Contributor(signal.employee_id, signal.department_id, 1.0, "originator")
                ],
                lead=signal.lead_id,
                signal=signal,
                partner=signal.partner_id,
                team=signal.team_id,
                channels=signal.channel_id,
                signal_types=signal.signal_type_id,
            )
            for signal in signals
            if signal.employee_id
        ]

    @api.model
    def _matching_rules(self, events):
        """Rules by (company id, trigger), fetched once for the whole batch."""
        if not events:
            return {}
        companies = {event.company.id for event in events}
        triggers = {event.trigger for event in events}
        # Only published rules credit: a rule nobody can read is no fair rule.
        # sudo: whoever triggers the event (a salesperson winning a deal) may
        # not read the rules' configuration.
        rules = (
            self.env["crm.contribution.rule"]
            .sudo()
            .search(
                [
                    ("company_id", "in", list(companies)),
                    ("trigger", "in", list(triggers)),
                    ("active", "=", True),
                    ("is_published", "=", True),
                ],
                order="sequence, id",
            )
        )
        by_key = defaultdict(list)
        for rule in rules:
            by_key[rule.company_id.id, rule.trigger].append(rule)
        return by_key

    @api.model
    def _rule_applies(self, rule, event):
        if not rule._in_force(event.date):
            return False
        if rule.min_revenue and (event.basis or 0) < rule.min_revenue:
            return False
        if rule.channel_ids and not (event.channels & rule.channel_ids):
            return False
        if rule.signal_type_ids and not (event.signal_types & rule.signal_type_ids):
            return False
        return not (rule.team_ids and event.team not in rule.team_ids)

    @api.model
    def _sales_users(self):
        # sudo: who belongs to a sales team decides the "exclude sales" filter,
        # whoever marks the deal won.
        members = self.env["crm.team.member"].sudo().search_fetch([], ["user_id"])
        return members.user_id

    @api.model
    def _period_totals(self, rules, employees, dates, recomputed_keys=()):
        """What each (rule, employee, month) has already earned, in one query;
        without the events ``recomputed_keys``, whose credit is computed anew."""
        capped = [rule.id for rule in rules if rule.cap_per_period]
        if not capped or not dates:
            return {}
        start = min(dates).replace(day=1)
        end = max(dates)
        domain = [
            ("rule_id", "in", capped),
            ("employee_id", "in", employees.ids),
            ("date", ">=", start),
            ("date", "<=", end + timedelta(days=31)),
        ]
        if recomputed_keys:
            domain.append(("credit_key", "not in", list(recomputed_keys)))
        groups = self.sudo()._read_group(
            domain,
            ["rule_id", "employee_id", "date:month"],
            ["amount:sum"],
        )
        return {
            (rule.id, employee.id, (month.year, month.month)): total
            for rule, employee, month, total in groups
        }

    @api.model
    def _prepare_credits(self, events, open_credits=None, recompute=False):
        """Ledger values for ``events``: the matching rules, split and capped;
        what is in ``open_credits`` is skipped. With ``recompute``, the
        events' whole credit is computed anew, as if nothing were credited.

        Pure bookkeeping over prefetched records: the number of queries does
        not depend on the number of events.
        """
        rules_by_key = self._matching_rules(events)
        if not rules_by_key:
            return []
        open_credits = open_credits if open_credits is not None else {}
        sales_users = self._sales_users()
        all_rules = [rule for rules in rules_by_key.values() for rule in rules]
        employees = self.env["hr.employee"].browse(
            {c.employee.id for event in events for c in event.contributors}
        )
        period_totals = self._period_totals(
            all_rules,
            employees,
            [event.booked or event.date for event in events],
            recomputed_keys={event.key for event in events} if recompute else (),
        )
        values = []
        for event in events:
            currency = event.company.currency_id
            digits = currency.decimal_places
            hold = event.company.everyone_sells_hold_days
            booked = event.booked or event.date
            # Credit Past Wins is the one way to date a credit before today;
            # its entries say who chose the date (the maker) and why.
            backdated = bool(event.backdate_reason) and booked < self._company_today(event.company)
            roles_weights = [(c.role, c.weight) for c in event.contributors]
            for rule in rules_by_key.get((event.company.id, event.trigger), []):
                if not self._rule_applies(rule, event):
                    continue
                credit = rule._event_credit(event.basis or 0, roles_weights, digits)
                if credit is None:
                    continue
                for part in credit.parts:
                    employee, department = event.contributors[part.index][:2]
                    if rule.exclude_sales and employee.user_id in sales_users:
                        continue
                    if not rule._covers_department(department):
                        continue
                    if (event.key, employee.id, rule.id) in open_credits:
                        continue
                    amount = part.amount
                    period_capped = False
                    if rule.cap_per_period:
                        month_key = (rule.id, employee.id, (booked.year, booked.month))
                        already = period_totals.get(month_key, 0)
                        amount = apply_cap(part.amount, rule.cap_per_period, already)
                        period_capped = amount < part.amount
                        period_totals[month_key] = already + float(amount)
                    points = part.points
                    if not amount and not points:
                        continue
                    values.append(
                        {
                            "employee_id": employee.id,
                            "department_id": department.id,
                            "company_id": event.company.id,
                            "lead_id": event.lead.id if event.lead else False,
                            "lead_name": event.lead.name if event.lead else False,
                            "signal_id": event.signal.id if event.signal else False,
                            "partner_id": event.partner.id if event.partner else False,
                            "rule_id": rule.id,
                            "trigger": event.trigger,
                            "date": booked,
                            "payable_date": booked + timedelta(days=hold),
                            "basis_amount": event.basis or 0,
                            "rate": rule.percentage if rule.compute_method == "percentage" else 0,
                            "share": float(part.share),
                            "points": points,
                            "amount": float(amount),
                            "wage_type": rule.wage_type,
                            "credit_key": event.key,
                            "deal_capped": credit.capped,
                            "period_capped": period_capped,
                            # Points alone are no money and need no
                            # approval: the system writes them by the rule.
                            "maker_id": (event.maker.id if event.maker else self.env.uid)
                            if amount
                            else SUPERUSER_ID,
                        }
                    )
                    if backdated:
                        values[-1]["backdate_reason"] = event.backdate_reason
        return values

    @api.model
    def _credit(self, events, reason=None, keys=None):
        """Write the credits ``events`` earn, in one pass.

        Without ``reason``, what is credited already stays as it is. With
        ``reason`` (a won deal that changed), the events' credit is computed
        anew: open credits of ``keys`` (default: the events') that no longer
        match are reversed for that reason, and the difference credited.
        """
        keys = [event.key for event in events] if keys is None else keys
        if not keys:
            return self.browse()
        # sudo: crediting is the system's act on an event; salespeople and
        # employees may not write the ledger themselves.
        ledger = self.sudo()
        existing = ledger.search_fetch(
            [
                ("credit_key", "in", keys),
                ("reversed_entry_id", "=", False),
                ("rule_id", "!=", False),
            ],
            ["credit_key", "employee_id", "rule_id", "credit_sequence", "amount", "is_reversed"],
        )
        open_credits = {}
        generations = defaultdict(int)
        for entry in existing:
            key = (entry.credit_key, entry.employee_id.id, entry.rule_id.id)
            generations[key] = max(generations[key], entry.credit_sequence + 1)
            if not entry.is_reversed:
                open_credits[key] = entry
        if reason is None:
            values = ledger._prepare_credits(events, open_credits)
        else:
            values = ledger._prepare_credits(events, recompute=True) if events else []
            wanted = {
                (vals["credit_key"], vals["employee_id"], vals["rule_id"]): vals["amount"]
                for vals in values
            }
            stale = {key for key, entry in open_credits.items() if wanted.get(key) != entry.amount}
            ledger._reverse(
                ledger.browse([open_credits[key].id for key in stale]), reason, reductions=False
            )
            values = [
                vals
                for vals in values
                if (vals["credit_key"], vals["employee_id"], vals["rule_id"]) not in open_credits
                or (vals["credit_key"], vals["employee_id"], vals["rule_id"]) in stale
            ]
        for vals in values:
            vals["credit_sequence"] = generations[
                vals["credit_key"], vals["employee_id"], vals["rule_id"]
            ]
        return ledger._insert_entries(values)

    @api.model
    def _reverse(self, entries, reason, reductions=True):
        """Cancel ``entries`` with negative, linked entries; ``reason`` is a
        code of REVERSAL_REASONS, said in the reader's language.

        A credit cancelled for good takes its reductions (negative
        adjustments) with it: a reduction of nothing would be owed back for
        money never paid. A credit reversed to be credited anew
        (``reductions=False``: its deal's revenue or contributors changed)
        keeps them: the dispute's decision still reduces the deal's credit."""
        entries = entries.sudo().filtered(lambda e: not e.is_reversed and not e.reversed_entry_id)
        if reductions and entries:
            entries |= self.sudo().search(
                [("reduced_entry_id", "in", entries.ids), ("is_reversed", "=", False)]
            )
        if not entries:
            return self.browse()
        # Dated the day the server reverses them, in the company's time zone.
        today = {company: self._company_today(company) for company in entries.company_id}
        values = [
            {
                "employee_id": entry.employee_id.id,
                "department_id": entry.department_id.id,
                "company_id": entry.company_id.id,
                "lead_id": entry.lead_id.id,
                "lead_name": entry.lead_name,
                "signal_id": entry.signal_id.id,
                "partner_id": entry.partner_id.id,
                "rule_id": entry.rule_id.id,
                "trigger": entry.trigger,
                "date": today[entry.company_id],
                "payable_date": entry._settling_date(),
                "basis_amount": -entry.basis_amount,
                "rate": entry.rate,
                "share": entry.share,
                "points": -entry.points,
                "amount": -entry.amount,
                "wage_type": entry.wage_type,
                "credit_key": entry.credit_key,
                "credit_sequence": entry.credit_sequence,
                "reversed_entry_id": entry.id,
                # A reversal follows its credit: a draft credit's reversal waits
                # with it, an approved or paid one is booked at once.
                "state": "draft" if entry.state == "draft" else "approved",
                "reversal_reason": reason,
                # A published rule reverses: the system, not a person.
                "maker_id": SUPERUSER_ID,
            }
            for entry in entries
        ]
        return self.sudo()._insert_entries(values)

    def _settling_date(self):
        """The payable date of an entry that reduces this credit (its
        reversal, or a negative adjustment): reducing a credit not yet paid
        is no deduction from wages, it settles with its credit, on the
        credit's date, so the two net out in the same payout (see the
        payout's _take_entries); reducing a paid credit is a clawback,
        payable at once."""
        self.ensure_one()
        if self.state == "paid":
            return self._company_today(self.company_id)
        return self.payable_date or self.date

    @api.model
    def _column_converter(self, field):
        """How a value of ``field`` goes into the INSERT. Amounts arrive
        rounded by the crediting core, so no per-value currency lookup."""
        if field.type == "many2one":
            return lambda value: int(value) if value else None
        if field.type == "integer":
            return lambda value: int(value or 0)
        if field.type in ("float", "monetary"):
            return lambda value: float(value or 0.0)
        if field.type == "boolean":
            return bool
        return lambda value: value if value not in (False, "") else None

    @api.model
    def _default_state(self, vals):
        """Points-only entries (no money) need no approval: they are not
        wages, and would only clog the managers' queue."""
        return "approved" if not vals.get("amount") else "draft"

    @api.model
    def _insert_entries(self, values):
        """Append ledger lines in one INSERT, whatever their number: the one
        way lines enter the ledger (``create`` comes here too).

        The ORM's create builds a record per line and makes the crediting
        job markedly slower. Ledger lines have no computed stored field, no
        tracking and no side effect to run, so one statement writes them
        all, after the checks the ORM would run: every line's employee,
        deal, signal and rule belong to its company, and the model's
        constraints (``_validate_fields``) hold; the database checks the rest. A sentence
        given at creation is a person's words (an adjustment's reason) and
        is kept as the line's note: credits and reversals store figures and
        are explained when read.
        """
        if not values:
            return self.browse()
        values = [
            {("note" if name == "explanation" else name): value for name, value in vals.items()}
            for vals in values
        ]
        # Whoever's act writes the entry is its maker unless the caller
        # (the addon's own code) names the person whose act caused it.
        for vals in values:
            vals.setdefault("maker_id", self.env.uid)
        self._check_company_of_values(values)
        columns = sorted({name for vals in values for name in vals})
        audit = ["create_uid", "create_date", "write_uid", "write_date"]
        stamp = [self.env.uid, self.env.cr.now(), self.env.uid, self.env.cr.now()]
        columns = sorted(set(columns) | {"state"})
        converters = [self._column_converter(self._fields[name]) for name in columns]
        rows = SQL(", ").join(
            SQL(
                "%s",
                tuple(
                    convert(
                        vals.get(name, self._default_state(vals))
                        if name == "state"
                        else vals.get(name)
                    )
                    for name, convert in zip(columns, converters, strict=True)
                )
                + tuple(stamp),
            )
            for vals in values
        )
        # Pending writes first (the deal's own update takes its row lock
        # now): a concurrent transaction on the same deal then fails with a
        # serialization error, which Odoo retries, rather than on our index.
        self.env.flush_all()
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL(
                        "INSERT INTO crm_contribution (%s) VALUES %s RETURNING id",
                        SQL(", ").join(SQL.identifier(name) for name in columns + audit),
                        rows,
                    )
                )
                ids = [row[0] for row in self.env.cr.fetchall()]
        except psycopg2.errors.UniqueViolation as error:
            raise UserError(
                self.env._(
                    "Someone else credited the same deal at the same moment. Nothing "
                    "was credited twice: reload the page to see the credit."
                )
            ) from error
        entries = self.browse(ids)
        entries._validate_fields(columns)
        # What pointed at the ledger before (a deal's, a signal's or a
        # credit's lines) must be read again.
        self.invalidate_model(["reversal_entry_ids", "is_reversed"])
        self.env["crm.lead"].invalidate_model(["contribution_ids"])
        self.env["crm.signal"].invalidate_model(["contribution_ids"])
        return entries

    @api.model
    def _check_company_of_values(self, values):
        """What ``_check_company_auto`` checks on an ORM create: a line's
        employee, deal, signal and rule are of the line's company (or of
        none). Read from the records the engine has in its cache."""
        for fname in ("employee_id", "lead_id", "signal_id", "rule_id"):
            comodel = self.env[self._fields[fname].comodel_name].sudo()
            ids = {vals[fname] for vals in values if vals.get(fname)}
            companies = {record.id: record.company_id.id for record in comodel.browse(ids)}
            for vals in values:
                company = companies.get(vals.get(fname))
                if company and company != vals.get("company_id"):
                    raise ValidationError(
                        self.env._(
                            "A ledger line of %(company)s cannot point to %(record)s of "
                            "another company.",
                            company=self.env["res.company"].browse(vals.get("company_id")).name,
                            record=comodel.browse(vals[fname]).display_name,
                        )
                    )

    @api.model
    def _open_credits_for(self, leads=None, signals=None, trigger="won"):
        domain = [
            ("trigger", "=", trigger),
            ("reversed_entry_id", "=", False),
            ("is_reversed", "=", False),
            ("rule_id", "!=", False),
        ]
        if leads is not None:
            domain.append(
                ("credit_key", "in", [credit_key("won", "lead", lead.id) for lead in leads])
            )
        if signals is not None:
            domain.append(
                (
                    "credit_key",
                    "in",
                    [credit_key(trigger, "signal", signal.id) for signal in signals],
                )
            )
        return self.sudo().search(domain)

    @api.model
    def _credit_won_leads(self, leads, date=None, backdate_reason=None):
        """Credit what won ``leads`` miss. With ``date`` (Credit Past Wins,
        an administrator's act), the rules in force on that date apply and the
        entries are dated on it, recording ``backdate_reason`` when that is
        in the past. The administrator who runs it is the maker of its
        credits, whoever set the deals' contributors."""
        events = self._won_events(leads, date=date, backdate_reason=backdate_reason)
        for event in events:
            event.maker = self.env.user
        return self._credit(events)

    @api.model
    def _reverse_credits(self, leads, reason):
        return self._reverse(self._open_credits_for(leads=leads), reason)

    @api.model
    def _recredit_changed_leads(self, leads, reason="revenue", observed=None):
        """Won deals (new, or whose revenue or contributors changed): credit
        what is missing, reverse what no longer matches and credit it again,
        so the ledger shows the difference. One pass per deal.

        The rules of the observed win apply (``_win_dates``); what is written
        is dated when the server observed the change (``observed``: {lead id:
        datetime}, the crediting queue's notes), never earlier: a correction
        waits in draft for a manager like any credit. A deal the server never
        saw winning and that Credit Past Wins did not credit is left alone."""
        dates = self._win_dates(leads)
        dated = leads.filtered(lambda lead: lead.id in dates)
        keys = [credit_key("won", "lead", lead.id) for lead in dated]
        return self._credit(
            self._won_events(dated, booked=observed, dates=dates), reason=reason, keys=keys
        )

    @api.model
    def _whatif_events(self, signal, employee, date):
        """The events a signal would go through on its way to a won deal."""
        common = {
            "company": signal.company_id or self.env.company,
            "date": date,
            "basis": signal.estimated_revenue,
            "contributors": [
                Contributor(
                    employee, signal.department_id or employee.department_id, 1.0, "originator"
                )
            ],
            "signal": signal,
            "partner": signal.partner_id,
            "team": signal.team_id,
            "channels": signal.channel_id,
            "signal_types": signal.signal_type_id,
        }
        return [
            CreditEvent(trigger=trigger, key=credit_key("whatif", trigger), **common)
            for trigger in ("signal_logged", "handed_off", "won")
        ]

    @api.model
    def _estimate_signal_credits(self, signal, employee, date):
        """What ``signal`` would earn ``employee`` on its way to a won deal,
        by the rules in force on ``date``: the ledger values the engine
        would write (nothing is written) and the sentence of each, as its
        entry would say it. Returns ``(lines, sentences)``."""
        lines = self._prepare_credits(self._whatif_events(signal, employee, date))
        return lines, self._explain_values(lines)
