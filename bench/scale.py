"""Scale: build, size, memory, latency and accuracy for synthetic archives of 5 to 5,000 reports.

Usage: .venv/bin/python bench/scale.py [--sizes 5,100,1000,5000] [--work /tmp/qa-scale] [--questions 200]
           [--seed 7] [--write docs/BENCHMARKS.md]
For each size N it generates an archive with bench/synth.py (reports as .txt/.docx/.pdf and generated
questions with gold answers; kept in WORK/N and reused when present), then drives the product only through
its CLI, as any outside script would:
- `qa-app build` into a fresh index: wall time, and the time of each stage (the build's "seconds:" line:
  reading, figure extraction, embedding, indexing) as chunks per second;
- the index folder's size on disk;
- `qa-app ask --json -`: the resident memory (VmRSS) of that process once the index is loaded and the first
  answer is out, then each question written and its JSON line awaited: wall p50/p95 per question;
- `qa-app eval`: accuracy on the same questions.
Where the index holds an HNSW graph (more than Settings.exact_max_sections sections), the recall@10 and
recall@100 of that graph against exact search over the whole corpus are measured on the questions' vectors.
The table is printed; --write replaces the part of the file between the scale markers. A run killed
mid-build is resumed by the same command: the build goes on from the vectors it had kept (`build`).

With --backends folder,postgres each size is built by both backends side by side (the postgres one with
each of --workers Dask worker counts, each into a fresh embedded PostgreSQL), and for each backend also
measured: the time to add one report (a seed report copied in, then `qa-app build` again: only it is read
and embedded) and, for postgres, the server's resident memory beside the `ask` process's. That table goes
between the scale-backends markers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
QA = [sys.executable, "-m", "qa_app.ui.cli"]
ENV = {**os.environ, "TQDM_DISABLE": "1", "PYTHONUNBUFFERED": "1"}
BEGIN, END = "<!-- scale:begin -->", "<!-- scale:end -->"
PG_BEGIN, PG_END = "<!-- scale-backends:begin -->", "<!-- scale-backends:end -->"
ADDED = ROOT / "corpus" / "000_b015b3dd7bb80183.txt"  # the report added to a built archive


def run(cmd: list[str]) -> tuple[str, float]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", env=ENV, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout, time.perf_counter() - t0


def archive(n: int, work: Path, questions: int, seed: int) -> Path:
    folder = work / str(n)
    marker = folder / ".complete"
    if not marker.exists():
        shutil.rmtree(folder, ignore_errors=True)
        run([sys.executable, str(ROOT / "bench" / "synth.py"), str(n), str(folder), "--seed", str(seed),
             "--questions", str(questions)])  # fmt: skip
        marker.write_text(f"{n} {seed} {questions}\n")
    return folder


def build(folder: Path, backend: tuple[str, ...] = (), index: Path | None = None, fresh: bool = True) -> dict:
    """Build the archive (`backend`: extra CLI flags such as --backend postgres --workers 2) and parse its report.

    A fresh build that was killed before (the machine stopped, the session ended) is resumed, not started
    again: its index, and the vectors its batches kept (qa_app.store.pending), are left in place, and its
    wall time is the sum of every attempt's (a journal beside the index, written every 30 s, holds the
    earlier ones; an attempt's last 30 s before a kill are not counted)."""
    index = index or folder / "index"
    journal = index.with_name(index.name + ".attempts.json")
    earlier = json.loads(journal.read_text("utf-8")) if fresh and journal.exists() else []
    if fresh and not earlier:
        stop_server(index)
        shutil.rmtree(index, ignore_errors=True)
        shutil.rmtree(index.with_name(f".{index.name}-pending"), ignore_errors=True)
    stop = threading.Event()

    def beat(started: float) -> None:
        while not stop.wait(30):
            journal.write_text(json.dumps([*earlier, time.perf_counter() - started]), "utf-8")

    if fresh:
        threading.Thread(target=beat, args=(time.perf_counter(),), daemon=True).start()
    try:
        out, wall = run([*QA, "build", "--corpus", str(folder / "corpus"), "--index", str(index), *backend])
    finally:
        stop.set()
    journal.unlink(missing_ok=True)
    counts = re.search(r"indexed (\d+) files .*?, (\d+) reports, (\d+) chunks, (\d+) figures", out)
    seconds = dict(re.findall(r"(\w+) ([\d.]+)", out[out.rindex("seconds:") :]))
    embedded = re.search(r"embedded (\d+) texts", out)
    assert counts and embedded, out[-1000:]
    files, reports, chunks, figures = map(int, counts.groups())
    size = sum(p.stat().st_size for p in index.rglob("*") if p.is_file())
    resumed = re.search(r"\((\d+) embedded by a build that was interrupted\)", out)
    return {
        "files": files, "reports": reports, "chunks": chunks, "figures": figures,
        "texts_embedded": int(embedded.group(1)) + (int(resumed.group(1)) if resumed else 0),
        "build_s": wall + sum(earlier), "attempts": len(earlier) + 1,
        "stage_s": {k: float(v) for k, v in seconds.items()}, "index_mb": size / 2**20,
    }  # fmt: skip


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def stop_server(index: Path) -> None:
    """Stop an embedded PostgreSQL a previous run left under `index` (before its folder is removed)."""
    if (index / "pg" / "postmaster.pid").exists():
        from qa_app.store.pg_server import stop_embedded

        stop_embedded(index)


def server_rss_mb(index: Path) -> float:
    """Resident memory of the embedded server's processes (shared buffers counted once, in the postmaster)."""
    pid_file = index / "pg" / "postmaster.pid"
    if not pid_file.exists():
        return float("nan")
    root = int(pid_file.read_text().split()[0])
    children = Path(f"/proc/{root}/task/{root}/children").read_text().split()
    private = sum(rss_mb(int(c), "RssAnon") for c in children if Path(f"/proc/{c}").exists())
    return rss_mb(root) + private


def add_one(folder: Path, backend: tuple[str, ...], index: Path) -> float:
    """Seconds for `qa-app build` after one report is added to a built archive (then removed again)."""
    added = folder / "corpus" / f"zz_added_{ADDED.name}"
    shutil.copy(ADDED, added)
    try:
        result = build(folder, backend, index, fresh=False)
        assert result["texts_embedded"] > 0
        return result["build_s"]
    finally:
        added.unlink()


def latency(folder: Path, questions: list[str], backend: tuple[str, ...] = (), index: Path | None = None) -> dict:
    """Wall time per question through one `qa-app ask --json -` process, and its memory once loaded."""
    index = index or folder / "index"
    cmd = [*QA, "ask", "--json", "-", "--index", str(index), *backend]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8",
                            env=ENV, cwd=ROOT)  # fmt: skip
    assert proc.stdin and proc.stdout
    walls, engine, rss = [], [], 0.0
    for i, q in enumerate(questions):
        start = time.perf_counter()
        proc.stdin.write(q.replace("\n", " ") + "\n")
        proc.stdin.flush()
        answer = json.loads(proc.stdout.readline())
        if i == 0:
            load = time.perf_counter() - t0
            rss = rss_mb(proc.pid)
            continue  # the first answer waits for the index to load
        walls.append((time.perf_counter() - start) * 1000)
        engine.append(answer["timings_ms"].get("total", float("nan")))
    peak = rss_mb(proc.pid, "VmHWM")
    server = server_rss_mb(index)
    proc.stdin.close()
    proc.wait()
    return {
        "load_s": load, "rss_mb": rss, "peak_rss_mb": peak, "server_rss_mb": server,
        "p50_ms": float(np.percentile(walls, 50)), "p95_ms": float(np.percentile(walls, 95)),
        "engine_p50_ms": float(np.nanpercentile(engine, 50)), "engine_p95_ms": float(np.nanpercentile(engine, 95)),
    }  # fmt: skip


def accuracy(folder: Path, backend: tuple[str, ...] = (), index: Path | None = None) -> dict:
    out, _ = run([*QA, "eval", str(folder / "questions.jsonl"), "--index", str(index or folder / "index"), *backend])
    kinds = {m[0]: (int(m[1]), int(m[2])) for m in re.findall(r"^(\w+)\s+(\d+)/(\d+)", out, re.M)}
    right, total = kinds.pop("all")
    failures = [line for line in out.splitlines() if line.startswith("FAIL")]
    return {"accuracy": right / total, "right": right, "asked": total, "kinds": kinds, "failures": failures}


def recall(folder: Path, questions: list[str]) -> dict:
    """Recall of the approximate (HNSW) index against exact search over every section, when there is one."""
    import faiss

    from qa_app.config import load_settings
    from qa_app.embed import get_embedder
    from qa_app.search.retrieve import Dense
    from qa_app.store.loader import load_index

    settings = load_settings()
    index = load_index(folder / "index", settings.embedder, verify=False)
    if not isinstance(index.vectors, faiss.IndexHNSW):
        return {}
    dense = Dense.of(index.vectors, settings.exact_max_sections, settings.hnsw_ef_search)
    everything = np.arange(index.vectors.ntotal)
    qvecs = get_embedder(settings.embedder).encode_queries([q for q in questions if q.strip()])
    out: dict[str, float] = {}
    for k in (10, 100):
        hits = []
        for q in qvecs:
            truth = set(dense.ranking(q, everything, k, exact=True))
            hits.append(len(truth & set(dense.ranking(q, everything, k))) / len(truth))
        out[f"recall@{k}"] = float(np.mean(hits))
    return out


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    total = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    return f"{cpu}, {os.cpu_count()} cores, {total:.0f} GiB RAM, Python {platform.python_version()}"


def table(results: list[dict]) -> str:
    rows = [
        "| reports | files | chunks | figures | build (s) | build chunks/s | reading | figures | embedding | indexing "
        "| index (MB) | RSS loaded (MB) | load (s) | p50 (ms) | p95 (ms) | accuracy | ANN recall@10/@100 |",
        "|" + "---:|" * 17,
    ]
    for r in results:
        per = {k: (r["chunks"] / v if v else float("inf")) for k, v in r["stage_s"].items()}
        ann = f"{r['recall@10']:.3f} / {r['recall@100']:.3f}" if "recall@10" in r else "exact"
        rows.append(
            f"| {r['reports']:,} | {r['files']:,} | {r['chunks']:,} | {r['figures']:,} | {r['build_s']:.0f} "
            f"| {r['chunks'] / r['build_s']:.1f} | {per.get('reading', 0):,.0f} | {per.get('figures', 0):,.0f} "
            f"| {per.get('embedding', 0):.1f} | {per.get('indexing', 0):,.0f} | {r['index_mb']:,.1f} "
            f"| {r['rss_mb']:,.0f} | {r['load_s']:.1f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} "
            f"| {r['accuracy']:.1%} ({r['right']}/{r['asked']}) | {ann} |"
        )
    return "\n".join(rows)


def cpu() -> str:
    """The processor a row was measured on, short (rows of several machines share the table)."""
    name = machine().split(",")[0]
    return "Intel Xeon" if "Xeon" in name else "AMD EPYC" if "EPYC" in name else name


def commit() -> str:
    """The code a row was measured on (rows of several runs share the table)."""
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    return done.stdout.strip() or "?"


def backends_table(results: list[dict]) -> str:
    rows = [
        "| reports | chunks | backend | workers | build (s) | add one report (s) | on disk (MB) | open (s) | p50 (ms) "
        "| p95 (ms) | ask RSS (MB) | server RSS (MB) | accuracy | CPU | code |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in sorted(results, key=lambda r: (r["size"], r["backend"], r.get("workers", 0))):
        server = f"{r['server_rss_mb']:,.0f}" if r.get("server_rss_mb", float("nan")) == r.get("server_rss_mb") else "–"
        fields = [f"{r['reports']:,}", f"{r['chunks']:,}", r["backend"], str(r.get("workers", "–")),
                  f"{r['build_s']:.0f}", f"{r['add_one_s']:.0f}" if "add_one_s" in r else "–",
                  f"{r['index_mb']:,.0f}"]  # fmt: skip
        if "p50_ms" in r:
            fields += [f"{r['load_s']:.1f}", f"{r['p50_ms']:.0f}", f"{r['p95_ms']:.0f}", f"{r['rss_mb']:,.0f}", server,
                       f"{r['accuracy']:.1%} ({r['right']}/{r['asked']})"]  # fmt: skip
        else:
            fields += ["–"] * 6
        fields.append(r.get("cpu", "AMD EPYC"))  # the rows before this column were all measured on one
        fields.append(r.get("commit", "d61d0df"))  # the rows of the first run carry no commit: that merge's
        rows.append("| " + " | ".join(fields) + " |")
    return "\n".join(rows)


def compare(sizes: list[int], work: Path, args: argparse.Namespace) -> list[dict]:
    """Each size built by each backend (postgres once per worker count), measured the same way."""
    results = []
    for n in sizes:
        folder = archive(n, work, args.questions, args.seed)
        questions = [json.loads(line)["q"] for line in (folder / "questions.jsonl").read_text("utf-8").splitlines()
                     if line.strip()]  # fmt: skip
        for backend in args.backends.split(","):
            counts = [int(w) for w in args.workers.split(",")] if backend == "postgres" else [0]
            for k, workers in enumerate(counts):
                flags = ("--backend", backend) + (("--workers", str(workers)) if workers else ())
                index = folder / f"index-{backend}"
                result = {"size": n, "backend": backend, **({"workers": workers} if workers else {}),
                          "cpu": cpu(), "commit": commit()}  # fmt: skip
                result |= build(folder, flags, index)
                if k == len(counts) - 1:  # measured once per backend, on its last build
                    asking = ("--backend", backend)
                    result |= latency(folder, questions, asking, index) | accuracy(folder, asking, index)
                    result["add_one_s"] = add_one(folder, flags, index)
                    stop_server(index)
                results.append(result)
                print(json.dumps({k: v for k, v in result.items() if k != "failures"}, ensure_ascii=False), flush=True)
                saved = work / "backends.json"
                # rows of earlier runs stay unless this run measures the same size, backend and workers again
                done = {(r["size"], r["backend"], r.get("workers")) for r in results}
                before = json.loads(saved.read_text("utf-8")) if saved.exists() else []
                earlier = [r for r in before if (r["size"], r["backend"], r.get("workers")) not in done]
                saved.write_text(json.dumps(earlier + results, ensure_ascii=False, indent=1), "utf-8")
    return results


def write_block(path: Path, begin: str, end: str, text: str) -> None:
    doc = path.read_text("utf-8")
    if begin in doc and end in doc:
        doc = doc[: doc.index(begin) + len(begin)] + "\n" + text + "\n" + doc[doc.index(end) :]
    else:
        doc += f"\n{begin}\n{text}\n{end}\n"
    path.write_text(doc, "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="5,100,1000,5000")
    parser.add_argument("--work", type=Path, default=Path("/tmp/qa-scale"))
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--write", type=Path, help="Markdown file whose scale block is replaced by the results")
    parser.add_argument("--table", action="store_true", help="only print (and --write) the table of WORK/results.json")
    parser.add_argument("--backends", help="e.g. folder,postgres: both backends side by side (see above)")
    parser.add_argument("--workers", default="1,2", help="Dask worker counts of the postgres builds")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.backends:
        if args.table:
            results = json.loads((args.work / "backends.json").read_text("utf-8"))
        else:
            compare([int(s) for s in args.sizes.split(",")], args.work, args)
            results = json.loads((args.work / "backends.json").read_text("utf-8"))  # with sizes of earlier runs
        text = (
            f"Every row on 2 cores and 24 GiB; its processor in the CPU column. Last run on: {machine()}.\n"
            "Rows of several runs (`code`: the commit each was measured on). Last command: "
            f"`.venv/bin/python bench/scale.py --backends {args.backends} --workers {args.workers} "
            f"--sizes {args.sizes} --questions {args.questions} --seed {args.seed}`, {time.strftime('%Y-%m-%d')}.\n"
            "On disk: the index folder after the build (for postgres the server's data folder, WAL included). Open "
            "is the time to the first answer of a fresh `qa-app ask --json -`; p50/p95 the wall time per "
            "question after it; RSS of that process once loaded, and of the embedded server beside it.\n\n"
            + backends_table(results)
        )
        print(text)
        if args.write:
            write_block(args.write, PG_BEGIN, PG_END, text)
        return
    results = json.loads((args.work / "results.json").read_text("utf-8")) if args.table else []
    for n in [] if args.table else [int(s) for s in args.sizes.split(",")]:
        folder = archive(n, args.work, args.questions, args.seed)
        questions = [json.loads(line)["q"] for line in (folder / "questions.jsonl").read_text("utf-8").splitlines()
                     if line.strip()]  # fmt: skip
        load_before = os.getloadavg()[0]
        result = {"size": n, **build(folder)}
        result |= latency(folder, questions) | accuracy(folder) | recall(folder, questions)
        result["loadavg_1m"] = [load_before, os.getloadavg()[0]]
        results.append(result)
        print(json.dumps({k: v for k, v in result.items() if k != "failures"}, ensure_ascii=False), flush=True)
        (args.work / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), "utf-8")
    loads = ", ".join(f"{r['loadavg_1m'][0]:.1f}–{r['loadavg_1m'][1]:.1f}" for r in results)
    text = (
        f"Machine: {machine()}.\n"
        f"Command: `.venv/bin/python bench/scale.py --sizes {args.sizes} --questions {args.questions} "
        f"--seed {args.seed}`, {time.strftime('%Y-%m-%d')}.\n"
        "Stage columns are chunks per second of that stage alone; latency is wall time per question through "
        "`qa-app ask --json -` after the first answer (which waits for the index to load); accuracy is "
        f"`qa-app eval` on the archive's 200 questions. One-minute load average before–after each size: {loads} "
        "(other work shared the two cores).\n\n" + table(results)
    )
    print(text)
    if args.write:
        doc = args.write.read_text("utf-8")
        if BEGIN in doc and END in doc:
            doc = doc[: doc.index(BEGIN) + len(BEGIN)] + "\n" + text + "\n" + doc[doc.index(END) :]
        else:
            doc += f"\n{BEGIN}\n{text}\n{END}\n"
        args.write.write_text(doc, "utf-8")


if __name__ == "__main__":
    main()
