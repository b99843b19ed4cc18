"""`qa-app build` through the real command line: per-file report, failures named, the index written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

from qa_app.store.loader import load_tables

ROOT = Path(__file__).resolve().parent.parent


def qa_app(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qa_app.ui.cli", *args],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=ROOT, timeout=300,
    )  # fmt: skip


def test_build_reports_each_file_and_keeps_going_past_bad_ones(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("001_8614dcb30a713240.txt", "004_be4a0c6940302084.txt"):
        shutil.copy(ROOT / "corpus" / name, corpus / name)
    (corpus / "空文件.txt").write_bytes(b"")
    (corpus / "scan.pdf").write_bytes(b"%PDF-1.4 not a real pdf")
    index = tmp_path / "index"

    run = qa_app("build", "--corpus", str(corpus), "--index", str(index))
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "001_8614dcb30a713240.txt" in out and "岳阳市信访局 · 2024 · 部门整体支出" in out
    assert "株洲市渌口区信访局 · 2022 · 自评表" in out
    assert "空文件.txt  NOT READ: empty file" in out
    assert "scan.pdf  NOT READ: not a readable PDF" in out
    assert "indexed 2 files (0 unchanged), 3 reports" in out

    tables = load_tables(index)
    assert set(tables["documents"]["doc"]) == {"001_8614dcb30a713240.txt", "004_be4a0c6940302084.txt"}
    manifest = json.loads((index / "manifest.json").read_text("utf-8"))
    assert {f["doc"] for f in manifest["failures"]} == {"空文件.txt", "scan.pdf"}
    figures = tables["figures"]
    texts = dict(zip(tables["documents"]["doc"], tables["documents"]["text"], strict=True))
    for row in figures.itertuples():
        assert texts[row.doc][row.start : row.end] == row.text
    hit = figures[(figures.metric == "年度资金总额·全年执行数") & (figures.org == "岳阳市信访局")]
    assert list(hit.value) == [1186.19] and list(hit.unit) == ["万元"]


def test_env_vars_choose_the_folders(tmp_path: Path) -> None:
    corpus = tmp_path / "reports"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "003_d2e36f3a4881f76a.txt", corpus / "a.txt")
    run = qa_app("build", env={"QA_CORPUS": str(corpus), "QA_INDEX": str(tmp_path / "idx")})
    assert run.returncode == 0, run.stderr
    reports = pd.read_parquet(tmp_path / "idx" / "reports.parquet")
    assert list(reports["org"]) == ["湘潭县信访局"] and list(reports["year"]) == [2023]


def test_rebuild_replaces_the_index_whole(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "003_d2e36f3a4881f76a.txt", corpus / "a.txt")
    index = tmp_path / "index"
    assert qa_app("build", "--corpus", str(corpus), "--index", str(index)).returncode == 0
    (corpus / "a.txt").unlink()
    shutil.copy(ROOT / "corpus" / "001_8614dcb30a713240.txt", corpus / "b.txt")
    assert qa_app("build", "--corpus", str(corpus), "--index", str(index)).returncode == 0
    assert list(load_tables(index)["documents"]["doc"]) == ["b.txt"]
    assert not any(p.name.startswith(".index-") for p in tmp_path.iterdir())


def test_missing_corpus_is_a_clear_error(tmp_path: Path) -> None:
    run = qa_app("build", "--corpus", str(tmp_path / "nope"), "--index", str(tmp_path / "i"))
    assert run.returncode != 0
    assert "corpus folder not found" in run.stderr
