"""Workbooks for payroll, written row by row in constant memory.

Text is always written as text: a name or an explanation that starts with
``=``, ``+``, ``-`` or ``@`` is stored as an inline string, never run as a
formula by the spreadsheet that opens it (the writer has no way to write a
formula at all).

A small SpreadsheetML writer of its own, not a general library: payroll
workbooks are tens of thousands of plain cells (text, numbers, dates), and
writing their XML directly is much faster than a general writer's
per-cell calls (bench/RESULTS.md's xlsx figures). The rows are serialized as they come into a
spooled temporary file (memory up to a few megabytes, disk beyond), because
the column widths, measured on the content, precede the rows in the file.

What payroll staff get without reformatting a cell: each column may carry a
format (``yen`` ``¥#,##0``, ``hours`` and ``decimal`` with two decimals,
``rate`` with three, ``number`` ``#,##0``, ``date``), an autofilter on the
header row, widths from the content, the first row frozen and repeated on
every printed page, landscape pages fit to one page wide, and document
properties (title, subject, company).
"""

import datetime
import math
import re
import shutil
import tempfile
import zipfile
from decimal import Decimal
from xml.sax.saxutils import escape

_EPOCH = datetime.datetime(1899, 12, 30)
_MAX_TEXT = 32767  # Excel's limit for one cell
# Characters XML 1.0 cannot carry, and the literal "_xHHHH_" Excel would
# read as an escape: both are written as Excel's own "_xHHHH_" escapes.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
# Pieces of XML (cells, row tags) joined and written to the body at a time.
_PIECES_PER_CHUNK = 8192
# Texts (and dates) whose XML a column keeps for the rows after.
_CACHED_TEXTS = 1024

# Cell styles (cellXfs indexes in styles.xml).
_HEADER, _DATE, _NUMBER, _YEN, _DECIMAL, _RATE = 1, 2, 3, 4, 5, 6
# Column formats callers name, and the style of a number in such a column.
FORMATS = {
    "text": _NUMBER,
    "number": _NUMBER,
    "yen": _YEN,
    "hours": _DECIMAL,
    "decimal": _DECIMAL,
    "rate": _RATE,
    "date": _NUMBER,
}
_MIN_WIDTH, _MAX_WIDTH = 8, 60
_SPOOL_BYTES = 8 * 1024 * 1024

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/styles.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
<Override PartName="/docProps/core.xml" \
ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>\
<Override PartName="/docProps/app.xml" \
ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>\
{sheets}</Types>"""
_SHEET_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{index}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
Target="xl/workbook.xml"/>\
<Relationship Id="rId2" \
Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" \
Target="docProps/core.xml"/>\
<Relationship Id="rId3" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" \
Target="docProps/app.xml"/></Relationships>"""
_CORE = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties \
xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" \
xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" \
xmlns:dcmitype="http://purl.org/dc/dcmitype/" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\
<dc:title>{title}</dc:title><dc:subject>{subject}</dc:subject>\
<dc:creator>{creator}</dc:creator><cp:keywords>{keywords}</cp:keywords>\
<dc:description>{description}</dc:description>\
<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created>\
<dcterms:modified xsi:type="dcterms:W3CDTF">{created}</dcterms:modified>\
</cp:coreProperties>"""
_APP = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">\
<Application>Microsoft Excel</Application><Company>{company}</Company></Properties>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets>{names}</workbook>"""
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
# grey. Borders: none, thin. Number formats: 164 = date, 3 = "#,##0",
# 165 = yen, 4 = "#,##0.00" (hours), 166 = three decimals (rates).
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>\
<numFmt numFmtId="165" formatCode="&#165;#,##0"/>\
<numFmt numFmtId="166" formatCode="#,##0.000"/></numFmts>\
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
<cellXfs count="7"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" \
applyBorder="1"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
</cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
</styleSheet>"""
_SHEET_START = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr><dimension ref="{dimension}"/>\
<sheetViews><sheetView workbookViewId="0"{selected}>\
<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>\
<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>\
<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>"""
# Landscape A4, one page wide and as many tall as needed.
_SHEET_END = (
    '</sheetData><autoFilter ref="{dimension}"/>'
    '<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
    '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
    "</worksheet>"
)


def write_workbook(target, sheets, properties=None):
    """Write ``sheets`` to ``target`` (a path or a binary stream).

    ``sheets`` is a list of ``(title, headers, rows)`` or ``(title, headers,
    rows, formats)``; rows are sequences of str, int, float, Decimal, date,
    datetime, bool or None, and may be a generator; ``formats`` names each
    column's format (see :data:`FORMATS`; ``None`` or a missing entry:
    ``#,##0`` for numbers). Dates are always ``yyyy-mm-dd``.
    ``properties`` may give the document's ``title``, ``subject``,
    ``creator``, ``company``, ``keywords`` and ``description``.
    """
    titles, names = [], []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        for index, (title, headers, rows, *formats) in enumerate(sheets, start=1):
            titles.append(_sheet_title(title, titles))
            with book.open(f"xl/worksheets/sheet{index}.xml", "w") as part:
                last_cell = _write_sheet(
                    part, headers, rows, formats[0] if formats else None, selected=index == 1
                )
            names.append(_defined_names(index - 1, titles[-1], last_cell))
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
                    f'<sheet name="{_attribute(title)}" sheetId="{i}" r:id="rId{i}"/>'
                    for i, title in zip(indexes, titles, strict=True)
                ),
                names=f"<definedNames>{''.join(names)}</definedNames>" if any(names) else "",
            ),
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            _WORKBOOK_RELS.format(sheets="".join(_SHEET_REL.format(index=i) for i in indexes)),
        )
        book.writestr("xl/styles.xml", _STYLES)
        properties = {key: escape(str(value or "")) for key, value in (properties or {}).items()}
        book.writestr(
            "docProps/core.xml",
            _CORE.format(
                title=properties.get("title", ""),
                subject=properties.get("subject", ""),
                creator=properties.get("creator", ""),
                keywords=properties.get("keywords", ""),
                description=properties.get("description", ""),
                created=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            ),
        )
        book.writestr("docProps/app.xml", _APP.format(company=properties.get("company", "")))


def _attribute(text):
    return escape(text, {chr(34): "&quot;"})


def _defined_names(sheet_index, title, last_cell):
    """The autofilter's range and the header row printed on every page."""
    if not last_cell:
        return ""
    quoted = "'" + title.replace("'", "''") + "'"
    column, row = re.match(r"([A-Z]+)(\d+)", last_cell).groups()
    return (
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{sheet_index}" hidden="1">'
        f"{escape(quoted)}!$A$1:${column}${row}</definedName>"
        f'<definedName name="_xlnm.Print_Titles" localSheetId="{sheet_index}">'
        f"{escape(quoted)}!$1:$1</definedName>"
    )


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


def _write_sheet(part, headers, rows, formats, selected):
    """Write one worksheet; return its last cell (``"P101"``), or None.

    ``rows`` is read one row at a time and no row is kept: each is turned
    into XML at once, a chunk of rows at a time into the spooled body.

    The loop is the workbook's time (a million rows of ten cells): each
    cell is one f-string of its column's opening (``<c r="B``), the row's
    number and its tail; the tails of repeated texts, numbers and dates are
    kept per column, and a column whose texts do not repeat (sentences)
    stops keeping them."""
    headers = [str(header) for header in headers]
    styles = [FORMATS[name or "number"] for name in (formats or ())]
    # Widest text (in half-width characters) and largest number per column.
    text_widths = [_text_width(header) + 2 for header in headers]  # + the filter button
    largest = [0.0] * len(headers)
    letters = _column_letters(len(headers))
    opens = [f'<c r="{letter}' for letter in letters]
    # Per column, the XML of its recent texts (names, rules and treatments
    # repeat from row to row) and numbers, and of the sheet's dates:
    # bounded, cleared when full; ``finds`` counts a column's texts found
    # since, ``keeps`` whether the column still keeps its texts.
    texts = [{} for _letter in letters]
    numbers = [{} for _letter in letters]
    finds = [0] * len(letters)
    keeps = [True] * len(letters)
    dates = {}
    number_styles = styles + [_NUMBER] * (len(letters) - len(styles))
    last_row = 1
    date, decimal = datetime.date, Decimal  # the loop's classes, as locals
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as body:
        header_cells = "".join(
            _text_cell(f"{letter}1", header, _HEADER)
            for letter, header in zip(letters, headers, strict=True)
        )
        chunk = [f'<row r="1">{header_cells}</row>']
        append = chunk.append
        number = 1
        for number, row in enumerate(rows, start=2):
            if len(row) > len(letters):
                letters = _column_letters(len(row))
                grow = len(letters) - len(text_widths)
                text_widths += [0] * grow
                largest += [0.0] * grow
                texts += [{} for _index in range(grow)]
                numbers += [{} for _index in range(grow)]
                finds += [0] * grow
                keeps += [True] * grow
                number_styles += [_NUMBER] * grow
                opens = [f'<c r="{letter}' for letter in letters]
            row_number = str(number)
            append(f'<row r="{row_number}">')
            for column, value in enumerate(row):
                kind = value.__class__
                if kind is str:
                    if not value:
                        continue  # a blank cell is no cell
                    kept = texts[column]
                    known = kept.get(value)
                    if known is None:
                        known = (_text_tail(value), _text_width(value))
                        if keeps[column]:
                            if len(kept) >= _CACHED_TEXTS:
                                # Fewer finds than texts kept: keeping the
                                # column's texts costs more than it saves.
                                keeps[column] = finds[column] >= _CACHED_TEXTS
                                finds[column] = 0
                                kept.clear()
                            if keeps[column]:
                                kept[value] = known
                    else:
                        finds[column] += 1
                    tail, width = known
                    append(f'{opens[column]}{row_number}"{tail}')
                    if width > text_widths[column]:
                        text_widths[column] = width
                    continue
                if kind is float or kind is int or kind is decimal:
                    kept = numbers[column]
                    tail = kept.get(value)
                    if tail is None:
                        tail = _number_tail(
                            f"{letters[column]}{row_number}", value, number_styles[column]
                        )
                        if len(kept) >= _CACHED_TEXTS:
                            kept.clear()
                        if value:  # 0.0 and -0.0 are one key, not one text
                            kept[value] = tail
                    append(f'{opens[column]}{row_number}"{tail}')
                    size = abs(value)
                    if size > largest[column]:
                        largest[column] = size
                    continue
                if kind is date:
                    tail = dates.get(value)
                    if tail is None:
                        if len(dates) >= _CACHED_TEXTS:
                            dates.clear()
                        tail = dates[value] = _date_tail(value)
                    append(f'{opens[column]}{row_number}"{tail}')
                    if text_widths[column] < 10:
                        text_widths[column] = 10
                    continue
                if value is None or value is False or value == "":
                    continue  # a blank cell is no cell
                ref = f"{letters[column]}{number}"
                if kind is not bool and isinstance(value, (int, float, Decimal)):
                    append(_number_cell(ref, value, number_styles[column]))
                    size = abs(value)
                    if size > largest[column]:
                        largest[column] = size
                    continue
                if isinstance(value, datetime.date) and text_widths[column] < 10:
                    text_widths[column] = 10
                append(_cell(ref, value))
            append("</row>")
            if len(chunk) >= _PIECES_PER_CHUNK:
                body.write("".join(chunk).encode())
                chunk.clear()
        last_row = number
        body.write("".join(chunk).encode())
        last_cell = f"{letters[-1]}{last_row}" if letters else None
        dimension = f"A1:{last_cell}" if last_cell else "A1"
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{width}" customWidth="1"/>'
            for i, width in enumerate(_widths(text_widths, largest, styles), start=1)
        )
        part.write(
            _SHEET_START.format(
                selected=' tabSelected="1"' if selected else "",
                cols=cols,
                dimension=dimension,
            ).encode()
        )
        body.seek(0)
        shutil.copyfileobj(body, part)
    end = _SHEET_END if last_cell else _SHEET_END.replace('<autoFilter ref="{dimension}"/>', "")
    part.write(end.format(dimension=dimension).encode())
    return last_cell


def _text_width(text):
    return len(text) if text.isascii() else 2 * len(text)


def _widths(text_widths, largest, styles):
    """Column widths in characters: the widest text, date or formatted number."""
    widths = []
    for column, (text, number) in enumerate(zip(text_widths, largest, strict=True)):
        style = styles[column] if column < len(styles) else _NUMBER
        digits = len(str(int(number)))
        number_width = digits + (digits - 1) // 3  # thousands separators
        if style == _YEN:
            number_width += 1
        elif style == _DECIMAL:
            number_width += 3
        elif style == _RATE:
            number_width += 4
        width = max(text, number_width + 2 if number else 0)
        widths.append(min(_MAX_WIDTH, max(_MIN_WIDTH, width + 1)))
    return widths


def _number_cell(ref, value, style):
    return f'<c r="{ref}"{_number_tail(ref, value, style)}'


def _number_tail(ref, value, style):
    """A number's cell after its reference (``ref`` names it in an error)."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{ref}: {value!r} is not a number a spreadsheet can hold")
    return f' s="{style}"><v>{number!r}</v></c>'


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
        return f'<c r="{ref}"{_date_tail(value)}'
    return _text_cell(ref, str(value))


def _date_tail(value):
    """A date's cell after its reference: its serial number, as a date."""
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime.combine(value, datetime.time())
    serial = (value.replace(tzinfo=None) - _EPOCH).total_seconds() / 86400
    return f' s="{_DATE}"><v>{serial!r}</v></c>'


def _text_cell(ref, text, style=0):
    return f'<c r="{ref}"{_text_tail(text, style)}'


def _text_tail(text, style=0):
    """A text's cell after its reference: always an inline string, never a
    formula, whatever it starts with."""
    if len(text) > _MAX_TEXT:
        text = text[:_MAX_TEXT]
    # Printable text (amounts hold no-break spaces) has none of the
    # expression's characters: tested quickly first.
    if (
        "_x" in text or not (text.isprintable() or text.replace("\xa0", " ").isprintable())
    ) and _ILLEGAL.search(text):
        text = _ILLEGAL.sub(lambda match: f"_x{ord(match.group()):04X}_", text)
    style = f' s="{style}"' if style else ""
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    # xml.sax.saxutils.escape's three replacements, without its layers.
    text = text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    return f'{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'
