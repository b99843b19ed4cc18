"""Time to a first answer in the real app: a fresh Streamlit server, driven by headless Debian Chromium.

Usage: .venv/bin/python bench/app_first_answer.py [--index DIR] [--question Q] [--expect TEXT] [--runs 3]
Each run starts `streamlit run qa_app/ui/app.py` over the index (tests/browser.py's harness; the browser is
launched first, so its start-up is not counted) and measures, in seconds from the server's start: the health
endpoint answering, the chat input visible (the first page run loads the engine, cached per process), the
expected figure visible after submitting the question, and that script run finished. Then, in the same page,
a follow-up ("那2023年呢？", expecting 284.14万元): seconds from submitting it to its figure, and to its run's
end. Prints one row per run and the medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import assistant_messages, browser_page, chat_input, running_app, wait_idle  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

FOLLOW_UP = ("那2023年呢？", "284.14万元")
COLUMNS = ("health", "input", "answer", "done", "follow-up", "fu done")


def timed_ask(page: Page, question: str, expect_text: str, timeout_ms: float) -> tuple[float, float]:
    """Submit `question`; seconds to `expect_text` visible in the new answer, and to the end of the run."""
    wait_idle(page, timeout_ms)
    box = chat_input(page)
    before = assistant_messages(page).count()
    t0 = time.perf_counter()
    box.fill(question)
    box.press("Enter")
    expect(assistant_messages(page).nth(before).get_by_text(expect_text).first).to_be_visible(timeout=timeout_ms)
    shown = time.perf_counter() - t0
    wait_idle(page, timeout_ms)
    return shown, time.perf_counter() - t0


def one_run(index: Path, question: str, expect_text: str) -> dict[str, float]:
    """One fresh server and page: the row of COLUMNS."""
    with browser_page() as page:
        start = time.perf_counter()
        with running_app(index) as url:
            row = {"health": time.perf_counter() - start}
            page.goto(url)
            expect(chat_input(page)).to_be_visible(timeout=180_000)
            row["input"] = time.perf_counter() - start
            wait_idle(page, 180_000)
            offset = time.perf_counter() - start
            shown, done = timed_ask(page, question, expect_text, 180_000)
            row["answer"], row["done"] = offset + shown, offset + done
            row["follow-up"], row["fu done"] = timed_ask(page, *FOLLOW_UP, 60_000)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    parser.add_argument("--question", default="湘潭县信访救助支出多少")
    parser.add_argument("--expect", default="519.69万元")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    index = args.index.resolve()
    if not (index / "manifest.json").exists():
        sys.exit(f"no index in {index}: run `qa-app build` (or QA_INDEX={index} qa-app build) first")
    print(f"index {index}; question {args.question!r} → {args.expect}; follow-up {FOLLOW_UP[0]!r} → {FOLLOW_UP[1]}")
    print("seconds: health/input/answer/done from server start; follow-up/fu done from its submission")
    print("run  " + "".join(f"{c:>10}" for c in COLUMNS))
    rows = []
    for n in range(1, args.runs + 1):
        rows.append(one_run(index, args.question, args.expect))
        print(f"{n:<5}" + "".join(f"{rows[-1][c]:>10.2f}" for c in COLUMNS), flush=True)
    print("med  " + "".join(f"{statistics.median(r[c] for r in rows):>10.2f}" for c in COLUMNS))


if __name__ == "__main__":
    main()
