"""Figures in table rows: a numeric cell labelled row·column ("年度资金总额·全年执行数"), its unit from the
header ("（万元）"), the column (分值 → 分) or the row's merged label, its period and year from the header.
"""

from __future__ import annotations

import re
from dataclasses import replace

from qa_app.extract.model import RawFigure, canonical_unit
from qa_app.extract.prose import scan_prose, short_label
from qa_app.lexicon import load, ordered
from qa_app.structure.layout import NUMERIC_CELL, Block, RowContext, strip_paren_unit

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


def scan_row(view: str, block: Block, ctx: RowContext, year: int | None) -> list[RawFigure]:
    """Figures of one table row: numeric cells labelled row·column, and figures inside text cells."""
    found: list[RawFigure] = []
    quote = (block.start, block.end)
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
        header = strip_paren_unit(ctx.headers[k]) if k < len(ctx.headers) else ""
        if _NOT_A_MEASURE.search(header) or _NOT_A_MEASURE.search(row_label) or _DATE_CELL.match(flat):
            continue
        if not m.group(2) and _YEAR_NUMBER.match(number) and (_WHEN.search(header) or _WHEN.search(row_label)):
            continue
        unit = canonical_unit(unit or ctx.column_unit(k, flat))
        metric = "·".join(p for p in (row_label, header) if p)
        if not unit and (not metric or (len(number) >= 7 and number.isdigit())):  # a serial, a code, a phone
            continue
        period, cell_year = "current", year
        if m_year := _HEADER_YEAR.search(header):
            cell_year = int(m_year.group(1))
        if _HEADER_CHANGE.search(header):
            period = "change"
        elif _HEADER_PREVIOUS.search(header):
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
