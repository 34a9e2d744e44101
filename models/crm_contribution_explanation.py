"""The sentences that explain ledger lines, written when read, in the
reader's language, from the figures each line stores (by ``Explainer``,
in ``sentence_explainer``)."""

from collections import namedtuple

from odoo import api, fields, models
from odoo.tools import SQL

from .sentence_explainer import Explainer


class CrmContribution(models.Model):
    _inherit = "crm.contribution"

    # The entry stores figures; its sentence is written when read, in the
    # reader's language (see Explainer, in sentence_explainer).
    explanation = fields.Text(
        compute="_compute_explanation",
        search="_search_explanation",
        help="How the amount was computed, in one sentence: rule, basis, rate, share, "
        "cap → amount.",
    )

    @api.depends_context("lang", "uid", "everyone_sells_to_employee")
    @api.depends(
        "rule_id",
        "basis_amount",
        "rate",
        "share",
        "amount",
        "points",
        "deal_capped",
        "period_capped",
        "reversal_reason",
        "reversed_entry_id",
        "note",
        "employee_id",
    )
    def _compute_explanation(self):
        texts = Explainer(self.env)
        for entry in self:
            entry.explanation = texts.entry(entry)

    def _search_explanation(self, operator, value):
        # The sentence exists only when read: search what it is made of.
        if operator not in ("ilike", "not ilike", "=", "!="):
            return NotImplemented
        positive = operator in ("ilike", "=")
        fields_searched = ["note", "lead_name", "rule_id.name", "employee_id.name"]
        domain = ["|"] * (len(fields_searched) - 1) + [
            (fname, "ilike" if operator in ("ilike", "not ilike") else "=", value)
            for fname in fields_searched
        ]
        return domain if positive else ["!", *domain]

    def _explained_for_employees(self):
        """{entry id: sentence} in each entry's employee's language, as a
        third party reads it (the payroll workbook).

        The figures of all the lines in one query, then
        ``_employee_sentences`` (the employees read once, one explainer per
        language), where reading ``explanation`` line by line went through
        the ORM field by field."""
        self.check_access("read")
        lines = self._explanation_lines(self.ids)
        # The credits that reversals cancel, when not among these lines.
        while (
            missing := {line.reversed_entry_id for line in lines.values() if line.reversed_entry_id}
            - lines.keys()
        ):
            lines.update(self._explanation_lines(missing))
        sentences = self._employee_sentences()
        sentences.know({line.employee_id for line in lines.values()})
        return {entry_id: sentences(lines[entry_id], lines) for entry_id in self.ids}

    @api.model
    def _employee_sentences(self):
        """A callable ``(line, lines) -> sentence`` that writes a ledger line
        read as plain values (``LedgerLine``) in its employee's language, as a
        third party reads it; ``lines`` ({id: LedgerLine}) may hold the line it
        reverses, read when missing. Made once for a whole export: each
        employee and rule is read once, each language's explainer made once
        (see ``_EmployeeSentences``)."""
        return _EmployeeSentences(self)

    def _explanation_lines(self, ids):
        """{id: LedgerLine} of the ledger lines ``ids``, read as plain values."""
        self.flush_model(LINE_COLUMNS[1:])
        rows = self.env.execute_query(
            SQL(
                "SELECT %s FROM crm_contribution WHERE id = ANY(%s)",
                SQL(", ").join(SQL.identifier(column) for column in LINE_COLUMNS),
                list(ids),
            )
        )
        return {row[0]: LedgerLine(*row) for row in rows}

    @api.model
    def _explain_values(self, values):
        """The sentences of ledger values not written (what a signal could
        earn), as the entries would say them."""
        texts = Explainer(self.env)
        # sudo: the rules that matched are published; their figures are read
        # whoever asks (the engine read them already, as the system).
        rules = self.env["crm.contribution.rule"].sudo()
        return [
            texts.credit(
                rules.browse(vals["rule_id"]),
                self.env["hr.employee"].browse(vals["employee_id"]),
                self.env["res.company"].browse(vals["company_id"]).currency_id,
                basis=vals["basis_amount"],
                share=vals["share"],
                amount=vals["amount"],
                points=vals["points"],
                deal_capped=vals["deal_capped"],
                period_capped=vals["period_capped"],
            )
            for vals in values
        ]


class _EmployeeSentences:
    """``crm.contribution._employee_sentences``: each ledger line's sentence
    in its employee's language (their user's, else their work contact's,
    else the reader's), from one explainer per language; the employees'
    names, users and languages read once, when first met."""

    def __init__(self, entries):
        self.entries = entries
        self.fallback = entries.env.lang or "en_US"
        self.langs = {}
        self.facts = {}
        self.explainers = {}

    def __call__(self, line, lines):
        if line.reversed_entry_id:
            self._complete(line, lines)
        return self._explainer(line.employee_id).line(line, lines)

    def many(self, rows, lines, columns=None):
        """The sentences of ``rows``, ledger lines as plain tuples starting
        with the ``LINE_COLUMNS`` (a batch of the workbook's cursor; more
        values may follow; ``columns``: the same by column, if the caller
        has them), as (templates, figures): row i's sentence is
        ``templates[i] % figures[i]``, or ``figures[i][0]`` (``""`` for
        none) where the template is None. The credits of each language go
        to its explainer's ``credit_columns`` by column, without a call or
        a ``LedgerLine`` per row; the sentences are not made here (the
        workbook's writer makes each cell from them at once)."""
        if not rows:
            return [], []
        if columns is None:
            columns = list(zip(*rows, strict=False))
        employee_ids = columns[1]
        self.know(set(employee_ids))
        row_langs = list(map(self.langs.__getitem__, employee_ids))
        # A reversal, or a line without a rule: rare, one at a time.
        others = [
            index
            for index, (reversed_id, rule_id) in enumerate(zip(columns[4], columns[3], strict=True))
            if reversed_id or not rule_id
        ]
        credit_columns = (*columns[1:4], *columns[7:_LINE_WIDTH])
        langs = set(row_langs)
        if not others and len(langs) == 1:
            return self._explainer_of_lang(row_langs[0]).credit_columns(*credit_columns)
        templates, figures = [None] * len(rows), [None] * len(rows)
        skip = set(others)
        for lang in langs:
            indexes = [
                index
                for index, row_lang in enumerate(row_langs)
                if row_lang == lang and index not in skip
            ]
            if not indexes:
                continue
            some = self._explainer_of_lang(lang).credit_columns(
                *([column[index] for index in indexes] for column in credit_columns)
            )
            for index, template, values in zip(indexes, *some, strict=True):
                templates[index], figures[index] = template, values
        for index in others:
            line = LedgerLine._make(rows[index][:_LINE_WIDTH])
            templates[index], figures[index] = None, (self(line, lines) or "",)
        return templates, figures

    def _explainer(self, employee_id):
        """The explainer of ``employee_id``'s language."""
        lang = self.langs.get(employee_id)
        if lang is None:
            self.know((employee_id,))
            lang = self.langs[employee_id]
        return self._explainer_of_lang(lang)

    def _explainer_of_lang(self, lang):
        """The explainer of ``lang``."""
        explainer = self.explainers.get(lang)
        if explainer is None:
            explainer = self.explainers[lang] = Explainer(self.entries.with_context(lang=lang).env)
            explainer.share_employees(self.facts)
        return explainer

    def know(self, employee_ids):
        """Read the employees ``employee_ids`` not read yet, a few thousand
        a query (what a workbook keeps of fifty thousand, not their rows)."""
        missing = sorted(
            employee_id
            for employee_id in set(employee_ids)
            if employee_id and employee_id not in self.langs
        )
        Employee = self.entries.env["hr.employee"]
        for start in range(0, len(missing), _EMPLOYEES_A_QUERY):
            # Only what the sentences need, not every column of the
            # employees, users and partners through their records.
            employees = Employee.browse(missing[start : start + _EMPLOYEES_A_QUERY])
            for employee_id, (name, user_id, lang) in employees._everyone_sells_facts(
                self.fallback
            ).items():
                self.langs[employee_id] = lang
                # One dict, shared by every language's explainer.
                self.facts[employee_id] = (name, user_id or False)
        # An employee without a record (none here) writes in the fallback.
        for employee_id in missing:
            self.langs.setdefault(employee_id, self.fallback)

    def _complete(self, line, lines):
        """Add to ``lines`` the lines ``line`` reverses that it misses (a
        reversal of a credit outside the export), from the ledger."""
        reversed_id = line.reversed_entry_id
        while reversed_id:
            reversed_line = lines.get(reversed_id)
            if reversed_line is None:
                lines.update(self.entries._explanation_lines([reversed_id]))
                reversed_line = lines[reversed_id]
            reversed_id = reversed_line.reversed_entry_id


# A ledger line's figures as its sentence needs them, read as plain values
# (crm.contribution._explained_for_employees; the payroll workbook reads them
# in its entries' own query).
LINE_COLUMNS = (
    "id",
    "employee_id",
    "company_id",
    "rule_id",
    "reversed_entry_id",
    "reversal_reason",
    "note",
    "basis_amount",
    "share",
    "amount",
    "points",
    "deal_capped",
    "period_capped",
)
LedgerLine = namedtuple("LedgerLine", LINE_COLUMNS)
_LINE_WIDTH = len(LINE_COLUMNS)

# Employees whose sentence facts are read in one query.
_EMPLOYEES_A_QUERY = 5000
