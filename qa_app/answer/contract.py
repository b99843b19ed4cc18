"""The JSON contract of an answer: what `ask` returns to the CLI (`--json`), the app and the tests.

Plain frozen dataclasses; `Answer.to_json` is `dataclasses.asdict`, so a field's name is its JSON key.
Every figure's `citation` is an index into `citations`, whose `quote` is `stored_text[start:end]`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class FigureOut:
    value: float
    text: str
    unit: str
    metric: str
    org: str
    year: int | None
    citation: int
    direction: str = ""  # a change: "down" (减少, 下降 …) or "up"; "" for a level
    ocr_page: int = 0  # read by OCR from this page of a scanned PDF; 0 for a text layer


@dataclass(frozen=True)
class Citation:
    doc: str
    title: str
    section: str
    start: int
    end: int
    quote: str


@dataclass(frozen=True)
class Passage:
    doc: str
    title: str
    section: str
    text: str
    score: float
    start: int
    end: int


@dataclass(frozen=True)
class Answer:
    question: str
    found: bool
    answer: str
    figures: list[FigureOut] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    # What the question took from the conversation before it (["湘潭县信访局", "2024年"]): shown with the
    # answer ("（沿用上文：…）") so that it can be dropped.
    context: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)
