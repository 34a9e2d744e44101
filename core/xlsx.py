"""Workbooks for payroll, written row by row in constant memory.

Text is always written as text: a name or an explanation that starts with
``=``, ``+``, ``-`` or ``@`` is stored as an inline string, never run as a
formula by the spreadsheet that opens it (the writer has no way to write a
formula at all).

A small SpreadsheetML writer of its own, not a general library: payroll
workbooks are tens of thousands of plain cells (text, numbers, dates), and
writing their XML directly is much faster than a general writer's
per-cell calls (bench/RESULTS.md's xlsx figures). The rows are serialized
a batch at a time, column by column, as they come, and deflated by a thread
into a spooled temporary file (memory up to a megabyte, disk beyond): the
column widths, measured on the content, precede the rows in the file, so a
sheet's start is deflated last and put before them.

What payroll staff get without reformatting a cell: each column may carry a
format (``yen`` ``¥#,##0``, ``hours`` and ``decimal`` with two decimals,
``rate`` with three, ``number`` ``#,##0``, ``date``), an autofilter on the
header row, widths from the content, the first row frozen and repeated on
every printed page, landscape pages fit to one page wide, and document
properties (title, subject, company).
"""

import contextlib
import datetime
import gc
import math
import queue
import re
import shutil
import tempfile
import threading
import time
import zipfile
import zlib
from decimal import Decimal
from itertools import chain, islice, repeat
from operator import ne
from xml.sax.saxutils import escape

_EPOCH = datetime.datetime(1899, 12, 30)
_MAX_TEXT = 32767  # Excel's limit for one cell
# Characters XML 1.0 cannot carry, and the literal "_xHHHH_" Excel would
# read as an escape: both are written as Excel's own "_xHHHH_" escapes.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
# A ``%`` format's conversions (``%%`` included, to be told apart).
_CONVERSION = re.compile(r"%(.)", re.DOTALL)
# The characters alone, found faster in a long text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Rows taken from the caller at a time and written column by column: the
# most rows a sheet holds at once, however long it is.
_BATCH_ROWS = 1024
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
_SPOOL_BYTES = 1024 * 1024
# Deflate's fastest level: a payroll workbook is mostly repeated XML.
_LEVEL = 1
# Bytes of a sheet handed to its deflating thread at a time.
_DEFLATE_CHUNK = 1024 * 1024

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
_SHARED_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
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
_SHARED_REL = (
    '<Relationship Id="rIdSharedStrings" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/>'
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
    datetime, bool or None, and may be a generator, or ``Columns`` (the
    same values by column, a batch at a time); ``formats`` names each
    column's format (see :data:`FORMATS`; ``None`` or a missing entry:
    ``#,##0`` for numbers). Dates are always ``yyyy-mm-dd``.
    ``properties`` may give the document's ``title``, ``subject``,
    ``creator``, ``company``, ``keywords`` and ``description``.
    """
    titles, names = [], []
    shared = _SharedStrings()
    with (
        _cyclic_collection_paused(),
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=_LEVEL) as book,
    ):
        for index, (title, headers, rows, *formats) in enumerate(sheets, start=1):
            titles.append(_sheet_title(title, titles))
            with _Deflater() as body:
                start, last_cell = _write_sheet(
                    body,
                    headers,
                    rows,
                    formats[0] if formats else None,
                    selected=index == 1,
                    shared=shared,
                )
                body.finish()
                _add_deflated(book, f"xl/worksheets/sheet{index}.xml", start, body)
            names.append(_defined_names(index - 1, titles[-1], last_cell))
        indexes = range(1, len(titles) + 1)
        if shared.indexes:
            book.writestr("xl/sharedStrings.xml", shared.xml())
        book.writestr(
            "[Content_Types].xml",
            _CONTENT_TYPES.format(
                sheets="".join(_SHEET_TYPE.format(index=i) for i in indexes)
                + (_SHARED_TYPE if shared.indexes else "")
            ),
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
            _WORKBOOK_RELS.format(
                sheets="".join(_SHEET_REL.format(index=i) for i in indexes)
                + (_SHARED_REL if shared.indexes else "")
            ),
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


@contextlib.contextmanager
def _cyclic_collection_paused():
    """Python's cyclic garbage collector paused while a workbook is written:
    a million rows are millions of tuples and lists (the rows read, their
    columns, each row's pieces), none of them in a reference cycle, freed
    as soon as their batch is written; the collector, run after every few
    hundred of them, would scan them for nothing (a twentieth of a
    million-row workbook's time). Restored as it was found, error or not."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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


def _write_sheet(body, headers, rows, formats, selected, shared=None):
    """Add one worksheet's rows and end to ``body``; return its start
    (which holds the column widths, measured on the rows) and its last cell
    (``"P101"``, or None).

    ``rows`` is read a batch of ``_BATCH_ROWS`` at a time and no batch is
    kept: each is turned into XML column by column (a column's cells share
    a type, so each column's values go through one loop: its cache of
    repeated texts, numbers and dates, or one escape of all its new texts
    at once), then the columns' cells are laid out row by row in C, into
    a thread that deflates them (``_Deflater``).

    The batch is the workbook's time (a million rows of ten cells): per
    cell, a lookup and one f-string; per text never seen, its share of
    one ``str.replace`` over the batch."""
    headers = [str(header) for header in headers]
    styles = [FORMATS[name or "number"] for name in (formats or ())]
    letters = _column_letters(len(headers))
    columns = [
        _Column(letter, styles[index] if index < len(styles) else _NUMBER, shared)
        for index, letter in enumerate(letters)
    ]
    for column, header in zip(columns, headers, strict=True):
        column.text_width = _text_width(header) + 2  # + the filter button
    number = 1
    header_cells = "".join(
        _text_cell(f"{letter}1", header, _HEADER)
        for letter, header in zip(letters, headers, strict=True)
    )
    body.add(f'<row r="1">{header_cells}</row>'.encode())
    for count, batch in _column_batches(rows):
        width = len(batch)
        if width > len(columns):
            letters = _column_letters(width)
            columns += [_Column(letter, _NUMBER, shared) for letter in letters[len(columns) :]]
        numbers = list(map(str, range(number + 1, number + 1 + count)))
        number += count
        # Each row laid out by one join of its pieces: its start, then
        # each column's (see _Column.cells), then its end. A cell names its
        # column only after a blank of the batch in the column before (see
        # _Column.cells); a row's first cell is in its first column.
        pieces = [[f'<row r="{row}">' for row in numbers]]
        refs = False
        for column, values in zip(columns, batch, strict=False):
            pieces += column.cells(values, numbers, refs)
            refs = column.gaps
        del batch
        pieces.append(repeat("</row>"))
        body.add("".join(chain.from_iterable(zip(*pieces, strict=False))).encode())
    last_row = number
    last_cell = f"{letters[-1]}{last_row}" if letters else None
    dimension = f"A1:{last_cell}" if last_cell else "A1"
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{width}" customWidth="1"/>'
        for i, width in enumerate(
            _widths(
                [column.text_width for column in columns],
                [column.largest for column in columns],
                styles,
            ),
            start=1,
        )
    )
    start = _SHEET_START.format(
        selected=' tabSelected="1"' if selected else "",
        cols=cols,
        dimension=dimension,
    ).encode()
    end = _SHEET_END if last_cell else _SHEET_END.replace('<autoFilter ref="{dimension}"/>', "")
    body.add(end.format(dimension=dimension).encode())
    return start, last_cell


class _Deflater:
    """A worksheet's rows and end, deflated by a thread as they are written
    (zlib works without holding the interpreter) into a spooled file: the
    sheet's start, which holds the column widths measured on the rows, is
    deflated last and put before them by ``_add_deflated``. At most a
    megabyte waits; the thread's error is raised to the writer."""

    def __init__(self):
        self.size = 0
        self.crc = 0
        # Closed by __exit__: the file outlives the thread, read by _add_deflated.
        self.file = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115
        self._compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
        self._chunks = queue.Queue(maxsize=1)
        self._pending = []
        self._pending_size = 0
        self._error = None
        self._thread = threading.Thread(target=self._deflate, name="xlsx_deflate", daemon=True)
        self._thread.start()

    def _deflate(self):
        try:
            while (chunk := self._chunks.get()) is not None:
                self.crc = zlib.crc32(chunk, self.crc)
                self.size += len(chunk)
                self.file.write(self._compressor.compress(chunk))
            self.file.write(self._compressor.flush())
        except Exception as error:  # raised again by the writer
            self._error = error
            while self._chunks.get() is not None:
                pass  # the writer stops at its next write

    def add(self, data):
        if self._error:
            raise self._error
        # Handed over a megabyte at a time: the thread deflates each without
        # the interpreter, then waits for it once.
        self._pending.append(data)
        self._pending_size += len(data)
        if self._pending_size >= _DEFLATE_CHUNK:
            self._hand_over()

    def _hand_over(self):
        if self._pending:
            self._chunks.put(b"".join(self._pending))
            self._pending.clear()
            self._pending_size = 0

    def finish(self):
        """Wait until all that was written is deflated."""
        if self._thread.is_alive():
            self._hand_over()
        self._stop()
        if self._error:
            raise self._error

    def _stop(self):
        if self._thread.is_alive():
            self._chunks.put(None)
            self._thread.join()

    def __enter__(self):
        return self

    def __exit__(self, *_error):
        self._stop()
        self.file.close()


def _add_deflated(book, name, start, body):
    """Add the member ``name`` to the zip file ``book``: ``start`` deflated
    here, then ``body``'s deflated rest. Two deflate streams make one when
    the first ends with a sync flush (whole bytes, no final block), and the
    member's CRC is the two parts' combined."""
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    head = compressor.compress(start) + compressor.flush(zlib.Z_SYNC_FLUSH)
    info = zipfile.ZipInfo(name, date_time=time.localtime(time.time())[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16  # as ZipFile.writestr
    info.file_size = len(start) + body.size
    info.compress_size = len(head) + body.file.tell()
    info.CRC = crc32_combine(zlib.crc32(start), body.crc, body.size)
    # As ZipFile.write does for a member it writes whole: its header, its
    # data, and the central directory's new start.
    info.header_offset = book.fp.tell()
    book.fp.write(info.FileHeader())
    book.fp.write(head)
    body.file.seek(0)
    shutil.copyfileobj(body.file, book.fp)
    book.filelist.append(info)
    book.NameToInfo[info.filename] = info
    book.start_dir = book.fp.tell()


def _gf2_times(matrix, vector):
    total = 0
    for row in matrix:
        if not vector:
            break
        if vector & 1:
            total ^= row
        vector >>= 1
    return total


def _gf2_square(matrix):
    return [_gf2_times(matrix, row) for row in matrix]


def crc32_combine(crc1, crc2, length2):
    """The CRC-32 of two pieces from each one's and the second's length
    (zlib's ``crc32_combine``, which Python's zlib does not offer)."""
    if length2 <= 0:
        return crc1
    # The operator that appends one zero bit to a CRC, squared three times:
    # one zero byte. Then crc1 gets length2 zero bytes, a power of two of
    # them for each bit of length2, the operator squared from bit to bit.
    operator = [0xEDB88320] + [1 << bit for bit in range(31)]
    for _times in range(3):
        operator = _gf2_square(operator)
    while length2:
        if length2 & 1:
            crc1 = _gf2_times(operator, crc1)
        length2 >>= 1
        if length2:
            operator = _gf2_square(operator)
    return crc1 ^ crc2


class Columns:
    """A sheet's rows given by column, a batch at a time: ``batches``
    yields, for each batch of rows, one sequence of values per column, all
    of one length. For a caller that holds its values by column (a
    cursor's batch, split into columns in C), which the writer would
    otherwise regroup from rows only to split them again."""

    __slots__ = ("batches",)

    def __init__(self, batches):
        self.batches = batches


class _SharedStrings:
    """The workbook's shared strings: the texts columns keep (names, rules,
    types, treatments, which repeat down a sheet), each written once, in
    ``xl/sharedStrings.xml``, and each of its cells a short reference.
    Texts past ``_SHARED_TEXT_LENGTH`` characters, or once the table holds
    ``_SHARED_TEXTS``, are written inline: the table's memory is bounded."""

    __slots__ = ("indexes",)

    def __init__(self):
        self.indexes = {}

    def index(self, text):
        """``text``'s index in the table, added if new; None: inline."""
        index = self.indexes.get(text)
        if index is None:
            if len(text) > _SHARED_TEXT_LENGTH or len(self.indexes) >= _SHARED_TEXTS:
                return None
            index = self.indexes[text] = len(self.indexes)
        return index

    def xml(self):
        """The table's part, its texts in index order (a dict keeps them).
        Only ``uniqueCount``: ``count`` (optional) would be the references,
        which no cell counts."""
        items = "".join(f"<si>{_text_element(text)}</si>" for text in self.indexes)
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'uniqueCount="{len(self.indexes)}">{items}</sst>'
        )


class Filled:
    """A column's texts for one batch of ``Columns``, given as ``%``
    templates and the texts that fill them: row i's text is
    ``templates[i] % figures[i]``, or ``figures[i][0]`` alone where the
    template is None. Written without making the texts: each template and
    each figure is checked and escaped once, and each cell is made by one
    ``%`` (a million sentences from a few hundred templates)."""

    __slots__ = ("figures", "templates")

    def __init__(self, templates, figures):
        self.templates = templates
        self.figures = figures

    def __len__(self):
        return len(self.templates)

    def texts(self):
        """The texts themselves."""
        return list(map(filled_text, self.templates, self.figures))


def filled_text(template, figures):
    """The text of one ``Filled`` row: its template filled with its figures,
    or its one figure where it has no template."""
    return figures[0] if template is None else template % figures


class _NotPlain(Exception):
    """A template or figure a cell cannot take as it is (see ``_Column._fill``)."""


class _Refused:
    """What a ``Filled`` column keeps for a template or figure that needs
    more than escaping: any cell made with it raises ``_NotPlain``, and the
    batch is written from its texts."""

    __slots__ = ()

    def __str__(self):
        raise _NotPlain

    def __mod__(self, _values):
        raise _NotPlain


_REFUSED = _Refused()
# The shared strings' bounds: texts longer than this are written inline
# (they seldom repeat), as all texts are once the table holds this many.
_SHARED_TEXT_LENGTH = 100
_SHARED_TEXTS = 65_536
# A figure longer than this is written from its text (a cell holds at most
# _MAX_TEXT characters: a template of a few figures stays within it).
_MAX_FIGURE = 1000
_MAX_FIGURES = 8


def _column_batches(rows):
    """(row count, columns) of each batch of ``rows``: taken
    ``_BATCH_ROWS`` rows at a time (short rows filled with blanks), or as
    ``Columns`` gives them."""
    if isinstance(rows, Columns):
        for batch in rows.batches:
            batch = list(batch)
            count = len(batch[0]) if batch else 0
            if any(len(column) != count for column in batch):
                raise ValueError("The columns of a batch are not of one length.")
            if count:
                yield count, batch
        return
    rows = iter(rows)
    while batch := list(islice(rows, _BATCH_ROWS)):
        count = len(batch)
        width = max(map(len, batch))
        if width != min(map(len, batch)):
            batch = [(*row, *(None,) * (width - len(row))) for row in batch]
        columns = list(zip(*batch, strict=True))
        del batch  # the rows themselves: only their values are kept
        yield count, columns


class _Tails(dict):
    """A column's cache of the cell tails of its repeated values (names,
    rules, amounts, dates): a hit is a lookup in C, a miss writes the tail
    (``make``) and keeps it, up to ``_CACHED_TEXTS`` values (then forgets
    them all: constant memory)."""

    __slots__ = ("make", "misses")

    def __init__(self, make):
        super().__init__()
        self.make = make
        self.misses = 0

    def __missing__(self, value):
        self.misses += 1
        tail = self.make(value)
        if len(self) >= _CACHED_TEXTS:
            self.clear()
        self[value] = tail
        return tail


class _Column:
    """One column of a sheet being written: its letter, its number style,
    what its content measures (widest text, largest number) and its caches."""

    __slots__ = (
        "bare",
        "dates",
        "figures",
        "fills",
        "gaps",
        "keeps",
        "largest",
        "letter",
        "numbers",
        "opening",
        "shared",
        "slots",
        "style",
        "text_width",
        "texts",
    )

    def __init__(self, letter, style, shared=None):
        self.letter = letter
        # The workbook's shared strings, which the texts this column keeps
        # (they repeat) are written to, when it has them.
        self.shared = shared
        self.opening = f'<c r="{letter}'
        self.style = style
        self.text_width = 0
        self.largest = 0.0
        self.texts = _Tails(self._new_text)
        self.numbers = _Tails(self._new_number)
        self.dates = _Tails(_date_tail)
        # A Filled column's cells by template, how many figures each takes,
        # and its figures escaped.
        self.fills = _Tails(self._fill)
        self.slots = _Tails(_slots)
        self.figures = _Tails(_figure)
        # Whether the column keeps its texts: not once they stop repeating
        # (sentences, deals), where keeping costs more than it saves.
        self.keeps = True
        # The same cells whole, without a reference (see cells), by cache.
        self.bare = {
            id(cache): _Tails(lambda value, cache=cache: _bare(cache[value]))
            for cache in (self.texts, self.numbers, self.dates, self.fills)
        }
        # Whether the column's last batch had a blank (see cells).
        self.gaps = False

    def _new_text(self, text):
        """The tail of a text the column keeps: a shared string when the
        workbook takes it, else an inline one."""
        index = self.shared.index(text) if text and self.shared is not None else None
        if index is None:
            return self._plain_text(text)
        self._measure((text,))
        return f'" t="s"><v>{index}</v></c>'

    def _plain_text(self, text):
        """The tail of a text the column does not keep: an inline string."""
        if not text:
            return ""  # a blank cell is no cell
        self._measure((text,))
        return _text_tail(text)

    def _measure(self, texts):
        # Past the widest a column is shown, the texts need no measuring.
        if self.text_width < _MAX_WIDTH:
            longest = max(map(len, texts), default=0)
            if longest * 2 <= self.text_width:
                return  # none wider, even in full-width characters
            ascii_only = all(map(str.isascii, texts))
            widest = longest if ascii_only else max(map(_text_width, texts))
            if widest > self.text_width:
                self.text_width = widest

    def _new_number(self, value):
        return _number_tail(self.letter, value, self.style)

    def cells(self, values, numbers, refs=True):
        """The cells of ``values`` in the rows ``numbers`` (texts), as the
        pieces a row's join takes from this column (see ``_pieces``).

        ``refs``: whether each cell names its reference (``r="C12"``). A
        cell without one is in the column after the row's previous cell
        (ISO/IEC 29500-1 §18.3.1.4, as Office reads it: [MS-OI29500]
        2.1.590), which is this column unless that cell was blank (no cell):
        the writer asks for references after a column with a blank in the
        batch (``gaps``). A million rows of ten cells without them are a
        fifth less XML to join and deflate."""
        if values.__class__ is Filled:
            return self._filled_cells(values, numbers, refs)
        kinds = set(map(type, values))
        if kinds == _TEXT_KINDS:
            if not self.keeps:
                return self._new_texts(values, numbers, refs)
            texts = self._cache(self.texts, refs)
            misses = texts.misses
            tails = list(map(texts.__getitem__, values))
            if (texts.misses - misses) * 4 > len(values) > 64:
                # More than a quarter new: escaping them all at once is cheaper.
                self.keeps = False
                self.texts.clear()
                self._cache(self.texts, False).clear()
        elif kinds <= _NUMBER_KINDS:
            try:
                tails = list(map(self._cache(self.numbers, refs).__getitem__, values))
            except (ValueError, TypeError, OverflowError):
                for value, number in zip(values, numbers, strict=True):
                    _number_tail(f"{self.letter}{number}", value, self.style)
                raise
            largest = max(map(abs, values))
            if largest > self.largest:
                self.largest = largest
        elif kinds == _DATE_KINDS:
            if self.text_width < 10:
                self.text_width = 10
            tails = list(map(self._cache(self.dates, refs).__getitem__, values))
        else:
            tails = [
                self._tail(value, number) for value, number in zip(values, numbers, strict=True)
            ]
            if not refs:
                tails = list(map(_bare, tails))
        return self._pieces(tails, numbers, refs)

    def _cache(self, cache, refs):
        """``cache`` (of tails), or its cells without a reference."""
        return cache if refs else self.bare[id(cache)]

    def _pieces(self, tails, numbers, refs=True):
        """The cells of ``tails`` (what follows a cell's row number in its
        reference; ``""``: no cell) in the rows ``numbers``, as sequences of
        pieces, one piece of each a row: the reference's start, the row's
        number and the tail, joined with the row's other pieces and never
        made into a cell of their own; each cell made whole when a tail is
        blank (a blank cell is no cell, its reference neither). Without
        ``refs``, ``tails`` are the cells whole (see ``cells``)."""
        self.gaps = "" in tails
        if not refs:
            return [tails]
        if self.gaps:
            opening = self.opening
            return [
                [
                    f"{opening}{number}{tail}" if tail else ""
                    for number, tail in zip(numbers, tails, strict=True)
                ]
            ]
        return [repeat(self.opening), numbers, tails]

    def _new_texts(self, texts, numbers, refs=True):
        """The cells of ``texts`` never seen (sentences): escaped in one go,
        the batch's texts joined by a character XML may carry but no text
        holds; one by one when one does, or needs more than escaping."""
        self._measure(texts)
        joined = _SEPARATOR.join(texts)
        if (
            joined.count(_SEPARATOR) != len(texts) - 1
            or max(map(len, texts)) > _MAX_TEXT
            or any(map(ne, map(str.strip, texts), texts))  # white space at an edge
            or _CONTROL.search(joined)
            or ("_x" in joined and _ILLEGAL.search(joined))
        ):
            tails = [_text_tail(text) if text else "" for text in texts]
            return self._pieces(tails if refs else list(map(_bare, tails)), numbers, refs)
        escaped = _escape(joined)
        # The tail _text_tail writes for such a text (or its cell whole).
        start = '"' if refs else "<c"
        return self._pieces(
            [
                f'{start} t="inlineStr"><is><t>{text}</t></is></c>' if text else ""
                for text in escaped.split(_SEPARATOR)
            ],
            numbers,
            refs,
        )

    def _filled_cells(self, filled, numbers, refs=True):
        """The cells of a ``Filled`` batch, made in C: the cells' tails of
        its templates joined into one format (by a character no template
        or figure holds), filled by one ``%`` with all its figures escaped,
        and split into cells; the batch from its texts when a template or
        figure needs more than escaping, or a row's figures do not fit its
        template (never a figure in another row's cell)."""
        if self.text_width < _MAX_WIDTH:
            self._measure(filled.texts())
        tails = list(map(self._cache(self.fills, refs).__getitem__, filled.templates))
        figures = list(map(self.figures.__getitem__, chain.from_iterable(filled.figures)))
        if (
            _REFUSED in tails
            or _REFUSED in figures
            or list(map(len, filled.figures)) != list(map(self.slots.__getitem__, filled.templates))
        ):
            return self.cells(filled.texts(), numbers, refs)
        cells = (_SEPARATOR.join(tails) % tuple(figures)).split(_SEPARATOR)
        return self._pieces(cells, numbers, refs)

    def _fill(self, template):
        """The cell's tail of ``template`` (None: a text alone), a ``%``
        format of its figures; ``_REFUSED`` when the text it
        writes may need more than escaping: a control character or an
        underscore (which may start Excel's "_xHHHH_") in its own text,
        white space at its edges, or too many figures for a cell's length.
        Its figures are checked the same way (``_figure``), and one that is
        not empty never brings white space to an edge."""
        if template is None:
            template = "%s"
        if (
            "_" in template
            or _SEPARATOR in template
            or _CONTROL.search(template)
            or _slots(template) > _MAX_FIGURES
            or len(template) > _MAX_TEXT - _MAX_FIGURES * _MAX_FIGURE
            or template != template.strip()
        ):
            return _REFUSED
        return f'" t="inlineStr"><is><t>{_escape(template)}</t></is></c>'

    def _tail(self, value, number):
        """One cell's tail whatever its value (a column of mixed types)."""
        kind = value.__class__
        if kind is str:
            return self.texts[value] if self.keeps else self._plain_text(value)
        if value is None or value is False or value == "":
            return ""  # a blank cell is no cell
        if kind is not bool and isinstance(value, (int, float, Decimal)):
            if abs(value) > self.largest:
                self.largest = abs(value)
            return _number_tail(f"{self.letter}{number}", value, self.style)
        if isinstance(value, datetime.date):
            if self.text_width < 10:
                self.text_width = 10
            return _date_tail(value)
        if kind is bool:
            return f'" t="b"><v>{int(value)}</v></c>'
        return self._tail(str(value), number)


_TEXT_KINDS = {str}
_NUMBER_KINDS = {int, float, Decimal}
_DATE_KINDS = {datetime.date}
# Joins a batch's new texts to escape them at once: a character XML carries
# and escaping leaves alone (a private-use one: a text holding it is
# escaped on its own).
_SEPARATOR = "\ue000"


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


def _number_tail(ref, value, style):
    """A number's cell after its row number (``ref`` names it in an error):
    every tail starts with the quote that closes the cell's reference."""
    # + 0.0: a zero is written as 0, never "-0" (0.0 and -0.0 are also one
    # key of a column's cache).
    number = float(value) + 0.0
    if not math.isfinite(number):
        raise ValueError(f"{ref}: {value!r} is not a number a spreadsheet can hold")
    return f'" s="{style}"><v>{number!r}</v></c>'


def _date_tail(value):
    """A date's cell after its row number: its serial number, as a date."""
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime.combine(value, datetime.time())
    serial = (value.replace(tzinfo=None) - _EPOCH).total_seconds() / 86400
    return f'" s="{_DATE}"><v>{serial!r}</v></c>'


def _bare(tail):
    """A cell's ``tail`` (see ``_number_tail``) as the cell whole, without a
    reference: ``""`` (no cell) and ``_REFUSED`` as they are."""
    if tail.__class__ is not str or not tail:
        return tail
    return f"<c{tail[1:]}"


def _slots(template):
    """How many figures ``template`` (a ``Filled`` one; None: a figure
    alone) takes: its conversions, ``%%`` (a percent sign) not counted."""
    if template is None:
        return 1
    return sum(1 for match in _CONVERSION.finditer(template) if match.group(1) != "%")


def _text_cell(ref, text, style=0):
    return f'<c r="{ref}{_text_tail(text, style)}'


def _escape(text):
    """xml.sax.saxutils.escape's three replacements, without its layers."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def _figure(text):
    """A ``Filled`` column's figure escaped, or ``_REFUSED`` (see
    ``_Column._fill``): empty, too long, with an underscore, a control
    character or white space at an edge."""
    if (
        text.__class__ is not str
        or not text
        or len(text) > _MAX_FIGURE
        or "_" in text
        or _SEPARATOR in text
        or _CONTROL.search(text)
        or text != text.strip()
    ):
        return _REFUSED
    return _escape(text)


def _text_tail(text, style=0):
    """A text's cell after its row number: always an inline string, never a
    formula, whatever it starts with."""
    style = f' s="{style}"' if style else ""
    return f'"{style} t="inlineStr"><is>{_text_element(text)}</is></c>'


def _text_element(text):
    """A text as the ``<t>`` element of an inline or a shared string: cut
    at a cell's limit, Excel's escapes for what XML cannot carry, its edges'
    white space kept."""
    if len(text) > _MAX_TEXT:
        text = text[:_MAX_TEXT]
    # Printable text (amounts hold no-break spaces) has none of the
    # expression's characters: tested quickly first.
    if (
        "_x" in text or not (text.isprintable() or text.replace("\xa0", " ").isprintable())
    ) and _ILLEGAL.search(text):
        text = _ILLEGAL.sub(lambda match: f"_x{ord(match.group()):04X}_", text)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f"<t{space}>{_escape(text)}</t>"
