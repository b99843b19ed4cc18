"""Sections for a question: BM25 and dense rankings, fused by reciprocal rank, within the named scope.

BM25 finds exact names and figures' labels; the dense ranking finds paraphrases ("开会花了多少钱" → 会议费).
Reciprocal-rank fusion needs no score calibration between the two. The organisations a question names
filter the candidates (a question about 岳阳 never gets 长沙's sections); the years it names keep sections of
reports of that year and sections that mention it (a 2024 report also reports 2023's figures).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import bm25s
import faiss
import numpy as np
import pandas as pd
from scipy import sparse

from qa_app.search.query import Query
from qa_app.text.tokens import bigram_terms

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
    """For each year a section mentions ("2023年"), the rows of those sections (sorted); once per index."""
    found: dict[int, list[int]] = {}
    for row, text in enumerate(chunks["text"]):
        for year in {int(y) for y in _YEAR_MENTION.findall(text)}:
            found.setdefault(year, []).append(row)
    return {year: np.asarray(rows, dtype=np.int64) for year, rows in found.items()}


def _sorted_union(parts: Iterable[np.ndarray]) -> np.ndarray:
    parts = [p for p in parts if len(p)]
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)


def contained(rows: np.ndarray, sorted_rows: np.ndarray) -> np.ndarray:
    """Which of `rows` are in `sorted_rows`: binary search, O(len(rows) · log), whatever the corpus size."""
    if not len(sorted_rows):
        return np.zeros(len(rows), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_rows, rows), len(sorted_rows) - 1)
    return sorted_rows[at] == rows


@dataclass(frozen=True)
class Lookup:
    """Hash indexes from report, organisation and year to chunk rows, made once per index, so that finding a
    question's scope costs the size of the scope, not of the corpus."""

    n: int  # rows of the chunks table
    rows_of_report: dict[str, np.ndarray]
    reports_of_org: dict[str, np.ndarray]
    reports_of_year: dict[int, np.ndarray]
    year_of_report: dict[str, int]
    mentions: dict[int, np.ndarray]  # year → sorted rows of the sections that mention it

    @classmethod
    def of(cls, chunks: pd.DataFrame, reports: pd.DataFrame) -> Lookup:
        rows_of_report = {k: np.asarray(v, np.int64) for k, v in chunks.groupby("report_id").indices.items()}
        return cls.of_rows(len(chunks), rows_of_report, year_rows(chunks), reports)

    @classmethod
    def of_rows(
        cls, n: int, rows_of_report: dict[str, np.ndarray], mentions: dict[int, np.ndarray], reports: pd.DataFrame
    ) -> Lookup:
        """From the section rows of each report and of each year mentioned (a backend that keeps its
        sections elsewhere reads only these) and the resident reports table."""
        ids = reports["report_id"].to_numpy()
        years = reports["year"].dropna()
        return cls(
            n=n,
            rows_of_report=rows_of_report,
            reports_of_org={k: ids[v] for k, v in reports.groupby("org").indices.items()},
            reports_of_year={int(k): ids[years.index[v]] for k, v in years.groupby(years).indices.items()},
            year_of_report={r: int(y) for r, y in zip(ids[years.index], years, strict=True)},
            mentions=mentions,
        )

    def rows(self, report_ids: Iterable[str]) -> np.ndarray:
        """Sorted chunk rows of these reports."""
        return _sorted_union(self.rows_of_report.get(r, np.zeros(0, np.int64)) for r in report_ids)

    def everything(self) -> np.ndarray:
        return np.arange(self.n)

    def scope(self, query: Query) -> np.ndarray:
        """Sorted rows the question's organisations and years allow (all rows when it names none): the
        sections of that organisation's reports; of reports of that year, or sections that mention the year
        (a 2024 report also gives 2023's figures)."""
        if not query.orgs and not query.years:
            return self.everything()
        empty = np.zeros(0, np.int64)
        if query.orgs:
            return self.of_reports([r for org in query.orgs for r in self.reports_of_org.get(org, empty)], query.years)
        return _sorted_union(
            [self.rows(r for y in query.years for r in self.reports_of_year.get(y, empty))]
            + [self.mentions.get(y, empty) for y in query.years]
        )

    def of_reports(self, reports: Sequence[str], years: Sequence[int]) -> np.ndarray:
        """Sorted rows of these reports; with years, those of reports of the years or that mention them."""
        rows = self.rows(reports)
        if not years:
            return rows
        empty = np.zeros(0, np.int64)
        keep = contained(rows, self.rows(r for r in reports if self.year_of_report.get(r) in years))
        for year in years:
            keep |= contained(rows, self.mentions.get(year, empty))
        return rows[keep]


@dataclass(frozen=True)
class Named:
    """The reports whose text names a string: a place or body a question names is in the corpus when its
    reports say it, even where no report was read as that organisation (a title without the name, a
    kindergarten under its city). Candidate sections come from the BM25 index's bigram postings, each then
    checked for the whole string, so a question costs the postings of its name's bigrams."""

    by_token: sparse.csc_matrix
    vocab: dict[str, int]
    texts: np.ndarray  # index_text per chunk row (the normalised view the question is matched in)
    report_ids: np.ndarray  # report_id per chunk row

    @classmethod
    def of(cls, lexical: Lexical, chunks: pd.DataFrame) -> Named:
        return cls(lexical.by_token, lexical.vocab, chunks["index_text"].to_numpy(), chunks["report_id"].to_numpy())

    def reports(self, name: str) -> list[str]:
        """Report ids (sorted) of the sections that contain `name`; none when it has no indexed CJK bigram."""
        grams = set(bigram_terms(name))
        if not grams or any(g not in self.vocab for g in grams):
            return []
        rows: np.ndarray | None = None
        for gram in grams:
            column = self.vocab[gram]
            found = self.by_token.indices[self.by_token.indptr[column] : self.by_token.indptr[column + 1]]
            rows = np.sort(found) if rows is None else np.intersect1d(rows, found, assume_unique=True)
        hits = [r for r in (rows if rows is not None else ()) if name in self.texts[r]]
        return sorted(set(self.report_ids[hits]))


def intersect(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Sorted rows in both `a` and `b` (sorted, out of `n`); free when either is all rows."""
    if len(a) == n:
        return b
    if len(b) == n:
        return a
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return small[contained(small, large)]


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

    def rows(self, lookup: Lookup, reports: pd.DataFrame) -> np.ndarray:
        """Sorted chunk rows of the reports the filters allow (all rows without filters)."""
        return lookup.rows(self.keep(reports)["report_id"]) if self else lookup.everything()


def top(scores: np.ndarray, rows: np.ndarray, k: int) -> list[int]:
    """The `k` rows of highest score, best first, ties by row: a partial sort, O(len(rows)) and deterministic."""
    if len(scores) > k > 0:
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        above, tied = np.flatnonzero(scores > kth), np.flatnonzero(scores == kth)
        picked = np.concatenate([above, tied[: k - len(above)]])
    else:
        picked = np.arange(len(scores))[:k]
    picked = picked[np.lexsort((rows[picked], -scores[picked]))]
    return [int(r) for r in rows[picked]]


def query_terms(tokens: Sequence[str], vocab: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """The question's known terms' ids, in the terms' sorted order, and their float32 counts (a repeated
    token counts again): what every BM25 sum multiplies, summed in one order whatever ids a backend or a
    build gave the terms, so the scores of both backends agree to the bit."""
    counts = Counter(t for t in tokens if t in vocab)
    terms = sorted(counts)
    return np.asarray([vocab[t] for t in terms], np.int64), np.asarray([counts[t] for t in terms], np.float32)


@dataclass(frozen=True)
class Lexical:
    """BM25 from bm25s's sparse matrix of precomputed (section, token) scores, held two ways: by token (CSC,
    the postings of the question's tokens, for a search over everything) and by section (CSR, the rows of a
    scope, for a question about one organisation). A question costs the nonzeros it touches, whichever is
    fewer, never a pass over the corpus. Scores equal bm25s's `get_scores` (a repeated token counts again)."""

    by_token: sparse.csc_matrix
    by_row: sparse.csr_matrix
    vocab: dict[str, int]

    @classmethod
    def of(cls, bm25: bm25s.BM25) -> Lexical:
        # bm25s has no accessor for its sparse matrix: `scores` is the plain attribute its own index/load set.
        s = bm25.scores
        shape = (int(s["num_docs"]), len(s["indptr"]) - 1)
        by_token = sparse.csc_matrix((s["data"], s["indices"], s["indptr"]), shape=shape)
        return cls(by_token, by_token.tocsr(), dict(bm25.vocab_dict))

    def scores(self, tokens: Sequence[str], rows: np.ndarray) -> np.ndarray:
        ids, weights = query_terms(tokens, self.vocab)
        if not len(ids) or not len(rows):
            return np.zeros(len(rows), np.float32)
        postings = int(np.sum(self.by_token.indptr[ids + 1] - self.by_token.indptr[ids]))
        in_rows = int(np.sum(self.by_row.indptr[rows + 1] - self.by_row.indptr[rows]))
        if in_rows < postings:
            scope = self.by_row[rows][:, ids]
            scope.sort_indices()  # each row's terms in the question's order, as the by-token sum takes them
            return np.asarray(scope @ weights).ravel()
        return np.asarray(self.by_token[:, ids] @ weights).ravel()[rows]


@dataclass(frozen=True)
class ByOrgYear:
    """Rows of a table with `org` and `year` columns (the figures) by organisation, then year: the figures of
    a few organisations and years are found by lookup, not by scanning a table of millions of rows."""

    groups: dict[str, dict[int | None, np.ndarray]]

    @classmethod
    def of(cls, frame: pd.DataFrame) -> ByOrgYear:
        groups: dict[str, dict[int | None, np.ndarray]] = {}
        for (org, year), rows in frame.groupby(["org", "year"], dropna=False, sort=False).indices.items():
            groups.setdefault(org, {})[None if pd.isna(year) else int(year)] = np.asarray(rows, np.int64)
        return cls(groups)

    def rows(self, within: Within) -> np.ndarray:
        """Sorted rows of the organisations and years `within` allows (every row when it allows all)."""
        orgs = within.orgs or self.groups.keys()
        parts = [
            rows
            for org in orgs
            for year, rows in self.groups.get(org, {}).items()
            if not within.years or year in within.years
        ]
        return _sorted_union(parts)


def bm25_ranking(lexical: Lexical, tokens: list[str], rows: np.ndarray, depth: int) -> list[int]:
    if not len(rows) or not tokens:
        return []
    scores = lexical.scores(tokens, rows)
    hit = scores > 0
    return top(scores[hit], rows[hit], depth)


def stored_vectors(index: faiss.Index) -> np.ndarray:
    """The (n, dim) float32 vectors a flat or HNSW-flat FAISS index holds, as a view (no copy)."""
    flat = faiss.downcast_index(index.storage) if isinstance(index, faiss.IndexHNSW) else index
    if not isinstance(flat, faiss.IndexFlat):
        raise TypeError(f"unsupported vector index {type(index).__name__}")
    if flat.ntotal == 0:
        return np.zeros((0, flat.d), np.float32)
    return faiss.rev_swig_ptr(flat.get_xb(), flat.ntotal * flat.d).reshape(flat.ntotal, flat.d)


@dataclass(frozen=True)
class Dense:
    """Inner-product search over the sections' unit vectors. A scope of up to `exact_max` rows (one
    organisation, a few reports) is scored exactly on its own vectors; a search over more goes to the FAISS
    index: exact (flat) in a small corpus, approximate (HNSW, chosen by `write_index` by size) in a large one,
    where `ef_search` sets recall against speed (bench/scale.py checks recall against exact search)."""

    index: faiss.Index
    matrix: np.ndarray  # view of the stored vectors; keeps no copy
    exact_max: int
    ef_search: int

    @classmethod
    def of(cls, index: faiss.Index, exact_max: int, ef_search: int) -> Dense:
        return cls(index, stored_vectors(index), exact_max, ef_search)

    def ranking(self, qvec: np.ndarray, rows: np.ndarray, depth: int, exact: bool = False) -> list[int]:
        if not len(rows) or depth <= 0:
            return []
        q = np.ascontiguousarray(qvec, dtype=np.float32).reshape(1, -1)
        whole = len(rows) == self.index.ntotal
        if exact or (len(rows) <= self.exact_max and not whole):
            return top(self.matrix[rows] @ q[0], rows, depth)
        k = min(depth, len(rows))
        sel = None if whole else faiss.IDSelectorBatch(rows.astype(np.int64))
        if isinstance(self.index, faiss.IndexHNSW):
            params = faiss.SearchParametersHNSW(sel=sel, efSearch=max(self.ef_search, k))
        else:
            params = faiss.SearchParameters(sel=sel) if sel is not None else None
        _, ids = self.index.search(q, k, params=params)
        return [int(i) for i in ids[0] if i >= 0]


def search(
    rows: np.ndarray,
    tokens: list[str],
    qvec: np.ndarray,
    lexical: Lexical,
    dense: Dense,
    weights: tuple[float, float],
    rrf_k: int,
    depth: int = 100,
) -> list[Hit]:
    """Fused ranking of the allowed `rows`; a weight of 0 leaves that ranking out (for ablations)."""
    by_words = bm25_ranking(lexical, tokens, rows, depth) if weights[0] else []
    by_meaning = dense.ranking(qvec, rows, depth) if weights[1] else []
    b_rank = {r: i for i, r in enumerate(by_words)}
    d_rank = {r: i for i, r in enumerate(by_meaning)}
    fused = rrf([by_words, by_meaning], weights, rrf_k)
    return [Hit(row, score, b_rank.get(row), d_rank.get(row)) for row, score in fused]
