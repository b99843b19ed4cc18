"""A grid of cells with merged ranges (a worksheet, an HTML table) as paragraphs and table rows.

The stored-text convention is Word's (qa_app.readers.base): a merged cell is one cell, and a cell merged
down from the row above is an empty cell, which the layout fills from above. A grid differs from a Word
table in two ways that this module settles:

- Header levels. A label merged across several columns over a row of sub-headers ("预算执行情况（万元）"
  over "年初预算数 | 全年预算数 | 全年执行数") is a header level: the rows from that label down to its
  sub-headers are written at the grid's full width, each merged cell repeated in every column and row it
  spans, so every column carries each level of its header and the sub-header row is as wide as the data
  rows under it (the layout takes the nearest label row of the same width as their header, and a unit
  named on a level above it). The rows under such a header keep every column too (a merged cell's
  further columns empty), so each number stays under its own header; in a worksheet, so do the rows
  under any header with a label in every column. Other rows are in Word's convention.
- Titles and captions. In a worksheet, a row that is one cell (a title merged across the sheet,
  "单位：万元" above a table) is a paragraph, not a one-cell table row; a row with nothing in it ends
  the table. (An HTML table says where it starts and ends: every row of it is a row.)

Only columns with a cell in them are written and only rows with a cell in them are visited, so a sheet
whose two cells are A1 and XFD1048576 costs two cells, not the 17 billion between them.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from qa_app.readers.base import IngestError

_NUMBER = re.compile(r"^[-−(]?[¥$]?\d[\d,]*(?:\.\d+)?\)?%?$")

Blocks = list[str | list[str]]


@dataclass
class Grid:
    """Cells by (row, column), each the text it shows; merged ranges as (top, left, bottom, right), inclusive."""

    cells: dict[tuple[int, int], str] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    # Columns of cells that are there but empty (an HTML <td></td>): kept, as Word keeps an empty cell.
    blank_columns: set[int] = field(default_factory=set)

    def put(self, row: int, col: int, text: str) -> None:
        text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
        if text:
            self.cells[(row, col)] = text
        else:
            self.blank_columns.add(col)


@dataclass(frozen=True)
class _Merge:
    top: int
    bottom: int
    first: int  # compact column indices it spans
    last: int
    text: str


def _is_number(text: str) -> bool:
    return bool(_NUMBER.match(text.replace(" ", "")))


def grid_blocks(grid: Grid, max_cells: int, sheet: bool = True) -> Blocks:
    """The grid's rows as paragraphs and table rows (qa_app.readers.base.render_blocks), top to bottom.

    `sheet`: a worksheet, where every row has every column: the rows under any header with a label in every
    column keep the columns. Otherwise (an HTML table, which mirrors a Word table) only the rows under
    expanded header levels do, and the rest are in Word's convention.

    Refused when its rows × columns with a cell in them pass `max_cells` (cells scattered over a sheet
    would unfold into a table of every row by every column).
    """
    if not grid.cells:
        return []
    columns = sorted({c for _, c in grid.cells} | grid.blank_columns)
    compact = {c: j for j, c in enumerate(columns)}
    width = len(columns)
    rows = sorted({r for r, _ in grid.cells})
    if len(rows) * width > max_cells:
        raise IngestError(f"表格展开后超过 {max_cells:,} 个单元格（{len(rows):,} 行 × {width:,} 列），已拒绝")
    owner: dict[tuple[int, int], _Merge] = {}  # (row, compact column) of a merge's text → the merge
    cover: dict[int, dict[int, _Merge]] = {}  # row → compact column → the merge that covers that cell
    for top, left, bottom, right in grid.merges:
        first, last = bisect.bisect_left(columns, left), bisect.bisect_right(columns, right) - 1
        if first > last:
            continue  # over columns with no cell at all
        # a merge's text is its top-left cell's (an empty merged cell is still one cell)
        merge = _Merge(top, bottom, first, last, grid.cells.get((top, left), ""))
        owner[(top, first)] = merge
        # only rows with cells: a merge down a million empty rows costs nothing
        for r in rows[bisect.bisect_left(rows, top) : bisect.bisect_right(rows, bottom)]:
            cover.setdefault(r, {}).update(dict.fromkeys(range(merge.first, merge.last + 1), merge))
    grid_row = {r: [""] * width for r in rows}
    for (r, c), text in grid.cells.items():
        grid_row[r][compact[c]] = text

    expanded = _header_levels(rows, grid_row, owner)
    blocks: Blocks = []
    in_table = under_header = False
    previous = None
    for r in rows:
        if (
            previous is not None
            and r > previous + 1
            and not any(m.top <= previous < m.bottom for m in cover.get(previous, {}).values())
        ):
            if in_table:
                blocks.append("")  # an empty row between two tables ends the first
            in_table = under_header = False
        previous = r
        texts = grid_row[r]
        filled = [j for j, t in enumerate(texts) if t]
        here = cover.get(r, {})
        from_above = any(m.top < r for m in here.values())
        if sheet and len(filled) == 1 and not from_above:
            j = filled[0]
            merge = owner.get((r, j))
            full = merge is not None and merge.first == 0 and merge.last == width - 1
            if full or not in_table:
                if in_table:
                    blocks.append("")
                blocks.append(texts[j].replace("\n", " "))
                in_table = under_header = False
                continue
        if r in expanded:
            row = _expanded_row(texts, here)
        elif under_header:
            row = texts  # as wide as the header above it: a merged cell's further columns empty
        else:
            row = _word_row(r, texts, here)
        if not any(row):
            continue  # only cells a merge from above covers: nothing shows
        full_header = width >= 3 and all(row) and len(row) == width and not any(map(_is_number, row))
        if full_header and (sheet or r in expanded):
            under_header = True  # a label in every column: the rows under it keep the columns
        blocks.append(row)
        in_table = True
    return blocks


def _word_row(r: int, texts: list[str], here: dict[int, _Merge]) -> list[str]:
    """Word's convention: a merged cell once, a cell merged down from above as one empty cell."""
    out: list[str] = []
    j = 0
    while j < len(texts):
        merge = here.get(j)
        if merge is not None and merge.first == j:
            out.append(texts[j] if merge.top == r else "")
            j = merge.last + 1
            continue
        out.append(texts[j])
        j += 1
    return out


def _expanded_row(texts: list[str], here: dict[int, _Merge]) -> list[str]:
    """Every column: a merged cell's text repeated in each cell it covers."""
    out = list(texts)
    for j in range(len(out)):
        merge = here.get(j)
        if merge is not None and not out[j]:
            out[j] = merge.text
    return out


def _header_levels(rows: list[int], grid_row: dict[int, list[str]], owner: dict[tuple[int, int], _Merge]) -> set[int]:
    """Rows of header levels: from a label merged over sub-headers down to the sub-header row.

    A merged label counts when the next row under it holds two or more labels within its columns and no
    number, and every cell left of it in its row is merged down to that row too ("项目" over both levels) or
    is such a label.
    """
    candidates: dict[tuple[int, int], int] = {}  # (row, column) of a group label → the row of its sub-headers
    for (r, j), merge in owner.items():
        if merge.last == merge.first or _is_number(grid_row[r][j]):
            continue
        n = bisect.bisect_right(rows, merge.bottom)
        if n == len(rows):
            continue
        below = rows[n]
        labels = [t for t in grid_row[below][merge.first : merge.last + 1] if t]
        if len(labels) >= 2 and not any(map(_is_number, grid_row[below])):
            candidates[(r, j)] = below
    expanded: set[int] = set()
    for (r, j), below in candidates.items():
        left_ok = True
        for k in range(j):
            text = grid_row[r][k]
            if not text:
                continue
            merge = owner.get((r, k))
            if (r, k) in candidates or (merge is not None and merge.bottom >= below):
                continue
            left_ok = False
            break
        if left_ok:
            expanded.update(rows[bisect.bisect_left(rows, r) : bisect.bisect_right(rows, below)])
    return expanded
