"""The postgres backend on a server and a Dask cluster it did not start: `QA_DATABASE_URL` names a PostgreSQL
server started outside the product, `QA_SCHEDULER` a scheduler with two worker processes started by the
`dask` command line, as a site would run them. The build reads and embeds on those workers, writes into that
server (no embedded server under the index folder) and the answers are the folder backend's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_cli import ROOT, qa_app

from qa_app.store.pg_server import PG_DIR

DEV = ROOT.parent / "shared" / "eval" / "dev_questions.jsonl"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server of its own data folder, started here (pgserver's binaries), as a site's would be."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    db = pgserver.get_server(tmp_path_factory.mktemp("external") / "data", cleanup_mode="stop")
    yield db.get_uri()
    db.cleanup()


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`dask scheduler` and two `dask worker` processes (one thread each); the scheduler's address."""
    folder = tmp_path_factory.mktemp("dask")
    file = folder / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    dask = [sys.executable, "-m", "dask"]
    procs = [subprocess.Popen([*dask, "scheduler", "--scheduler-file", str(file), "--port", "0",
                               "--no-dashboard"], cwd=folder, env=env, stderr=subprocess.DEVNULL)]  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        procs += [subprocess.Popen([*dask, "worker", "--scheduler-file", str(file), "--nthreads", "1",
                                    "--no-dashboard"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
                  for _ in range(2)]  # fmt: skip
        address = json.loads(file.read_text())["address"]
        from dask.distributed import Client

        with Client(address) as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(timeout=60)


@pytest.mark.skipif(not DEV.exists(), reason="../shared/eval is not beside the project")
def test_a_server_and_a_cluster_of_ones_own(seed_index: Path, server: str, scheduler: str, tmp_path: Path) -> None:
    index = tmp_path / "index"
    env = {"QA_DATABASE_URL": server, "QA_SCHEDULER": scheduler, "QA_CORPUS": str(ROOT / "corpus")}
    run = qa_app("build", "--backend", "postgres", "--index", str(index), **env)
    assert run.returncode == 0, run.stderr.decode("utf-8", "replace")[-3000:]
    assert not (index / PG_DIR).exists()  # nothing embedded: the data is the named server's

    from dask.distributed import Client

    with Client(scheduler) as client:  # the files were read on the cluster's workers, each of them
        read_there = client.run(lambda: "qa_app.build" in sys.modules)
    assert sorted(read_there.values()) == [True, True]

    lines = "".join(json.dumps({"q": json.loads(line)["q"]}, ensure_ascii=False) + "\n"
                    for line in DEV.read_text("utf-8").splitlines() if line.strip())  # fmt: skip

    def answers(*args: str, **extra: str) -> list[dict]:
        done = qa_app("ask", "--json", "-", *args, stdin=lines, **extra)
        assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-3000:]
        out = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
        return [{k: v for k, v in a.items() if k != "timings_ms"} for a in out]

    pg = answers("--index", str(index), "--backend", "postgres", QA_DATABASE_URL=server)
    assert len(pg) == 25 and pg[0]["figures"][0]["value"] == 519.69  # 湘潭县信访救助支出多少
    assert pg == answers("--index", str(seed_index), "--backend", "folder")
