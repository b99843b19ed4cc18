"""The figures table: one `Figure` per number a report states, and the helpers that read its value and unit.

Columns of the figures table (`figures_frame`):
    figure_id, doc, report_id, chunk_id, org, region, year, period ("current" | "previous" | "change"),
    value (float; NaN when malformed), text (stored text of number and unit), unit, metric, section,
    source ("text" | "table"), start, end (stored offsets of `text`), quote_start, quote_end (stored
    offsets of the sentence or table row it stands in), malformed (bool), ocr_page (the scanned page it was
    read from by OCR, 0 for a text layer), ocr_doubt (bool: a word of it was recognised with low confidence).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cn2an
import pandas as pd

from qa_app.lexicon import load

_UNITS = load("units")


@dataclass(frozen=True)
class Figure:
    figure_id: str
    doc: str
    report_id: str
    chunk_id: str
    org: str
    region: str
    year: int | None
    period: str
    value: float
    text: str
    unit: str
    metric: str
    section: str
    source: str
    start: int
    end: int
    quote_start: int
    quote_end: int
    malformed: bool
    ocr_page: int = 0
    ocr_doubt: bool = False


@dataclass(frozen=True)
class RawFigure:
    """A figure found in the view, before it is placed in its report and chunk."""

    view_start: int
    view_end: int
    number: str
    unit: str
    metric: str
    period: str
    year: int | None
    source: str
    quote: tuple[int, int]


def parse_number(number: str) -> tuple[float, bool]:
    """(value, malformed): "1,805.99" → 1805.99; "五十" → 50; "1857.41.51" → (nan, True), kept but flagged."""
    if not number[-1:].isdigit():
        numeral = number.removeprefix("百分之")
        try:
            return float(cn2an.cn2an(numeral, "smart")), False
        except ValueError:
            return float("nan"), True
    plain = number.replace(",", "").replace("−", "-")
    if plain.count(".") > 1:
        return float("nan"), True
    return float(plain), False


def canonical_unit(unit: str, after: str = "") -> str:
    """A bare 万 or 亿 is money (万元, 亿元), but "8万群众" counts ten-thousands of something else."""
    if unit not in _UNITS["bare_multipliers"]:
        return unit
    return unit if after[:1] and "\u4e00" <= after[0] <= "\u9fff" else unit + _UNITS["money"]


def figures_frame(figures: list[Figure]) -> pd.DataFrame:
    columns = list(Figure.__dataclass_fields__)
    frame = pd.DataFrame([asdict(f) for f in figures], columns=columns)
    return frame.astype(
        {"year": "Int64", "value": "float64", "malformed": "bool", "ocr_page": "int64", "ocr_doubt": "bool"}
    )
