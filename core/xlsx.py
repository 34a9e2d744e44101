"""Workbooks for payroll, written row by row in constant memory.

Text is always written as text: a name or an explanation that starts with
``=``, ``+``, ``-`` or ``@`` is stored as a string, never run as a formula
by the spreadsheet that opens it.
"""

import datetime
from decimal import Decimal

import xlsxwriter


def write_workbook(target, sheets):
    """Write ``sheets`` to ``target`` (a path or a binary stream).

    ``sheets`` is a list of ``(title, headers, rows)``; rows are sequences
    of str, int, float, Decimal, date or None, and may be a generator.
    """
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "in_memory": False,
        },
    )
    bold = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    money_format = workbook.add_format({"num_format": "#,##0"})
    for title, headers, rows in sheets:
        sheet = workbook.add_worksheet(title[:31])
        for column, header in enumerate(headers):
            sheet.write_string(0, column, str(header), bold)
            sheet.set_column(column, column, max(10, min(40, len(str(header)) * 2)))
        for row_index, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                _write_cell(sheet, row_index, column, value, date_format, money_format)
        sheet.freeze_panes(1, 0)
    workbook.close()


def _write_cell(sheet, row, column, value, date_format, money_format):
    if value is None or value is False:
        sheet.write_blank(row, column, None)
    elif isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    elif isinstance(value, (int, float, Decimal)):
        sheet.write_number(row, column, float(value), money_format)
    elif isinstance(value, (datetime.date, datetime.datetime)):
        sheet.write_datetime(
            row, column, datetime.datetime.combine(value, datetime.time()), date_format
        )
    else:
        sheet.write_string(row, column, str(value))
