"""Shared fixtures: the seed corpus read once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_app.config import Settings
from qa_app.pipeline import FileResult, process_file

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def corpus_results(settings: Settings) -> dict[str, FileResult]:
    """Every seed report processed through the real pipeline, keyed by file name."""
    return {p.name: process_file(p, settings) for p in sorted(CORPUS.glob("*.txt"))}
