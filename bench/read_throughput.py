"""Reading throughput of the data layer: ingest → layout → reports → chunk → figures, per stage and per format.

Usage: .venv/bin/python bench/read_throughput.py [CORPUS_DIR] [--repeat N]
       .venv/bin/python bench/read_throughput.py --formats [--repeat N]

The first form prints, for the corpus read N times over: files, MB, seconds per stage, MB/s, chunks/s and
figures/s. `--formats` generates the five seed reports in every format the readers take (tests/docgen.py:
.docx, text-layer .pdf, portal .html, .doc through LibreOffice; the 自评表 as .xlsx and .xls) plus two pages
of a seed scanned to an image-only PDF at 200 dpi, and prints per format the files, MB and seconds of
`read_document` (reading and normalising only) with files/s and MB/s; .doc once converting (a fresh cache)
and once from the conversion cache; the scan as OCR pages per second with `ocr_workers` (2) pages at once.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from qa_app.config import Settings
from qa_app.extract.figures import extract_figures
from qa_app.readers import read_document
from qa_app.structure.chunk import chunk_report, sections
from qa_app.structure.layout import parse_layout
from qa_app.structure.reports import split_reports

ROOT = Path(__file__).resolve().parent.parent


def stages(corpus: Path, repeat: int) -> None:
    settings = Settings()
    files = sorted(p for p in corpus.iterdir() if p.is_file())
    spent = dict.fromkeys(("read+normalise", "layout", "reports", "chunk", "figures"), 0.0)
    n_bytes = n_chunks = n_figures = 0
    for _ in range(repeat):
        for path in files:
            t0 = time.perf_counter()
            doc = read_document(path)
            t1 = time.perf_counter()
            layout = parse_layout(doc.norm.text)
            t2 = time.perf_counter()
            reports = split_reports(doc, layout)
            t3 = time.perf_counter()
            found = [(r, sections(doc, r, layout)) for r in reports]
            chunks = [chunk_report(doc, r, s, settings) for r, s in found]
            t4 = time.perf_counter()
            figures = [extract_figures(doc, r, layout, c, s) for (r, s), c in zip(found, chunks, strict=True)]
            t5 = time.perf_counter()
            for stage, seconds in zip(spent, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
                spent[stage] += seconds
            n_bytes += path.stat().st_size
            n_chunks += sum(map(len, chunks))
            n_figures += sum(map(len, figures))
    total = sum(spent.values())
    print(f"{len(files)} files × {repeat} = {n_bytes / 1e6:.1f} MB in {total:.2f} s")
    for stage, seconds in spent.items():
        print(f"  {stage:<15} {seconds:6.2f} s  ({seconds / total:.0%})")
    print(f"{n_bytes / 1e6 / total:.2f} MB/s, {n_chunks / total:.0f} chunks/s, {n_figures / total:.0f} figures/s")


def generate(folder: Path) -> dict[str, list[Path]]:
    """Every seed in every format, the 自评表 as sheets, and a two-page scan: files by format."""
    sys.path.insert(0, str(ROOT / "tests"))
    from docgen import (
        CHANGDE,
        report_html,
        seed_blocks,
        write_doc,
        write_docx,
        write_pdf,
        write_portal_html,
        write_scanned_pdf,
        write_selfeval_xls,
        write_selfeval_xlsx,
    )

    out: dict[str, list[Path]] = {k: [] for k in ("txt", "docx", "pdf", "html", "doc", "xlsx", "xls", "scan")}
    for seed in sorted((ROOT / "corpus").glob("*.txt")):
        items = seed_blocks(seed.read_text("utf-8"))
        out["txt"].append(seed)
        docx = write_docx(items, folder / f"{seed.stem}.docx")
        out["docx"].append(docx)
        out["pdf"].append(write_pdf(items, folder / f"{seed.stem}.pdf"))
        out["html"].append(write_portal_html(report_html(items), seed.stem, folder / f"{seed.stem}.html", "gb18030"))
        out["doc"].append(write_doc(docx, folder / f"{seed.stem}.doc"))
    for n in range(5):
        out["xlsx"].append(write_selfeval_xlsx(CHANGDE, folder / f"sheet{n}.xlsx"))
        out["xls"].append(write_selfeval_xls(CHANGDE, folder / f"sheet{n}.xls"))
    out["scan"].append(write_scanned_pdf(folder / "002_fe196754cb2e25a4.pdf", folder / "scan.pdf", [1, 2]))
    return out


def timed(files: list[Path], settings: Settings, repeat: int) -> tuple[float, int, int]:
    """Seconds, bytes and OCR pages of reading `files` `repeat` times."""
    n_bytes = pages = 0
    t0 = time.perf_counter()
    for _ in range(repeat):
        for path in files:
            doc = read_document(path, settings=settings)
            n_bytes += path.stat().st_size
            pages += len({w[2] for w in doc.ocr})
    return time.perf_counter() - t0, n_bytes, pages


def formats(repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = generate(folder)
        print("| format | files | MB | seconds | files/s | MB/s |\n| --- | --- | --- | --- | --- | --- |")
        for fmt, paths in files.items():
            settings = Settings(convert_cache_dir=folder / "cache")
            runs = 1 if fmt in ("doc", "scan") else repeat
            if fmt == "doc":
                seconds, n_bytes, _ = timed(paths, settings, 1)  # a fresh cache: every file converted
                print(f"| doc (converting) | {len(paths)} | {n_bytes / 1e6:.2f} | {seconds:.2f} | "
                      f"{len(paths) / seconds:.2f} | {n_bytes / 1e6 / seconds:.3f} |")  # fmt: skip
                runs, label = repeat, "doc (cached)"
            else:
                label = fmt
            seconds, n_bytes, pages = timed(paths, settings, runs)
            count = len(paths) * runs
            print(f"| {label} | {count} | {n_bytes / 1e6:.2f} | {seconds:.2f} | {count / seconds:.2f} | "
                  f"{n_bytes / 1e6 / seconds:.3f} |")  # fmt: skip
            if fmt == "scan":
                for workers in (1, 2):
                    seconds, _, pages = timed(paths, replace(settings, ocr_workers=workers), 1)
                    rate = pages / seconds
                    print(f"OCR, {workers} page(s) at once: {pages} pages in {seconds:.1f} s = {rate:.2f} pages/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", type=Path, default=ROOT / "corpus")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--formats", action="store_true", help="generate every format and time each")
    args = parser.parse_args()
    if args.formats:
        formats(args.repeat)
    else:
        stages(args.corpus, args.repeat)


if __name__ == "__main__":
    main()
