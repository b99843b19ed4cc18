"""Processed files → one generation of the index in PostgreSQL: a schema `qa_g<N>` of tables (documents,
reports, chunks, figures, metric labels, section and label vectors, BM25 vocabulary and postings, the user
dictionary, the manifest) written in one transaction that ends by pointing `qa.current` at it.

So a reader (qa_app.store.pg_index) that read the pointer keeps its generation whole until the next build
but one drops it, and a build killed anywhere before its commit leaves nothing: PostgreSQL rolls it back.
An unchanged file's rows, vectors included, are copied from the live generation by SQL (never re-read nor
re-embedded), and so are their BM25 postings, which hold term counts, not weights: only the new sections, and
the kept ones holding a dictionary word the build adds or removes, are tokenized (`_bm25`).
Row order is the folder backend's (the kept rows in their old order, then the new files' rows), so the two
backends rank ties alike.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from qa_app import versions
from qa_app.embed.base import text_key
from qa_app.faults import reached
from qa_app.search.bm25 import mean_length, term_counts
from qa_app.search.retrieve import year_rows
from qa_app.store.manifest import SCHEMA_VERSION, Failure
from qa_app.store.pending import Pending
from qa_app.store.pg_copy import (
    POSTING,
    copy_frame,
    copy_posting_blocks,
    copy_vectors,
    create_frame_table,
    pack_lengths,
    postings_query,
    read_vectors,
    unpack_lengths,
    unpack_postings,
)
from qa_app.store.writer import BuildStats, Progress, user_words
from qa_app.text.tokens import bigram_terms, dictionary_words

FRAMES = ("documents", "reports", "chunks", "figures")
# The generation's tables and indexes as readers expect them: a generation of another layout is rebuilt,
# never read (2: the sections' year mentions as a table, figures found by section and by file; 3: postings
# of term counts, the weights computed per question; 4: postings a row per term and block of sections, the
# sections' lengths in meta).
LAYOUT = 4
# The dtypes the folder backend's tables load with (Parquet); a column not named here keeps the frame's.
DTYPES: dict[str, dict[str, str]] = {
    "documents": dict.fromkeys(("doc", "format", "encoding", "sha256", "text", "copies"), "str"),
    "reports": {"report_id": "str", "doc": "str", "index": "int64", "title": "str", "org": "str", "region": "str",
                "year": "Int64", "type": "str", "start": "int64", "end": "int64"},
    "chunks": {**dict.fromkeys(("chunk_id", "doc", "report_id", "kind", "section"), "str"), "start": "int64",
               "end": "int64", "text": "str", "index_text": "str", "key": "str"},
    "figures": {**dict.fromkeys(("figure_id", "doc", "report_id", "chunk_id", "org", "region"), "str"),
                "year": "Int64", "period": "str", "value": "float64",
                **dict.fromkeys(("text", "unit", "metric", "section", "source"), "str"),
                **dict.fromkeys(("start", "end", "quote_start", "quote_end"), "int64"), "malformed": "bool",
                "ocr_page": "int64", "ocr_doubt": "bool", "metric_row": "int64"},
    "metrics": {"metric": "str", "key": "str"},
}  # fmt: skip
# Texts embedded by the build's workers: (texts, their keys) → (n, dim) float32 unit vectors.
Embed = Callable[[list[str], list[str]], np.ndarray]
# Index texts of every section, in row order, and the user dictionary → their BM25 tokens.
Tokenize = Callable[[list[str], list[str]], list[list[str]]]
_LOCK = 20  # pg_advisory_xact_lock key: one build of a database at a time, whatever machine runs it


def schema_of(gen: int) -> str:
    return f"qa_g{gen}"


def ensure_meta(conn: psycopg.Connection) -> None:
    """The pointer and the list of finished generations, made once per database."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute("CREATE SCHEMA IF NOT EXISTS qa")
        conn.execute("CREATE SEQUENCE IF NOT EXISTS qa.generation")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS qa.current "
            "(one boolean PRIMARY KEY DEFAULT true CHECK (one), gen integer NOT NULL)"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS qa.generations "
            "(gen integer PRIMARY KEY, finished timestamptz NOT NULL DEFAULT now())"
        )
        conn.execute(  # vectors of builds not yet committed (qa_app.store.pending)
            "CREATE TABLE IF NOT EXISTS qa.pending "
            "(embedder text NOT NULL, key text NOT NULL, embedding bytea NOT NULL, PRIMARY KEY (embedder, key))"
        )


def current_generation(conn: psycopg.Connection) -> int | None:
    """The generation questions are answered from; None before the first build (or on an empty database)."""
    try:
        row = conn.execute("SELECT gen FROM qa.current").fetchone()
    except psycopg.errors.UndefinedTable:
        conn.rollback()
        return None
    return None if row is None else int(row[0])


def read_manifest(conn: psycopg.Connection, gen: int) -> dict:
    row = conn.execute(sql.SQL("SELECT body FROM {}.manifest").format(sql.Identifier(schema_of(gen)))).fetchone()
    return json.loads(row[0])


def write_generation(
    conn: psycopg.Connection,
    new: dict[str, pd.DataFrame],
    keep: Sequence[str],
    old_gen: int | None,
    copies_of: dict[str, list[str]],
    files: dict[str, dict],
    failures: list[Failure],
    settings: dict,
    embedder: tuple[str, int],
    embed: Embed,
    tokenize_all: Tokenize,
    keep_generations: int,
    block_rows: int,
    extra: dict | None = None,
    progress: Progress | None = None,
    pending: Pending | None = None,
) -> tuple[int, BuildStats, dict[str, int]]:
    """Write a generation of the tables of `frames` for the files just read (`new`) and the rows of the files
    in `keep` from `old_gen`, then make it the live one; returns (generation, stats, rows per table).
    `block_rows`: sections per block of a term's BM25 postings (Settings.pg_postings_block_rows).
    `pending` holds what a killed build embedded (`embed` saves each batch there); cleared once committed."""
    embedder_id, dim = embedder
    started = time.perf_counter()
    resumed = 0

    def resuming(texts: list[str], keys: list[str]) -> np.ndarray:
        nonlocal resumed
        have = pending.load(keys) if pending else {}
        resumed += len(have)
        rest = [(t, k) for t, k in zip(texts, keys, strict=True) if k not in have]
        if rest:
            have.update(zip([k for _, k in rest], embed([t for t, _ in rest], [k for _, k in rest]), strict=True))
        return np.stack([have[k] for k in keys]) if keys else np.zeros((0, dim), np.float32)

    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        gen = int(conn.execute("SELECT nextval('qa.generation')").fetchone()[0])
        s, old = schema_of(gen), (schema_of(old_gen) if old_gen is not None else None)
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(s)))
        counts = _rows(conn, s, old, new, keep, copies_of)
        _mentions(conn, s, old, counts["kept_chunks"], new["chunks"])
        reached("pg:copied")  # tests kill here: a generation half written, not committed
        chunk_stats = _chunk_vectors(conn, s, old, dim, resuming, counts["kept_chunks"], new["chunks"], progress)
        metric_stats, labels = _metric_vectors(conn, s, old, dim, resuming, progress)
        counts["metrics"] = labels
        embedded = time.perf_counter()
        old_manifest = read_manifest(conn, old_gen) if old is not None else {}
        same_tokens = old_manifest.get("tokenizer", {}).get("version") == versions.TOKENIZER
        bm25 = _bm25(conn, s, old if same_tokens else None, counts["kept_chunks"], tokenize_all, block_rows,
                     old_manifest.get("bm25", {}).get("block_rows"))  # fmt: skip
        if progress:
            progress("indexing", 1, 1)
        _indexes(conn, s)
        stats = BuildStats(
            embedded=chunk_stats[0] + metric_stats[0] - resumed,
            cached=chunk_stats[1] + metric_stats[1] + resumed,
            resumed=resumed,
            seconds={"embedding": embedded - started, "indexing": time.perf_counter() - embedded},
        )
        counts = {name: counts[name] for name in (*FRAMES, "metrics")}
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "backend": "postgres",
            "layout": LAYOUT,
            "generation": gen,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "settings": settings,
            "embedder": {"id": embedder_id, "dim": dim},
            "tokenizer": {
                "version": versions.TOKENIZER,
                "jieba": "cut_for_search",
                "bigrams": True,
                "userdict": f"{s}.words",
            },
            "files": files,
            **(extra or {}),
            "failures": [asdict(f) for f in failures],
            "counts": counts,
            "build": asdict(stats),
            "bm25": bm25,
            "dtypes": DTYPES,
        }
        conn.execute(sql.SQL("CREATE TABLE {}.manifest (body text NOT NULL)").format(sql.Identifier(s)))
        conn.execute(
            sql.SQL("INSERT INTO {}.manifest VALUES (%s)").format(sql.Identifier(s)),
            (json.dumps(manifest, ensure_ascii=False, indent=1),),
        )
        reached("pg:flip")  # tests kill here: everything written, the pointer not yet moved
        conn.execute("INSERT INTO qa.generations (gen) VALUES (%s)", (gen,))
        conn.execute(
            "INSERT INTO qa.current (one, gen) VALUES (true, %s) ON CONFLICT (one) DO UPDATE SET gen = EXCLUDED.gen",
            (gen,),
        )
    reached("pg:flipped")  # tests kill here: the new generation live, the old ones not yet dropped
    if pending:
        pending.clear()  # the generation holds them now
    drop_old(conn, keep_generations)
    return gen, stats, counts


def drop_old(conn: psycopg.Connection, keep: int) -> None:
    """Drop every generation but the newest `keep` finished ones (an engine opened before the last build
    still reads the one before it), and any schema a killed build left (none is: its transaction was rolled
    back; a schema of a server that lost its disk mid-commit is)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        kept = {int(g) for (g,) in conn.execute("SELECT gen FROM qa.generations ORDER BY gen DESC LIMIT %s", (keep,))}
        current = current_generation(conn)
        kept |= {current} if current is not None else set()
        schemas = [name for (name,) in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname ~ '^qa_g[0-9]+$'")]
        for name in schemas:
            if int(name.removeprefix("qa_g")) not in kept:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))
        conn.execute("DELETE FROM qa.generations WHERE NOT (gen = ANY(%s))", (sorted(kept),))


def _rows(
    conn: psycopg.Connection,
    s: str,
    old: str | None,
    new: dict[str, pd.DataFrame],
    keep: Sequence[str],
    copies_of: dict[str, list[str]],
) -> dict[str, int]:
    """The four tables: the kept files' rows copied in SQL (renumbered in their old order), then the new."""
    counts: dict[str, int] = {}
    for name in FRAMES:
        frame = _typed(name, new[name])
        create_frame_table(conn, s, name, frame)
        kept = 0
        if keep and old is not None:
            cols = sql.SQL(", ").join(sql.Identifier(c) for c in frame.columns)
            cur = conn.execute(
                sql.SQL(
                    "INSERT INTO {s}.{t} (row, {cols}) SELECT (row_number() OVER (ORDER BY row) - 1)::int, {cols} "
                    "FROM {o}.{t} WHERE doc = ANY(%s)"
                ).format(s=sql.Identifier(s), o=sql.Identifier(old), t=sql.Identifier(name), cols=cols),
                (list(keep),),
            )
            kept = cur.rowcount
        copy_frame(conn, s, name, frame, first_row=kept)
        counts[name] = kept + len(frame)
        counts[f"kept_{name}"] = kept
    docs = conn.execute(sql.SQL("SELECT doc FROM {}.documents").format(sql.Identifier(s))).fetchall()
    names = [d for (d,) in docs]
    conn.execute(
        sql.SQL(
            "UPDATE {}.documents d SET copies = m.copies FROM unnest(%s::text[], %s::text[]) AS m(doc, copies) "
            "WHERE m.doc = d.doc"
        ).format(sql.Identifier(s)),
        (names, ["; ".join(copies_of.get(d, [])) for d in names]),
    )
    return counts


def _mentions(conn: psycopg.Connection, s: str, old: str | None, kept: int, chunks: pd.DataFrame) -> None:
    """(year, row) for each year a section mentions, as the folder backend finds them (`year_rows`): the kept
    sections' copied from the live generation under their new rows, the new sections' found here."""
    ident = sql.Identifier(s)
    conn.execute(sql.SQL("CREATE TABLE {}.mentions (year integer NOT NULL, row integer NOT NULL)").format(ident))
    if kept:
        conn.execute(
            sql.SQL(
                "INSERT INTO {s}.mentions (year, row) SELECT m.year, n.row FROM {o}.mentions m "
                "JOIN {o}.chunks c ON c.row = m.row JOIN {s}.chunks n ON n.chunk_id = c.chunk_id WHERE n.row < %s"
            ).format(s=ident, o=sql.Identifier(old)),
            (kept,),
        )
    with conn.cursor().copy(sql.SQL("COPY {}.mentions (year, row) FROM STDIN").format(ident)) as copy:
        for year, rows in sorted(year_rows(chunks).items()):
            for row in rows.tolist():
                copy.write_row((year, kept + row))


def _typed(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.drop(columns="copies", errors="ignore") if name != "documents" else frame
    if name == "documents" and "copies" not in frame:
        frame = frame.assign(copies="")
    if name == "chunks":
        frame = frame.assign(key=[text_key(t) for t in frame["index_text"]])
    if name == "figures":
        frame = frame.assign(metric_row=-1)  # set once the generation's labels are known
    return frame.astype({c: t for c, t in DTYPES[name].items() if c in frame.columns})


def _cached_vectors(conn: psycopg.Connection, old: str | None, keys: list[str], dim: int) -> dict[str, np.ndarray]:
    """Vectors the live generation holds for these text keys (sections and metric labels)."""
    if old is None or not keys:
        return {}
    cache: dict[str, np.ndarray] = {}
    for table, vectors in (("chunks", "vectors"), ("metrics", "metric_vectors")):
        rows = conn.execute(
            sql.SQL("SELECT t.row, t.key FROM {o}.{t} t WHERE t.key = ANY(%s)").format(
                o=sql.Identifier(old), t=sql.Identifier(table)
            ),
            (keys,),
        ).fetchall()
        if not rows:
            continue
        key_of = dict(rows)
        got, matrix = read_vectors(
            conn,
            sql.SQL("SELECT row, embedding FROM {o}.{v} WHERE row = ANY(%s) ORDER BY row").format(
                o=sql.Identifier(old), v=sql.Identifier(vectors)
            ),
            ([r for r, _ in rows],),
            dim,
        )
        cache.update({key_of[int(r)]: v for r, v in zip(got, matrix, strict=True)})
    return cache


def _chunk_vectors(
    conn: psycopg.Connection,
    s: str,
    old: str | None,
    dim: int,
    embed: Embed,
    kept: int,
    chunks: pd.DataFrame,
    progress: Progress | None,
) -> tuple[int, int]:
    """Vectors of the kept sections copied by SQL; of the new ones taken from the live generation by text, or
    embedded by the workers. Returns (embedded, cached)."""
    table = sql.SQL("{}.vectors").format(sql.Identifier(s))
    _vector_table(conn, table, dim)
    if kept:
        conn.execute(
            sql.SQL(
                "INSERT INTO {t} (row, embedding) SELECT n.row, v.embedding FROM {s}.chunks n "
                "JOIN {o}.chunks c USING (chunk_id) JOIN {o}.vectors v ON v.row = c.row WHERE n.row < %s"
            ).format(t=table, s=sql.Identifier(s), o=sql.Identifier(old)),
            (kept,),
        )
    texts = chunks["index_text"].tolist()
    keys = [text_key(t) for t in texts]
    vectors, embedded = _embed_cached(conn, old, texts, keys, dim, embed, progress, "embedding sections")
    copy_vectors(conn, table, vectors, first_row=kept)
    return embedded, kept + len(texts) - embedded


def _embed_cached(
    conn: psycopg.Connection,
    old: str | None,
    texts: list[str],
    keys: list[str],
    dim: int,
    embed: Embed,
    progress: Progress | None,
    stage: str,
) -> tuple[np.ndarray, int]:
    """Like qa_app.embed.base.embed_cached, with the live generation as the cache and the workers to embed."""
    cache = _cached_vectors(conn, old, sorted(set(keys)), dim)
    todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cache}.items())
    if progress:
        progress(stage, 0, len(todo))
    if todo:
        vectors = embed([t for _, t in todo], [k for k, _ in todo])
        cache.update({k: v for (k, _), v in zip(todo, vectors, strict=True)})
    if progress:
        progress(stage, len(todo), len(todo))
    matrix = np.stack([cache[k] for k in keys]) if keys else np.zeros((0, dim), np.float32)
    return np.ascontiguousarray(matrix, dtype=np.float32), len(todo)


def _metric_vectors(
    conn: psycopg.Connection, s: str, old: str | None, dim: int, embed: Embed, progress: Progress | None
) -> tuple[tuple[int, int], int]:
    """The distinct metric labels (sorted as Python sorts them), their vectors, each figure's label row."""
    found = conn.execute(
        sql.SQL("SELECT DISTINCT metric FROM {}.figures WHERE metric IS NOT NULL").format(sql.Identifier(s))
    ).fetchall()
    labels = sorted({m for (m,) in found} - {""})
    keys = [text_key(t) for t in labels]
    metrics = pd.DataFrame({"metric": labels, "key": keys}).astype(DTYPES["metrics"])
    create_frame_table(conn, s, "metrics", metrics)
    copy_frame(conn, s, "metrics", metrics)
    vectors, embedded = _embed_cached(conn, old, labels, keys, dim, embed, progress, "embedding metric labels")
    table = sql.SQL("{}.metric_vectors").format(sql.Identifier(s))
    _vector_table(conn, table, dim)
    copy_vectors(conn, table, vectors)
    conn.execute(
        sql.SQL(
            "UPDATE {s}.figures f SET metric_row = "
            "COALESCE((SELECT m.row FROM {s}.metrics m WHERE m.metric = f.metric), -1)"
        ).format(s=sql.Identifier(s))
    )
    return (embedded, len(labels) - embedded), len(labels)


def _vector_table(conn: psycopg.Connection, table: sql.Composable, dim: int) -> None:
    conn.execute(
        sql.SQL("CREATE TABLE {} (row integer NOT NULL, embedding vector({}))").format(table, sql.Literal(dim))
    )


def _bm25(
    conn: psycopg.Connection,
    s: str,
    old: str | None,
    kept: int,
    tokenize_all: Tokenize,
    block_rows: int,
    old_block_rows: int | None,
) -> dict[str, int]:
    """The user dictionary of this generation's names and the BM25 postings: each term's (section, count)
    pairs in blocks of `block_rows` sections, and every section's length.

    With `old` (the live generation, tokenized the same way) the kept sections keep their postings and
    lengths under their new rows, and only the new sections and the kept ones holding a dictionary word this
    build adds or removes are tokenized (a text's tokens depend on the words inside it only:
    qa_app.text.tokens). The old blocks whose sections all keep their rows (all of them but the last when a
    report is added) are copied as they are; the rest are unpacked, renumbered and merged with the new
    postings. Weights are not stored: they depend on every section, and are computed per question
    (qa_app.search.bm25). Returns what was tokenized, kept, copied and written."""
    ident = sql.Identifier(s)
    reports = pd.DataFrame(
        conn.execute(sql.SQL("SELECT org, region FROM {}.reports ORDER BY row").format(ident)).fetchall(),
        columns=["org", "region"],
    )
    figures = pd.DataFrame(
        conn.execute(sql.SQL("SELECT metric FROM {}.figures ORDER BY row").format(ident)).fetchall(), columns=["metric"]
    )
    words = user_words(reports, figures)
    conn.execute(sql.SQL("CREATE TABLE {}.words (word text NOT NULL)").format(ident))
    with conn.cursor().copy(sql.SQL("COPY {}.words (word) FROM STDIN").format(ident)) as copy:
        for w in words:
            copy.write_row((w,))
    n = int(conn.execute(sql.SQL("SELECT count(*) FROM {}.chunks").format(ident)).fetchone()[0])
    conn.execute(
        sql.SQL("CREATE TABLE {}.postings (term_id integer NOT NULL, block integer NOT NULL, data bytea NOT NULL)")
        .format(ident)
    )  # fmt: skip
    conn.execute(sql.SQL("ALTER TABLE {}.postings ALTER COLUMN data SET STORAGE EXTERNAL").format(ident))  # no pglz
    lengths = np.zeros(n, np.int64)
    known: dict[str, int] = {}
    carried = (np.zeros(0, np.int64),) * 3
    copied = 0
    kept = kept if old is not None else 0
    todo = list(range(kept, n))
    if kept:
        o = sql.Identifier(old)
        pairs = np.asarray(
            conn.execute(
                sql.SQL(
                    "SELECT c.row, n.row FROM {o}.chunks c JOIN {s}.chunks n USING (chunk_id) WHERE n.row < %s"
                ).format(o=o, s=ident),
                (kept,),
            ).fetchall(),
            np.int64,
        ).reshape(-1, 2)
        old_n, old_lengths = conn.execute(sql.SQL("SELECT num_docs, lengths FROM {}.meta").format(o)).fetchone()
        if len(np.unique(pairs[:, 0])) != len(pairs) or len(np.unique(pairs[:, 1])) != len(pairs):
            raise ValueError("kept sections do not pair one to one by chunk id")  # each would take two rows
        new_of = np.full(old_n, -1, np.int64)  # each old row's row here; -1: its postings are not kept
        new_of[pairs[:, 0]] = pairs[:, 1]
        lengths[pairs[:, 1]] = unpack_lengths(old_lengths)[pairs[:, 0]]
        before = [w for (w,) in conn.execute(sql.SQL("SELECT word FROM {}.words").format(o))]
        changed = sorted(set(dictionary_words(words)) ^ set(dictionary_words(before)))
        affected = _holding(conn, s, old, new_of, kept, changed)
        new_of[np.isin(new_of, affected)] = -1
        moved = np.flatnonzero(new_of != np.arange(old_n))
        clean = (int(moved[0]) if len(moved) else old_n) // block_rows  # blocks of rows that all stay put
        clean = clean if old_block_rows == block_rows else 0
        copied = conn.execute(
            sql.SQL("INSERT INTO {s}.postings SELECT term_id, block, data FROM {o}.postings WHERE block < %s").format(
                s=ident, o=o
            ),
            (clean,),
        ).rowcount
        terms, rows, tfs = unpack_postings(
            conn.execute(
                sql.SQL("SELECT term_id, data FROM {}.postings WHERE block >= %s ORDER BY term_id, block").format(o),
                (clean,),
            ).fetchall()
        )
        rows = new_of[rows]
        stays = rows >= 0
        carried = (terms[stays], rows[stays], tfs[stays])
        known = dict(conn.execute(sql.SQL("SELECT term, term_id FROM {}.vocab").format(o)).fetchall())
        todo = affected + todo
    found = conn.execute(
        sql.SQL("SELECT row, index_text FROM {}.chunks WHERE row = ANY(%s) ORDER BY row").format(ident), (todo,)
    ).fetchall()
    counted = [term_counts(tokens) for tokens in tokenize_all([t for _, t in found], words)]
    # A term's id never changes while it has postings, so kept postings are copied as they are; the new terms
    # are numbered after the known ones in sorted order (a first build numbers them all in sorted order).
    fresh = sorted({t for names, _, _ in counted for t in names} - known.keys())
    first = max(known.values(), default=-1) + 1
    known.update((term, first + offset) for offset, term in enumerate(fresh))
    conn.execute(sql.SQL("CREATE TABLE {}.terms (term text NOT NULL, term_id integer NOT NULL)").format(ident))
    with conn.cursor().copy(sql.SQL("COPY {}.terms (term, term_id) FROM STDIN").format(ident)) as copy:
        for term, term_id in known.items():
            copy.write_row((term, term_id))
    sizes = [len(c[0]) for c in counted]
    lengths[[row for row, _ in found]] = [c[2] for c in counted]
    terms = np.concatenate([carried[0], np.asarray([known[t] for names, _, _ in counted for t in names], np.int64)])
    rows = np.concatenate([carried[1], np.repeat(np.asarray([row for row, _ in found], np.int64), sizes)])
    tfs = np.concatenate([carried[2], np.asarray([f for _, counts, _ in counted for f in counts], np.int64)])
    order = np.lexsort((rows, terms))
    written = copy_posting_blocks(
        conn, sql.SQL("{}.postings").format(ident), terms[order], rows[order], tfs[order], block_rows
    )
    conn.execute(
        sql.SQL(
            "CREATE TABLE {s}.vocab AS SELECT t.term, t.term_id, d.df FROM {s}.terms t JOIN (SELECT term_id, "
            "(sum(octet_length(data)) / %s)::integer AS df FROM {s}.postings GROUP BY term_id) d USING (term_id)"
        ).format(s=ident),
        (POSTING.itemsize,),
    )
    conn.execute(sql.SQL("DROP TABLE {}.terms").format(ident))
    conn.execute(
        sql.SQL(
            "CREATE TABLE {}.meta (num_docs integer NOT NULL, mean_length double precision NOT NULL, "
            "lengths bytea NOT NULL)"
        ).format(ident)
    )
    conn.execute(
        sql.SQL("INSERT INTO {}.meta VALUES (%s, %s, %s)").format(ident),
        (n, mean_length(lengths.tolist()), pack_lengths(lengths)),
    )
    return {"tokenized": len(found), "kept": n - len(found), "block_rows": block_rows,
            "blocks_copied": copied, "blocks_written": written}  # fmt: skip


def _holding(conn: psycopg.Connection, s: str, old: str, new_of: np.ndarray, kept: int, words: list[str]) -> list[int]:
    """Kept sections (new rows) whose text holds one of `words`: those with every CJK bigram of a word in
    the live generation's postings, then the word itself; a word without a bigram is looked for in every text."""
    ident, o = sql.Identifier(s), sql.Identifier(old)
    rows: set[int] = set()
    for word in words:
        grams = sorted(set(bigram_terms(word)))
        if grams:
            ids = [i for (i,) in conn.execute(sql.SQL("SELECT term_id FROM {}.vocab WHERE term = ANY(%s)").format(o),
                                              (grams,))]  # fmt: skip
            if len(ids) < len(grams):
                continue  # a bigram of the word is in no kept section, so the word is in none
            _, at, _ = unpack_postings(conn.execute(postings_query(old, by_block=False), (ids,)).fetchall())
            old_rows, hits = np.unique(at, return_counts=True)
            candidates = new_of[old_rows[hits == len(ids)]]
            found = conn.execute(
                sql.SQL("SELECT row FROM {}.chunks WHERE row = ANY(%s) AND strpos(index_text, %s) > 0").format(ident),
                (candidates[candidates >= 0].tolist(), word),
            )
        else:
            found = conn.execute(
                sql.SQL("SELECT row FROM {}.chunks WHERE row < %s AND strpos(index_text, %s) > 0").format(ident),
                (kept, word),
            )
        rows.update(r for (r,) in found)
    return sorted(rows)


def _indexes(conn: psycopg.Connection, s: str) -> None:
    """Made after the rows are in (one sort each, not a b-tree insert per row); then planner statistics."""
    ident = sql.Identifier(s)
    for statement in (
        "CREATE UNIQUE INDEX ON {}.postings (term_id, block)",
        "CREATE UNIQUE INDEX ON {}.vocab (term)",
        "CREATE UNIQUE INDEX ON {}.chunks (row)",
        "CREATE INDEX ON {}.chunks (report_id)",
        "CREATE INDEX ON {}.mentions (year)",
        "CREATE INDEX ON {}.figures (chunk_id)",
        "CREATE INDEX ON {}.figures (doc)",
        "CREATE INDEX ON {}.figures (org, year)",
        "CREATE UNIQUE INDEX ON {}.vectors (row)",
        "CREATE UNIQUE INDEX ON {}.documents (doc)",
        "CREATE UNIQUE INDEX ON {}.figures (row)",
    ):
        conn.execute(sql.SQL(statement).format(ident))
    for table in ("documents", "reports", "chunks", "figures", "vectors", "postings", "vocab", "metrics", "mentions"):
        conn.execute(sql.SQL("ANALYZE {}.{}").format(ident, sql.Identifier(table)))
