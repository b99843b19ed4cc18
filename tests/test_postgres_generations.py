"""Generations of the postgres backend under SIGKILL: a build killed at any point (while its workers read and
embed, with its rows half copied, with everything written but the pointer not moved) leaves the previous
generation answering and nothing of its own readable; killed after its commit, its generation is whole; a
killed database server loses only the build that was running; the rerun completes and touches only what
changed (the unchanged files' rows, vectors included, copied in SQL: nothing read or embedded again)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import faiss
import pandas as pd
import pytest
from pg_cli import ROOT, answers, qa_app
from psycopg import sql

from qa_app.build import build_index
from qa_app.config import Settings
from qa_app.search.retrieve import stored_vectors
from qa_app.store.pg_copy import read_vectors
from qa_app.store.pg_server import connect, postmaster_pid, stop_embedded
from qa_app.store.pg_writer import current_generation

FIRST = ["001_8614dcb30a713240.txt", "003_d2e36f3a4881f76a.txt"]
ADDED = "004_be4a0c6940302084.txt"
OLD_Q = "岳阳市信访局2024年基本支出是多少"  # in FIRST
NEW_Q = "渌口区信访局退休人员几人"  # in ADDED only
QUESTIONS = f"{OLD_Q}\n{NEW_Q}\n"


def build(corpus: Path, index: Path, **env: str) -> subprocess.CompletedProcess:
    return qa_app(
        "build", "--backend", "postgres", "--workers", "1", "--index", str(index), QA_CORPUS=str(corpus), **env
    )


def generation(index: Path) -> int | None:
    with connect(Settings(index_dir=index, backend="postgres")) as conn:
        return current_generation(conn)


def generations(index: Path) -> list[str]:
    with connect(Settings(index_dir=index, backend="postgres")) as conn:
        return sorted(n for (n,) in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname ~ '^qa_g[0-9]+$'"))


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, list[dict]]]:
    """(corpus, index, answers): two seed reports built into the postgres backend; its answers to QUESTIONS."""
    root = tmp_path_factory.mktemp("generations")
    corpus, index = root / "corpus", root / "index"
    corpus.mkdir()
    for name in FIRST:
        shutil.copy(ROOT / "corpus" / name, corpus / name)
    run = build(corpus, index)
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    before = answers(index, QUESTIONS, "postgres")
    assert before[0]["found"] and not before[1]["found"]
    shutil.copy(ROOT / "corpus" / ADDED, corpus / ADDED)
    yield corpus, index, before
    stop_embedded(index)


@pytest.mark.parametrize("point", ["build:locked", "dask:done", "pg:copied", "pg:flip"])
def test_a_build_killed_before_its_commit_leaves_the_previous_generation(
    first: tuple[Path, Path, list[dict]], point: str
) -> None:
    corpus, index, before = first
    live, schemas = generation(index), generations(index)
    run = build(corpus, index, QA_FAULTS=f"{point}=kill")
    assert run.returncode == -signal.SIGKILL, run.stderr.decode()[-2000:]
    assert generation(index) == live
    assert generations(index) == schemas  # the killed transaction left no schema behind
    assert answers(index, QUESTIONS, "postgres") == before


def test_killed_after_its_commit_the_new_generation_is_whole_and_the_rerun_completes(
    first: tuple[Path, Path, list[dict]], tmp_path: Path
) -> None:
    corpus, index, before = first
    live = generation(index)
    run = build(corpus, index, QA_FAULTS="pg:flipped=kill")
    assert run.returncode == -signal.SIGKILL
    assert generation(index) > live
    after = answers(index, QUESTIONS, "postgres")
    assert after[0] == before[0] and after[1]["found"]
    # the rerun: nothing to read or embed; the old generations beyond the kept two are dropped
    run = build(corpus, index)
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    assert "indexed 3 files (3 unchanged)" in run.stdout.decode()
    assert "embedded 0 texts" in run.stdout.decode()
    assert len(generations(index)) == Settings().keep_generations
    # the same answers as the folder backend after the same two builds
    folder = tmp_path / "folder"
    two = tmp_path / "two"
    two.mkdir()
    for name in FIRST:
        shutil.copy(corpus / name, two / name)
    build_index(Settings(corpus_dir=two, index_dir=folder))
    shutil.copy(corpus / ADDED, two / ADDED)
    report = build_index(Settings(corpus_dir=two, index_dir=folder))
    assert sorted(report.reused) == FIRST
    lines = "".join(json.dumps({"q": q}, ensure_ascii=False) + "\n" for q in _dev_questions())
    assert answers(index, lines, "postgres") == answers(folder, lines, "folder")


def test_a_killed_database_server_loses_only_the_running_build(first: tuple[Path, Path, list[dict]]) -> None:
    corpus, index, _ = first
    (corpus / "extra.txt").write_text((ROOT / "corpus" / "000_b015b3dd7bb80183.txt").read_text("utf-8"), "utf-8")
    live = generation(index)
    expected = answers(index, QUESTIONS, "postgres")
    gate = index.parent / "gate"
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa_app.ui.cli", "build", "--backend", "postgres", "--workers", "1",
         "--index", str(index)],
        cwd=ROOT, env=_env(QA_CORPUS=str(corpus), QA_FAULTS=f"pg:copied=pause:{gate}"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _wait_for(gate / "pg:copied.reached", proc)
        pid = postmaster_pid(index)
        assert pid is not None
        subprocess.run(["kill", "-9", str(pid)], check=True)
        (gate / "pg:copied.release").touch()
        _, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode not in (0, -signal.SIGKILL), err.decode()[-2000:]
    assert generation(index) == live  # the server restarts (crash recovery) on the next use
    assert answers(index, QUESTIONS, "postgres") == expected
    run = build(corpus, index)
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    read = [line.split("  [")[0] for line in run.stdout.decode().splitlines() if "  [txt" in line]
    assert "extra.txt" in read and not set(read) & set(FIRST)  # the files of the live generation kept their rows
    assert generation(index) > live
    (corpus / "extra.txt").unlink()


def test_an_ask_process_goes_on_answering_after_the_server_is_killed(first: tuple[Path, Path, list[dict]]) -> None:
    """The app's engine is opened once: a killed server (restarted on the next use, with crash recovery)
    must not leave it with a dead connection, nor need the app restarted."""
    _, index, _ = first
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa_app.ui.cli", "ask", "--json", "-", "--index", str(index), "--backend", "postgres"],
        cwd=ROOT, env=_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip

    def asked(question: str) -> dict:
        proc.stdin.write((question + "\n").encode("utf-8"))
        proc.stdin.flush()
        answer = json.loads(proc.stdout.readline())
        answer.pop("timings_ms", None)
        return answer

    try:
        before = [asked(OLD_Q), asked("湘潭县信访局存在的问题")]  # a figure (its figures and texts read) and a passage
        assert before[0]["found"] and before[0]["figures"]
        pid = postmaster_pid(index)
        assert pid is not None
        subprocess.run(["kill", "-9", str(pid)], check=True)
        after = [asked(OLD_Q), asked("湘潭县信访局存在的问题")]
    finally:
        proc.stdin.close()
        proc.wait(timeout=120)
    assert after == before, proc.stderr.read().decode("utf-8", "replace")[-3000:]


def _dev_questions() -> list[str]:
    path = ROOT / "tests" / "data" / "dev_questions.jsonl"
    return [json.loads(line)["q"] for line in path.read_text("utf-8").splitlines() if line.strip()]


def _env(**values: str) -> dict[str, str]:
    import os

    env = {**os.environ, "PYTHONIOENCODING": "utf-8", **values}
    for name in ("QA_EMBEDDER", "QA_BACKEND", "QA_DATABASE_URL"):
        env.pop(name, None)
    return env


def _wait_for(path: Path, proc: subprocess.Popen, limit: float = 600.0) -> None:
    deadline = time.monotonic() + limit
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the build ended before {path.name}: {proc.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{path.name} never reached")
        time.sleep(0.05)


def test_the_rerun_of_a_killed_build_takes_the_vectors_it_had_embedded(seed_index: Path, tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / FIRST[0], corpus / FIRST[0])
    try:
        assert build(corpus, index).returncode == 0
        shutil.copy(ROOT / "corpus" / FIRST[1], corpus / FIRST[1])
        # killed once its first task's vectors are kept: they are committed, the generation is not
        run = build(corpus, index, QA_FAULTS="pending:saved=kill")
        assert run.returncode == -signal.SIGKILL, run.stderr.decode()[-2000:]
        kept = pending_rows(index)
        assert kept > 0
        run = build(corpus, index)
        assert run.returncode == 0, run.stderr.decode()[-2000:]
        assert f"({kept} embedded by a build that was interrupted)" in run.stdout.decode()
        assert pending_rows(index) == 0  # the generation holds them now
        # every vector of the generation, the 8 taken from the killed build included, is the folder build's
        folder = pd.read_parquet(seed_index / "chunks.parquet", columns=["key"])["key"].tolist()
        theirs = dict(zip(folder, stored_vectors(faiss.read_index(str(seed_index / "vectors.faiss"))), strict=True))
        with connect(Settings(index_dir=index, backend="postgres")) as conn:
            s = sql.Identifier(f"qa_g{current_generation(conn)}")
            keys = [k for (k,) in conn.execute(sql.SQL("SELECT key FROM {}.chunks ORDER BY row").format(s))]
            query = sql.SQL("SELECT row, embedding FROM {}.vectors ORDER BY row").format(s)
            _, mine = read_vectors(conn, query, (), 384)
        assert len(keys) == len(mine) > kept
        assert all(mine[i].tobytes() == theirs[k].tobytes() for i, k in enumerate(keys))
        assert answers(index, QUESTIONS, "postgres")[0]["found"]
    finally:
        stop_embedded(index)


def pending_rows(index: Path) -> int:
    with connect(Settings(index_dir=index, backend="postgres")) as conn:
        return int(conn.execute("SELECT count(*) FROM qa.pending").fetchone()[0])
