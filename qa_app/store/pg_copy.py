"""Tables, vectors and BM25 postings into and out of PostgreSQL with COPY, bit for bit.

Frames go as text COPY rows (psycopg writes a float with its shortest exact repr); vectors and postings go as
binary COPY built by numpy in one buffer (no Python loop per row): a float32 crosses as its four bytes, so
what a query scores is exactly what the build embedded, and a million postings load in a second.
"""

from __future__ import annotations

import struct

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_TRAILER = struct.pack(">h", -1)
_EVERY_ROW = sql.SQL("true")


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
    statement = sql.SQL("COPY ({}) TO STDOUT (FORMAT binary)").format(query)
    buffer = bytearray()
    with conn.cursor().copy(statement, params) as copy:
        for block in copy:
            buffer += block
    records = np.frombuffer(bytes(buffer[len(_HEADER) : len(buffer) - len(_TRAILER)]), _vector_records(dim))
    return records["row"].astype(np.int64), np.ascontiguousarray(records["v"], dtype=np.float32)


_POSTING = np.dtype(
    [("n", ">i2"), ("l1", ">i4"), ("t", ">i4"), ("l2", ">i4"), ("r", ">i4"), ("l3", ">i4"), ("f", ">i4"),
     ("l4", ">i4"), ("d", ">i4")]
)  # fmt: skip


def copy_postings(
    conn: psycopg.Connection,
    table: sql.Composable,
    terms: np.ndarray,
    rows: np.ndarray,
    counts: np.ndarray,
    lengths: np.ndarray,
) -> None:
    """Rows (term_id, row, tf, dl: four int4) as binary COPY: each term's count in a section, and the
    section's length, from which a question's BM25 weights are computed (qa_app.search.bm25)."""
    records = np.zeros(len(terms), _POSTING)
    records["n"], records["l1"], records["l2"], records["l3"], records["l4"] = 4, 4, 4, 4, 4
    records["t"], records["r"], records["f"], records["d"] = terms, rows, counts, lengths
    _copy_binary(conn, sql.SQL("COPY {} (term_id, row, tf, dl) FROM STDIN (FORMAT binary)").format(table), records)


def _copy_binary(conn: psycopg.Connection, statement: sql.Composable, records: np.ndarray) -> None:
    with conn.cursor().copy(statement) as copy:
        copy.write(_HEADER)
        data = records.tobytes()
        for at in range(0, len(data), 1 << 24):
            copy.write(data[at : at + (1 << 24)])
        copy.write(_TRAILER)
