"""Which index backend a setting names, opened the same way: the folder (qa_app.store.loader, the default)
or PostgreSQL (qa_app.store.pg_index). The engine and the build ask here, never a backend directly."""

from __future__ import annotations

from qa_app.config import Settings
from qa_app.store.loader import Index, load_index
from qa_app.store.manifest import IndexUnavailable, built_stamp, read_manifest
from qa_app.store.pg_index import PgIndex, generation_of, load_pg_index
from qa_app.store.pg_server import connect, has_embedded
from qa_app.store.pg_writer import current_generation
from qa_app.store.pg_writer import read_manifest as read_pg_manifest

BACKENDS = ("folder", "postgres")
AnyIndex = Index | PgIndex


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
    if not settings.database_url and not has_embedded(settings.index_dir):
        raise IndexUnavailable(f"no index in {settings.index_dir}: run `qa-app build --backend postgres` first")
    with connect(settings) as conn:
        gen = current_generation(conn)
        if gen is None:
            raise IndexUnavailable("no index in the database: run `qa-app build --backend postgres` first")
        return read_pg_manifest(conn, gen)
