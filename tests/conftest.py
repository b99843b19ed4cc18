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


def engine_of(tmp_path_factory: pytest.TempPathFactory, name: str, reports: dict[str, str]) -> Engine:
    """An engine over a corpus of small generated reports (file name → UTF-8 text), built from scratch."""
    root = tmp_path_factory.mktemp(name)
    (root / "corpus").mkdir()
    for file, text in reports.items():
        (root / "corpus" / file).write_text(text, "utf-8")
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index")
    build_index(settings)
    return get_engine(settings)


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


# A GBK report whose title and text name no organisation and no year: read as 单位不详, 年度不详.
UNKNOWN = "自评报告.txt"
UNKNOWN_TEXT = """部门整体支出绩效自评报告
一、部门基本情况
本单位负责全县城乡低保、特困人员供养、临时救助和养老服务等社会救助工作，内设机构五个。
二、部门整体支出情况
全年会议费支出12.34万元，主要用于召开全县社会救助工作会议，较上年减少1.20万元。
三、存在的问题
预算编制不够精细，部分项目执行进度偏慢，绩效目标设置有待进一步细化和量化。
"""


@pytest.fixture(scope="session")
def unknown_corpus(seed_index: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(corpus, index): the seeds and UNKNOWN, built once from a copy of the seed index (only UNKNOWN is read).

    Tests that change it work on their own copy (`shutil.copytree` both folders)."""
    import shutil

    root = tmp_path_factory.mktemp("unknown")
    corpus, index = root / "corpus", root / "index"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(seed_index, index)
    (corpus / UNKNOWN).write_bytes(UNKNOWN_TEXT.encode("gbk"))
    report = build_index(Settings(corpus_dir=corpus, index_dir=index))
    assert [r.doc.name for r in report.read] == [UNKNOWN]
    return corpus, index
