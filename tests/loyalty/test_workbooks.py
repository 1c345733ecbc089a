"""The Excel file every export hands out: the CSV's cells, a header that stays in view, columns a person can read."""

import csv
import io
from decimal import Decimal

import openpyxl

from loyalty import exports

COLUMNS = [exports.Column("门店", lambda row: row["store"]), exports.Column("takings", lambda row: row["takings"]),
           exports.Column("payments", lambda row: row["n"]), exports.Column("note", lambda row: row["note"])]
ROWS = [{"store": "静安寺旗舰店", "takings": Decimal("71165.60"), "n": 645, "note": '=HYPERLINK("x","open")'},
        {"store": "B", "takings": Decimal("0.00"), "n": 0, "note": None}]


def _sheet():
    workbook = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes(COLUMNS, ROWS, title="Settlement: a/b [1]")))
    return workbook, workbook.active


def test_the_workbook_holds_the_csvs_cells_with_numbers_as_numbers():
    _workbook, sheet = _sheet()
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    text = b"".join(exports.csv_response("x", COLUMNS, ROWS).streaming_content).decode().lstrip("\ufeff")
    written = list(csv.reader(io.StringIO(text)))
    assert [[("" if v is None else v if isinstance(v, str) else Decimal(str(v))) for v in row] for row in cells] \
        == [[c if not c.replace(".", "").isdigit() else Decimal(c) for c in row] for row in written]
    assert cells[1][1] == 71165.6 and cells[1][2] == 645
    assert cells[1][3] == "'" + ROWS[0]["note"] and sheet["D2"].data_type == "s"


def test_the_header_is_bold_and_frozen_and_the_sheet_named_as_excel_allows():
    workbook, sheet = _sheet()
    assert [cell.font.bold for cell in sheet[1]] == [True] * 4
    assert not sheet["A2"].font.bold
    assert sheet.freeze_panes == "A2"
    assert workbook.sheetnames == ["Settlement- a-b -1-"]


def test_columns_are_as_wide_as_their_longest_value_a_chinese_character_counting_twice():
    _workbook, sheet = _sheet()
    # "静安寺旗舰店": six characters that take twelve columns on screen, plus a margin of two. The file keeps
    # Excel's width with the cell's padding added (14 characters are stored as 14.71).
    widths = {letter: int(sheet.column_dimensions[letter].width) for letter in "ABD"}
    assert widths == {"A": 14, "B": len("71165.60") + 2, "D": len("'" + ROWS[0]["note"]) + 2}


def test_a_report_without_rows_is_a_sheet_with_its_header():
    sheet = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes(COLUMNS, [], title=""))).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [["门店", "takings", "payments", "note"]]
