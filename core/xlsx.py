"""Workbooks for payroll, written row by row in constant memory.

Text is always written as text: a name or an explanation that starts with
``=``, ``+``, ``-`` or ``@`` is stored as an inline string, never run as a
formula by the spreadsheet that opens it (the writer has no way to write a
formula at all).

A small SpreadsheetML writer of its own, not a general library: payroll
workbooks are tens of thousands of plain cells (text, numbers, dates), and
writing their XML directly is about five times faster than a general
writer's per-cell calls. The rows are streamed into the zip as they come.
"""

import datetime
import math
import re
import zipfile
from decimal import Decimal
from xml.sax.saxutils import escape

_EPOCH = datetime.datetime(1899, 12, 30)
_MAX_TEXT = 32767  # Excel's limit for one cell
# Characters XML 1.0 cannot carry, and the literal "_xHHHH_" Excel would
# read as an escape: both are written as Excel's own "_xHHHH_" escapes.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_ROWS_PER_CHUNK = 500

# Cell styles (cellXfs indexes in styles.xml).
_HEADER, _DATE, _NUMBER = 1, 2, 3

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/styles.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
{sheets}</Types>"""
_SHEET_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{index}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
Target="xl/workbook.xml"/></Relationships>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets></workbook>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
{sheets}<Relationship Id="rIdStyles" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" \
Target="styles.xml"/></Relationships>"""
_SHEET_REL = (
    '<Relationship Id="rId{index}" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet{index}.xml"/>'
)
# Fonts: regular, bold. Fills: the two Excel requires, then the header's
# grey. Borders: none, thin. Number formats: 164 = date, 3 = "#,##0".
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>\
<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>\
<fills count="3"><fill><patternFill patternType="none"/></fill>\
<fill><patternFill patternType="gray125"/></fill>\
<fill><patternFill patternType="solid"><fgColor rgb="FFF2F2F2"/><bgColor indexed="64"/>\
</patternFill></fill></fills>\
<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>\
<border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right>\
<top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom>\
<diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" \
applyBorder="1"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
</cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
</styleSheet>"""
_SHEET_START = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
<sheetViews><sheetView workbookViewId="0"{selected}>\
<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>\
<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>\
<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>"""
_SHEET_END = "</sheetData></worksheet>"


def write_workbook(target, sheets):
    """Write ``sheets`` to ``target`` (a path or a binary stream).

    ``sheets`` is a list of ``(title, headers, rows)``; rows are sequences
    of str, int, float, Decimal, date, datetime, bool or None, and may be a
    generator. Numbers get the format ``#,##0``, dates ``yyyy-mm-dd``.
    """
    titles = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        for index, (title, headers, rows) in enumerate(sheets, start=1):
            titles.append(_sheet_title(title, titles))
            with book.open(f"xl/worksheets/sheet{index}.xml", "w") as part:
                _write_sheet(part, headers, rows, selected=index == 1)
        indexes = range(1, len(titles) + 1)
        book.writestr(
            "[Content_Types].xml",
            _CONTENT_TYPES.format(sheets="".join(_SHEET_TYPE.format(index=i) for i in indexes)),
        )
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr(
            "xl/workbook.xml",
            _WORKBOOK.format(
                sheets="".join(
                    f'<sheet name="{escape(title, {chr(34): "&quot;"})}" sheetId="{i}" '
                    f'r:id="rId{i}"/>'
                    for i, title in zip(indexes, titles, strict=True)
                )
            ),
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            _WORKBOOK_RELS.format(sheets="".join(_SHEET_REL.format(index=i) for i in indexes)),
        )
        book.writestr("xl/styles.xml", _STYLES)


def _sheet_title(title, taken):
    """Excel's rules: 31 characters, none of []:*?/\\, unique."""
    title = re.sub(r"[\[\]:*?/\\]", " ", str(title)).strip().strip("'")[:31] or "Sheet"
    base, number = title, 2
    while title.lower() in (t.lower() for t in taken):
        suffix = f" ({number})"
        title, number = base[: 31 - len(suffix)] + suffix, number + 1
    return title


def _column_letters(count):
    letters = []
    for index in range(count):
        name, number = "", index + 1
        while number:
            number, rest = divmod(number - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


def _write_sheet(part, headers, rows, selected):
    headers = [str(header) for header in headers]
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{max(10, min(40, len(header) * 2))}" customWidth="1"/>'
        for i, header in enumerate(headers, start=1)
    )
    part.write(
        _SHEET_START.format(selected=' tabSelected="1"' if selected else "", cols=cols).encode()
    )
    letters = _column_letters(len(headers))
    header_cells = "".join(
        _text_cell(f"{letter}1", header, _HEADER)
        for letter, header in zip(letters, headers, strict=True)
    )
    chunk = [f'<row r="1">{header_cells}</row>']
    for number, row in enumerate(rows, start=2):
        if len(row) > len(letters):
            letters = _column_letters(len(row))
        cells = []
        for letter, value in zip(letters, row, strict=False):
            if value is None or value is False or value == "":
                continue  # a blank cell is no cell
            cells.append(_cell(f"{letter}{number}", value))
        chunk.append(f'<row r="{number}">{"".join(cells)}</row>')
        if len(chunk) >= _ROWS_PER_CHUNK:
            part.write("".join(chunk).encode())
            chunk = []
    chunk.append(_SHEET_END)
    part.write("".join(chunk).encode())


def _cell(ref, value):
    kind = value.__class__
    if kind is str:
        return _text_cell(ref, value)
    if kind is bool:
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if kind in (int, float, Decimal) or isinstance(value, (int, float, Decimal)):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{ref}: {value!r} is not a number a spreadsheet can hold")
        return f'<c r="{ref}" s="{_NUMBER}"><v>{number!r}</v></c>'
    if isinstance(value, datetime.date):
        if not isinstance(value, datetime.datetime):
            value = datetime.datetime.combine(value, datetime.time())
        serial = (value.replace(tzinfo=None) - _EPOCH).total_seconds() / 86400
        return f'<c r="{ref}" s="{_DATE}"><v>{serial!r}</v></c>'
    return _text_cell(ref, str(value))


def _text_cell(ref, text, style=0):
    text = text[:_MAX_TEXT]
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub(lambda match: f"_x{ord(match.group()):04X}_", text)
    style = f' s="{style}"' if style else ""
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'
