"""The index under stress: a build killed mid-way, two builds at once, the app during a rebuild, 8 threads.

The builds that are killed or run two at once are `qa-app build` processes driven through the named fault
points of qa_app.faults (QA_FAULTS): each is killed or paused at a fixed point of its work, so the order of
events is fixed by construction, never by a timer or by which process the OS runs first. Their corpora are
seed reports with every line "revised", so the build has texts to embed. The previous index is always a copy
of the session's seed index, whose answers are known.
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from qa_app.answer.contract import Answer
from qa_app.build import build_index
from qa_app.config import Settings
from qa_app.embed import get_embedder
from qa_app.engine import Engine
from qa_app.faults import ENV
from qa_app.store.loader import load_index

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "qa_app" / "ui" / "app.py")
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
    return [str(script)] if script.exists() else [sys.executable, "-m", "qa_app.ui.cli"]


WAIT = 300  # seconds: generous; a wait that runs out fails the test, it never decides an order


@dataclass
class Build:
    """A `qa-app build` process; its output goes to files, readable while it runs."""

    proc: subprocess.Popen
    out: Path
    err: Path

    def stdout(self) -> str:
        return self.out.read_text("utf-8")

    def finish(self, timeout: float = 600) -> int:
        self.proc.wait(timeout)
        return self.proc.returncode

    def output(self) -> str:
        return f"exit {self.proc.returncode}\n{self.stdout()}\n{self.err.read_text('utf-8', 'replace')}"


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., Build]]:
    """Start `qa-app build` processes, as a person would in a terminal; any still running at the end are killed."""
    started: list[Build] = []

    def start(corpus: Path, index: Path, faults: str = "") -> Build:
        env = {k: v for k, v in os.environ.items() if k not in ("QA_EMBEDDER", "QA_INDEX", "QA_CORPUS", ENV)}
        env |= {"PYTHONIOENCODING": "utf-8", "PYTHONUNBUFFERED": "1"}  # each line in the file as it is printed
        if faults:
            env[ENV] = faults
        n = len(started)
        out, err = tmp_path / f"build{n}.out", tmp_path / f"build{n}.err"
        with open(out, "wb") as fo, open(err, "wb") as fe:
            proc = subprocess.Popen(
                [*qa_app_command(), "build", "--corpus", str(corpus), "--index", str(index)],
                stdout=fo,
                stderr=fe,
                env=env,
                cwd=ROOT,
            )
        started.append(Build(proc, out, err))
        return started[-1]

    yield start
    for build in started:
        if build.proc.poll() is None:
            build.proc.kill()
            build.proc.wait()


class Points:
    """The test's side of the pause handshake of qa_app.faults, for the processes given `pause(...)`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True)

    def pause(self, *points: str) -> str:
        """The QA_FAULTS value that pauses a process at each of `points`."""
        return ",".join(f"{point}=pause:{self.folder}" for point in points)

    def is_reached(self, point: str) -> bool:
        return (self.folder / f"{point}.reached").exists()

    def wait_reached(self, point: str, build: Build) -> None:
        """Block until `build` is paused at `point`; fail if it ends first or never gets there."""
        deadline = time.monotonic() + WAIT
        while not self.is_reached(point):
            if build.proc.poll() is not None:
                pytest.fail(f"the build ended before reaching {point}:\n{build.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the build did not reach {point} within {WAIT} s")
            time.sleep(0.01)

    def release(self, point: str) -> None:
        (self.folder / f"{point}.release").touch()


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


def wait_until(condition: Callable[[], object], timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.01)
    pytest.fail(f"timed out waiting for {what}")


# --- a build killed mid-way ------------------------------------------------------------------------------------


def test_sigkill_mid_build_leaves_the_previous_index_whole(
    seed_index: Path, tmp_path: Path, spawn: Callable[..., Build]
) -> None:
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    before = tree_hashes(index)
    old = comparable(engine_over(index).ask(QUESTION))
    assert old.found and old.figures[0].value == 519.69
    corpus = revised_corpus(tmp_path / "corpus", SMALL[:2])

    # Killed right after its first batch of embeddings: its temp folder written to, nothing swapped yet.
    build = spawn(corpus, index, faults="embed:batch=kill")
    assert build.finish() == -signal.SIGKILL, build.output()  # killed mid-way, not finished

    assert tree_hashes(index) == before  # not one byte of the previous index changed
    assert not index.with_name("index.old").exists()
    assert comparable(engine_over(index).ask(QUESTION)) == old  # it loads, verifies and answers as before
    left = temp_dirs(index)
    assert len(left) == 1  # a SIGKILL gives the build no chance to remove its temp folder
    pending = index.parent / f".{index.name}-pending"
    (batch,) = pending.rglob("*.npz")  # the batch embedded before the kill is kept for the rerun
    with np.load(batch) as kept:
        kept_keys, kept_vectors = kept["keys"].tolist(), kept["vectors"].copy()

    # A normal build afterwards succeeds despite the stale temp folder, and leaves no temp folder of its own.
    report = build_index(Settings(corpus_dir=corpus, index_dir=index))
    assert sorted(r.doc.name for r in report.read) == SMALL[:2]
    assert report.stats.resumed == len(kept_keys) > 0  # it embedded only what the killed build had not
    assert not pending.exists()
    # the kept vectors are the texts' own: what embedding them now gives, bit for bit
    chunks = pd.read_parquet(index / "chunks.parquet", columns=["key", "index_text"])
    text_of = dict(zip(chunks["key"], chunks["index_text"], strict=True))
    sample = [k for k in kept_keys if k in text_of][:4]
    fresh = get_embedder(EMBEDDER).encode_passages([text_of[k] for k in sample])
    assert fresh.tobytes() == kept_vectors[[kept_keys.index(k) for k in sample]].tobytes()
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


def test_sigkill_between_the_two_renames_of_the_swap_leaves_an_index(
    seed_index: Path, tmp_path: Path, spawn: Callable[..., Build]
) -> None:
    index, corpus = tmp_path / "index", tmp_path / "corpus"
    shutil.copytree(seed_index, index)
    shutil.copytree(CORPUS, corpus)
    old = comparable(engine_over(index).ask(QUESTION))

    # Killed right after write_index moved the old index aside and before it moved the new one into place.
    build = spawn(corpus, index, faults="index:swap=kill")
    assert build.finish() == -signal.SIGKILL, build.output()
    assert index.with_name("index.old").is_dir() and not index.exists()  # the kill came between the two renames
    assert comparable(engine_over(index).ask(QUESTION)) == old  # readers find the previous index in index.old

    # The next build swaps its index in, then removes index.old.
    build_index(Settings(corpus_dir=corpus, index_dir=index))
    assert comparable(engine_over(index).ask(QUESTION)) == old
    assert not index.with_name("index.old").exists()
    assert temp_dirs(index) == []


# --- two builds at once ----------------------------------------------------------------------------------------


def test_two_builds_at_once_are_serialised_by_the_lock(
    seed_index: Path, tmp_path: Path, spawn: Callable[..., Build]
) -> None:
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    corpus = revised_corpus(tmp_path / "corpus", SMALL[:1])  # new texts: the first build has some to embed
    one, two = Points(tmp_path / "first"), Points(tmp_path / "second")

    first = spawn(corpus, index, faults=one.pause("build:locked"))
    one.wait_reached("build:locked", first)  # the first holds the lock, paused before it reads anything
    second = spawn(corpus, index, faults=two.pause("build:waiting", "build:locked"))
    two.wait_reached("build:waiting", second)  # the second found the lock taken and was told so
    assert "waiting for another build to finish" in second.stdout(), second.output()
    two.release("build:waiting")
    two.release("build:locked")  # in advance: build:locked.reached then records when the second got the lock
    assert not two.is_reached("build:locked")  # cannot be: the first still holds the lock
    one.release("build:locked")

    assert first.finish() == 0, first.output()
    assert second.finish() == 0, second.output()
    assert two.is_reached("build:locked")  # it took the lock once the first had let it go
    assert "waiting for another build to finish" not in first.stdout()
    assert "indexed 1 files (0 unchanged)" in first.stdout(), first.output()
    # The second waited, then found the first's index current: nothing read again, nothing embedded.
    assert "indexed 1 files (1 unchanged)" in second.stdout(), second.output()
    assert "embedded 0 texts" in second.stdout(), second.output()
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
