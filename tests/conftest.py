"""Shared fixtures: the seed corpus read once per session, and built once into an index."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_app.build import build_index
from qa_app.config import Settings
from qa_app.engine import Engine, get_engine
from qa_app.pipeline import FileResult
from qa_app.sandbox import process_file

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def corpus_results(settings: Settings) -> dict[str, FileResult]:
    """Every seed report processed through the real pipeline, keyed by file name."""
    return {p.name: process_file(p, settings) for p in sorted(CORPUS.glob("*.txt"))}


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed corpus built once into a temporary index with the real default embedder."""
    out = tmp_path_factory.mktemp("seed-index")
    build_index(Settings(index_dir=out))
    return out


@pytest.fixture(scope="session")
def engine(seed_index: Path) -> Engine:
    """The answering engine over `seed_index`, loaded once."""
    return get_engine(Settings(index_dir=seed_index))
