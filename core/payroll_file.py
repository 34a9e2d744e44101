"""Payroll import files: how a payroll product wants the payout's figures.

Pure formatting, no Odoo: the column specs (one list: header, source,
format), hours written the product's way, employee keys zero-padded, and
the file encoded in the product's encoding, row by row as the rows come
(a generator is never held as a list). Japanese payroll products read
"Shift_JIS" as Windows code page 932 (CP932): 髙, 﨑, ㈱ and ① are in it;
a character outside it (𠮷) is replaced by the format's replacement
character and the rows it touched are reported, never a silent ``?``.
"""

import codecs
import csv
import io
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .money import round_money, to_decimal

HOURS_STYLES = ("decimal", "colon", "sexagesimal", "minutes")
ENCODINGS = {"cp932": "cp932", "utf8": "utf-8", "utf8_bom": "utf-8-sig"}
DELIMITERS = {"comma": ",", "tab": "\t", "semicolon": ";"}
LINE_ENDINGS = {"crlf": "\r\n", "lf": "\n"}
# 〓 (geta): the mark Japanese business systems print for a character they
# cannot represent; it is in CP932.
DEFAULT_REPLACEMENT = "〓"
# Rows written as text before they are encoded into the file's bytes.
_ROWS_PER_SPILL = 500


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a payroll file or workbook: its header, the figure it
    holds (``source``: a key of each row's values) and how it is written
    (a file's ``text``, ``yen`` or ``hours``; a workbook's format, one of
    ``core.xlsx.FORMATS``)."""

    header: str
    source: str
    format: str = "text"
    # What a ``constant`` column writes on every row (マネーフォワード's Version).
    value: str = ""


def format_hours(hours, style):
    """Hours in the product's notation, from the exact minutes (half-up).

    >>> [format_hours(1.5, s) for s in HOURS_STYLES]
    ['1.5', '1:30', '1.30', '90']
    """
    minutes = int((to_decimal(hours or 0) * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if style == "minutes":
        return str(minutes)
    sign = "-" if minutes < 0 else ""
    whole, rest = divmod(abs(minutes), 60)
    if style == "colon":
        return f"{sign}{whole}:{rest:02d}"
    if style == "sexagesimal":
        return f"{sign}{whole}.{rest:02d}"
    if style == "decimal":
        text = f"{round_money(to_decimal(hours or 0), 2):f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    raise ValueError(f"unknown hours style: {style}")


def format_yen(amount):
    """A whole number of yen, no separator (payroll products read digits)."""
    return f"{round_money(to_decimal(amount or 0), 0):f}"


def pad_key(key, width):
    """The employee key, zero-padded to ``width`` when it is all digits
    (社員番号 ``42`` → ``000042``); any other key is kept as it is."""
    key = (key or "").strip()
    if width and key.isdigit():
        return key.zfill(width)
    return key


def format_value(value, spec, hours_style):
    if spec.source == "constant":
        return spec.value
    if spec.format == "yen":
        return format_yen(value)
    if spec.format == "hours":
        return format_hours(value, hours_style)
    return "" if value is None or value is False else str(value)


def replace_unencodable(text, encoding, replacement=DEFAULT_REPLACEMENT):
    """``(text, replaced)``: ``text`` with each character ``encoding`` cannot
    write replaced by ``replacement``, and whether any was.

    >>> replace_unencodable("𠮷田 ㈱髙﨑①", "cp932")
    ('〓田 ㈱髙﨑①', True)
    """
    codec = ENCODINGS.get(encoding, encoding)
    if _encodable(text, codec):
        return text, False  # the usual case: the whole text at once
    out, replaced = [], False
    for char in text:
        try:
            char.encode(codec)
        except UnicodeEncodeError:
            out.append(replacement)
            replaced = True
        else:
            out.append(char)
    return "".join(out), replaced


def _encodable(text, codec):
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class PayrollFile:
    content: bytes
    # The key of every row a character was replaced in (rows match by key).
    replaced_keys: tuple


def write_payroll_file(
    specs,
    rows,
    *,
    encoding="cp932",
    delimiter="comma",
    line_ending="crlf",
    header=True,
    hours_style="decimal",
    replacement=DEFAULT_REPLACEMENT,
    key_source="employee_key",
):
    """The file's bytes for ``rows`` (dicts of source → value, a generator
    as well: each row is written as it comes) laid out by ``specs``, and the
    keys of the rows whose text had to be replaced."""
    codec = ENCODINGS[encoding]
    replacement, unusable = replace_unencodable(replacement or DEFAULT_REPLACEMENT, encoding)
    if unusable:
        raise ValueError("the replacement character cannot be written in this encoding")
    # Rows are written as text a few hundred at a time, then encoded into
    # the file's bytes: only the file is held, never the rows.
    text = io.StringIO(newline="")
    content = io.BytesIO()
    encoder = codecs.getincrementalencoder(codec)()
    writer = csv.writer(
        text,
        delimiter=DELIMITERS[delimiter],
        lineterminator=LINE_ENDINGS[line_ending],
        quoting=csv.QUOTE_MINIMAL,
    )
    replaced_keys = []

    def clean(values):
        cleaned, touched = [], False
        for value in values:
            cleaned_value, replaced = replace_unencodable(value, codec, replacement)
            cleaned.append(cleaned_value)
            touched = touched or replaced
        return cleaned, touched

    def spill(final=False):
        content.write(encoder.encode(text.getvalue(), final))
        text.seek(0)
        text.truncate()

    if header:
        writer.writerow(clean([spec.header for spec in specs])[0])
    for number, row in enumerate(rows, start=1):
        values, touched = clean(
            [format_value(row.get(spec.source), spec, hours_style) for spec in specs]
        )
        if touched:
            replaced_keys.append(row.get(key_source))
        writer.writerow(values)
        if not number % _ROWS_PER_SPILL:
            spill()
    spill(final=True)
    return PayrollFile(content.getvalue(), tuple(replaced_keys))
