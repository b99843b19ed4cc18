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

    def to_json(self) -> dict:
        return asdict(self)
