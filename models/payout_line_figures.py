"""A payout line's figures as plain functions of a line: the settlement,
the overtime premium, the minimum-wage tables and the warnings. The line's
computed fields and the payout's batch pass (``fill_figures``, when Compute
inserts the lines and Confirm settles them in SQL) call the same functions,
so the two cannot differ.
"""

import calendar

from odoo import models
from odoo.tools import float_round

from ..core.wage import (
    deduction_limit,
    effective_hourly_wage,
    fixed_share,
    hourly_base,
    latest_revision_due,
    monthly_average_hours,
    overtime_premium,
    settle_with_limit,
)

# The money among the figures fill_figures writes: rounded to the currency.
MONEY_FIGURES = (
    "deducted_amount",
    "payable_amount",
    "carry_out_amount",
    "deductible_outstanding_amount",
    "overtime_premium_amount",
)

# Each warning is written in Japanese and English, whatever the reader's
# language: payroll files travel between people.
WARNINGS = {
    "guaranteed_pay": (
        "固定給が総支給額の60%%未満です。賃金規程に保障給(労基法27条)の定めが必要です。",
        "Fixed pay is under 60 %% of total pay: the wage rules need a guaranteed "
        "hourly pay (LSA art. 27).",
    ),
    "minimum_wage": (
        "時間あたり賃金が%(prefecture)sの最低賃金(%(minimum)s円)を下回っています。",
        "Pay per hour is below the minimum wage of %(prefecture)s (¥%(minimum)s).",
    ),
    "minimum_wage_stale": (
        "最低賃金表に%(prefecture)sの%(year)s年10月以降の改定がありません。"
        "最低賃金表を更新してください(設定 > 最低賃金)。",
        "The minimum wage table has no revision of %(prefecture)s from October "
        "%(year)s: update it (Configuration > Minimum Wages).",
    ),
    "formula_award": (
        "計算式で決まる報酬が「恩恵的表彰」に分類されています。実態は賃金(労基法11条)の可能性があります。",
        "A formula-based credit is classified as an award: in substance it is "
        "likely wages (LSA art. 11).",
    ),
    "payday": (
        "支払日が会社の所定支払日(毎月%(day)s日)ではありません(労基法24条)。",
        "The payment date is not the company's payday (day %(day)s; LSA art. 24).",
    ),
    "outstanding": (
        "支払済み報酬の取消・減額%(amount)s円が未精算です。労使協定(24協定)がないため控除していません。人事で精算してください。",
        "¥%(amount)s of paid credit was reversed or reduced and is outstanding: without a "
        "wage-deduction agreement it is not deducted. HR settles it.",
    ),
    "deduction_limit": (
        "手取り額が未入力のため控除していません(%(amount)s円は未精算として繰り越します)。控除上限(手取りの1/4、手取り44万円超は手取り−33万円)の計算に手取り額を入力してください(民事執行法152条・民法510条)。",
        "The net wage is missing: nothing is deducted (¥%(amount)s is carried "
        "forward as outstanding). Enter the net wage: the limit is ¼ of net pay; "
        "above ¥440,000 net, net − ¥330,000.",
    ),
    "no_hours": (
        "労働時間が未入力のため、歩合給の割増賃金を計算できません。",
        "Hours worked are missing: the overtime premium on the incentive cannot be computed.",
    ),
}


def bilingual(code, **values):
    """The warning in Japanese, then English. A prefecture (a res.country.state
    record) is named in each half's language."""
    japanese, english = WARNINGS[code]

    def in_lang(lang):
        return {
            key: value._everyone_sells_name(lang) if isinstance(value, models.BaseModel) else value
            for key, value in values.items()
        }

    return f"{japanese % in_lang('ja_JP')} / {english % in_lang('en_US')}"


# A line's stored figures, from its other figures: ``line`` is a payout line,
# or a mapping of the same names to plain values (ids as records) when the
# payout computes all its lines in one pass (see fill_figures). One
# function each for both, so the two never differ.


def settlement_figures(line):
    """The settlement: what is deducted, payable and still owed."""
    deductible = (
        line["deductible_clawback_amount"] + line["carry_in_amount"]
        if line["deduction_allowed"]
        else 0.0
    )
    limit = deduction_limit(line["net_wage_amount"], line["incentive_amount"])
    payable, deducted, outstanding, deductible_left = settle_with_limit(
        line["incentive_amount"],
        line["clawback_amount"] + line["carry_in_amount"],
        deductible,
        limit,
    )
    return {
        "deducted_amount": float(deducted),
        "payable_amount": float(payable) + max(line["award_amount"], 0.0),
        "carry_out_amount": float(outstanding),
        "deductible_outstanding_amount": float(deductible_left),
    }


def premium_figures(line, rates):
    """The hourly base and the overtime premium owed on the incentive."""
    # Art. 41: no overtime or holiday premium for a manager or supervisor;
    # late night still owes its premium.
    exempt = line["overtime_exempt"]
    return {
        "hourly_base": float(hourly_base(line["incentive_amount"], line["worked_hours"])),
        "overtime_premium_amount": float(
            overtime_premium(
                line["incentive_amount"],
                line["worked_hours"],
                0 if exempt else line["overtime_hours"],
                0 if exempt else line["holiday_hours"],
                line["late_night_hours"],
                rates,
            )
        ),
    }


class WageTables:
    """The minimum-wage table's answers, asked once per prefecture and
    period however many lines ask; likewise each warning's text and the
    company's payday and prefecture, which lines share."""

    def __init__(self, env):
        self.minimum_wages = env["crm.contribution.minimum.wage"]
        self.stale = {}
        self.minimum = {}
        self.texts = {}
        self.companies = {}

    def text(self, code, **values):
        """bilingual(code, **values), written once per distinct values."""
        key = (code, *sorted(values.items()))
        if key not in self.texts:
            self.texts[key] = bilingual(code, **values)
        return self.texts[key]

    def company_facts(self, company):
        """(prefecture, payday) of ``company``."""
        if company.id not in self.companies:
            self.companies[company.id] = (company.state_id, company.everyone_sells_payment_day)
        return self.companies[company.id]

    def is_stale(self, state, day):
        key = (state.id, day)
        if key not in self.stale:
            self.stale[key] = self.minimum_wages._is_stale(state, day)
        return self.stale[key]

    def minimum_for(self, state, date_to, date_from):
        key = (state.id, date_to, date_from)
        if key not in self.minimum:
            self.minimum[key] = self.minimum_wages._minimum_for(state, date_to, date_from)
        return self.minimum[key]


def warning_text(line, tables):
    """The line's warnings, one a line, or False. ``tables``: WageTables."""
    company_state, payday = tables.company_facts(line["company_id"])
    incentive = line["incentive_amount"]
    warnings = []
    if incentive > 0 and not line["worked_hours"]:
        warnings.append(tables.text("no_hours"))
    if (line["results_only"] and incentive > 0) or (
        line["fixed_wage_amount"] and fixed_share(line["fixed_wage_amount"], incentive) < 0.6
    ):
        warnings.append(tables.text("guaranteed_pay"))
    workplace = line["workplace_state_id"] or company_state
    date_to = line["date_to"]
    if workplace and date_to and tables.is_stale(workplace, date_to):
        warnings.append(
            tables.text(
                "minimum_wage_stale",
                prefecture=workplace,
                year=latest_revision_due(date_to).year,
            )
        )
    # Paid by results only: no fixed wage, the whole check is the
    # incentive per hour worked (最低賃金法施行規則2条1項).
    fixed = 0.0 if line["results_only"] else line["fixed_wage_amount"]
    if (fixed and line["scheduled_hours"]) or (line["results_only"] and line["worked_hours"]):
        minimum = tables.minimum_for(workplace, date_to, line["date_from"])
        hourly = effective_hourly_wage(
            fixed, line["scheduled_hours"], incentive, line["worked_hours"]
        )
        if minimum and hourly < minimum.hourly_amount:
            warnings.append(
                tables.text(
                    "minimum_wage",
                    prefecture=minimum.state_id,
                    minimum=f"{minimum.hourly_amount:,.0f}",
                )
            )
    if line["formula_award"]:
        warnings.append(tables.text("formula_award"))
    payment_date = line["payment_date"]
    if payment_date and payment_date.day != min(
        payday, calendar.monthrange(payment_date.year, payment_date.month)[1]
    ):
        warnings.append(tables.text("payday", day=payday))
    # What no agreement in force lets a later payout deduct is HR's.
    for_hr = line["carry_out_amount"] - (
        line["deductible_outstanding_amount"] if line["deduction_allowed"] else 0.0
    )
    if for_hr > 0:
        warnings.append(tables.text("outstanding", amount=f"{for_hr:,.0f}"))
    # Under an agreement, without the net wage nothing was deducted:
    # what could have been is carried forward, and payroll is told.
    if (
        line["deduction_allowed"]
        and line["deductible_outstanding_amount"] > 0
        and incentive > 0
        and not line["net_wage_amount"]
    ):
        warnings.append(
            tables.text("deduction_limit", amount=f"{line['deductible_outstanding_amount']:,.0f}")
        )
    return "\n".join(warnings) or False


def fill_figures(env, payout, rows, defaults=False):
    """Fill each row (a line of ``payout`` as plain values, its prefecture an
    id) with its stored figures (the line's BATCH_FIELDS), with ``defaults``
    also the scheduled hours of a new line from its ``calendar_id`` (payroll
    may correct them afterwards). The functions of the fields' computes: a
    payout of fifty thousand lines is not fifty thousand records walked
    field by field."""
    # Every line of the payout shares these.
    shared = {
        "company_id": payout.company_id,
        "date_from": payout.date_from,
        "date_to": payout.date_to,
        "payment_date": payout.payment_date,
    }
    rates = env["crm.contribution.premium.rate"]._rates_for(payout.company_id, payout.date_to)
    tables = WageTables(env)
    # The currency's own rounding (res.currency.round), read once.
    rounding = payout.currency_id.rounding
    states = env["res.country.state"]
    # sudo: only the working calendars' hours are read (see _compute_scheduled_hours).
    employees = env["hr.employee"].sudo()
    calendars = env["resource.calendar"].sudo()
    scheduled = {}
    for row in rows:
        values = {**row, **shared}
        values["workplace_state_id"] = states.browse(row["workplace_state_id"])
        if defaults:
            calendar_id = row["calendar_id"]
            if calendar_id not in scheduled:
                scheduled[calendar_id] = float(
                    monthly_average_hours(
                        employees._everyone_sells_yearly_hours(
                            calendars.browse(calendar_id), payout.date_to.year
                        )
                    )
                )
            values["scheduled_hours"] = scheduled[calendar_id]
        values.update(settlement_figures(values))
        values.update(premium_figures(values, rates))
        row["warning"] = warning_text(values, tables) or None
        for fname in MONEY_FIGURES:
            row[fname] = float_round(values[fname], precision_rounding=rounding)
        row["hourly_base"] = float_round(values["hourly_base"], precision_digits=3)
        row["scheduled_hours"] = values["scheduled_hours"]
