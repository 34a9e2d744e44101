"""The explainer that writes a ledger line's sentence from its figures, in
one language (``Explainer``), and ``AmountFormatter``, which lays out
amounts for it (and for the deal's credit summary). Plain classes over an
environment: ``crm.contribution`` (its explanation, the workbook's
sentences) makes one per language."""

import logging
import re
from collections import namedtuple
from itertools import repeat
from operator import attrgetter, call, itemgetter

from odoo.tools import format_amount

from ..core.money import format_points
from ..core.xlsx import filled_text

_logger = logging.getLogger(__name__)


class AmountFormatter:
    """``format_amount`` in one language for many amounts: the language's and
    each currency's layout looked up once (a workbook shows ten thousand
    sentences, the crediting job notes a thousand deals)."""

    def __init__(self, env, lang=None):
        self.env = env
        self.lang = lang or env.lang or "en_US"
        self._layouts = {}

    def __call__(self, amount, currency):
        layout = self._layouts.get(currency.id)
        if layout is None:
            digits = currency.decimal_places
            layout = self._layouts[currency.id] = (
                format_amount(self.env, 1234567.0, currency, lang_code=self.lang),
                f"{1234567.0:,.{digits}f}",
                digits,
            )
        sample, reference, digits = layout
        rounded = round(float(amount), digits)
        if rounded < 0 or reference not in sample:
            # Other separators, or a sign: let Odoo lay it out.
            return format_amount(self.env, float(amount), currency, lang_code=self.lang)
        return sample.replace(reference, f"{rounded:,.{digits}f}")


# How many amounts, shares, points and sentence templates an explainer keeps.
_MEMO_SIZE = 4096
# Where a line's basis, share, amount, points and name go in a sentence template
# (``Explainer._template``): characters no translation or name holds (one
# that does is written without a template).
_MARKS = ("\ue001", "\ue002", "\ue003", "\ue004", "\ue005")
_MARK = re.compile("([\ue001-\ue005])")

# What a sentence says of a rule, read once per rule.
_RuleFacts = namedtuple(
    "_RuleFacts", "id compute_method rate fixed_amount cap_per_deal cap_per_period name"
)


def _tuple_getter(indexes):
    """The values at ``indexes`` of a sequence, always as a tuple (an
    ``itemgetter`` of one index gives the value alone)."""
    if len(indexes) > 1:
        return itemgetter(*indexes)
    return lambda values: tuple(values[index] for index in indexes)


class Explainer:
    """One sentence per ledger line, written when it is read: from the
    entry's stored figures, in the reader's language. The entry's employee
    reads "your 67 % share"; anyone else "the 67 % share of 佐藤".

    The sentences' parts are translated once per explainer and filled in
    with ``%``, as ``_()`` fills them; rules, employees and currencies are
    read once each: a workbook writes ten thousand sentences."""

    def __init__(self, env):
        self.env = env
        self.lang = env.lang or "en_US"
        self.to_employee = env.context.get("everyone_sells_to_employee")
        self._money = AmountFormatter(env, self.lang)
        self._uid = env.uid
        # {currency ids: {amount: text}}, {share: text}, {points: text}: the
        # figures a ledger's lines repeat, laid out once (bounded).
        self._amounts = {}
        self._shares = {}
        self._points = {}
        # {(rule id, currency ids, flags): (% template, its figures) or False}
        self._sentences = {}
        self._texts = None
        self._reasons = None
        self._rules = {}
        self._employees = {}
        self._currencies = {}

    @staticmethod
    def _templates(env):
        """The sentences' parts in ``env``'s language, not filled in yet."""
        return {
            "reversal": env._("Reversal (%(reason)s) of: %(original)s"),
            "percentage": env._("%(rate)s of %(basis)s"),
            "tiered": env._("the tiered rate on %(basis)s"),
            "fixed": env._("%(amount)s per event"),
            "yours": env._("%(base)s × your %(share)s share = %(amount)s — rule %(rule)s"),
            "theirs": env._(
                "%(base)s × the %(share)s share of %(employee)s = %(amount)s — rule %(rule)s"
            ),
            "deal_capped": env._(" (capped at %(cap)s per deal)"),
            "period_capped": env._(" (limited by the monthly cap of %(cap)s)"),
            "points": env._(", %(points)s points"),
            # A points-only rule pays no money: no "¥ 0 per event = ¥ 0".
            "yours_points": env._("%(points)s point(s), no money — rule %(rule)s"),
            "theirs_points": env._(
                "%(points)s point(s) for %(employee)s, no money — rule %(rule)s"
            ),
        }

    def _text(self, key, **values):
        """Part ``key`` filled with ``values``; a translation that does not
        fit its values falls back to the English, as ``_()`` does."""
        if self._texts is None:
            self._texts = self._templates(self.env)
        try:
            return self._texts[key] % values
        except (TypeError, ValueError, KeyError):
            _logger.exception("Bad translation %r (%s)", self._texts[key], self.lang)
            english = self._templates(self.env(context=dict(self.env.context, lang="en_US")))
            return english[key] % values

    def _reason(self, code):
        if self._reasons is None:
            self._reasons = self.reasons()
        return self._reasons.get(code, code or "")

    def _rule_facts(self, rule):
        facts = self._rules.get(rule.id)
        if facts is None:
            facts = self._rules[rule.id] = _RuleFacts(
                rule.id,
                rule.compute_method,
                # Figures formatted outside _(): Babel cannot extract a call
                # holding an f-string.
                f"{rule.percentage:g} %",
                rule.fixed_amount,
                rule.cap_per_deal,
                rule.cap_per_period,
                rule.with_context(lang=self.lang).name,
            )
        return facts

    def _employee_facts(self, employee):
        """(name, user id) of ``employee``, read once."""
        facts = self._employees.get(employee.id)
        if facts is None:
            facts = self._employees[employee.id] = (employee.name, employee.user_id.id)
        return facts

    def share_employees(self, facts):
        """Read the employees' {id: (name, user id)} from ``facts``, which
        the caller keeps up to date (and this completes)."""
        self._employees = facts

    def entry(self, entry):
        if entry.reversed_entry_id:
            return self._text(
                "reversal",
                reason=self._reason(entry.reversal_reason),
                original=self.entry(entry.reversed_entry_id),
            )
        if not entry.rule_id:
            return entry.note or ""
        return self.credit(
            # sudo: the rule that credited a line is part of its explanation,
            # even once it is unpublished or archived for its readers.
            entry.rule_id.sudo(),
            entry.employee_id,
            entry.currency_id,
            basis=entry.basis_amount,
            share=entry.share,
            amount=entry.amount,
            points=entry.points,
            deal_capped=entry.deal_capped,
            period_capped=entry.period_capped,
        )

    def line(self, line, lines):
        """``entry`` for a ledger line read as plain values (``LedgerLine``);
        ``lines`` ({id: LedgerLine}) holds the line it reverses."""
        if line.reversed_entry_id:
            return self._text(
                "reversal",
                reason=self._reason(line.reversal_reason),
                original=self.line(lines[line.reversed_entry_id], lines),
            )
        if not line.rule_id:
            return line.note or ""
        return self.credit_line(*line[1:4], *line[7:])

    def credit_line(self, *figures):
        """The sentence of a credit (not a reversal; it has a rule) read as
        plain values: its ``LedgerLine`` figures from ``employee_id`` on."""
        return filled_text(*self.credit_parts(*figures))

    def credit_parts(self, *figures):
        """``credit_line``'s sentence as (``%`` template, its figures), or
        (None, (sentence,)) (see ``_sentence_parts``): ``credit_columns``
        for one line."""
        templates, values = self.credit_columns(*([figure] for figure in figures))
        return templates[0], values[0]

    def credit_columns(self, *columns):
        """``credit_parts`` of many credits given by column, as (templates,
        figures) lists: ``columns`` are their ``LedgerLine`` figures from
        ``employee_id`` on (employees, companies, rules, then the figures
        ``_parts_by_column`` takes), a list each. Each figure laid out, each
        employee, rule and template looked up a column at a time (a million
        lines in a workbook), what ``_sentence_parts`` does a line at a
        time. Lines of several companies (currencies) go one at a time."""
        employee_ids, company_ids, rule_ids, *figures = columns
        if len(set(company_ids)) > 1:
            parts = list(map(self.credit_parts, *columns))
            return [part[0] for part in parts], [part[1] for part in parts]
        if not rule_ids:
            return [], []
        # sudo: as in entry(), the rule is part of the line's explanation.
        rule_model = self.env["crm.contribution.rule"].sudo()
        for rule_id in set(rule_ids) - self._rules.keys():
            self._rule_facts(rule_model.browse(rule_id))
        rules = list(map(self._rules.__getitem__, rule_ids))
        company_id = company_ids[0]
        currency = self._currencies.get(company_id)
        if currency is None:
            # sudo: the company's currency, as the related currency_id reads it.
            currency = self._currencies[company_id] = (
                self.env["res.company"].sudo().browse(company_id).currency_id
            )
        employees = self.env["hr.employee"]
        for employee_id in set(employee_ids) - self._employees.keys():
            self._employee_facts(employees.browse(employee_id))
        return self._parts_by_column(
            rules, currency, list(map(self._employees.__getitem__, employee_ids)), *figures
        )

    def _parts_by_column(
        self, rules, currency, facts, bases, shares, amounts, points, deal_capped, period_capped
    ):
        """The sentences of credits in ``currency`` by column, as (templates,
        figures) lists (see ``_sentence_parts``): ``rules`` their
        ``_RuleFacts``, ``facts`` their employees' (name, user id), then
        their figures. The one place a line's figures are laid out and its
        template chosen: one line (``_sentence_parts``) or a workbook's
        batch, each column in one pass."""
        count = len(rules)
        shares = [share or 0.0 for share in shares]
        amounts = [amount or 0.0 for amount in amounts]
        points = [point or 0.0 for point in points]
        # A fixed rule's sentence names its fixed amount, not the basis.
        memo = self._amounts.setdefault(currency._ids, {}).get
        basis_texts = [
            ""
            if rule.compute_method == "fixed"
            else (memo(basis) or self._amount(basis or 0.0, currency))
            for rule, basis in zip(rules, bases, strict=True)
        ]
        texts = list(
            zip(
                basis_texts,
                self._texts_of(shares, self._shares, self._share_text),
                self._amount_texts(amounts, currency),
                # No sentence names points it does not have.
                [
                    text if point else ""
                    for point, text in zip(
                        points, self._texts_of(points, self._points, self._points_text), strict=True
                    )
                ],
                list(map(itemgetter(0), facts)),
                strict=True,
            )
        )
        if self.to_employee:
            yours = [True] * count
        else:
            users = list(map(itemgetter(1), facts))
            yours = [bool(user_id and user_id == self._uid) for user_id in users]
        flags = list(
            zip(
                yours,
                map(bool, deal_capped),
                map(bool, period_capped),
                map(bool, points),
                map(bool, amounts),
                strict=True,
            )
        )
        keys = list(zip(map(attrgetter("id"), rules), repeat(currency._ids), flags))
        found = list(map(self._sentences.get, keys))
        if None in found:
            for index, template in enumerate(found):
                if template is None:
                    found[index] = self._template_of(
                        keys[index], rules[index], currency, flags[index], texts[index]
                    )
        if False in found:
            return self._parts_of(found, rules, currency, flags, texts)
        return (
            list(map(itemgetter(0), found)),
            list(map(call, map(itemgetter(1), found), texts)),
        )

    def _amount_texts(self, values, currency):
        """``_amount`` of each of ``values``, looked up in one pass."""
        memo = self._amounts.get(currency._ids)
        if memo is None:
            memo = self._amounts[currency._ids] = {}
        return self._texts_of(values, memo, lambda value: self._amount(value, currency))

    @staticmethod
    def _texts_of(values, memo, make):
        """The texts of ``values`` from ``memo``, looked up in one pass; those
        it lacks from ``make`` (which keeps them in ``memo``), one at a time."""
        texts = list(map(memo.get, values))
        if None in texts:
            for index, text in enumerate(texts):
                if text is None:
                    texts[index] = make(values[index])
        return texts

    def _parts_of(self, found, rules, currency, flags, texts):
        """``credit_columns``' parts, some of whose templates are False
        (no template fits: the sentence written whole)."""
        templates, figures = [], []
        for template, rule, line_flags, line_texts in zip(found, rules, flags, texts, strict=True):
            if template is False:
                templates.append(None)
                figures.append((self._compose(rule, currency, line_flags, line_texts),))
            else:
                templates.append(template[0])
                figures.append(template[1](line_texts))
        return templates, figures

    def credit(self, rule, employee, currency, **figures):
        return self._sentence(
            self._rule_facts(rule), self._employee_facts(employee), currency, **figures
        )

    def _amount(self, value, currency):
        """``value`` in ``currency`` as the sentences write it, laid out once
        per amount (fixed amounts, caps and revenues repeat). Zero is not
        kept: 0.0 and -0.0 are one key but not one text."""
        if not value:
            return self._money(value, currency)
        # By the record's ids: reading .id goes through the ORM's field.
        amounts = self._amounts.get(currency._ids)
        if amounts is None:
            amounts = self._amounts[currency._ids] = {}
        text = amounts.get(value)
        if text is None:
            if len(amounts) >= _MEMO_SIZE:
                amounts.clear()
            text = amounts[value] = self._money(value, currency)
        return text

    def _sentence(self, *facts, **figures):
        return filled_text(*self._sentence_parts(*facts, **figures))

    def _sentence_parts(
        self, rule, employee, currency, basis, share, amount, points, deal_capped, period_capped
    ):
        """The sentence as (its template, the figures that fill it with
        ``%``), or (None, (the sentence,)) where no template fits (see
        ``_template``): ``_parts_by_column`` for one line."""
        templates, figures = self._parts_by_column(
            [rule],
            currency,
            [employee],
            [basis],
            [share],
            [amount],
            [points],
            [deal_capped],
            [period_capped],
        )
        return templates[0], figures[0]

    def _share_text(self, share):
        """A share as the sentences write it (``67 %``), laid out once."""
        text = self._shares.get(share)
        if text is None:
            if len(self._shares) >= _MEMO_SIZE:
                self._shares.clear()
            text = self._shares[share] = f"{float(share) * 100:.0f} %"
        return text

    def _points_text(self, points):
        """Points as the sentences write them, laid out once."""
        text = self._points.get(points)
        if text is None:
            if len(self._points) >= _MEMO_SIZE:
                self._points.clear()
            text = self._points[points] = format_points(points)
        return text

    def _template_of(self, key, rule, currency, flags, texts):
        """The template of ``key`` (see ``_sentence_parts``), made and kept
        when not yet: checked on ``texts``, its first line's."""
        template = self._sentences.get(key)
        if template is None:
            if len(self._sentences) >= _MEMO_SIZE:
                self._sentences.clear()
            template = self._sentences[key] = self._template(rule, currency, flags, texts)
        return template

    def _template(self, rule, currency, flags, texts):
        """The sentence of ``rule`` with ``flags`` as a ``%`` template of
        the line's figures (basis, share, amount, points and the employee's
        name, as ``texts`` orders them) and the getter of those it holds,
        in its order: written once by ``_compose`` with marks where the
        figures go, for the many lines it fits. False when the template
        would not write what ``_compose`` writes (a name holding a mark)."""
        marked = self._compose(rule, currency, flags, _MARKS)
        parts = _MARK.split(marked)
        text = "".join(
            "%s" if index % 2 else part.replace("%", "%%") for index, part in enumerate(parts)
        )
        order = [_MARKS.index(mark) for mark in parts[1::2]]
        figures = _tuple_getter(order)
        template = (text, figures)
        if text % figures(texts) != self._compose(rule, currency, flags, texts):
            return False
        return template

    def _compose(self, rule, currency, flags, texts):
        """The sentence, from the line's figures already laid out: ``texts``
        is (basis, share, amount, points, employee's name); ``flags`` (the
        reader's own line, capped per deal, per month, with points, with an
        amount)."""
        basis_text, share_text, amount_text, points_text, name = texts
        yours, deal_capped, period_capped, points, amount = flags
        method = rule.compute_method
        if method == "percentage":
            base = self._text("percentage", rate=rule.rate, basis=basis_text)
        elif method == "tiered":
            base = self._text("tiered", basis=basis_text)
        else:
            base = self._text("fixed", amount=self._amount(rule.fixed_amount, currency))
        points_only = method == "fixed" and not rule.fixed_amount
        if points_only and points and not amount:
            if yours:
                return self._text("yours_points", points=points_text, rule=rule.name)
            return self._text("theirs_points", points=points_text, employee=name, rule=rule.name)
        if yours:
            sentence = self._text(
                "yours", base=base, share=share_text, amount=amount_text, rule=rule.name
            )
        else:
            sentence = self._text(
                "theirs",
                base=base,
                share=share_text,
                employee=name,
                amount=amount_text,
                rule=rule.name,
            )
        if deal_capped:
            sentence += self._text("deal_capped", cap=self._amount(rule.cap_per_deal, currency))
        if period_capped:
            sentence += self._text("period_capped", cap=self._amount(rule.cap_per_period, currency))
        if points:
            sentence += self._text("points", points=points_text)
        return sentence

    def reasons(self):
        """{reversal reason: its label in the reader's language}: the
        ledger's one list, REVERSAL_REASONS, as the field translates it."""
        field = self.env["crm.contribution"]._fields["reversal_reason"]
        return dict(field._description_selection(self.env))
