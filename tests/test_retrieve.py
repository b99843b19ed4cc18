"""Retrieval's sub-linear pieces against the plain definitions they replace, on the seed index."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np
import pytest

from qa_app.engine import Engine
from qa_app.search.query import parse_query
from qa_app.search.retrieve import Dense, Lexical, Lookup, Within, intersect, stored_vectors, top
from qa_app.store.writer import vector_index
from qa_app.text.tokens import tokenize

DEV = Path(__file__).parent / "data" / "dev_questions.jsonl"


@pytest.fixture(scope="module")
def questions() -> list[str]:
    return [json.loads(line)["q"] for line in DEV.read_text("utf-8").splitlines() if line.strip()]


def test_scope_is_the_sections_of_the_named_organisations_and_years(engine: Engine) -> None:
    chunks, reports = engine.index.chunks, engine.index.reports
    lookup = Lookup.of(chunks, reports)
    blank = parse_query("基本支出", engine.catalog, engine.index.tokenizer)
    orgs = [frozenset(), *(frozenset({o}) for o in reports["org"].dropna().unique())]
    years = [(), (2021,), (2023,), (2024,), (2023, 2024), (1999,)]
    for org, year in itertools.product(orgs, years):
        got = lookup.scope(replace(blank, orgs=org, years=year))
        # the definition: sections of the organisation's reports; of reports of the year, or mentioning it
        keep = np.ones(len(chunks), bool)
        if org:
            keep &= chunks["report_id"].isin(reports.loc[reports["org"].isin(org), "report_id"]).to_numpy()
        if year:
            of_year = chunks["report_id"].isin(reports.loc[reports["year"].isin(year), "report_id"]).to_numpy()
            mentions = np.array([any(f"{y}年" in t for y in year) for t in chunks["text"]], bool)
            keep &= of_year | mentions
        assert got.tolist() == np.flatnonzero(keep).tolist(), (org, year)
        assert intersect(got, lookup.everything(), lookup.n).tolist() == got.tolist()


def test_bm25_scores_are_bm25s_scores_on_either_path(engine: Engine, questions: list[str]) -> None:
    bm25, lexical = engine.index.bm25, Lexical.of(engine.index.bm25)
    n = len(engine.index.chunks)
    few = np.arange(0, n, 7)  # few rows: scored through the rows (CSR)
    for q in questions:
        tokens = tokenize(q, engine.index.tokenizer)
        ids = bm25.get_tokens_ids(tokens)
        if not ids:
            continue
        expected = bm25.get_scores(ids)
        assert np.allclose(lexical.scores(tokens, np.arange(n)), expected, atol=1e-5)
        assert np.allclose(lexical.scores(tokens, few), expected[few], atol=1e-5)
    assert lexical.scores(["没有这个词"], np.arange(n)).tolist() == [0.0] * n


def test_top_is_a_deterministic_partial_sort() -> None:
    scores = np.array([0.5, 0.9, 0.5, 0.1, 0.9, 0.5])
    rows = np.arange(10, 16)
    assert top(scores, rows, 3) == [11, 14, 10]  # ties by row
    assert top(scores, rows, 4) == [11, 14, 10, 12]
    assert top(scores, rows, 10) == [11, 14, 10, 12, 15, 13]


def test_exact_scope_search_equals_flat_search(engine: Engine, questions: list[str]) -> None:
    flat = engine.index.vectors
    dense = Dense.of(flat, exact_max=10**6, ef_search=64)
    rows = np.arange(0, flat.ntotal, 3)
    for qvec in engine.embedder.encode_queries(questions[:10]):
        params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(rows.astype(np.int64)))
        _, ids = flat.search(qvec[None, :], 10, params=params)
        assert dense.ranking(qvec, rows, 10) == ids[0].tolist()


def test_hnsw_finds_what_exact_search_finds(engine: Engine, questions: list[str]) -> None:
    """The approximate index a large corpus gets (forced here on the seed vectors), against exact search."""
    vectors = stored_vectors(engine.index.vectors).copy()
    hnsw = vector_index(vectors, vectors.shape[1], exact_max_sections=0)
    assert isinstance(hnsw, faiss.IndexHNSW) and np.array_equal(stored_vectors(hnsw), vectors)
    approx, exact = Dense.of(hnsw, exact_max=0, ef_search=64), Dense.of(engine.index.vectors, 0, 64)
    everything = np.arange(len(vectors))
    recalls = []
    for qvec in engine.embedder.encode_queries(questions):
        truth = set(exact.ranking(qvec, everything, 10, exact=True))
        recalls.append(len(truth & set(approx.ranking(qvec, everything, 10))) / 10)
    assert np.mean(recalls) >= 0.95
    some = everything[::2]  # a large scope goes through the graph with a filter: only allowed rows come back
    assert set(approx.ranking(engine.embedder.encode_queries(["信访救助"])[0], some, 10)) <= set(some.tolist())


def test_figures_by_organisation_and_year_are_the_filtered_table(engine: Engine) -> None:
    figures = engine.index.figures
    orgs = sorted(figures["org"].dropna().unique())
    for within in (
        Within(),
        Within(orgs=frozenset(orgs[:1])),
        Within(years=frozenset({2023})),
        Within(frozenset(orgs[:2]), frozenset({2023, 2024})),
        Within(orgs=frozenset({"不存在的单位"})),
    ):
        expected = within.keep(figures)
        assert engine.figures_within(within).index.tolist() == expected.index.tolist(), within
