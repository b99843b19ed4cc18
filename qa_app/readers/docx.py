"""Word (.docx): paragraphs and tables in document order via python-docx, each table row's cells apart and on
the table's grid (a cell spanning columns is followed by an empty cell for each further one)."""

from __future__ import annotations

import io
import zipfile
import zlib

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table, _Cell, _Row
from lxml.etree import XMLSyntaxError

from qa_app.config import Settings
from qa_app.readers.base import IngestError, render_blocks
from qa_app.readers.bounds import check_zip


def _row_cells(row: _Row, table: Table) -> list[_Cell]:
    """One cell per <w:tc> of the row, each with its own content."""
    # Private on purpose: the public `_Row.cells` repeats a spanned cell per grid column and gives a vertically
    # merged cell the content of the one above, and python-docx has no public per-<w:tc> access.
    return [_Cell(tc, table) for tc in row._tr.tc_lst]


def _grid_gaps(row: _Row) -> list[int]:
    """How many grid columns stand before each <w:tc> of the row and after the one before it.

    A row that starts further right (gridBefore) opens with the columns it skips, and a cell spanning several
    columns (gridSpan) leaves the further ones before the next cell; the row's last cell spans the rest of the
    row, as a shorter row's last cell does in Word's text export. A vertically merged cell (vMerge) has its
    own, empty <w:tc> in each further row.
    """
    tcs = row._tr.tc_lst
    return [max(0, n) for n in (row.grid_cols_before, *(tc.grid_span - 1 for tc in tcs[:-1]))][: len(tcs)]


def _docx_cell_text(cell: _Cell) -> str:
    """A cell's paragraphs, and any table nested in it as one line per row (cells apart by spaces)."""
    lines: list[str] = []
    for part in cell.iter_inner_content():
        if isinstance(part, Table):
            for row in part.rows:
                inner = [_docx_cell_text(c).replace("\n", " ") for c in _row_cells(row, part)]
                lines.append(" ".join(t for t in inner if t.strip()))
        else:
            lines.append(part.text)
    return "\n".join(lines)


def docx_text(data: bytes, settings: Settings | None = None) -> str:
    """Paragraphs and tables in document order; each table row keeps its cells apart.

    The archive is first inflated with counting (qa_app.readers.bounds.check_zip), so python-docx, which holds
    every part in memory, only ever sees parts within the bounds.
    """
    settings = settings or Settings()
    check_zip(data, settings)
    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[str | list[str]] = []
        room = settings.max_text_chars // 2  # an empty cell is two characters of stored text ("\t\n")
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                for row in item.rows:
                    # On the table's grid: a header cell ("预算数" over four columns) stands over the columns it
                    # names, each column it spans after the first an empty cell.
                    cells: list[str] = []
                    for gap, cell in zip(_grid_gaps(row), _row_cells(row, item), strict=True):
                        room -= gap
                        if room < 0:
                            raise IngestError("text too long: its tables span more columns than a report has")
                        cells += [""] * gap + [_docx_cell_text(cell)]
                    blocks.append(cells)
            else:
                blocks.append(item.text)
    except (PackageNotFoundError, zipfile.BadZipFile, zlib.error, EOFError, KeyError, XMLSyntaxError) as exc:
        raise IngestError("not a readable .docx (damaged or incomplete file)") from exc
    except ValueError as exc:
        raise IngestError(f"not a readable .docx ({exc})") from exc
    return render_blocks(blocks)
