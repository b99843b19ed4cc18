"""Generate .docx and .pdf versions of a seed report, for tests that read every format the same way.

A seed report is plain text in the stored-text convention (see `qa_app.readers.ingest`). `seed_blocks` reads it
back into paragraphs and table rows with the project's own parser; `write_docx` and `write_pdf` then lay
those out as a real Word document (paragraphs and real tables, a shorter row's trailing grid cells merged
into its last cell) and as a real PDF (wrapped CJK paragraphs, ruled tables in the built-in STSong-Light
CID font, so no font file is needed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from qa_app.structure.layout import parse_blocks


@dataclass
class Table:
    """Rows of one table; each row is a list of cell texts, a cell's lines separated by newlines."""

    rows: list[list[str]] = field(default_factory=list)

    @property
    def width(self) -> int:
        return max(len(r) for r in self.rows)


@dataclass
class Paragraph:
    text: str
    blank_before: int = 0  # empty lines between this paragraph and the paragraph before it


Item = Paragraph | Table


def seed_blocks(text: str) -> list[Item]:
    """Paragraphs and tables of a stored text, in order, as the project's layout parser reads them."""
    items: list[Item] = []
    last_end = 0
    last_table = -1
    for block in parse_blocks(text):
        if block.is_row:
            if not isinstance(items[-1] if items else None, Table) or block.table != last_table:
                items.append(Table())
            last_table = block.table
            table = items[-1]
            assert isinstance(table, Table)
            table.rows.append([_cell_text(c.text) for c in block.cells])
        else:
            blanks = text.count("\n", last_end, block.start) - 1 if items and isinstance(items[-1], Paragraph) else 0
            items.append(Paragraph(block.text, max(blanks, 0)))
        last_end = block.end
    return items


def _cell_text(text: str) -> str:
    """A cell's lines without trailing spaces; a line that is only spaces is an empty paragraph."""
    return "\n".join(line.strip(" \u3000") for line in text.split("\n"))


# --- .docx -----------------------------------------------------------------------------------------


# In a Table row given cell by grid column, these mark a grid column that the cell to its left, or the cell
# above it, spans (a merged header: "预算数", "<", "<" over "合计", "公务接待费", …; "项目" over "^").
SPAN_LEFT = "<"
SPAN_UP = "^"


def merged_cells(rows: list[list[str]], width: int) -> list[tuple[int, int, str, int, int]]:
    """(row, column, text, last column, last row) of every cell of a table, a shorter row's last cell
    spanning the rest of the grid and each cell the grid columns and rows `SPAN_LEFT` / `SPAN_UP` give it."""
    grid = [[*cells, *[SPAN_LEFT] * (width - len(cells))] for cells in rows]
    out = []
    for r, cells in enumerate(grid):
        for c, text in enumerate(cells):
            if text in (SPAN_LEFT, SPAN_UP):
                continue
            right = c
            while right + 1 < width and cells[right + 1] == SPAN_LEFT:
                right += 1
            down = r
            while down + 1 < len(grid) and grid[down + 1][c] == SPAN_UP:
                down += 1
            out.append((r, c, text, right, down))
    return out


def write_docx(items: list[Item], path: Path) -> Path:
    """Paragraphs as paragraphs, tables as Word tables as wide as their widest row.

    A shorter row's last cell spans the rest of the grid; `SPAN_LEFT` / `SPAN_UP` merge a cell with the one to
    its left or above (gridSpan, vMerge), so a merged header is the one Word cell it is in a real report.
    """
    import docx

    document = docx.Document()
    for item in items:
        if isinstance(item, Paragraph):
            for _ in range(item.blank_before):
                document.add_paragraph("")
            document.add_paragraph(item.text)
            continue
        table = document.add_table(rows=len(item.rows), cols=item.width)
        table.style = "Table Grid"
        for r, c, text, right, down in merged_cells(item.rows, item.width):
            cell = table.cell(r, c)
            if (right, down) != (c, r):
                cell = cell.merge(table.cell(down, right))
            _set_cell_text(cell, text)
    document.save(str(path))
    return path


def _set_cell_text(cell, text: str) -> None:
    """One Word paragraph per line of the cell, so the reader sees the cell's own line breaks."""
    lines = text.split("\n")
    paragraphs = cell.paragraphs
    for extra in paragraphs[1:]:  # a merge leaves the merged cells' empty paragraphs behind
        extra._p.getparent().remove(extra._p)
    paragraphs[0].text = lines[0]
    for line in lines[1:]:
        cell.add_paragraph(line)


# --- .pdf ------------------------------------------------------------------------------------------

FONT = "STSong-Light"
BODY_SIZE = 10.5  # 五号
TABLE_SIZE = 8.0
_UNBREAKABLE = re.compile(r"[0-9A-Za-z.,%:/=≥≤<>+\-*~()（）]+")


def cid_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _markup(text: str) -> str:
    """Paragraph markup for plain text: escaped, with runs of spaces kept as they are.

    A Paragraph collapses runs of spaces and the CID font has no glyph for a no-break space, so the rest of
    a run is set as no-break spaces in Helvetica, which has one.
    """
    return re.sub(
        r"[ \u3000]{2,}",
        lambda m: " " + '<font name="Helvetica">' + "&nbsp;" * (len(m.group()) - 1) + "</font>",
        escape(text),
    )


def write_pdf(items: list[Item], path: Path) -> Path:
    """An A4 PDF: paragraphs wrapped with a two-character first-line indent, tables ruled cell by cell,
    and a page number at the foot of every page."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Paragraph as PdfParagraph
    from reportlab.platypus import SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as PdfTable

    font = cid_font()
    body = ParagraphStyle(
        "body",
        fontName=font,
        fontSize=BODY_SIZE,
        leading=BODY_SIZE * 1.5,
        firstLineIndent=2 * BODY_SIZE,
        wordWrap="CJK",
    )
    cell = ParagraphStyle("cell", fontName=font, fontSize=TABLE_SIZE, leading=TABLE_SIZE * 1.3, wordWrap="CJK")
    margin = 20 * mm
    doc = SimpleDocTemplate(
        str(path), pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=margin, bottomMargin=margin
    )
    frame_width = A4[0] - 2 * margin
    pad = 3.0

    def token_width(text: str) -> float:
        """Width of the longest run that must not be broken (a number, a Latin word), plus padding."""
        longest = max((stringWidth(m.group(), font, TABLE_SIZE) for m in _UNBREAKABLE.finditer(text)), default=0.0)
        return longest + 2 * pad + 2

    story: list = []
    for item in items:
        if isinstance(item, Paragraph):
            if item.blank_before:
                story.append(Spacer(1, BODY_SIZE * 0.5))
            story.append(PdfParagraph(_markup(item.text), body))
            continue
        width = item.width
        # Each column at least as wide as its longest number; the rest shared by the length of its text.
        need = [TABLE_SIZE + 2 * pad + 2] * width
        weight = [1.0] * width
        cells_of = merged_cells(item.rows, width)
        for _, k, text, right, _ in cells_of:
            if right > k:
                continue  # a spanning cell constrains its columns together, not one by one
            need[k] = max(need[k], token_width(text))
            weight[k] = max(weight[k], float(min(len(text.replace("\n", "")), 30)))
        spare = frame_width - sum(need)
        assert spare > 0, "table too wide for the page"
        widths = [n + spare * w / sum(weight) for n, w in zip(need, weight, strict=True)]
        style = [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), pad),
            ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ]
        data = [[""] * width for _ in item.rows]
        for r, c, text, right, down in cells_of:
            lines = text.split("\n")
            data[r][c] = [PdfParagraph(_markup(line), cell) if line else Spacer(1, TABLE_SIZE) for line in lines]
            if (right, down) != (c, r):
                style.append(("SPAN", (c, r), (right, down)))
        table = PdfTable(data, colWidths=widths, style=style, hAlign="LEFT")
        story.append(Spacer(1, BODY_SIZE * 0.5))
        story.append(table)
        story.append(Spacer(1, BODY_SIZE * 0.5))

    def page_number(canvas, document) -> None:
        canvas.setFont(font, 9)
        canvas.drawCentredString(A4[0] / 2, margin / 2, f"- {document.page} -")

    doc.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return path
