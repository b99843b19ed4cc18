"""Figures in table rows: a numeric cell labelled row·column ("年度资金总额·全年执行数"; every level of a header
over several rows: "…·决算数·公务接待费"), its unit from the header ("（万元）"), the column (分值 → 分), the
row's merged label or the caption, its period and year from the header. A row labelled by nothing but 金额
or 合计 is named by what its table's caption tabulates ("“三公”经费支出决算表" → 三公经费支出决算).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import replace

from qa_app.extract.model import RawFigure, canonical_unit
from qa_app.extract.prose import CARRIED_OVER, clean_label, says_nothing, scan_prose, short_label
from qa_app.lexicon import load, ordered
from qa_app.structure.layout import (
    CAPTION_UNIT,
    NUMERIC_CELL,
    Block,
    RowContext,
    paren_unit,
    strip_paren_unit,
    unit_cell,
)
from qa_app.text.names import parse_org

_WORDS = load("figure_words")["tables"]
# Cells that identify rather than measure: serial numbers, phone numbers, codes, dates, years.
_NOT_A_MEASURE = re.compile(rf"{ordered(_WORDS['not_a_measure'])}|^(?:{ordered(_WORDS['not_a_measure_whole'])})$")
_WHEN = re.compile(rf"(?:{ordered(_WORDS['when'])})$")  # "完成时间 | 2024": a year, not an amount
_YEAR_NUMBER = re.compile(r"^(?:19|20)\d{2}$")
_DATE_CELL = re.compile(r"^(?:19|20)\d{2}[./-](?:0?[1-9]|1[0-2])(?:[./-]\d{1,2})?$")  # "2024.12"
# What a column header says of its figures' time: "2023年", "上年数", "增减".
_HEADER_YEAR = re.compile(r"((?:19|20)\d{2})年?")
_HEADER_PREVIOUS = re.compile(ordered(_WORDS["previous"]))
_HEADER_CHANGE = re.compile(ordered(_WORDS["change"]))
_TABLE_END = re.compile(f"(?:{ordered(_WORDS['table_ends'])})$")
_IN_WORDS = re.compile(r"[\u4e00-\u9fff]")  # a caption names its table in words, not with a stray "|"
# A label paragraph of a table saved one cell per paragraph is short, and its unit line stands within reach above.
_MAX_STACKED_LABEL = 30
_UNIT_REACH = 4000
_MEASURE_WORDS = ordered(load("figure_words")["labels"]["measure_only"])
_COLUMN_WORD = re.compile(
    rf"^(?:(?:{_MEASURE_WORDS})+(?:{ordered(_WORDS['column_ends'])})|{ordered(load('units')['score_labels'])})$"
)
_PLACEHOLDERS = frozenset(_WORDS["placeholders"])
_TOKEN = re.compile(r"\S+")
_TABLE_NUMBER = re.compile(rf"^(?:{ordered(_WORDS['table_numbers'])})[\d{load('figure_words')['numerals']}-]*[:、.]?")


def caption_subject(caption: str) -> str:
    """What a table's caption says it tabulates: "青禾县财政局2024年度“三公”经费支出决算表" → 三公经费支出决算;
    "" when it says it in no words (a stray "|" above a table)."""
    caption = _TABLE_NUMBER.sub("", caption)
    found = parse_org(caption)
    if found and caption.startswith(found[0]):
        caption = caption[len(found[0]) :]
    subject = _TABLE_END.sub("", clean_label(caption))  # "…预算表(省级部门)": the aside goes first
    return subject if _IN_WORDS.search(subject) else ""


def scan_row(view: str, block: Block, ctx: RowContext, year: int | None) -> list[RawFigure]:
    """Figures of one table row: numeric cells labelled row·column, and figures inside text cells."""
    found: list[RawFigure] = []
    quote = (block.start, block.end)
    subject = caption_subject(ctx.caption) if ctx.caption else ""
    for k, cell in enumerate(block.cells):
        flat = cell.flat
        if not flat:
            continue
        m = NUMERIC_CELL.match(flat)
        if not m:
            for raw in scan_prose(view, cell.start, cell.end, year, ctx.column_unit(k, flat)):
                label = raw.metric or short_label(strip_paren_unit(ctx.label(k)))
                found.append(replace(raw, metric=label, source="table", quote=quote))
            continue
        number, unit = m.group(1), m.group(2) or ""
        pos = view.find(number[0], cell.start, cell.end)
        span_end = cell.end if unit else _number_end(view, pos, number, cell.end)
        row_label = short_label(strip_paren_unit(ctx.label(k)))
        if subject and says_nothing(row_label):  # "金额 | 12.50" in the “三公”经费支出决算表: 三公经费支出决算
            row_label = subject
        header = strip_paren_unit(ctx.headers[k]) if k < len(ctx.headers) else ""
        if _NOT_A_MEASURE.search(header) or _NOT_A_MEASURE.search(row_label) or _DATE_CELL.match(flat):
            continue
        if not m.group(2) and _YEAR_NUMBER.match(number) and (_WHEN.search(header) or _WHEN.search(row_label)):
            continue
        unit = canonical_unit(unit or unit_cell(block.cells, k) or ctx.column_unit(k, flat))
        metric = "·".join(p for p in (row_label, header) if p)
        if not unit and (not metric or (len(number) >= 7 and number.isdigit())):  # a serial, a code, a phone
            continue
        period, cell_year = "current", year
        if m_year := _HEADER_YEAR.search(header):
            cell_year = int(m_year.group(1))
        if _HEADER_CHANGE.search(header):
            period = "change"
        elif _HEADER_PREVIOUS.search(header) and not CARRIED_OVER.search(header):  # 上年结转 is this year's
            period = "previous"
            cell_year = cell_year - 1 if cell_year is not None and not m_year else cell_year
        found.append(RawFigure(pos, span_end, number, unit, metric, period, cell_year, "table", quote))
    return found


def _number_end(view: str, pos: int, number: str, limit: int) -> int:
    """End of `number` in the view from `pos`, allowing the spaces a cell may hold inside it."""
    i, k = pos, 0
    while i < limit and k < len(number):
        if view[i] == number[k]:
            k += 1
        i += 1
    return i


_DECIMAL_CELL = re.compile(r"^[-−]?\d[\d,]*\.\d+$")
_LABEL_CELL = re.compile(r"^[^\d。;；,，]*[\u4e00-\u9fff][^。;；]*$")


def scan_stacked(view: str, blocks: list[Block], year: int | None) -> list[RawFigure]:
    """A table saved from a web page one cell per paragraph ("一、一般公共预算拨款收入", "3415.94", under
    "单位:万元"): a paragraph that is only an amount with decimals, right after a short label paragraph, is that
    label's figure in the unit the page declared above it. Integers stay out (序号, page numbers), as does an
    amount after another amount (a further column no label names)."""
    found: list[RawFigure] = []
    for before, block in itertools.pairwise(blocks):
        if block.is_row or before.is_row or not _DECIMAL_CELL.match(block.text):
            continue
        label = clean_label(before.text)
        if not label or len(before.text) > _MAX_STACKED_LABEL or not _LABEL_CELL.match(label):
            continue
        declared = list(CAPTION_UNIT.finditer(view, max(0, block.start - _UNIT_REACH), block.start))
        if not declared:
            continue
        unit = canonical_unit(declared[-1].group(1), "")
        end = block.start + len(block.text)
        quote = (before.start, end)
        found.append(RawFigure(block.start, end, block.text, unit, label, "current", year, "table", quote))
    return found


def scan_flat_rows(view: str, blocks: list[Block], year: int | None) -> tuple[list[RawFigure], list[tuple[int, int]]]:
    """A table flattened into a line of words (a sheet or PDF form saved as text): a run of column words and
    the row of cells under them ("全年预算数 全年执行数 分值 执行率 得分 65.66 65.07 10 99% 9"). The k-th cell
    is the k-th column's figure when the cells after the run come in whole rows of its width (10 cells under 5
    words); only the first row is read, as the rows after it are named nowhere on the line. An amount takes
    the unit the line declared before the run ("(万元)"), a score column 分. Returns the figures and the spans
    of the cell runs, whose numbers are no sentence's."""
    found: list[RawFigure] = []
    spans: list[tuple[int, int]] = []
    for block in blocks:
        if block.is_row:
            continue
        tokens = list(_TOKEN.finditer(view, block.start, block.end))
        i = 0
        while i < len(tokens):
            j = i
            while j < len(tokens) and _COLUMN_WORD.match(tokens[j].group()):
                j += 1
            k = j - i
            cells = j
            while cells < len(tokens) and (
                tokens[cells].group() in _PLACEHOLDERS or NUMERIC_CELL.match(tokens[cells].group())
            ):
                cells += 1
            n = cells - j
            if k < 3 or n == 0 or n % k:
                i = max(j, i + 1)
                continue
            headers = tuple(t.group() for t in tokens[i:j])
            declared = [u for t in tokens[:i] if (u := paren_unit(t.group()))]
            ctx = RowContext(headers=headers, filled=("",) * k, unit=declared[-1] if declared else "")
            quote = (tokens[i].start(), tokens[j + k - 1].end())
            for col, tok in enumerate(tokens[j : j + k]):
                m = NUMERIC_CELL.match(tok.group())
                if not m:
                    continue
                unit = canonical_unit(m.group(2) or ctx.column_unit(col, tok.group()))
                if unit:
                    found.append(
                        RawFigure(
                            tok.start(), tok.end(), m.group(1), unit, headers[col], "current", year, "table", quote
                        )
                    )
            spans.append((tokens[j].start(), tokens[cells - 1].end()))
            i = cells
    return found, spans
