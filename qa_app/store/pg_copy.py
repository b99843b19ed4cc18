"""Tables, vectors and BM25 postings into and out of PostgreSQL with COPY, bit for bit.

Frames go as text COPY rows (psycopg writes a float with its shortest exact repr); vectors and postings go as
binary COPY built by numpy (no Python loop per row): a float32 crosses as its four bytes, so what a query
scores is exactly what the build embedded; postings go a row per term and block of sections.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_TRAILER = struct.pack(">h", -1)
_EVERY_ROW = sql.SQL("true")
_PIECE_BYTES = 4 << 20  # what a binary COPY out is parsed by


def sql_type(dtype: object) -> str:
    """The column type a pandas dtype is stored as (the dtype itself is kept in the manifest)."""
    kind = pd.api.types
    if kind.is_bool_dtype(dtype):
        return "boolean"
    if kind.is_integer_dtype(dtype):
        return "bigint"
    if kind.is_float_dtype(dtype):
        return "double precision"
    return "text"


def create_frame_table(conn: psycopg.Connection, schema: str, name: str, frame: pd.DataFrame) -> None:
    """A table with the frame's columns and a leading `row` (the frame's row number, its order)."""
    columns = [sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(sql_type(t))) for c, t in frame.dtypes.items()]
    conn.execute(
        sql.SQL("CREATE TABLE {}.{} (row integer NOT NULL, {})").format(
            sql.Identifier(schema), sql.Identifier(name), sql.SQL(", ").join(columns)
        )
    )


def copy_frame(conn: psycopg.Connection, schema: str, name: str, frame: pd.DataFrame, first_row: int = 0) -> None:
    """Append the frame's rows, numbered from `first_row`; a missing value (None, NaN, NA) is NULL."""
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in ["row", *frame.columns])
    statement = sql.SQL("COPY {}.{} ({}) FROM STDIN").format(sql.Identifier(schema), sql.Identifier(name), cols)
    values = frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None)
    with conn.cursor().copy(statement) as copy:
        for n, row in enumerate(values, first_row):
            copy.write_row((n, *row))


def read_frame(
    conn: psycopg.Connection,
    schema: str,
    name: str,
    dtypes: dict[str, str],
    columns: list[str] | None = None,
    where: sql.Composable = _EVERY_ROW,
    params: tuple = (),
) -> pd.DataFrame:
    """The table's rows (those `where` keeps) in row order, with the dtypes it was written with."""
    columns = columns or list(dtypes)
    cur = conn.execute(
        sql.SQL("SELECT {} FROM {}.{} WHERE {} ORDER BY row").format(
            sql.SQL(", ").join(sql.Identifier(c) for c in columns), sql.Identifier(schema), sql.Identifier(name), where
        ),
        params,
    )
    frame = pd.DataFrame(cur.fetchall(), columns=columns)
    return frame.astype({c: dtypes[c] for c in columns})


def _vector_records(dim: int) -> np.dtype:
    # per row: field count, (length, row int4), (length, pgvector's binary form: dim int16, unused int16, float4s)
    return np.dtype(
        [("n", ">i2"), ("l1", ">i4"), ("row", ">i4"), ("l2", ">i4"), ("dim", ">i2"), ("unused", ">i2"),
         ("v", ">f4", (dim,))]
    )  # fmt: skip


def copy_vectors(conn: psycopg.Connection, table: sql.Composable, vectors: np.ndarray, first_row: int = 0) -> None:
    """Rows (row, embedding vector) of an (n, dim) float32 matrix, as binary COPY."""
    n, dim = vectors.shape
    records = np.zeros(n, _vector_records(dim))
    records["n"], records["l1"], records["l2"], records["dim"] = 2, 4, 4 + 4 * dim, dim
    records["row"] = np.arange(first_row, first_row + n)
    records["v"] = vectors
    _copy_binary(conn, sql.SQL("COPY {} (row, embedding) FROM STDIN (FORMAT binary)").format(table), records)


def read_vectors(
    conn: psycopg.Connection, query: sql.Composable, params: tuple, dim: int
) -> tuple[np.ndarray, np.ndarray]:
    """(rows, vectors) of a query selecting (row int4, embedding vector), in its order, as binary COPY."""
    pieces = list(_vector_pieces(conn, query, params, dim))
    if not pieces:
        return np.zeros(0, np.int64), np.zeros((0, dim), np.float32)
    return (np.concatenate([p["row"] for p in pieces]).astype(np.int64),
            np.concatenate([p["v"] for p in pieces]).astype(np.float32))  # fmt: skip


def fill_vectors(conn: psycopg.Connection, query: sql.Composable, params: tuple, out: np.ndarray) -> np.ndarray:
    """Like read_vectors, but written into `out` (n, dim) as the COPY streams in, and the rows returned: a
    whole generation's vectors (hundreds of MB at 20,000 reports) are held once, not once per copy made on
    the way (the COPY buffer, its slices, the byte-order conversion)."""
    rows, at = np.zeros(len(out), np.int64), 0
    for piece in _vector_pieces(conn, query, params, out.shape[1]):
        if at + len(piece) > len(out):
            raise ValueError(f"the query returned more than the {len(out)} vectors expected")
        rows[at : at + len(piece)] = piece["row"]
        out[at : at + len(piece)] = piece["v"]
        at += len(piece)
    if at != len(out):
        raise ValueError(f"the query returned {at} vectors, not the {len(out)} expected")
    return rows


def _vector_pieces(conn: psycopg.Connection, query: sql.Composable, params: tuple, dim: int) -> Iterator[np.ndarray]:
    """The records of a binary COPY of (row, embedding), parsed a few MB at a time as they arrive (libpq
    hands over a row at a time; a record cut at the end of a piece waits for the next)."""
    kind = _vector_records(dim)
    statement = sql.SQL("COPY ({}) TO STDOUT (FORMAT binary)").format(query)
    buffer, start = bytearray(), len(_HEADER)
    with conn.cursor().copy(statement, params) as copy:
        for block in copy:
            buffer += block
            if len(buffer) - start >= _PIECE_BYTES:
                count = (len(buffer) - start) // kind.itemsize
                yield np.frombuffer(buffer, kind, count=count, offset=start).copy()
                del buffer[: start + count * kind.itemsize]
                start = 0
    count = (len(buffer) - start) // kind.itemsize
    if count:
        yield np.frombuffer(buffer, kind, count=count, offset=start).copy()
    if bytes(buffer[start + count * kind.itemsize :]) != _TRAILER:
        raise ValueError("a binary COPY of vectors ended inside a record")


# A posting inside a term's block: the section's row and the term's count in it (little-endian int4 pairs).
POSTING = np.dtype([("row", "<i4"), ("tf", "<i4")])
_BLOCK_HEAD = np.dtype([("n", ">i2"), ("l1", ">i4"), ("t", ">i4"), ("l2", ">i4"), ("b", ">i4"), ("l3", ">i4")])


def copy_posting_blocks(
    conn: psycopg.Connection,
    table: sql.Composable,
    terms: np.ndarray,
    rows: np.ndarray,
    tfs: np.ndarray,
    block_rows: int,
) -> int:
    """Postings sorted by (term, row) as rows (term_id, block, data) by binary COPY: `data` holds a term's
    postings of sections `block * block_rows` to the next block's first, as `POSTING` pairs. A row a term and
    block, not a posting: one b-tree entry and tuple header per block where a posting each took ~60 bytes,
    and a scoped question reads the blocks its sections lie in. Returns how many rows were written."""
    if not len(terms):
        return 0
    blocks = np.asarray(rows, np.int64) // block_rows
    starts = np.flatnonzero(np.r_[True, (np.diff(terms) != 0) | (np.diff(blocks) != 0)])
    ends = np.r_[starts[1:], len(terms)]
    payload = np.empty(len(terms), POSTING)
    payload["row"], payload["tf"] = rows, tfs
    data = memoryview(payload.tobytes())
    heads = np.zeros(len(starts), _BLOCK_HEAD)
    heads["n"], heads["l1"], heads["l2"] = 3, 4, 4
    heads["t"], heads["b"], heads["l3"] = terms[starts], blocks[starts], (ends - starts) * POSTING.itemsize
    head = memoryview(heads.tobytes())
    size, width = POSTING.itemsize, _BLOCK_HEAD.itemsize
    statement = sql.SQL("COPY {} (term_id, block, data) FROM STDIN (FORMAT binary)").format(table)
    with conn.cursor().copy(statement) as copy:
        copy.write(_HEADER)
        for at in range(0, len(starts), 65536):  # a few MB a write
            part = enumerate(zip(starts[at : at + 65536].tolist(), ends[at : at + 65536].tolist(), strict=True), at)
            pieces = ((head[i * width : (i + 1) * width], data[a * size : b * size]) for i, (a, b) in part)
            copy.write(b"".join(piece for pair in pieces for piece in pair))
        copy.write(_TRAILER)
    return len(starts)


def postings_query(schema: str, by_block: bool) -> sql.Composed:
    """Each asked term's postings (`%s`: term ids), its blocks joined in order, so rows ascend within a term;
    with `by_block`, only the blocks named by a second parameter."""
    query = "SELECT term_id, string_agg(data, ''::bytea ORDER BY block) FROM {}.postings WHERE term_id = ANY(%s)"
    query += " AND block = ANY(%s)" if by_block else ""
    return sql.SQL(query + " GROUP BY term_id").format(sql.Identifier(schema))


def unpack_postings(found: list[tuple[int, bytes]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(term ids, rows, counts) of the rows `postings_query` returned, as int64 arrays."""
    parts = [np.frombuffer(data, POSTING) for _, data in found]
    if not parts:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    joined = np.concatenate(parts)
    terms = np.repeat(np.asarray([t for t, _ in found], np.int64), [len(p) for p in parts])
    return terms, joined["row"].astype(np.int64), joined["tf"].astype(np.int64)


def pack_lengths(lengths: np.ndarray) -> bytes:
    """The sections' BM25 lengths in row order, stored as one value (little-endian int4)."""
    return np.asarray(lengths, "<i4").tobytes()


def unpack_lengths(data: bytes) -> np.ndarray:
    return np.frombuffer(data, "<i4").astype(np.int64)


def _copy_binary(conn: psycopg.Connection, statement: sql.Composable, records: np.ndarray) -> None:
    with conn.cursor().copy(statement) as copy:
        copy.write(_HEADER)
        data = records.tobytes()
        for at in range(0, len(data), 1 << 24):
            copy.write(data[at : at + (1 << 24)])
        copy.write(_TRAILER)
