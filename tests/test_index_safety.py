"""The index under stress: a build killed mid-way, two builds at once, the app during a rebuild, 8 threads.

Builds are made slow enough to interrupt by giving them texts the previous index has no vectors for (every
line of a seed report "revised"), so they embed for seconds. The previous index is always a copy of the
session's seed index, whose answers are known.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from qa_app.answer import Answer, Engine
from qa_app.build import build_index
from qa_app.config import Settings
from qa_app.embed import get_embedder
from qa_app.index import load_index

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "qa_app" / "app.py")
CORPUS = ROOT / "corpus"
SMALL = ["001_8614dcb30a713240.txt", "003_d2e36f3a4881f76a.txt", "004_be4a0c6940302084.txt"]
EMBEDDER = Settings().embedder
QUESTION = "湘潭县信访救助支出多少"  # 519.69万元 in the seed index (000_b015b3dd7bb80183.txt)
YUEYANG = "岳阳市信访局2024年基本支出是多少"  # 586.11万元 (001_8614dcb30a713240.txt)
NEW_REPORT = """2025年度平江县财政局部门整体支出绩效自评报告
一、基本情况
平江县财政局负责全县财政收支管理、预算编制与执行、国库集中支付和政府采购监督管理工作。
二、支出情况
会议费支出12.34万元，主要用于召开全县财政工作会议。
"""
NEW_QUESTION = "平江县财政局会议费支出多少"


# --- helpers -------------------------------------------------------------------------------------------------


def qa_app_command() -> list[str]:
    script = Path(sys.executable).with_name("qa-app")
    return [str(script)] if script.exists() else [sys.executable, "-m", "qa_app.cli"]


def build_process(corpus: Path, index: Path) -> subprocess.Popen:
    """`qa-app build` in its own process, as a person would run it in a terminal."""
    env = {k: v for k, v in os.environ.items() if k not in ("QA_EMBEDDER", "QA_INDEX", "QA_CORPUS")}
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.Popen(
        [*qa_app_command(), "build", "--corpus", str(corpus), "--index", str(index)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )


def revised_corpus(folder: Path, names: list[str]) -> Path:
    """Copies of seed reports with every line revised: the same reports, but no text the seed index has seen."""
    folder.mkdir(parents=True)
    for name in names:
        lines = (CORPUS / name).read_text("utf-8").splitlines(keepends=True)
        revised = [line.rstrip("\r\n") + "（修订稿）\n" if line.strip() else line for line in lines]
        (folder / name).write_text("".join(revised), "utf-8")
    return folder


def temp_dirs(index: Path) -> list[Path]:
    """The folders a build writes beside the index before swapping one in."""
    return sorted(index.parent.glob(f".{index.name}-build-*"))


def tree_hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def engine_over(index: Path) -> Engine:
    """A fresh engine over `index` (hashes verified), bypassing every cache."""
    return Engine(load_index(index, EMBEDDER), get_embedder(EMBEDDER), Settings(index_dir=index))


def comparable(answer: Answer) -> Answer:
    return replace(answer, timings_ms={})


def wait_until(condition: Callable[[], object], timeout: float, what: str, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the build ended (exit {proc.returncode}) before {what}:\n{out.decode()}\n{err.decode()}")
        time.sleep(0.01)
    pytest.fail(f"timed out waiting for {what}")


# --- a build killed mid-way ------------------------------------------------------------------------------------


def test_sigkill_mid_build_leaves_the_previous_index_whole(seed_index: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    before = tree_hashes(index)
    old = comparable(engine_over(index).ask(QUESTION))
    assert old.found and old.figures[0].value == 519.69
    corpus = revised_corpus(tmp_path / "corpus", SMALL[:2])

    proc = build_process(corpus, index)
    try:
        # The temp folder appears when the build starts writing: it then embeds for seconds.
        wait_until(lambda: temp_dirs(index), 300, "the build's temp folder appeared", proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == -signal.SIGKILL  # killed mid-way, not finished

    assert tree_hashes(index) == before  # not one byte of the previous index changed
    assert not index.with_name("index.old").exists()
    assert comparable(engine_over(index).ask(QUESTION)) == old  # it loads, verifies and answers as before
    left = temp_dirs(index)
    assert len(left) == 1  # a SIGKILL gives the build no chance to remove its temp folder

    # A normal build afterwards succeeds despite the stale temp folder, and leaves no temp folder of its own.
    report = build_index(Settings(corpus_dir=corpus, index_dir=index))
    assert sorted(r.doc.name for r in report.read) == SMALL[:2]
    rebuilt = engine_over(index)
    assert set(rebuilt.index.documents["doc"]) == set(SMALL[:2])
    answer = rebuilt.ask(YUEYANG)
    assert answer.found and answer.figures[0].value == 586.11
    assert set(temp_dirs(index)) <= set(left)
    assert not index.with_name("index.old").exists()


def test_a_later_build_removes_temp_folders_left_by_a_killed_build(seed_index: Path, tmp_path: Path) -> None:
    index, corpus = tmp_path / "index", tmp_path / "corpus"
    shutil.copytree(seed_index, index)
    shutil.copytree(CORPUS, corpus)
    stale = Path(tempfile.mkdtemp(prefix=".index-build-", dir=tmp_path))  # as the killed build above leaves it
    (stale / "chunks.parquet").write_bytes(b"PAR1 half-written")
    build_index(Settings(corpus_dir=corpus, index_dir=index))  # under the build lock: no other build is running
    assert engine_over(index).ask(QUESTION).found
    assert temp_dirs(index) == []


# A build process that is killed (SIGKILL) right after write_index has moved the old index aside and before
# it has moved the new one into place: the one moment between the two renames of the swap.
_KILLED_BETWEEN_RENAMES = """
import os, signal, sys
index = os.path.realpath(sys.argv[1])
real_replace = os.replace
def replace(src, dst):
    real_replace(src, dst)
    if os.fspath(src) == index:
        os.kill(os.getpid(), signal.SIGKILL)
os.replace = replace
from qa_app.cli import main
sys.exit(main(["build", "--corpus", sys.argv[2], "--index", sys.argv[1]]))
"""


def test_sigkill_between_the_two_renames_of_the_swap_leaves_an_index(seed_index: Path, tmp_path: Path) -> None:
    index, corpus = tmp_path / "index", tmp_path / "corpus"
    shutil.copytree(seed_index, index)
    shutil.copytree(CORPUS, corpus)
    old = comparable(engine_over(index).ask(QUESTION))
    env = {k: v for k, v in os.environ.items() if k not in ("QA_EMBEDDER", "QA_INDEX", "QA_CORPUS")}
    run = subprocess.run(
        [sys.executable, "-c", _KILLED_BETWEEN_RENAMES, str(index), str(corpus)],
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    assert run.returncode == -signal.SIGKILL, run.stderr.decode("utf-8", "replace")
    assert index.with_name("index.old").is_dir()  # the kill came between the two renames
    assert comparable(engine_over(index).ask(QUESTION)) == old


# --- two builds at once ----------------------------------------------------------------------------------------


def test_two_builds_at_once_are_serialised_by_the_lock(seed_index: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    corpus = revised_corpus(tmp_path / "corpus", SMALL[:1])  # new texts: the first build embeds for seconds
    procs = [build_process(corpus, index), build_process(corpus, index)]
    try:
        runs = [p.communicate(timeout=600) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()
    outs = [out.decode("utf-8") for out, _ in runs]
    errs = [err.decode("utf-8", "replace") for _, err in runs]
    assert [p.returncode for p in procs] == [0, 0], errs
    waited = [out for out in outs if "waiting for another build to finish" in out]
    assert len(waited) == 1, outs
    first = next(out for out in outs if out is not waited[0])
    assert "indexed 1 files (0 unchanged)" in first, first
    # The second waited, then found the first's index current: nothing read again, nothing embedded.
    assert "indexed 1 files (1 unchanged)" in waited[0] and "embedded 0 texts" in waited[0], waited[0]
    rebuilt = engine_over(index)  # loads and verifies every file's hash
    assert list(rebuilt.index.documents["doc"]) == SMALL[:1]
    assert rebuilt.ask(YUEYANG).figures[0].value == 586.11
    assert temp_dirs(index) == []
    assert not index.with_name("index.old").exists()


# --- the app during a rebuild ----------------------------------------------------------------------------------


def ask(at: AppTest, question: str):
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    reply = at.chat_message[-1]
    assert reply.name == "assistant"
    return reply


def test_app_answers_from_the_old_index_during_a_rebuild_then_switches(
    seed_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, corpus = tmp_path / "index", tmp_path / "corpus"
    shutil.copytree(seed_index, index)
    shutil.copytree(CORPUS, corpus)
    monkeypatch.setenv("QA_INDEX", str(index))
    monkeypatch.setenv("QA_CORPUS", str(corpus))
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception, at.exception
    assert ask(at, QUESTION).metric[0].value == "519.69万元"
    assert not ask(at, NEW_QUESTION).metric  # no such report yet

    (corpus / "pingjiang.txt").write_text(NEW_REPORT, "utf-8")
    paused, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "embedding sections" and not paused.is_set():  # hold the build mid-way, temp folder written
            paused.set()
            release.wait(300)

    def rebuild() -> None:
        try:
            outcome["report"] = build_index(Settings(corpus_dir=corpus, index_dir=index), progress)
        except BaseException as exc:
            outcome["error"] = exc

    manifest = (index / "manifest.json").read_bytes()
    thread = threading.Thread(target=rebuild, daemon=True)
    thread.start()
    try:
        assert paused.wait(300), outcome
        wait_until(lambda: temp_dirs(index), 60, "the build's temp folder appeared")
        # Mid-build: the app still answers, from the old index.
        assert ask(at, QUESTION).metric[0].value == "519.69万元"
        reply = ask(at, NEW_QUESTION)
        assert not reply.metric and "平江县财政局" in reply.warning[0].value
        assert "平江县财政局" not in at.multiselect(key="orgs").options
        assert (index / "manifest.json").read_bytes() == manifest
    finally:
        release.set()
        thread.join(300)
    assert not thread.is_alive() and "error" not in outcome, outcome
    assert [r.doc.name for r in outcome["report"].read] == ["pingjiang.txt"]  # type: ignore[union-attr]

    # The next question, in the same session, is answered from the new index: no restart.
    reply = ask(at, NEW_QUESTION)
    assert reply.metric[0].value == "12.34万元"
    assert "平江县财政局" in reply.metric[0].label and "2025" in reply.metric[0].label
    assert "平江县财政局" in at.multiselect(key="orgs").options
    assert ask(at, QUESTION).metric[0].value == "519.69万元"
    assert temp_dirs(index) == []


# --- many threads, one engine ----------------------------------------------------------------------------------


def test_eight_threads_get_the_single_threaded_answers(
    engine: Engine, seed_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from ask_latency import questions
    from load import load

    every = questions(seed_index, 40)
    qs = [*every[:37], *every[-3:]]  # with the unanswerable ones and the empty question at the end
    assert len(qs) == 40 and "" in qs
    figures = load(engine, qs, 8)
    assert figures["questions"] == 8 * 40
    assert figures["mismatches"] == 0
