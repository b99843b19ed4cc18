"""Sections for a question: BM25 and dense rankings, fused by reciprocal rank, within the named scope.

BM25 finds exact names and figures' labels; the dense ranking finds paraphrases ("开会花了多少钱" → 会议费).
Reciprocal-rank fusion needs no score calibration between the two. The organisations a question names
filter the candidates (a question about 岳阳 never gets 长沙's sections); the years it names keep sections of
reports of that year and sections that mention it (a 2024 report also reports 2023's figures).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import faiss
import numpy as np
import pandas as pd

from qa_app.query import Query

_YEAR_MENTION = re.compile(r"((?:19|20)\d{2})年")


@dataclass(frozen=True)
class Hit:
    row: int  # row of the chunks table
    score: float  # fused score
    bm25_rank: int | None  # 0-based rank in each list, None when not in it
    dense_rank: int | None


def rrf(rankings: Sequence[Sequence[int]], weights: Sequence[float], k: int) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion: score(d) = Σ w_i / (k + rank_i(d) + 1), best first, ties by id."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, doc in enumerate(ranking):
            scores[doc] = scores.get(doc, 0.0) + weight / (k + rank + 1)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def year_rows(chunks: pd.DataFrame) -> dict[int, np.ndarray]:
    """For each year a section mentions ("2023年"), the rows of those sections; computed once per index."""
    found: dict[int, list[int]] = {}
    for row, text in enumerate(chunks["text"]):
        for year in {int(y) for y in _YEAR_MENTION.findall(text)}:
            found.setdefault(year, []).append(row)
    return {year: np.asarray(rows) for year, rows in found.items()}


def scope(
    chunks: pd.DataFrame, reports: pd.DataFrame, query: Query, mentions: dict[int, np.ndarray] | None = None
) -> np.ndarray:
    """Rows of `chunks` the question's organisations and years allow (all rows when it names none)."""
    keep = np.ones(len(chunks), dtype=bool)
    if query.orgs:
        allowed = set(reports.loc[reports["org"].isin(query.orgs), "report_id"])
        keep &= chunks["report_id"].isin(allowed).to_numpy()
    if query.years:
        mentions = year_rows(chunks) if mentions is None else mentions
        reports_of_year = set(reports.loc[reports["year"].isin(query.years), "report_id"])
        of_year = chunks["report_id"].isin(reports_of_year).to_numpy(copy=True)
        for year in query.years:
            of_year[mentions.get(year, [])] = True
        keep &= of_year
    return np.flatnonzero(keep)


@dataclass(frozen=True)
class Within:
    """Filters chosen outside the question (the app's sidebar): only reports of these organisations and
    years are searched. Empty sets leave that side open."""

    orgs: frozenset[str] = frozenset()
    years: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.orgs or self.years)

    def keep(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of a table with `org` and `year` columns (reports, figures, a listing) the filters allow."""
        if self.orgs:
            frame = frame[frame["org"].isin(self.orgs)]
        if self.years:
            frame = frame[frame["year"].isin(self.years)]
        return frame

    def rows(self, chunks: pd.DataFrame, reports: pd.DataFrame) -> np.ndarray:
        allowed = set(self.keep(reports)["report_id"])
        return np.flatnonzero(chunks["report_id"].isin(allowed).to_numpy())


def bm25_ranking(bm25: bm25s.BM25, tokens: list[str], rows: np.ndarray, depth: int) -> list[int]:
    if not len(rows) or not tokens:
        return []
    scores = bm25.get_scores(tokens)[rows]
    order = np.argsort(-scores, kind="stable")[:depth]
    return [int(rows[i]) for i in order if scores[i] > 0]


def dense_ranking(vectors: faiss.Index, qvec: np.ndarray, rows: np.ndarray, depth: int) -> list[int]:
    if not len(rows):
        return []
    k = min(depth, len(rows))
    params = None
    if len(rows) < vectors.ntotal:
        params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(rows.astype(np.int64)))
    _, ids = vectors.search(qvec.reshape(1, -1).astype(np.float32), k, params=params)
    return [int(i) for i in ids[0] if i >= 0]


def search(
    rows: np.ndarray,
    tokens: list[str],
    qvec: np.ndarray,
    bm25: bm25s.BM25,
    vectors: faiss.Index,
    weights: tuple[float, float],
    rrf_k: int,
    depth: int = 100,
) -> list[Hit]:
    """Fused ranking of the allowed `rows`; a weight of 0 leaves that ranking out (for ablations)."""
    lexical = bm25_ranking(bm25, tokens, rows, depth) if weights[0] else []
    dense = dense_ranking(vectors, qvec, rows, depth) if weights[1] else []
    b_rank = {r: i for i, r in enumerate(lexical)}
    d_rank = {r: i for i, r in enumerate(dense)}
    return [Hit(row, score, b_rank.get(row), d_rank.get(row)) for row, score in rrf([lexical, dense], weights, rrf_k)]
