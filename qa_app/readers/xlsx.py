"""Excel (.xlsx via openpyxl, .xls via xlrd): every visible sheet's cells as the sheet shows them.

Each cell is its value through its number format (qa_app.readers.numfmt: 99.12%, 1,288.75), a formula
its cached value (what Excel last computed and saved), and each sheet a grid with its merged ranges
(qa_app.readers.grid: titles as paragraphs, header levels expanded, the rest in Word's convention), so
figures, tables and citations work as for .docx.

Bounds: an .xlsx is a zip, inflated with counting first (check_zip); then each worksheet's XML is
streamed once through a parser that only counts its cells and the cells its merged ranges cover
(openpyxl makes an object for each), and a workbook past `max_sheet_cells` is refused before openpyxl
builds any. An .xls (a binary OLE file, at most `max_file_bytes`) is counted sheet by sheet as xlrd
loads it.
"""

from __future__ import annotations

import io
import re
import zipfile

from qa_app.config import Settings
from qa_app.readers.base import IngestError, render_blocks
from qa_app.readers.bounds import check_zip
from qa_app.readers.grid import Blocks, Grid, grid_blocks
from qa_app.readers.numfmt import display

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE compound file: .xls, .doc, or an encrypted .xlsx
_ENCRYPTED_OOXML = "EncryptionInfo".encode("utf-16-le")
_DEFAULT_SHEET = re.compile(r"^(?:Sheet|工作表|Sheet)\s*\d+$", re.IGNORECASE)
_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")


def _too_many(limit: int) -> IngestError:
    return IngestError(f"表格单元格超过 {limit:,} 个，已拒绝")


def _column(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _area(ref: str) -> int:
    """Cells a range such as "A1:H3" covers (0 if it cannot be read)."""
    corners = [_REF.match(part) for part in ref.upper().split(":")]
    if len(corners) != 2 or not all(corners):
        return 0
    (c1, r1), (c2, r2) = ((_column(m.group(1)), int(m.group(2))) for m in corners)
    return (abs(c2 - c1) + 1) * (abs(r2 - r1) + 1)


class _SheetCounter:
    """An lxml parser target that counts a worksheet's cells and merged cells and stops past the bound."""

    def __init__(self, limit: int, counted: list[int]) -> None:
        self.limit, self.counted = limit, counted  # counted: [cells, merged] over the whole workbook

    def start(self, tag: str, attrib: dict, nsmap: dict | None = None) -> None:
        local = tag.rpartition("}")[2]
        if local == "c":
            self.counted[0] += 1
        elif local == "mergeCell":
            self.counted[1] += _area(attrib.get("ref", ""))
        else:
            return
        if max(self.counted) > self.limit:
            raise _too_many(self.limit)

    def end(self, tag: str) -> None:
        pass

    def data(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


def check_sheets(data: bytes, settings: Settings) -> None:
    """Refuse a workbook whose worksheets hold, or merge over, more than `max_sheet_cells` cells."""
    from lxml import etree

    counted = [0, 0]
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # the reader names the damage
    with archive:
        for info in archive.infolist():
            if not re.fullmatch(r"xl/worksheets/[^/]+\.xml", info.filename):
                continue
            parser = etree.XMLParser(
                target=_SheetCounter(settings.max_sheet_cells, counted),
                resolve_entities=False,
                no_network=True,
                load_dtd=False,
            )
            try:
                with archive.open(info) as member:
                    while block := member.read(1 << 20):
                        parser.feed(block)
                parser.close()
            except etree.XMLSyntaxError:
                continue  # malformed: openpyxl refuses it with the reader's reason
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError):
                return


def _sheet_title(title: str, sheets: int) -> list[str]:
    """A sheet's name as a paragraph when the workbook has several and the name says something."""
    return [title] if sheets > 1 and title.strip() and not _DEFAULT_SHEET.match(title.strip()) else []


def xlsx_text(data: bytes, settings: Settings | None = None) -> str:
    """Every visible sheet in order, its cells as shown, in the stored-text convention."""
    settings = settings or Settings()
    if data.startswith(_OLE):
        if _ENCRYPTED_OOXML in data:
            raise IngestError("Excel 文件设有打开密码（已加密），无法读取，已拒绝")
        raise IngestError("不是可读的 .xlsx 文件（这是旧版 .xls 格式，请改用 .xls 扩展名），已拒绝")
    check_zip(data, settings)
    check_sheets(data, settings)
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True, keep_links=False, rich_text=False)
    except MemoryError:
        raise
    except Exception as exc:  # openpyxl raises many types on damaged files (KeyError, ValueError, BadZipFile…)
        raise IngestError("不是可读的 .xlsx 文件（文件损坏或不完整），已拒绝") from exc
    sheets = [ws for ws in book.worksheets if ws.sheet_state == "visible"]
    blocks: Blocks = []
    for ws in sheets:
        grid = Grid()
        # Private on purpose: the cells the sheet holds. The public iter_rows walks every row × column of
        # the sheet's extent, which one far cell makes billions.
        for (row, col), cell in ws._cells.items():
            if cell.value is not None:
                grid.put(row, col, display(cell.value, cell.number_format))
        grid.merges = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
        body = grid_blocks(grid, settings.max_sheet_cells)
        if body:
            if blocks:
                blocks.append("")
            blocks.extend([*_sheet_title(ws.title, len(sheets)), *body])
    book.close()
    return render_blocks(blocks)


def xls_text(data: bytes, settings: Settings | None = None) -> str:
    """An Excel 97-2003 workbook (.xls) read with xlrd, its number formats and merged ranges kept."""
    import xlrd

    settings = settings or Settings()
    if data[:4] == b"PK\x03\x04":
        raise IngestError("不是可读的 .xls 文件（这是 .xlsx 格式，请改用 .xlsx 扩展名），已拒绝")
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True, ragged_rows=True)
    except MemoryError:
        raise
    except Exception as exc:  # xlrd.XLRDError, struct.error, IndexError… on damaged files
        if "encrypt" in str(exc).lower():
            raise IngestError("Excel 文件设有打开密码（已加密），无法读取，已拒绝") from exc
        raise IngestError("不是可读的 .xls 文件（文件损坏或不完整），已拒绝") from exc
    blocks: Blocks = []
    counted = 0
    try:
        visible = [n for n in range(book.nsheets) if book.sheet_by_index(n).visibility == 0]
        for n in visible:
            sheet = book.sheet_by_index(n)
            counted += sum(sheet.row_len(r) for r in range(sheet.nrows))
            if counted > settings.max_sheet_cells:
                raise _too_many(settings.max_sheet_cells)
            grid = Grid()
            for r in range(sheet.nrows):
                for c in range(sheet.row_len(r)):
                    text = _xls_cell(book, sheet.cell(r, c))
                    if text:
                        grid.put(r, c, text)
            grid.merges = [(rlo, clo, rhi - 1, chi - 1) for rlo, rhi, clo, chi in sheet.merged_cells]
            body = grid_blocks(grid, settings.max_sheet_cells)
            if body:
                if blocks:
                    blocks.append("")
                blocks.extend([*_sheet_title(sheet.name, len(visible)), *body])
            book.unload_sheet(n)
    except (IngestError, MemoryError):
        raise
    except Exception as exc:
        raise IngestError("不是可读的 .xls 文件（文件损坏或不完整），已拒绝") from exc
    finally:
        book.release_resources()
    return render_blocks(blocks)


def _xls_cell(book, cell) -> str:
    import xlrd

    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    if cell.ctype == xlrd.XL_CELL_TEXT:
        return cell.value
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERR")
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return display(bool(cell.value), None)
    fmt = book.format_map.get(book.xf_list[cell.xf_index].format_key) if cell.xf_index is not None else None
    fmt_str = fmt.format_str if fmt is not None else "General"
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return display(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode), fmt_str)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return display(cell.value, "General")
    return display(cell.value, fmt_str)
