"""The live generation in PostgreSQL → a `PgIndex` for questions, whose BM25, dense and name searches are
SQL over that generation with the question's scope inside, scored in Python by the folder backend's code.

The pointer (`qa.current`) is read once: an engine answers from that generation until it is reopened, so a
build that flips the pointer meanwhile never mixes two generations in one answer. What a question scores
is exactly what the folder backend scores: the postings of its tokens within the scope come back as term
counts, are weighed to bm25s's float32 weights (qa_app.search.bm25) and summed by the same scipy product;
a scope's vectors come back as their float32 bytes and are scored by the same numpy product (a search of
everything by the same flat FAISS index, built once per engine, as the folder backend's). pgvector stores
the vectors but computes no distance here: its 384-dimension kernels stop the server with an illegal
instruction on a CPU without AVX-512 (docs/SCALING.md). Sections, figures and stored texts stay in the
database: a question reads the few rows it scores and cites (`SqlReads`, `StoredTexts`); the engine holds
the reports, the metric labels with their vectors, and the scope's row numbers (each report's sections,
each year's mentions).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import jieba
import numpy as np
import pandas as pd
import psycopg
from psycopg import sql
from scipy import sparse

from qa_app.answer.features import CANDIDATE_COLUMNS
from qa_app.config import Settings
from qa_app.embed import embedder_id
from qa_app.search import bm25
from qa_app.search.retrieve import Dense, Lookup, Within, query_terms, top
from qa_app.store.manifest import SCHEMA_VERSION, IndexUnavailable
from qa_app.store.pg_copy import (
    POSTING,
    fill_vectors,
    postings_query,
    read_frame,
    read_vectors,
    unpack_lengths,
    unpack_postings,
)
from qa_app.store.pg_server import Db, connect, has_embedded
from qa_app.store.pg_writer import LAYOUT, current_generation, read_manifest, schema_of
from qa_app.store.reads import SECTION_COLUMNS
from qa_app.text.tokens import bigram_terms, make_tokenizer

_DOCUMENT_COLUMNS = ["doc", "format", "encoding", "sha256", "copies"]
_TEXTS_KEPT = 64  # stored texts kept per engine: a conversation cites a few reports again and again
# What `qa_app.store.reads.answerable` keeps, in SQL.
_ANSWERABLE = "NOT malformed AND NOT coalesce(ocr_doubt, false) AND value IS NOT NULL"


class StoredTexts(Mapping[str, str]):
    """doc → stored text, read from the generation when first asked for (the few a question cites)."""

    def __init__(self, db: Db, schema: str, docs: list[str]) -> None:
        self._db, self._schema, self._docs = db, schema, docs
        self._known = set(docs)
        self._kept: dict[str, str] = {}
        self._lock = threading.Lock()

    def __getitem__(self, doc: str) -> str:
        if doc not in self._known:
            raise KeyError(doc)
        with self._lock:
            if doc in self._kept:
                return self._kept[doc]
            ((text,),) = self._db.rows(
                sql.SQL("SELECT text FROM {}.documents WHERE doc = %s").format(sql.Identifier(self._schema)), (doc,)
            )
            if len(self._kept) >= _TEXTS_KEPT:
                self._kept.pop(next(iter(self._kept)))
            self._kept[doc] = text
            return text

    def __iter__(self) -> Iterator[str]:
        return iter(self._docs)

    def __len__(self) -> int:
        return len(self._docs)


@dataclass(frozen=True)
class SqlReads:
    """`qa_app.store.reads.Reads` as queries on the generation: a question's sections by row and its best
    sections' figures by section id (b-tree lookups), the app's listings by organisation, year, file or
    report; the same rows, columns and order as the folder backend's `Resident`."""

    db: Db
    schema: str
    dtypes: dict[str, dict[str, str]]
    sections_count: int
    figures_count: int

    def _t(self, table: str) -> sql.Composable:
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(table))

    def sections(self, rows: Sequence[int], columns: Sequence[str] = SECTION_COLUMNS) -> dict[str, list]:
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        found = self.db.rows(sql.SQL("SELECT row, {} FROM {} WHERE row = ANY(%s)").format(cols, self._t("chunks")),
                             (list(rows),))  # fmt: skip
        by_row = {r[0]: r[1:] for r in found}
        ordered = [by_row[r] for r in rows]
        return {c: [v[k] for v in ordered] for k, c in enumerate(columns)}

    def candidates(self, chunk_ids: Sequence[str]) -> tuple[np.ndarray, dict[str, list]]:
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in CANDIDATE_COLUMNS)
        found = self.db.rows(
            sql.SQL("SELECT row, {} FROM {} WHERE chunk_id = ANY(%s) AND {} ORDER BY row").format(
                cols, self._t("figures"), sql.SQL(_ANSWERABLE)
            ),
            (list(chunk_ids),),
        )
        place = {c: k for k, c in enumerate(chunk_ids)}
        at = CANDIDATE_COLUMNS.index("chunk_id") + 1
        found.sort(key=lambda r: (place[r[at]], r[0]))  # section by section as asked, rows ascending in each
        figs = {c: [r[k + 1] for r in found] for k, c in enumerate(CANDIDATE_COLUMNS)}
        return np.asarray([r[0] for r in found], np.int64), figs

    def lookup(self, reports: pd.DataFrame) -> Lookup:
        of_report = self.db.rows(
            sql.SQL("SELECT report_id, array_agg(row ORDER BY row) FROM {} GROUP BY report_id").format(
                self._t("chunks")
            )
        )
        mentions = self.db.rows(
            sql.SQL("SELECT year, array_agg(row ORDER BY row) FROM {} GROUP BY year").format(self._t("mentions"))
        )
        return Lookup.of_rows(
            self.sections_count,
            {r: np.asarray(rows, np.int64) for r, rows in of_report},
            {int(y): np.asarray(rows, np.int64) for y, rows in mentions},
            reports,
        )

    def _figures(self, where: sql.Composable, params: tuple) -> pd.DataFrame:
        return self.db.run(lambda conn: read_frame(conn, self.schema, "figures", self.dtypes["figures"], None,
                                                   where, params))  # fmt: skip

    def figures_within(self, within: Within) -> pd.DataFrame:
        where, params = [sql.SQL("true")], []
        if within.orgs:
            where.append(sql.SQL("org = ANY(%s)"))
            params.append(sorted(within.orgs))
        if within.years:
            where.append(sql.SQL("year = ANY(%s)"))
            params.append(sorted(within.years))
        return self._figures(sql.SQL(" AND ").join(where), tuple(params))

    def figures_of_doc(self, doc: str) -> pd.DataFrame:
        return self._figures(sql.SQL("doc = %s"), (doc,))

    def report_sections(self, report_id: str) -> pd.DataFrame:
        columns = ["doc", "section", "start", "end"]
        return self.db.run(lambda conn: read_frame(conn, self.schema, "chunks", self.dtypes["chunks"], columns,
                                                   sql.SQL("report_id = %s"), (report_id,)))  # fmt: skip

    def counts(self) -> pd.DataFrame:
        def per_report(table: str) -> pd.Series:
            found = self.db.rows(
                sql.SQL("SELECT report_id, count(*) FROM {} GROUP BY report_id").format(self._t(table))
            )
            return pd.Series(dict(found), dtype="int64").rename_axis("report_id")

        return pd.DataFrame({"sections": per_report("chunks"), "figures": per_report("figures")})


@dataclass(frozen=True)
class PgLexical:
    """BM25 over the postings table: the scope's postings of the question's terms (their counts and section
    lengths) weighed as bm25s weighs them (qa_app.search.bm25) and summed as `Lexical` sums them, so the
    scores equal the folder backend's bit for bit."""

    db: Db
    schema: str
    n: int  # sections of the generation
    mean_length: float
    lengths: np.ndarray  # each section's BM25 length, by row
    block_rows: int  # sections per block of postings, as the build wrote them

    def known(self, terms: list[str]) -> dict[str, tuple[int, int]]:
        """Each term the generation has → (term id, how many sections hold it)."""
        rows = self.db.rows(
            sql.SQL("SELECT term, term_id, df FROM {}.vocab WHERE term = ANY(%s)").format(sql.Identifier(self.schema)),
            (sorted(set(terms)),),
        )
        return {term: (int(term_id), int(df)) for term, term_id, df in rows}

    def term_ids(self, terms: list[str]) -> dict[str, int]:
        return {term: term_id for term, (term_id, _) in self.known(terms).items()}

    def scores(self, tokens: list[str], rows: np.ndarray) -> np.ndarray:
        known = self.known(tokens)
        ids, counts = query_terms(tokens, {term: term_id for term, (term_id, _) in known.items()})
        if not len(ids) or not len(rows):
            return np.zeros(len(rows), np.float32)
        # A term's postings are rows of blocks (qa_app.store.pg_copy): a scope reads only the blocks its
        # sections lie in, and its postings are picked out of them here. They come back grouped by term, rows
        # ascending, so the matrix is put together by column as it is (no sort, no search per posting).
        scoped = len(rows) < self.n
        params: tuple = (ids.tolist(),) + ((np.unique(rows // self.block_rows).tolist(),) if scoped else ())
        found = self.db.rows(postings_query(self.schema, by_block=scoped), params)
        column = {int(term_id): c for c, term_id in enumerate(ids.tolist())}
        found = sorted(found, key=lambda hit: column[hit[0]])
        parts = [np.frombuffer(data, POSTING) for _, data in found]
        places = [p["row"] for p in parts]  # each posting's place in `rows`: its row, over every section
        if scoped:  # the scope's blocks' postings, few: placed by search, those outside the scope dropped
            places = [np.minimum(np.searchsorted(rows, p["row"]), len(rows) - 1) for p in parts]
            inside = [rows[at] == p["row"] for at, p in zip(places, parts, strict=True)]
            parts = [p[keep] for p, keep in zip(parts, inside, strict=True)]
            places = [at[keep] for at, keep in zip(places, inside, strict=True)]
        sizes = np.zeros(len(ids), np.int64)
        sizes[[column[term_id] for term_id, _ in found]] = [len(p) for p in parts]
        if not sizes.sum():
            return np.zeros(len(rows), np.float32)
        postings = np.concatenate(parts)
        at = postings["row"]
        df = {term_id: frequency for term_id, frequency in known.values()}
        idfs = np.asarray([bm25.idf(df[int(i)], self.n) for i in ids], np.float32)
        weights = bm25.weights(postings["tf"], self.lengths[at], np.repeat(idfs, sizes), self.mean_length)
        matrix = sparse.csc_matrix(
            (weights, np.concatenate(places), np.concatenate([[0], np.cumsum(sizes)])),
            shape=(len(rows), len(ids)),
        )
        return np.asarray(matrix @ counts).ravel()


@dataclass(frozen=True)
class PgNamed:
    """`Named` in SQL: sections holding every bigram of a name (the postings), then the whole name."""

    lexical: PgLexical

    def reports(self, name: str) -> list[str]:
        grams = set(bigram_terms(name))
        if not grams:
            return []
        ids = self.lexical.term_ids(list(grams))
        if len(ids) < len(grams):
            return []
        schema, db = self.lexical.schema, self.lexical.db
        _, at, _ = unpack_postings(db.rows(postings_query(schema, by_block=False), (sorted(ids.values()),)))
        rows, hits = np.unique(at, return_counts=True)
        found = db.rows(
            sql.SQL(
                "SELECT DISTINCT report_id FROM {}.chunks WHERE row = ANY(%s) AND strpos(index_text, %s) > 0"
            ).format(sql.Identifier(schema)),
            (rows[hits == len(ids)].tolist(), name),
        )
        return sorted(r for (r,) in found)


@dataclass(frozen=True)
class PgDense:
    """`Dense` over the vectors table: a scope of up to `exact_max` rows is scored exactly, a search of more
    goes to a flat FAISS index of every vector, read once per engine when first needed, straight into the
    index's storage (held once: 737 MB at 20,000 reports, where a copy per step of the read tripled it). A
    scope of up to `read_max` rows is read from SQL (11 µs a row at 1,000 reports); a broader one (a year:
    thousands of rows) is taken from that resident matrix, the same float32 rows in the same order, so the
    same scores."""

    db: Db
    schema: str
    n: int
    dim: int
    exact_max: int
    ef_search: int
    read_max: int
    _everything: list[Dense] = field(default_factory=list)  # the flat index, once built
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def ranking(self, qvec: np.ndarray, rows: np.ndarray, depth: int, exact: bool = False) -> list[int]:
        if not len(rows) or depth <= 0:
            return []
        q = np.ascontiguousarray(qvec, dtype=np.float32).reshape(1, -1)
        if exact or (len(rows) <= self.exact_max and len(rows) != self.n):
            if len(rows) > self.read_max:
                got = np.unique(rows)  # as the query below returns them: each row once, in order
                return top(self.everything().matrix[got] @ q[0], got, depth)
            query = sql.SQL("SELECT row, embedding FROM {}.vectors WHERE row = ANY(%s) ORDER BY row").format(
                sql.Identifier(self.schema)
            )
            got, matrix = self.db.run(lambda conn: read_vectors(conn, query, (rows.tolist(),), self.dim))
            return top(matrix @ q[0], got, depth)
        return self.everything().ranking(qvec, rows, depth)

    def everything(self) -> Dense:
        with self._lock:
            if not self._everything:
                query = sql.SQL("SELECT row, embedding FROM {}.vectors ORDER BY row").format(
                    sql.Identifier(self.schema)
                )
                flat = faiss.IndexFlatIP(self.dim)  # sized first and filled in place: the vectors are held once
                flat.codes.resize(self.n * self.dim * 4)
                flat.ntotal = self.n
                dense = Dense.of(flat, self.exact_max, self.ef_search)
                rows = self.db.run(lambda conn: fill_vectors(conn, query, (), dense.matrix))
                if not np.array_equal(rows, np.arange(self.n)):
                    raise ValueError(f"{self.schema}.vectors does not hold rows 0..{self.n - 1} once each")
                self._everything.append(dense)
            return self._everything[0]


@dataclass(frozen=True)
class PgIndex:
    """What the engine reads of one generation: the reports, documents (without their text), metric labels
    and their vectors and the user dictionary in memory; sections, figures, texts, postings and vectors read
    per question (`reads`, `texts`, `searchers`)."""

    path: Path
    manifest: dict
    documents: pd.DataFrame
    reports: pd.DataFrame
    metrics: pd.DataFrame
    metric_vectors: np.ndarray
    tokenizer: jieba.Tokenizer
    texts: Mapping[str, str]
    reads: SqlReads
    db: Db
    generation: int
    mean_length: float  # of the sections' BM25 token counts, as bm25s takes it
    lengths: np.ndarray  # each section's BM25 token count, by row (4 bytes a section)

    def searchers(self, settings: Settings) -> tuple[PgLexical, PgNamed, PgDense]:
        schema, n = schema_of(self.generation), self.reads.sections_count
        lexical = PgLexical(self.db, schema, n, self.mean_length, self.lengths,
                            int(self.manifest["bm25"]["block_rows"]))  # fmt: skip
        dim = int(self.manifest["embedder"]["dim"])
        dense = PgDense(self.db, schema, n, dim, settings.exact_max_sections, settings.hnsw_ef_search,
                        settings.pg_scope_read_max)  # fmt: skip
        return lexical, PgNamed(lexical), dense


def has_database(settings: Settings) -> bool:
    """Whether there is a database to read: a named server, or the embedded one a build made under the index
    folder (none is created just to say there is no index)."""
    return bool(settings.database_url) or has_embedded(settings.index_dir)


def require_database(settings: Settings) -> None:
    if not has_database(settings):
        raise IndexUnavailable(f"no index in {settings.index_dir}: run `qa-app build --backend postgres` first")


def live_generation(conn: psycopg.Connection) -> int:
    """The generation `qa.current` points at; IndexUnavailable, saying what to run, before the first build."""
    gen = current_generation(conn)
    if gen is None:
        raise IndexUnavailable("no index in the database: run `qa-app build --backend postgres` first")
    return gen


def generation_of(settings: Settings) -> int:
    """The live generation (0: none), what an engine is cached by."""
    if not has_database(settings):
        return 0
    with connect(settings) as conn:
        return current_generation(conn) or 0


def load_pg_index(settings: Settings) -> PgIndex:
    """Open the live generation; refuses one built with another embedder or layout, and says what to run
    without one."""
    require_database(settings)
    try:
        db = Db(settings)
    except psycopg.OperationalError as exc:
        raise IndexUnavailable(f"the index database cannot be reached ({exc})") from exc
    try:
        return db.run(lambda conn: _open(conn, db, settings))
    except BaseException:
        db.close()
        raise


def _open(conn: psycopg.Connection, db: Db, settings: Settings) -> PgIndex:
    gen = live_generation(conn)
    schema = schema_of(gen)
    manifest = read_manifest(conn, gen)
    if manifest.get("schema_version") != SCHEMA_VERSION or manifest.get("layout") != LAYOUT:
        raise IndexUnavailable("the index in the database has an older layout: run `qa-app build` again")
    built_with = manifest["embedder"].get("id")
    if built_with != embedder_id(settings.embedder):
        raise IndexUnavailable(
            f"the index was built with embedder {built_with!r}, but {embedder_id(settings.embedder)!r} is "
            "configured (QA_EMBEDDER): run `qa-app build` to rebuild it with the configured embedder"
        )
    dtypes = manifest["dtypes"]
    documents = read_frame(conn, schema, "documents", dtypes["documents"], _DOCUMENT_COLUMNS)
    dim = int(manifest["embedder"]["dim"])
    query = sql.SQL("SELECT row, embedding FROM {}.metric_vectors ORDER BY row").format(sql.Identifier(schema))
    _, metric_vectors = read_vectors(conn, query, (), dim)
    words = [w for (w,) in conn.execute(sql.SQL("SELECT word FROM {}.words").format(sql.Identifier(schema)))]
    counts = manifest["counts"]
    mean_length, lengths = conn.execute(
        sql.SQL("SELECT mean_length, lengths FROM {}.meta").format(sql.Identifier(schema))
    ).fetchone()
    return PgIndex(
        path=settings.index_dir,
        manifest=manifest,
        documents=documents,
        reports=read_frame(conn, schema, "reports", dtypes["reports"]),
        metrics=read_frame(conn, schema, "metrics", dtypes["metrics"]),
        metric_vectors=metric_vectors,
        tokenizer=make_tokenizer("\n".join(sorted(words)).split()),  # as loader reads userdict.txt
        texts=StoredTexts(db, schema, documents["doc"].tolist()),
        reads=SqlReads(db, schema, dtypes, int(counts["chunks"]), int(counts["figures"])),
        db=db,
        generation=gen,
        mean_length=float(mean_length),
        lengths=unpack_lengths(lengths),
    )
