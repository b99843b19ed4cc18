"""Vectors a build has embedded but not yet committed, kept where a killed build's rerun finds them.

Embedding is nearly all of a large build (hours at 5,000 reports on two cores) and a build's output is
written all at once at its end (the folder swap, the postgres generation's transaction), so a build killed
near its end used to lose every vector it had made. Each batch is saved here as soon as it is embedded,
outside the build's transaction, under the embedder's id and the texts' keys; the rerun takes them as it
takes the live index's vectors (a vector is a function of its text: qa_app.embed.e5torch), and a build
that has committed drops them. Two stores: files beside the index folder, a table of the database.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from qa_app.faults import reached

if TYPE_CHECKING:
    import psycopg


class Pending(Protocol):
    def load(self, keys: Iterable[str]) -> dict[str, np.ndarray]: ...

    def save(self, keys: Sequence[str], vectors: np.ndarray) -> None: ...

    def clear(self) -> None: ...


class PendingFiles:
    """One `.npz` of keys and float32 vectors per batch, in `<index>-pending/<embedder hash>/` beside the
    index folder (not in the build's own folder, which a rerun deletes), each written whole by a rename."""

    def __init__(self, index_dir: Path, embedder_id: str) -> None:
        self.root = index_dir.parent / f".{index_dir.name}-pending"
        self.folder = self.root / hashlib.sha256(embedder_id.encode("utf-8")).hexdigest()[:16]

    def load(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        wanted, found = set(keys), {}
        for path in sorted(self.folder.glob("*.npz")) if wanted else []:
            try:
                with np.load(path, allow_pickle=False) as batch:
                    found.update((k, v) for k, v in zip(batch["keys"].tolist(), batch["vectors"], strict=True)
                                 if k in wanted)  # fmt: skip
            except (OSError, ValueError, KeyError):
                continue  # a batch file that cannot be read is embedded again
        return found

    def save(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()[:24]
        tmp = self.folder / f".{name}.{os.getpid()}.npz"
        np.savez(tmp, keys=np.asarray(list(keys)), vectors=np.ascontiguousarray(vectors, np.float32))
        os.replace(tmp, self.folder / f"{name}.npz")
        reached("pending:saved")  # tests kill here: a batch kept, the build not finished

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class PendingTable:
    """Rows (embedder, key, float32 bytes) of `qa.pending`, written on a connection of their own in
    autocommit, so a batch is kept whatever becomes of the build's transaction."""

    def __init__(self, conn: psycopg.Connection, embedder_id: str, dim: int) -> None:
        self.conn, self.embedder, self.dim = conn, embedder_id, dim

    def load(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        rows = self.conn.execute(
            "SELECT key, embedding FROM qa.pending WHERE embedder = %s AND key = ANY(%s)",
            (self.embedder, sorted(set(keys))),
        ).fetchall()
        return {key: np.frombuffer(blob, "<f4").copy() for key, blob in rows if len(blob) == 4 * self.dim}

    def save(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, "<f4")
        with self.conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO qa.pending (embedder, key, embedding) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                [(self.embedder, key, vector.tobytes()) for key, vector in zip(keys, vectors, strict=True)],
            )
        reached("pending:saved")

    def clear(self) -> None:
        self.conn.execute("DELETE FROM qa.pending WHERE embedder = %s", (self.embedder,))
