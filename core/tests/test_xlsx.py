import datetime
import gc
import io
import threading
import time
import weakref
import zipfile
import zlib
from decimal import Decimal

import openpyxl
import pytest

from core import xlsx
from core.xlsx import write_workbook


def _read(stream):
    stream.seek(0)
    return openpyxl.load_workbook(stream)


def test_text_that_looks_like_a_formula_stays_text():
    stream = io.BytesIO()
    hostile = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "=1+1"]
    write_workbook(stream, [("Sheet", ["text"], [[text] for text in hostile])])
    sheet = _read(stream)["Sheet"]
    for row, text in enumerate(hostile, start=2):
        cell = sheet.cell(row=row, column=1)
        assert cell.value == text
        assert cell.data_type == "s"


def test_numbers_dates_and_blanks():
    stream = io.BytesIO()
    rows = [["佐藤", Decimal("50000"), 1.5, datetime.date(2026, 10, 31), None]]
    write_workbook(stream, [("給与", ["氏名", "金額", "時間", "日付", "空"], rows)])
    sheet = _read(stream)["給与"]
    assert [c.value for c in sheet[1]] == ["氏名", "金額", "時間", "日付", "空"]
    values = [c.value for c in sheet[2]]
    assert values[:3] == ["佐藤", 50000, 1.5]
    assert values[3].date() == datetime.date(2026, 10, 31)
    assert values[4] is None


def test_several_sheets_and_generator_rows():
    stream = io.BytesIO()
    write_workbook(
        stream,
        [("A", ["n"], ([i] for i in range(1000))), ("B", ["x"], [["y"]])],
    )
    book = _read(stream)
    assert book.sheetnames == ["A", "B"]
    assert book["A"].max_row == 1001


@pytest.mark.parametrize("title", ["a" * 40])
def test_long_sheet_titles_are_cut(title):
    stream = io.BytesIO()
    write_workbook(stream, [(title, ["h"], [])])
    assert _read(stream).sheetnames == ["a" * 31]


def test_layout_for_payroll_staff():
    stream = io.BytesIO()
    rows = [["山田", 1234567, datetime.date(2026, 11, 30), True, ""]]
    write_workbook(stream, [("支給", ["氏名", "金額", "日付", "済", "備考"], rows)])
    sheet = _read(stream)["支給"]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    name, amount, day, done, note = sheet[2]
    assert name.value == "山田"
    assert amount.number_format == "#,##0"
    assert day.number_format == "yyyy-mm-dd"
    assert day.value == datetime.datetime(2026, 11, 30)
    assert done.value is True
    assert note.value is None
    # Widths from the content: at least the header and the values, within bounds.
    assert 8 <= sheet.column_dimensions["A"].width <= 12
    assert sheet.column_dimensions["B"].width >= len("1,234,567")


def test_text_the_xml_cannot_carry_is_escaped_not_lost():
    stream = io.BytesIO()
    texts = ["a\x01b", "  leading and trailing  ", "<b>&amp;</b>", "x" * 40000]
    write_workbook(stream, [("S", ["t"], [[text] for text in texts])])
    sheet = _read(stream)["S"]
    values = [sheet.cell(row=row, column=1).value for row in range(2, 6)]
    # Excel's own escape for a control character (openpyxl shows it as is).
    assert values[0] == "a_x0001_b"
    assert values[1] == "  leading and trailing  "
    assert values[2] == "<b>&amp;</b>"
    assert values[3] == "x" * 32767  # Excel's limit for one cell


def test_sheet_titles_follow_excel_rules():
    stream = io.BytesIO()
    write_workbook(stream, [("a/b", ["h"], []), ("A B", ["h"], []), ("", ["h"], [])])
    assert _read(stream).sheetnames == ["a b", "A B (2)", "Sheet"]


def test_a_number_a_spreadsheet_cannot_hold_is_refused():
    with pytest.raises(ValueError):
        write_workbook(io.BytesIO(), [("S", ["n"], [[float("nan")]])])


def test_column_formats_for_payroll():
    stream = io.BytesIO()
    rows = [
        ["佐藤", 176.5, 123456, 319.149, 5.25, 3, datetime.date(2026, 11, 20)],
        ["鈴木", 8, -2500, 0.5, 0, 12, datetime.date(2026, 11, 25)],
    ]
    formats = ["text", "hours", "yen", "rate", "decimal", "number", "date"]
    headers = ["氏名", "時間", "金額", "時間単価", "率", "件数", "支払日"]
    write_workbook(stream, [("給与", headers, rows, formats)])
    sheet = _read(stream)["給与"]
    _name, hours, yen, rate, percent, count, day = sheet[2]
    assert hours.value == 176.5 and hours.number_format == "#,##0.00"  # 176.50, not 177
    assert yen.number_format == "¥#,##0"
    assert rate.number_format == "#,##0.000"
    assert percent.number_format == "#,##0.00"
    assert count.number_format == "#,##0"
    assert day.is_date and day.number_format == "yyyy-mm-dd"
    assert sheet["C3"].value == -2500 and sheet["C3"].number_format == "¥#,##0"


def test_autofilter_print_setup_and_properties():
    stream = io.BytesIO()
    rows = [[f"社員{i}", i * 1000] for i in range(50)]
    write_workbook(
        stream,
        [("Payroll", ["氏名", "金額"], rows, ["text", "yen"]), ("Empty", ["h"], [])],
        properties={
            "title": "Contribution payout 2026-11",
            "subject": "2026-10-21 – 2026-11-20",
            "creator": "東邦精工株式会社",
            "company": "東邦精工株式会社",
        },
    )
    book = _read(stream)
    sheet = book["Payroll"]
    assert sheet.auto_filter.ref == "A1:B51"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$1"
    assert book.properties.title == "Contribution payout 2026-11"
    assert book.properties.subject == "2026-10-21 – 2026-11-20"
    assert book.properties.creator == "東邦精工株式会社"
    stream.seek(0)
    with zipfile.ZipFile(stream) as archive:
        assert "<Company>東邦精工株式会社</Company>" in archive.read("docProps/app.xml").decode()
    assert book["Empty"].max_row == 1


def test_ten_thousand_lines_stay_fast():
    rows = (
        [f"E{i:05d}", "山田 太郎", 123456.0, 176.5, 319.149, datetime.date(2026, 11, 20)]
        for i in range(10_000)
    )
    formats = ["text", "text", "yen", "hours", "rate", "date"]
    started = time.perf_counter()
    write_workbook(io.BytesIO(), [("S", ["a", "b", "c", "d", "e", "f"], rows, formats)])
    # Generous for a shared machine; bench/ measures it against its goal.
    assert time.perf_counter() - started < 3


class _Row(list):
    """A row the test can watch (a plain list cannot be weakly referenced)."""


def test_a_generator_of_rows_is_written_as_it_comes_never_held():
    """The writer takes the rows a batch at a time when it needs them and
    keeps none: at most one batch is alive when the next row is made,
    however many rows the sheet has (so a payout's million entries never
    sit in memory)."""
    alive = 0
    most_alive = 0

    def gone():
        nonlocal alive
        alive -= 1

    made = 0

    def rows():
        nonlocal alive, most_alive, made
        for index in range(20_000):
            most_alive = max(most_alive, alive)
            row = _Row([f"社員{index}", index * 1000, "=1+1", datetime.date(2026, 11, 30)])
            alive += 1
            weakref.finalize(row, gone)
            made += 1
            yield row

    stream = io.BytesIO()
    generator = rows()
    write_workbook(stream, [("S", ["氏名", "金額", "式", "日付"], generator, ["text", "yen"])])
    assert made == 20_000
    assert most_alive <= xlsx._BATCH_ROWS + 1
    sheet = _read(stream)["S"]
    assert sheet.max_row == 20_001
    assert sheet["C20001"].value == "=1+1" and sheet["C20001"].data_type == "s"
    assert sheet["B20001"].value == 19_999_000


def test_a_generator_is_not_read_ahead_of_the_writer():
    """Each sheet's rows are asked for only when that sheet is written."""
    asked = []

    def rows(name, count):
        for index in range(count):
            asked.append(name)
            yield [index]

    def first_sheet():
        for row in rows("A", 3):
            # The second sheet's rows are not read while the first is written.
            assert "B" not in asked
            yield row

    write_workbook(io.BytesIO(), [("A", ["n"], first_sheet()), ("B", ["n"], rows("B", 3))])
    assert asked == ["A"] * 3 + ["B"] * 3


def test_texts_never_seen_are_escaped_alike_in_bulk_and_alone():
    """A column of texts that do not repeat (sentences) is escaped a batch
    at a time; a batch holding a text that needs more than escaping (a
    control character, white space at an edge, Excel's ``_xHHHH_``, the
    batch's own separator, a text over Excel's limit) comes out the same."""
    plain = [f"佐藤 <{index}> & ¥\xa0{index:,} — rule {index}" for index in range(3 * 1024)]
    hostile = {
        1500: "a\x01b",
        1600: " leading",
        1700: "trailing ",
        1800: "_x0041_",
        1900: "x\ue000y",
        2000: "y" * 40000,
        2100: "",
    }
    texts = [hostile.get(index, text) for index, text in enumerate(plain)]
    stream = io.BytesIO()
    write_workbook(stream, [("S", ["t"], [[text] for text in texts])])
    sheet = _read(stream)["S"]
    values = [sheet.cell(row=row, column=1).value for row in range(2, len(texts) + 2)]
    expected = {
        1500: "a_x0001_b",
        1800: "_x005F_x0041_",
        2000: "y" * 32767,
        2100: None,
    }
    assert values == [expected.get(index, text) for index, text in enumerate(texts)]
    assert sheet.column_dimensions["A"].width == 60  # the widest a column is shown


def test_columns_of_mixed_values_over_many_batches():
    """Every cell reads back as it was given, whatever types a column mixes,
    across batches, rows of several lengths included."""
    values = [
        "佐藤",
        "",
        None,
        False,
        True,
        0,
        -0.0,
        1.5,
        Decimal("2.25"),
        -2500,
        datetime.date(2026, 11, 30),
        datetime.datetime(2026, 11, 30, 12, 0),
        "=1+1",
    ]
    rows = [
        [values[(index + column) % len(values)] for column in range(index % 4 + 1)]
        for index in range(2500)
    ]
    stream = io.BytesIO()
    write_workbook(stream, [("S", ["a", "b"], rows, ["text", "yen"])])
    sheet = _read(stream)["S"]
    assert sheet.max_column == 4
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=number, column=column).value
            if value is None or value is False or value == "":
                assert cell is None  # a blank cell is no cell
            elif isinstance(value, datetime.date):
                assert cell == datetime.datetime.combine(value, datetime.time()) or cell == value
            elif value is True:
                assert cell is True
            else:
                assert cell == value
                if isinstance(value, float) and value == 0:
                    assert str(cell) in ("0", "0.0")  # no "-0"


def test_a_cell_names_its_column_only_after_a_blank():
    """A cell without a reference is in the column after the row's previous
    cell ([MS-OI29500] 2.1.590): references are written only in a column
    after one with a blank in the batch, and every cell reads back where it
    belongs, blanks first, last and side by side included."""
    full = [["佐藤", 1, datetime.date(2026, 11, 30), "注"] for _ in range(3)]
    stream = io.BytesIO()
    write_workbook(stream, [("S", ["a", "b", "c", "d"], full)])
    xml = zipfile.ZipFile(stream).read("xl/worksheets/sheet1.xml").decode()
    rows = xml[xml.index('<row r="2"') : xml.index("</sheetData>")]
    assert rows.count(" r=") == 3  # the rows' numbers, no cell's reference
    holes = [
        [None, 1, None, None, "末"],
        ["頭", None, None, 4, None],
        [None, None, None, None, "末"],
        ["頭", 2, "中", 5, "末"],
    ]
    after = [[*row, "x"] for row in full]
    batches = [list(zip(*holes, strict=True)), list(zip(*after, strict=True))]
    for given in (holes + after, xlsx.Columns(iter(batches))):
        stream = io.BytesIO()
        write_workbook(stream, [("S", ["a", "b", "c", "d", "e"], given)])
        sheet = _read(stream)["S"]
        for number, row in enumerate(holes + after, start=2):
            values = [cell.value for cell in sheet[number]]
            if isinstance(row[2], datetime.date):
                values[2] = values[2].date()
            assert values == row


def test_columns_write_what_the_same_rows_write():
    """Values given by column, a batch at a time, make the same sheet as
    the same values given row by row: the same cells, the same widths
    (which texts are shared strings may follow the batches)."""
    rows = [
        [
            f"社員{index}",
            index * 1000.0,
            datetime.date(2026, 11, index % 28 + 1),
            "" if index % 3 else "注",
        ]
        for index in range(2500)
    ]
    batches = [list(zip(*rows[start : start + 700], strict=True)) for start in range(0, 2500, 700)]
    sheets = []
    for given in (rows, xlsx.Columns(iter(batches))):
        stream = io.BytesIO()
        write_workbook(stream, [("S", ["氏名", "金額", "日付", "注記"], given, ["text", "yen"])])
        sheet = _read(stream).active
        sheets.append(
            (
                [[(cell.value, cell.number_format) for cell in row] for row in sheet.iter_rows()],
                {letter: sheet.column_dimensions[letter].width for letter in "ABCD"},
            )
        )
    assert sheets[0] == sheets[1]
    with pytest.raises(ValueError):
        write_workbook(io.BytesIO(), [("S", ["a", "b"], xlsx.Columns([[["x", "y"], [1]]]))])


def test_sheets_are_deflated_as_written_and_read_back_whole():
    """A sheet's rows are deflated by a thread as they are written, its
    start (with the widths) last, before them: one valid member, its CRC
    right, for zipfile and for openpyxl."""
    stream = io.BytesIO()
    rows = [[f"社員{index}", index * 1.5, f"説明 {index} " * 3] for index in range(30_000)]
    write_workbook(stream, [("S", ["氏名", "額", "説明"], iter(rows)), ("T", ["x"], [])])
    with zipfile.ZipFile(stream) as archive:
        assert archive.testzip() is None
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert xml.startswith("<?xml") and xml.endswith("</worksheet>")
    assert xml.count("<row ") == 30_001
    sheet = _read(stream)["S"]
    assert sheet["A30001"].value == "社員29999"
    assert sheet["B30001"].value == 29999 * 1.5


@pytest.mark.parametrize("sizes", [(0, 10), (10, 0), (1, 1), (5000, 123_457), (70_000, 3)])
def test_crc32_of_two_pieces_combined(sizes):
    first, second = (bytes((index * 7 + size) % 256 for index in range(size)) for size in sizes)
    combined = xlsx.crc32_combine(zlib.crc32(first), zlib.crc32(second), len(second))
    assert combined == zlib.crc32(first + second)


def test_an_error_while_writing_a_sheet_stops_its_deflater():
    def rows():
        yield ["a"]
        raise RuntimeError("the rows broke")

    with pytest.raises(RuntimeError, match="the rows broke"):
        write_workbook(io.BytesIO(), [("S", ["h"], rows())])
    assert not [thread for thread in threading.enumerate() if thread.name == "xlsx_deflate"]


def _cells(stream, sheet=0):
    return [[cell.value for cell in row] for row in _read(stream).worksheets[sheet].iter_rows()]


def test_filled_rows_whose_figures_do_not_fit_are_never_shifted():
    """A batch's cells are one ``%`` over all its rows: a row with a figure
    too many, then one with one too few, fail as their own texts fail, never
    lending a figure to the next row's cell."""
    batch = xlsx.Filled(["%s と %s", "%s", "%s (5 %%)"], [("a",), ("b", "c"), ("d",)])
    with pytest.raises(TypeError):
        write_workbook(io.BytesIO(), [("S", ["説明"], xlsx.Columns([[batch]]))])
    fits = xlsx.Filled(["%s と %s", "%s", "%s (5 %%)"], [("a", "b"), ("c",), ("d",)])
    stream = io.BytesIO()
    write_workbook(stream, [("S", ["説明"], xlsx.Columns([[fits]]))])
    assert _cells(stream)[1:] == [["a と b"], ["c"], ["d (5 %)"]]


def test_filled_texts_write_what_their_texts_write():
    """A column given as templates and figures holds each row's text, the
    template filled, as the same texts given whole would: escaped,
    Excel's escapes where XML cannot carry a character or a text looks
    like one, white space at the edges kept."""
    templates = ["%s × your %s share = %s — rule %s %%", None, "%s & <%s>", "=%s"]
    figures = [
        ("¥ 30,000", "20 %", "¥ 6,000", "受注ボーナス"),
        ("a reversal, whole",),
        ("A&B", "<i>"),
        ("1+1",),
    ]
    odd = [
        ("%s", ("name_x0041_",)),  # Excel would read it as "nameA": escaped
        ("%s!", (" leading",)),
        ("%s!", ("",)),
        ("%s!", ("tab\there",)),
        ("%s!", ("bell\x07",)),
        (" %s", ("edge",)),
        ("rule_%s", ("x0041_",)),
        (None, ("x" * 2000,)),
        ("%s\ue000%s", ("the batch's", "joint")),
        ("%s", ("a figure\ue000with it",)),
    ]
    rows = [(template, values) for template, values in zip(templates, figures, strict=True)]
    for given in ([*rows, *odd], rows):
        texts = [values[0] if template is None else template % values for template, values in given]
        batch = xlsx.Filled([template for template, _ in given], [values for _, values in given])
        assert batch.texts() == texts
        filled, plain = io.BytesIO(), io.BytesIO()
        write_workbook(filled, [("S", ["説明"], xlsx.Columns([[batch]]))])
        write_workbook(plain, [("S", ["説明"], [[text] for text in texts])])
        assert _cells(filled) == _cells(plain)
        # (openpyxl reads a control character's escape as it is written)
        assert _cells(filled)[1:] == [[text.replace("\x07", "_x0007_") or None] for text in texts]
    # Without the odd ones, one % of each template's cell: no text escaped whole.
    stream = io.BytesIO()
    write_workbook(stream, [("S", ["説明"], xlsx.Columns([[batch]]))])
    with zipfile.ZipFile(stream) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<t>¥ 30,000 × your 20 % share = ¥ 6,000 — rule 受注ボーナス %</t>" in xml
    assert "<t>A&amp;B &amp; &lt;&lt;i&gt;&gt;</t>" in xml
    assert "<t>=1+1</t>" in xml


def test_repeated_texts_are_shared_strings_within_bounds(monkeypatch):
    """Texts a column repeats are written once, in the shared strings, and
    referenced; long ones stay inline, and so does every text once the
    table is full: its memory is bounded. What the cells say is the same."""
    rows = [(f"社員 {index % 3}", "x" * 150, f"deal {index}") for index in range(40)]
    stream = io.BytesIO()
    write_workbook(stream, [("S", ["氏名", "長い", "案件"], rows)])
    assert _cells(stream)[1:] == [list(row) for row in rows]
    with zipfile.ZipFile(stream) as archive:
        shared = archive.read("xl/sharedStrings.xml").decode()
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        assert "sharedStrings.xml" in archive.read("xl/_rels/workbook.xml.rels").decode()
        assert "sharedStrings" in archive.read("[Content_Types].xml").decode()
    assert shared.count("<si><t>社員 0</t></si>") == 1
    assert "x" * 150 not in shared
    assert sheet.count("x" * 150) == 40
    monkeypatch.setattr(xlsx, "_SHARED_TEXTS", 2)
    stream = io.BytesIO()
    write_workbook(stream, [("S", ["氏名", "長い", "案件"], rows)])
    assert _cells(stream)[1:] == [list(row) for row in rows]
    with zipfile.ZipFile(stream) as archive:
        assert archive.read("xl/sharedStrings.xml").decode().count("<si>") == 2
    # A workbook without a text to share has no table.
    stream = io.BytesIO()
    write_workbook(stream, [("S", ["数"], [(1,), (2,)])])
    with zipfile.ZipFile(stream) as archive:
        assert "xl/sharedStrings.xml" not in archive.namelist()


def test_the_cyclic_collector_is_paused_while_writing_and_restored():
    seen = []

    def rows():
        seen.append(gc.isenabled())
        yield ["a", 1]

    assert gc.isenabled()
    write_workbook(io.BytesIO(), [("S", ["x", "y"], rows())])
    assert seen == [False]
    assert gc.isenabled()

    def failing():
        yield ["a", 1]
        raise RuntimeError("the rows broke")

    with pytest.raises(RuntimeError, match="the rows broke"):
        write_workbook(io.BytesIO(), [("S", ["x", "y"], failing())])
    assert gc.isenabled()
    # Left off by someone else: left off.
    gc.disable()
    try:
        write_workbook(io.BytesIO(), [("S", ["x", "y"], rows())])
        assert not gc.isenabled()
    finally:
        gc.enable()
