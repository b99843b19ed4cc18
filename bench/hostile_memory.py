"""Time and peak memory of reading each hostile file of tests/test_hostile_archives.py, and of a real report.

Usage: .venv/bin/python bench/hostile_memory.py [--keep DIR]
Writes the files (a few MB each on disk) into a temporary folder, reads each with `process_file` (in the
reading child, under the Settings bounds) and prints a Markdown table: size on disk, what it unpacks to,
seconds, the reading child's peak resident memory for that file (its counter reset before each file),
this process's peak, and the reason. The same seed report as .txt, .docx and .pdf gives the baseline.
Then the bombs again with the bounds that stopped them raised out of the way, to show the next layer:
the byte bound, then the child's own memory limit, and for the 20,000 pages the timeout (set to 20 s).
"""

from __future__ import annotations

import argparse
import contextlib
import re
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from docgen import seed_blocks, write_docx, write_pdf  # noqa: E402
from test_hostile_archives import HOSTILE, SEED  # noqa: E402

from qa_app.config import Settings  # noqa: E402
from qa_app.readers.base import IngestError  # noqa: E402
from qa_app.sandbox import _child, process_file  # noqa: E402

UNPACKS = {  # what each hostile file claims to unpack to, for the table
    "bomb 3GB.docx": "3 GB of XML",
    "nested zip.docx": "a zip inside",
    "nested xlsx.docx": "an .xlsx inside",
    "bomb stream 3GB.pdf": "3 GB stream",
    "20000 pages.pdf": "20,000 pages",
}

_OFF = 10**12  # a bound raised out of the way
# (file, label, settings) of the second part: each bound that stopped a bomb lifted, one layer at a time
LAYERS = [
    ("bomb 3GB.docx", "XML text bound off", {"max_xml_text_chars": _OFF}),
    ("bomb 3GB.docx", "all zip/XML bounds off", {
        "max_xml_text_chars": _OFF, "max_xml_bytes": _OFF, "max_unzipped_bytes": _OFF, "max_xml_nodes": _OFF}),
    ("bomb stream 3GB.pdf", "stream bounds off", {"max_pdf_stream_bytes": _OFF, "max_pdf_unpacked_bytes": _OFF}),
    ("20000 pages.pdf", "page bound off, timeout 20 s", {"max_pdf_pages": _OFF, "read_timeout_s": 20.0}),
]  # fmt: skip


def _hwm_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status)[1]) / 1024


def measure(path: Path, settings: Settings) -> tuple[float, float, str]:
    """Seconds, the child's peak (MB) while reading `path`, and the outcome.

    The peak is polled every 10 ms, since a child that ran out of memory ends with its refusal.
    """
    process_file(ROOT / "corpus" / SEED, Settings())  # the child runs and has read one report
    pid = _child._proc.pid
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    peak, done = [_hwm_mb(pid)], threading.Event()

    def poll() -> None:
        while not done.wait(0.01):
            with contextlib.suppress(OSError, TypeError):
                peak.append(_hwm_mb(pid))

    watcher = threading.Thread(target=poll)
    watcher.start()
    t0 = time.perf_counter()
    try:
        result = process_file(path, settings)
        outcome = f"read: {len(result.chunks)} chunks, {len(result.figures)} figures"
    except IngestError as exc:
        outcome = f"refused: {exc}"
    seconds = time.perf_counter() - t0
    with contextlib.suppress(OSError, TypeError):
        peak.append(_hwm_mb(pid))
    done.set()
    watcher.join()
    return seconds, max(peak), outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", type=Path, help="write the files here and leave them (default: a temp folder)")
    args = parser.parse_args()
    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        text = (ROOT / "corpus" / SEED).read_text("utf-8")
        files = {
            f"seed {SEED}": (ROOT / "corpus" / SEED, "the text"),
            "seed as .docx": (write_docx(seed_blocks(text), folder / "seed.docx"), "the report"),
            "seed as .pdf": (write_pdf(seed_blocks(text), folder / "seed.pdf"), "the report"),
        }
        for name, (write, _) in HOSTILE.items():
            t0 = time.perf_counter()
            files[name] = (write(folder / name), UNPACKS.get(name, ""))
            print(f"wrote {name} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        runs = [(name, "defaults", settings) for name in files]
        runs += [(name, label, settings.with_overrides(**values)) for name, label, values in LAYERS]
        print("| file | on disk | unpacks to | bounds | seconds | child peak RSS | outcome |")
        print("|---|---:|---|---|---:|---:|---|")
        for name, label, run_settings in runs:
            path, unpacks = files[name]
            seconds, peak, outcome = measure(path, run_settings)
            size = path.stat().st_size / 2**20
            print(f"| {name} | {size:.2f} MB | {unpacks} | {label} | {seconds:.2f} | {peak:.0f} MB | {outcome} |")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    limit = settings.read_memory_bytes >> 20
    print(f"\nthis process (the parent) peaked at {own:.0f} MB; the reading child's limit is {limit} MB")


if __name__ == "__main__":
    main()
