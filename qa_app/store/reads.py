"""What questions and the app read of an index's large tables, one interface for both backends: sections by
row, the answerable figures of some sections, figures by organisation and year or by file, a report's
sections, counts per report, and the row sets a question's scope is made of.

The folder backend's tables are resident (`Resident`, here); the postgres backend's stay in the database
and each read is a query (qa_app.store.pg_index.SqlReads). So the engine holds only the reports, the metric
labels and the scope's row numbers, whichever backend serves it, and never tells the two apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa

from qa_app.answer.features import CANDIDATE_COLUMNS
from qa_app.search.retrieve import ByOrgYear, Lookup, Within

# The columns of a section a question reads (passages, headings, the figures of its best sections).
SECTION_COLUMNS = ("chunk_id", "doc", "report_id", "section", "text", "start", "end")


class Reads(Protocol):
    sections_count: int
    figures_count: int

    def sections(self, rows: Sequence[int], columns: Sequence[str] = SECTION_COLUMNS) -> dict[str, list]:
        """These columns (of SECTION_COLUMNS) of these section rows, in the order asked: a question asks only
        what it uses (the chunk ids of its best sections, the headings of its hits), not their text."""

    def candidates(self, chunk_ids: Sequence[str]) -> tuple[np.ndarray, dict[str, list]]:
        """The answerable figures of these sections (a malformed number, one without a value and one with a
        digit OCR doubted are shown but never an answer), section by section in the order asked, each
        section's in row order: their row numbers and CANDIDATE_COLUMNS."""

    def lookup(self, reports: pd.DataFrame) -> Lookup:
        """The hash lookups from report, organisation and year to section rows."""

    def figures_within(self, within: Within) -> pd.DataFrame:
        """Every figure (the 数字 view) of the organisations and years `within` allows."""

    def figures_of_doc(self, doc: str) -> pd.DataFrame:
        """Every figure of one file (a citation's table row and the sentence that states the same)."""

    def report_sections(self, report_id: str) -> pd.DataFrame:
        """One report's sections in row order: doc, section, start, end."""

    def counts(self) -> pd.DataFrame:
        """Per report_id (the index), how many sections and figures it has."""


def answerable(figures: pd.DataFrame) -> pd.Series:
    """A figure that may answer: a value, not malformed, no digit OCR doubted."""
    doubtful = figures.get("ocr_doubt", False)
    return ~figures["malformed"] & ~doubtful & figures["value"].notna()


@dataclass(frozen=True)
class Resident:
    """The folder backend's reads: its loaded frames, with the lookups made once per engine so a question
    costs the rows it touches (Arrow takes of a few dozen rows, dictionaries by section and organisation)."""

    chunks: pd.DataFrame
    figures: pd.DataFrame
    _sections: pa.Table
    _candidates: pa.Table  # the answerable figures' CANDIDATE_COLUMNS
    _at: dict[str, np.ndarray]  # chunk_id → its answerable figures' positions in `_candidates`
    _rows: np.ndarray  # position in `_candidates` → row of the figures table
    _by_org_year: ByOrgYear

    @classmethod
    def of(cls, chunks: pd.DataFrame, figures: pd.DataFrame) -> Resident:
        figures = figures.reset_index(drop=True)
        usable = figures[answerable(figures)]
        usable = usable if "ocr_page" in usable else usable.assign(ocr_page=0)
        return cls(
            chunks,
            figures,
            pa.Table.from_pandas(chunks[list(SECTION_COLUMNS)], preserve_index=False),
            pa.Table.from_pandas(usable[list(CANDIDATE_COLUMNS)], preserve_index=False),
            dict(usable.reset_index(drop=True).groupby("chunk_id").indices),
            usable.index.to_numpy(np.int64),
            ByOrgYear.of(figures),
        )

    @property
    def sections_count(self) -> int:
        return len(self.chunks)

    @property
    def figures_count(self) -> int:
        return len(self.figures)

    def sections(self, rows: Sequence[int], columns: Sequence[str] = SECTION_COLUMNS) -> dict[str, list]:
        return self._sections.select(list(columns)).take(list(rows)).to_pydict()

    def candidates(self, chunk_ids: Sequence[str]) -> tuple[np.ndarray, dict[str, list]]:
        parts = [self._at[c] for c in chunk_ids if c in self._at]
        at = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        return self._rows[at], self._candidates.take(at).to_pydict()

    def lookup(self, reports: pd.DataFrame) -> Lookup:
        return Lookup.of(self.chunks, reports)

    def figures_within(self, within: Within) -> pd.DataFrame:
        return self.figures.iloc[self._by_org_year.rows(within)] if within else self.figures

    def figures_of_doc(self, doc: str) -> pd.DataFrame:
        return self.figures[self.figures["doc"] == doc]

    def report_sections(self, report_id: str) -> pd.DataFrame:
        return self.chunks.loc[self.chunks["report_id"] == report_id, ["doc", "section", "start", "end"]]

    def counts(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "sections": self.chunks.groupby("report_id").size(),
                "figures": self.figures.groupby("report_id").size(),
            }
        )
