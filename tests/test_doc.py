"""Word 97-2003 .doc and WPS .wps files, generated here with the converter the reader uses (LibreOffice).

Every seed is written as a .docx (tests/docgen.py), converted to .doc by `soffice --convert-to doc`, and
read back through the reading child: the same reports and figures as the seed's .txt. Then what a .doc
reader must also handle: a .wps, the conversion cache, a password-protected file (Word's fEncrypted flag), a
damaged one, bytes that only claim to be a .doc, a conversion past its timeout, and a real build + Engine.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from docgen import seed_blocks, write_doc, write_docx

from qa_app.build import build_index
from qa_app.config import Settings
from qa_app.engine import Engine, get_engine
from qa_app.pipeline import FileResult
from qa_app.readers.base import IngestError
from qa_app.readers.doc import CONVERTER, soffice
from qa_app.sandbox import process_file

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SEEDS = sorted(p.name for p in CORPUS.glob("*.txt"))
HENGSHAN = "003_d2e36f3a4881f76a.txt"  # 湘潭县信访局's 2023 project report, re-labelled 衡山县 for the build

pytestmark = pytest.mark.skipif(soffice() is None, reason="LibreOffice is installed by `make test` (make readers)")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("converted")


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("docs")
    out = {}
    for seed in SEEDS:
        stem = Path(seed).stem
        out[seed] = write_doc(write_docx(seed_blocks((CORPUS / seed).read_text("utf-8")), folder / f"{stem}.docx"),
                              folder / f"{stem}.doc")  # fmt: skip
    return out


def figure_keys(result: FileResult) -> Counter:
    return Counter(
        ("nan" if math.isnan(f.value) else round(f.value, 4), f.unit, f.metric, f.org, f.year, f.period)
        for f in result.figures
    )


def test_the_generated_files_are_word_97(docs: dict[str, Path]) -> None:
    import olefile

    for path in docs.values():
        assert olefile.isOleFile(str(path))
        with olefile.OleFileIO(str(path)) as ole:
            assert ole.exists("WordDocument")


@pytest.mark.parametrize("seed", SEEDS)
def test_a_doc_gives_the_reports_and_figures_of_its_source(seed: str, docs: dict[str, Path], cache: Path) -> None:
    settings = Settings(convert_cache_dir=cache)
    txt, doc = process_file(CORPUS / seed, settings), process_file(docs[seed], settings, name=seed)
    assert doc.doc.format == "doc"
    assert [(r.title, r.org, r.region, r.year, r.type) for r in doc.reports] == [
        (r.title, r.org, r.region, r.year, r.type) for r in txt.reports
    ]
    found, expected = figure_keys(doc), figure_keys(txt)
    assert found == expected, {"missing": expected - found, "extra": found - expected}
    for f in doc.figures:
        assert doc.doc.text[f.start : f.end] == f.text


def test_a_wps_is_read_as_word_97(docs: dict[str, Path], tmp_path: Path, cache: Path) -> None:
    """WPS saves its .wps in Word 97's format."""
    wps = tmp_path / "报告.wps"
    shutil.copyfile(docs[SEEDS[1]], wps)
    result = process_file(wps, Settings(convert_cache_dir=cache))
    assert result.doc.format == "wps" and result.reports[0].org == "岳阳市信访局"


def test_a_converted_file_is_cached_by_its_hash(docs: dict[str, Path], tmp_path: Path) -> None:
    settings = Settings(convert_cache_dir=tmp_path / "cache")
    t0 = time.perf_counter()
    first = process_file(docs[SEEDS[2]], settings)
    converting = time.perf_counter() - t0
    (cached,) = (tmp_path / "cache").iterdir()
    assert cached.suffix == ".docx" and len(cached.stem) == 64
    t0 = time.perf_counter()
    again = process_file(docs[SEEDS[2]], settings)
    assert time.perf_counter() - t0 < converting / 2
    assert again.doc.text == first.doc.text
    assert CONVERTER  # the cache key names the conversion, so a changed command converts again


def encrypted(doc: Path, path: Path) -> Path:
    """The .doc with Word's fEncrypted flag set in its FIB, as Word marks a file that opens with a password."""
    import olefile

    shutil.copyfile(doc, path)
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        fib = bytearray(ole.openstream("WordDocument").read())
        fib[11] |= 0x01
        ole.write_stream("WordDocument", bytes(fib))
    return path


def test_a_protected_damaged_or_false_doc_is_refused_in_chinese(docs: dict[str, Path], tmp_path: Path) -> None:
    data = docs[SEEDS[1]].read_bytes()
    damaged = r"^不是可读的 Word 文件（文件损坏、不完整或格式无法识别），已拒绝$"
    (tmp_path / "half.doc").write_bytes(data[: len(data) // 2])
    (tmp_path / "noise.doc").write_bytes(data[:8] + bytes(range(256)) * 16)
    (tmp_path / "text.doc").write_text("2024年度湘潭县信访局部门整体支出绩效自评报告", "utf-8")
    cases = {
        encrypted(docs[SEEDS[1]], tmp_path / "protected.doc"): r"^Word 文件设有打开密码（已加密），无法读取，已拒绝$",
        tmp_path / "half.doc": damaged,
        tmp_path / "noise.doc": damaged,
        tmp_path / "text.doc": damaged,
    }
    for path, reason in cases.items():
        with pytest.raises(IngestError, match=reason):
            process_file(path, Settings(convert_cache_dir=tmp_path / "cache"))


def test_a_conversion_past_its_timeout_is_refused_and_leaves_nothing_running(docs: dict[str, Path], tmp_path: Path):
    settings = Settings(convert_cache_dir=tmp_path / "cache", convert_timeout_s=0.2)
    with pytest.raises(IngestError, match=r"^转换 Word 文件超时（0.2 秒），已拒绝$"):
        process_file(docs[SEEDS[0]], settings)
    time.sleep(0.5)
    running = subprocess.run(["pgrep", "-f", "qa-doc-"], capture_output=True, text=True).stdout.split()
    assert not running, running
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())


# --- through the real build and the engine -----------------------------------------------------------------


@pytest.fixture(scope="module")
def engine_with_doc(tmp_path_factory: pytest.TempPathFactory, seed_index: Path, cache: Path) -> Engine:
    root = tmp_path_factory.mktemp("doc-index")
    corpus, index = root / "corpus", root / "index"
    shutil.copytree(CORPUS, corpus)
    for path in corpus.iterdir():
        path.chmod(0o644)
    text = (CORPUS / HENGSHAN).read_text("utf-8").replace("湘潭县", "衡山县").replace("湘 潭 县", "衡 山 县")
    write_doc(write_docx(seed_blocks(text), root / "hengshan.docx"), corpus / "衡山县信访局2023年项目自评.doc")
    shutil.copytree(seed_index, index)
    settings = Settings(corpus_dir=corpus, index_dir=index, convert_cache_dir=cache)
    report = build_index(settings)
    assert not report.failures, report.failures
    return get_engine(settings)


def test_the_engine_answers_from_the_doc(engine_with_doc: Engine) -> None:
    answer = engine_with_doc.ask("衡山县2023年信访救助基金总预算是多少")
    assert answer.found, answer.answer
    top = answer.figures[0]
    assert (top.value, top.unit, top.org, top.year) == (284.14, "万元", "衡山县信访局", 2023), answer.answer
    citation = answer.citations[top.citation]
    assert citation.doc.endswith(".doc")
    assert citation.quote == engine_with_doc.index.texts[citation.doc][citation.start : citation.end]
