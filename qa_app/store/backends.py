"""Which index backend a setting names, opened the same way: the folder (qa_app.store.loader, the default)
or PostgreSQL (qa_app.store.pg_index). The engine and the build ask here, never a backend directly."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import jieba
import numpy as np
import pandas as pd

from qa_app.config import Settings
from qa_app.store.loader import load_index
from qa_app.store.manifest import IndexUnavailable, built_stamp, read_manifest
from qa_app.store.pg_index import generation_of, live_generation, load_pg_index, require_database
from qa_app.store.pg_server import connect
from qa_app.store.pg_writer import read_manifest as read_pg_manifest
from qa_app.store.reads import Reads

BACKENDS = ("folder", "postgres")


class AnyIndex(Protocol):
    """What the engine and the app read of an open index, whichever backend holds it: the small tables
    resident (`Index` also keeps its sections and figures as frames, `PgIndex` none), the rest through
    `reads`, `texts` and `searchers`."""

    path: Path
    manifest: dict
    documents: pd.DataFrame  # doc, format, encoding, sha256, copies (the folder's also the stored text)
    reports: pd.DataFrame
    metrics: pd.DataFrame
    metric_vectors: np.ndarray
    tokenizer: jieba.Tokenizer
    texts: Mapping[str, str]  # doc → stored text, which every citation's offsets index into

    @property
    def reads(self) -> Reads: ...

    def searchers(self, settings: Settings) -> tuple:
        """(lexical, named, dense): `Lexical`, `Named`, `Dense` of qa_app.search.retrieve or their SQL twins
        of qa_app.store.pg_index, with the same methods."""


def check(settings: Settings) -> None:
    if settings.backend not in BACKENDS:
        raise IndexUnavailable(f"unknown index backend {settings.backend!r}: use one of {', '.join(BACKENDS)}")


def open_index(settings: Settings) -> AnyIndex:
    check(settings)
    if settings.backend == "postgres":
        return load_pg_index(settings)
    return load_index(settings.index_dir, settings.embedder)


def index_stamp(settings: Settings) -> int:
    """What changes when a build replaces the index (an engine is cached by it): the folder's manifest time,
    or the database's live generation."""
    check(settings)
    if settings.backend == "postgres":
        return generation_of(settings)
    return built_stamp(settings.index_dir)


def live_manifest(settings: Settings) -> dict:
    """The manifest of the live index, whichever backend holds it (IndexUnavailable when there is none)."""
    check(settings)
    if settings.backend != "postgres":
        return read_manifest(settings.index_dir)
    require_database(settings)
    with connect(settings) as conn:
        return read_pg_manifest(conn, live_generation(conn))
