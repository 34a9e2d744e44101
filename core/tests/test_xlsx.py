import datetime
import io
from decimal import Decimal

import openpyxl
import pytest

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
    assert sheet.column_dimensions["A"].width == 10


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
