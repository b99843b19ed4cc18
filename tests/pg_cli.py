"""The command line run as the postgres tests run it: a fresh process per command, the environment's QA_*
settings dropped but those a test passes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def qa_app(*args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "PYTHONIOENCODING": "utf-8", **env}
    for name in ("QA_EMBEDDER", "QA_BACKEND", "QA_DATABASE_URL", "QA_FAULTS", "QA_PG_BLOCK_ROWS"):
        if name not in env:
            environ.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "qa_app.ui.cli", *args],
        input=stdin.encode("utf-8") if stdin is not None else None,
        capture_output=True,
        env=environ,
        cwd=ROOT,
        timeout=1200,
    )


def build_pg(corpus: Path, index: Path, workers: int, **env: str) -> None:
    flags = ("--backend", "postgres", "--workers", str(workers), "--index", str(index))
    run = qa_app("build", *flags, QA_CORPUS=str(corpus), **env)
    assert run.returncode == 0, run.stderr.decode("utf-8", "replace")[-3000:]


def answers(index: Path, questions: str, backend: str) -> list[dict]:
    """`ask --json -` over the lines of `questions`, each answer without its timings."""
    run = qa_app("ask", "--json", "-", "--index", str(index), "--backend", backend, stdin=questions)
    assert run.returncode == 0, run.stderr.decode("utf-8", "replace")[-3000:]
    out = [json.loads(line) for line in run.stdout.decode("utf-8").splitlines()]
    for answer in out:
        answer.pop("timings_ms", None)
    return out
