"""Split the normalised view of a stored text into paragraphs and table rows.

The convention is the one `ingest` writes (Word's text export): a paragraph is a line; a table row is a
run of tab-led lines, one per cell, a cell's further lines carrying no tab; a blank line separates rows and
two blank lines end the table. All offsets here are offsets into the normalised view.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass

from qa_app.config import Settings
from qa_app.lexicon import load, ordered
from qa_app.text.headings import clean_line

# The layout is read without settings: its bounds are the defaults (qa_app.config).
_SETTINGS = Settings()

_LINE = re.compile(r"[^\n]*\n?")
_MD_ROW = re.compile(r"^\s*\|.*\|\s*$")
_MD_RULE = re.compile(r"^\s*\|[\s:|-]*-[\s:|-]*\|\s*$")
# A Markdown table copied with a line break after every cell: "|" (or "||") starts a row, "预算数 |" is a cell.
_STACKED_BAR = re.compile(r"^\s*\|+\s*$")
_STACKED_CELL = re.compile(r"^[^|\n]*[^|\s][^|\n]*\|\s*$")


@dataclass(frozen=True)
class Cell:
    start: int
    end: int
    text: str  # the cell's view text, stripped

    @property
    def flat(self) -> str:
        """The cell text on one line: Word wraps labels such as "年度预\\n算申请" inside cells."""
        return re.sub(r"\s+", "", self.text)


@dataclass(frozen=True)
class Block:
    """A paragraph (`cells` empty) or a table row; `table` numbers the tables of a document."""

    start: int
    end: int
    text: str
    cells: tuple[Cell, ...] = ()
    table: int = -1
    row: int = -1

    @property
    def is_row(self) -> bool:
        return self.table >= 0


def _cell(view: str, start: int, end: int) -> Cell:
    raw = view[start:end]
    lead = len(raw) - len(raw.lstrip())
    body = raw.strip()
    return Cell(start + lead, start + lead + len(body), body)


def parse_blocks(view: str) -> list[Block]:
    """Paragraph lines and table rows, in order. Blank lines are not blocks."""
    items: list[Block | list[list[list[int]]]] = []  # paragraphs, and tables as lists of row fragments
    blanks = 0
    table: list[list[list[int]]] | None = None
    md_table: list[list[list[int]]] | None = None
    stacked = _stacked_lines(view)
    for m in _LINE.finditer(view):
        line = m.group()
        if not line:
            break
        start, end = m.start(), m.start() + len(line.rstrip("\n"))
        if start in stacked:  # a row of a stacked table: cells one per line
            if md_table is None:
                md_table = []
                items.append(md_table)
            if stacked[start] == "bar":
                if not md_table or md_table[-1]:
                    md_table.append([])
            else:
                md_table[-1:] = md_table[-1:] or [[]]
                md_table[-1].append([start, start + line.rindex("|")])
            table, blanks = None, 0
            continue
        if _MD_ROW.match(line):  # a Markdown table row: one line, cells between pipes
            if md_table is None:
                md_table = []
                items.append(md_table)
            if not _MD_RULE.match(line):
                bars = [start + i for i, ch in enumerate(line) if ch == "|"]
                md_table.append([[a + 1, b] for a, b in itertools.pairwise(bars)])
            table, blanks = None, 0
            continue
        md_table = None
        if line.startswith("\t"):
            if table is None:
                table = [[]]
                items.append(table)
            elif blanks:
                table.append([])
            table[-1].append([start + 1, end])
            blanks = 0
        elif not line.strip():
            blanks += 1
        elif table is not None and blanks <= 1:
            table[-1][-1][1] = end  # a further paragraph of the last cell
            blanks = 0
        else:
            table = None
            blanks = 0
            body = line.rstrip("\n")
            lead = len(body) - len(body.lstrip())
            stripped = body.strip()
            items.append(Block(start + lead, start + lead + len(stripped), stripped))

    blocks: list[Block] = []
    n_tables = 0
    for item in items:
        if isinstance(item, Block):
            blocks.append(item)
            continue
        for row, cells in enumerate(_merge_fragments(item)):
            built = tuple(_cell(view, s, e) for s, e in cells)
            start, end = cells[0][0] - 1, cells[-1][1]
            blocks.append(Block(start, end, view[start:end], built, n_tables, row))
        n_tables += 1
    return blocks


def _stacked_lines(view: str) -> dict[int, str]:
    """Line starts of stacked tables ("bar" or "cell"): runs of bar and cell lines with two bars or more and
    four cells or more, so a sentence that happens to end in "|" is no table."""
    out: dict[int, str] = {}
    run: list[tuple[int, str]] = []
    for m in itertools.chain(_LINE.finditer(view), [None]):
        line = m.group() if m else ""
        kind = "bar" if _STACKED_BAR.match(line) else "cell" if _STACKED_CELL.match(line) else ""
        if kind and m and line:
            run.append((m.start(), kind))
            continue
        kinds = [k for _, k in run]
        if kinds.count("bar") >= 2 and kinds.count("cell") >= 4:
            out.update(run)
        run = []
        if not line:
            break
    return out


def _merge_fragments(fragments: list[list[list[int]]]) -> list[list[list[int]]]:
    """Re-join rows that a cell's trailing empty paragraph split in two.

    The text export ends a row with a blank line, but a cell ending in an empty paragraph prints one too.
    Consecutive fragments, none of a usual row width, whose cell counts add up to a usual row width (one
    seen at least twice, of three cells or more) are one row.
    """
    counts: dict[int, int] = {}
    for f in fragments:
        counts[len(f)] = counts.get(len(f), 0) + 1
    usual = {w for w, c in counts.items() if c >= 2 and w >= 3}
    if not usual:
        return fragments
    widest = max(usual)
    rows: list[list[list[int]]] = []
    i = 0
    while i < len(fragments):
        j, total = i, 0
        if len(fragments[i]) not in usual:
            while j < len(fragments) and total < widest:
                total += len(fragments[j])
                j += 1
                if total in usual:
                    break
        pairs = all(len(f) == 2 and all(s < e for s, e in f) for f in fragments[i:j])
        if j - i > 1 and total in usual and not pairs:  # "填报人|张三", "电话|…" are rows of their own
            rows.append([cell for f in fragments[i:j] for cell in f])
            i = j
        else:
            rows.append(fragments[i])
            i += 1
    return rows


# --- table context ---------------------------------------------------------------------------------

_UNITS = load("units")
UNITS = tuple(_UNITS["units"])
_COMPARISON = set(_UNITS["comparison_cells"])
# Longest first; a rate keeps its denominators: "58万元/处", "300元/人", "1300元/人/月", "583元/人*月".
UNIT_ALT = (
    "(?:"
    + "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
    + r")(?:/[\u4e00-\u9fff](?:[/*·][\u4e00-\u9fff])?)?"
)
NUMERIC_CELL = re.compile(
    rf"^(?:[{_UNITS['cell_qualifiers']}])?([-−]?\d[\d,]*(?:\.\d+)*)({UNIT_ALT})?"
    rf"(?:{ordered(_UNITS['cell_approximations'])})?$"
)
_PAREN_UNIT = re.compile(rf"[(（]\s*(?:单位\s*[:：])?\s*({UNIT_ALT})\s*[)）]")
SCORE_UNIT = _UNITS["score_unit"]
_SCORE = re.compile(f"({ordered(_UNITS['score_labels'])}|^{SCORE_UNIT}$)")
_HAS_NUMBER_WITH_UNIT = re.compile(rf"\d({UNIT_ALT})")
CAPTION_UNIT = re.compile(rf"单位\s*[:：]\s*({UNIT_ALT})")
_UNIT_LINE = re.compile(rf"^[(（]?\s*(?:{ordered(_UNITS['unit_line_leads'])})?{CAPTION_UNIT.pattern}\s*[)）]?$")
_LABEL_LEAD = re.compile(f"^(?:{ordered(_UNITS['label_leads'])})?[:：]?")


def paren_unit(text: str) -> str:
    """The unit named in parentheses, as in "预算支出（万元）"; "" when there is none."""
    m = _PAREN_UNIT.search(text)
    return m.group(1) if m else ""


def strip_paren_unit(text: str) -> str:
    return _PAREN_UNIT.sub("", text).strip()


@dataclass(frozen=True)
class RowContext:
    """What a table row inherits: column headers, its leading merged cells filled down, a default unit."""

    headers: tuple[str, ...]
    filled: tuple[str, ...]
    unit: str  # named for the whole row: in the header's corner cell, a merged label cell or the caption
    caption: str = ""  # the line that names the table ("2024年度“三公”经费支出决算表"), "" when none

    def column_unit(self, col: int, cell_text: str) -> str:
        """The unit of a bare number in column `col`: its header's, a score column's 分, else the row's."""
        header = self.headers[col] if col < len(self.headers) else ""
        if unit := paren_unit(header):
            return unit
        if _SCORE.search(header):
            return SCORE_UNIT
        label = self.label(col)
        if unit := paren_unit(label):
            return unit
        if _SCORE.search(label):
            return SCORE_UNIT
        return self.unit

    def label(self, col: int) -> str:
        """The nearest short text cell to the left: the row's label for this column.

        Numbers and long descriptions ("本项目主要用于…") are skipped; "其中:当年财政拨款" reads 当年财政拨款.
        """
        fallback = ""
        for k in range(col - 1, -1, -1):
            text = self.filled[k]
            if not text or NUMERIC_CELL.match(text) or _HAS_NUMBER_WITH_UNIT.search(text) or not_a_label(text):
                continue
            text = _LABEL_LEAD.sub("", text) or text
            if len(text) <= 30 and "。" not in text:
                return text
            fallback = fallback or text
        return fallback


def not_a_label(text: str) -> bool:
    """A cell that is only a direction ("≧") or a unit ("人次", a 度量单位 column) labels nothing."""
    return text in UNITS or all(c in _COMPARISON for c in text)


def unit_cell(cells: tuple[Cell, ...], k: int) -> str:
    """The unit the cell after cell k holds alone (a 度量单位 column: "735 | 人次"), "" when none."""
    return cells[k + 1].flat if k + 1 < len(cells) and cells[k + 1].flat in UNITS else ""


def is_numeric_cell(text: str) -> bool:
    return bool(NUMERIC_CELL.match(text))


def table_captions(blocks: list[Block]) -> dict[int, Block]:
    """The line that names each table: a short line right above it, or right above its unit line ("单位：万元"),
    that is neither a field nor a unit ("填报单位:(盖章)", "单位:万元")."""
    out: dict[int, Block] = {}
    for i, b in enumerate(blocks):
        if not b.is_row or b.row != 0:
            continue
        j = i - 1
        if j >= 0 and not blocks[j].is_row and _UNIT_LINE.match(clean_line(blocks[j].text)):
            j -= 1
        if j < 0 or blocks[j].is_row:
            continue
        line = re.sub(r"\s+", " ", clean_line(blocks[j].text))
        if line and len(line) <= _SETTINGS.caption_max_chars and ":" not in line:
            out[b.table] = blocks[j]
    return out


def row_contexts(blocks: list[Block], captions: dict[int, Block]) -> dict[tuple[int, int], RowContext]:
    """Context for every table row, keyed by (table, row)."""
    by_table: dict[int, list[Block]] = {}
    caption_unit: dict[int, str] = {}
    last_para = ""  # the paragraph right before the current block, "" after a table
    for b in blocks:
        if b.is_row:
            if b.table not in by_table:  # "单位：万元" or "（单位：万元）" just above a table
                m = CAPTION_UNIT.search(last_para)
                caption_unit[b.table] = m.group(1) if m else ""
            by_table.setdefault(b.table, []).append(b)
            last_para = ""
        else:
            last_para = b.text
    out: dict[tuple[int, int], RowContext] = {}
    for table, rows in by_table.items():
        flats = [[c.flat for c in r.cells] for r in rows]
        for i, row in enumerate(rows):
            cells = flats[i]
            found = _header_row(flats, i)
            header_cells, header_at = found if found else ([""] * len(cells), -1)
            filled = list(cells)
            for k, text in enumerate(cells):
                if text:
                    break
                for j in range(i - 1, -1, -1):
                    if k < len(flats[j]) and flats[j][k]:
                        filled[k] = flats[j][k]
                        break
            # A unit for the whole row: in the table's corner cell, a merged label cell, or the caption.
            corner = header_cells[0] if header_cells else ""
            unit = next((u for t in (corner, *filled[:2]) if (u := paren_unit(t))), "")
            unit = unit or (_header_unit(flats, header_at) if header_at > 0 else "") or caption_unit[table]
            caption = re.sub(r"\s+", "", clean_line(captions[table].text)) if table in captions else ""
            out[(row.table, row.row)] = RowContext(tuple(header_cells), tuple(filled), unit, caption)
    return out


def _header_row(flats: list[list[str]], i: int) -> tuple[list[str], int] | None:
    """The nearest row above of the same width whose cells are all labels, with the header rows above it.

    Two-cell rows are label | value pairs; they take a header only when it names a unit ("金额（万元）").
    A header over several rows labels each column with every level that stands over it (`_levels`):
    "预算数" over "合计 | … | 公务接待费" labels a column 预算数·公务接待费. A header over two rows that is
    no such grid ("项目 | 预算数（万元）" over "| 年初 | 调整后" as the text export writes it) fills its
    empty leading cells from the row above it.
    """
    cells = flats[i]
    for j in range(i - 1, -1, -1):
        above = flats[j]
        if len(above) != len(cells) or not _label_row(above):
            continue
        if len(cells) < 3 and not any(paren_unit(t) for t in above):
            return None
        band = [above]
        for upper in reversed(flats[:j]):
            if not _stands_over(upper, band[0], len(cells)):
                break
            band.insert(0, upper)
        if len(band) > 1:
            return _levels(band, len(cells)), j
        header = list(above)
        upper = flats[j - 1] if j > 0 else []
        if upper and not any(map(is_numeric_cell, upper)):
            for k, text in enumerate(header):
                if text or k >= len(upper):
                    break
                header[k] = upper[k]
        return header, j
    return None


def _label_row(cells: list[str]) -> bool:
    return not any(map(is_numeric_cell, cells)) and len([t for t in cells if t]) >= 2


def _on_grid(cells: list[str], width: int) -> list[str | None]:
    """A row's cells by grid column: a shorter row's last cell spans the rest (None: covered by it)."""
    return [*cells[:width], *[None] * (width - len(cells))]


def _stands_over(upper: list[str], lower: list[str], width: int) -> bool:
    """Whether label row `upper` is a level of the header that `lower` (right below it) is a level of.

    Its cells must stand on the header's grid, and it must span: one of its labels goes on over an empty cell
    (each further column of a merged cell, as the readers write it) above a label of the row below; or, in a
    shorter row whose last cell spans the rest, every other label stands over an empty cell of the row below
    (a label merged down: "项目" over "").
    """
    if len(upper) > width or not _label_row(upper):
        return False
    below = _on_grid(lower, width)
    labelled = [k for k, text in enumerate(upper) if text]
    if any(not upper[k] and below[k] for k in range(labelled[0] + 1, len(upper))):
        return True
    return len(upper) < width and not any(below[k] for k in labelled[:-1])


def _levels(band: list[list[str]], width: int) -> list[str]:
    """Each column's labels from the top level down, joined: "预算数·公务接待费".

    An empty cell goes on with the label to its left (that cell spans it) unless a level above starts a
    label of its own at its column: a span never crosses a boundary of the levels above it.
    """
    labels: list[list[str]] = [[] for _ in range(width)]
    starts: set[int] = set()  # columns where a level above starts a label
    for row in band:
        current = ""
        for k, text in enumerate(_on_grid(row, width)):
            if text or k in starts:
                current = text or ""
            if current and (not labels[k] or labels[k][-1] != current):
                labels[k].append(current)
        starts |= {k for k, text in enumerate(row) if text}
    return ["·".join(parts) for parts in labels]


def _header_unit(flats: list[list[str]], j: int) -> str:
    """The one unit named in the label rows above header row j ("预算数（万元）" over "年初 | 调整后")."""
    units: set[str] = set()
    for above in reversed(flats[:j]):
        if any(map(is_numeric_cell, above)):
            break
        units.update(u for t in above if (u := paren_unit(t)))
    return units.pop() if len(units) == 1 else ""


@dataclass(frozen=True)
class Layout:
    """A document's blocks with the context of every table row, computed once per document."""

    blocks: list[Block]
    rows: dict[tuple[int, int], RowContext]
    starts: list[int]
    caption_starts: frozenset[int]  # where the lines that name a table stand (`table_captions`)

    def within(self, start: int, end: int) -> list[Block]:
        """The blocks that start in view [start, end)."""
        lo = bisect.bisect_left(self.starts, start)
        return self.blocks[lo : bisect.bisect_left(self.starts, end, lo)]

    def context(self, block: Block) -> RowContext:
        return self.rows[(block.table, block.row)]

    def is_caption(self, block: Block) -> bool:
        return block.start in self.caption_starts


def parse_layout(view: str) -> Layout:
    blocks = parse_blocks(view)
    captions = table_captions(blocks)
    starts = frozenset(b.start for b in captions.values())
    return Layout(blocks, row_contexts(blocks, captions), [b.start for b in blocks], starts)
