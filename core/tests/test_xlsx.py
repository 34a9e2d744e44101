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
