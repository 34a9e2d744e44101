import csv
import io
import weakref
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.payroll_file import (
    ColumnSpec,
    format_hours,
    format_yen,
    pad_key,
    replace_unencodable,
    write_payroll_file,
)
from core.payroll_presets import KIND_FORMATS, PRESETS, preset_columns
from core.wage import effective_hourly_wage, monthly_average_hours


@pytest.mark.parametrize(
    "style, expected",
    [("decimal", "1.5"), ("colon", "1:30"), ("sexagesimal", "1.30"), ("minutes", "90")],
)
def test_one_hour_and_a_half_in_each_notation(style, expected):
    assert format_hours(1.5, style) == expected


def test_hours_round_to_the_minute_and_whole_hours_have_no_decimals():
    assert format_hours(176.25, "colon") == "176:15"
    assert format_hours(160, "decimal") == "160"
    assert format_hours(0, "sexagesimal") == "0.00"
    assert format_hours(None, "minutes") == "0"
    assert format_hours(Decimal("0.3333"), "minutes") == "20"


@given(st.integers(0, 100_000))
def test_every_notation_keeps_the_minutes(minutes):
    hours = Decimal(minutes) / 60
    assert format_hours(hours, "minutes") == str(minutes)
    whole, rest = format_hours(hours, "colon").split(":")
    assert int(whole) * 60 + int(rest) == minutes
    whole, rest = format_hours(hours, "sexagesimal").split(".")
    assert int(whole) * 60 + int(rest) == minutes


def test_yen_are_whole_and_plain():
    assert format_yen(50_000.0) == "50000"
    assert format_yen(1234.5) == "1235"
    assert format_yen(None) == "0"


def test_keys_are_zero_padded_only_when_numeric():
    assert pad_key("42", 6) == "000042"
    assert pad_key(" 42 ", 0) == "42"
    assert pad_key("A-42", 6) == "A-42"
    assert pad_key("1234567", 6) == "1234567"


def test_cp932_keeps_its_own_characters_and_replaces_the_others():
    assert replace_unencodable("髙﨑㈱①", "cp932") == ("髙﨑㈱①", False)
    assert replace_unencodable("𠮷野", "cp932", "*") == ("*野", True)
    assert replace_unencodable("𠮷野", "utf8") == ("𠮷野", False)


SPECS = [
    ColumnSpec("社員番号", "employee_key"),
    ColumnSpec("氏名", "name"),
    ColumnSpec("歩合給", "incentive", "yen"),
    ColumnSpec("総労働時間", "worked", "hours"),
]
ROWS = [
    {"employee_key": "000001", "name": "髙橋 﨑子 ㈱①", "incentive": 50_000, "worked": 160.5},
    {"employee_key": "000002", "name": "𠮷田 一郎", "incentive": 0, "worked": 1.5},
]


def test_a_cp932_file_reads_back_and_lists_the_replaced_rows():
    result = write_payroll_file(SPECS, ROWS, hours_style="colon")
    assert result.replaced_keys == ("000002",)
    assert result.content.endswith(b"\r\n")
    rows = list(csv.reader(io.StringIO(result.content.decode("cp932"), newline="")))
    assert rows == [
        ["社員番号", "氏名", "歩合給", "総労働時間"],
        ["000001", "髙橋 﨑子 ㈱①", "50000", "160:30"],
        ["000002", "〓田 一郎", "0", "1:30"],
    ]
    assert b"?" not in result.content


def test_utf8_with_bom_tab_lf_and_no_header():
    result = write_payroll_file(
        SPECS, ROWS, encoding="utf8_bom", delimiter="tab", line_ending="lf", header=False
    )
    assert result.content.startswith(b"\xef\xbb\xbf")
    assert result.replaced_keys == ()
    text = result.content.decode("utf-8-sig")
    assert text.split("\n")[1].split("\t")[1] == "𠮷田 一郎"
    assert "\r" not in text


def test_a_replacement_the_encoding_cannot_write_is_refused():
    with pytest.raises(ValueError):
        write_payroll_file(SPECS, ROWS, replacement="𠮷")


def test_every_preset_names_its_key_first_or_after_the_version_and_keeps_items_apart():
    for preset in PRESETS.values():
        assert preset["reference"].startswith("https://")
    for name in PRESETS:
        kinds = [kind for kind, _header, _value in preset_columns(name)]
        assert "employee_key" in kinds[:2]
        for kind in ("incentive", "deduction", "award", "overtime_premium"):
            assert kinds.count(kind) == 1
        assert set(kinds) <= set(KIND_FORMATS)


def test_commission_only_and_average_scheduled_hours():
    # Paid by results only: ¥150,000 over 190 h is under Tokyo's ¥1,226.
    assert effective_hourly_wage(0, 0, 150_000, 190) < 1226
    # Fixed ¥180,000: February's own 140 h pass, the 160 h average does not.
    assert effective_hourly_wage(180_000, 140, 0, 140) > 1226
    assert effective_hourly_wage(180_000, monthly_average_hours(1920), 0, 160) == 1125


class _Values(dict):
    """A row the test can watch (a plain dict cannot be weakly referenced)."""


def test_rows_of_a_generator_are_written_as_they_come_never_held():
    alive = 0
    most_alive = 0

    def gone():
        nonlocal alive
        alive -= 1

    def rows():
        nonlocal alive, most_alive
        for index in range(5_000):
            most_alive = max(most_alive, alive)
            row = _Values(ROWS[index % 2], employee_key=f"{index:06d}")
            alive += 1
            weakref.finalize(row, gone)
            yield row

    result = write_payroll_file(SPECS, rows(), encoding="utf8_bom")
    assert most_alive <= 2
    assert result.content.startswith(b"\xef\xbb\xbf")
    assert result.content.count(b"\xef\xbb\xbf") == 1
    text = result.content.decode("utf-8-sig")
    assert len(text.splitlines()) == 5_001
    assert text.splitlines()[-1] == "004999,𠮷田 一郎,0,1.5"


def test_the_file_is_the_same_however_the_rows_come():
    as_list = write_payroll_file(SPECS, ROWS * 700, hours_style="colon")
    as_generator = write_payroll_file(SPECS, (row for row in ROWS * 700), hours_style="colon")
    assert as_list == as_generator
    assert as_list.replaced_keys == ("000002",) * 700
