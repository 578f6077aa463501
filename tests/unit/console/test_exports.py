"""Lists written out as files: headings in both languages, money exact (CSV as the API's decimal
strings, XLSX as numeric cells read back to the same Decimal), and typed text never a formula."""

import csv
import io
import re
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from services.console import exports

COLUMNS = (exports.Column("id", "编号", "Id"), exports.Column("amount", "金额", "Amount", money=True))
# Amounts a float cannot hold exactly, and one larger than a double's 15–17 significant digits.
ROWS: list[dict] = [
    {"id": "a", "amount": "0.10"},
    {"id": "b", "amount": "98765432109876543.21"},
    {"id": "c", "amount": "300000.00"},
    {"id": "d", "amount": None},
]


def test_csv_heads_each_column_in_chinese_and_english_and_keeps_amounts_as_given():
    body = exports.csv_bytes(COLUMNS, ROWS)
    assert body.startswith("\ufeff".encode())
    header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert header == ["编号 Id", "金额 Amount"]
    assert rows == [["a", "0.10"], ["b", "98765432109876543.21"], ["c", "300000.00"], ["d", ""]]


def test_xlsx_amounts_are_numeric_cells_with_two_decimals_equal_to_the_decimal_given():
    sheet = load_workbook(io.BytesIO(exports.xlsx_bytes(COLUMNS, ROWS, "payouts"))).active
    assert sheet.title == "payouts"
    assert [c.value for c in sheet[1]] == ["编号 Id", "金额 Amount"]
    cells = [sheet.cell(row=n, column=2) for n in (2, 4)]
    assert all(c.data_type == "n" and c.number_format == "#,##0.00" for c in cells)
    assert [Decimal(str(c.value)) for c in cells] == [Decimal("0.10"), Decimal("300000")]
    assert sheet.cell(row=5, column=2).value is None


def test_xlsx_holds_each_amount_exactly_and_one_a_spreadsheet_number_cannot_hold_as_its_text():
    with zipfile.ZipFile(io.BytesIO(exports.xlsx_bytes(COLUMNS, ROWS, "payouts"))) as book:
        cells = book.read("xl/worksheets/sheet1.xml").decode()
    assert re.findall(r"<v>([^<]*)</v>", cells) == ["0.1", "300000"]
    assert "<t>98765432109876543.21</t>" in cells  # as a number it would be 9.876543210987654e+16


@pytest.mark.parametrize("typed", ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)"])
def test_text_an_official_typed_is_never_a_formula(typed):
    columns = (exports.Column("reason", "说明", "Reason"),)
    sheet = load_workbook(io.BytesIO(exports.xlsx_bytes(columns, [{"reason": typed}], "x"))).active
    assert sheet["A2"].data_type == "s" and sheet["A2"].value == "'" + typed
    [_, [cell]] = list(csv.reader(io.StringIO(exports.csv_bytes(columns, [{"reason": typed}]).decode("utf-8-sig"))))
    assert cell == "'" + typed


def test_an_amount_that_is_not_a_number_is_refused_rather_than_written():
    with pytest.raises(ValueError, match="not an amount"):
        exports.csv_bytes(COLUMNS, [{"id": "x", "amount": "1,000"}])


def test_the_file_is_named_and_typed_by_its_kind():
    assert exports.file("xlsx", COLUMNS, [], "payouts")[1:] == (exports.XLSX, "payouts.xlsx")
    assert exports.file("csv", COLUMNS, [], "payouts")[1:] == (exports.CSV, "payouts.csv")
