"""The app in headless Chromium over the seed index: a question, its figure, its highlighted source, a follow-up.

Needs Debian chromium at /usr/bin/chromium (`make test` installs it); without it the test fails, never skips.
Leaves tests/artifacts/e2e_answer.png (the answer with its source open) and the server's log.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser import ARTIFACTS, CHROMIUM, ask, browser_page, chat_input, running_app
from playwright.sync_api import expect

from qa_app.store.loader import load_tables

SCREENSHOT = ARTIFACTS / "e2e_answer.png"


def test_question_figure_source_and_follow_up(seed_index: Path) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian chromium and a CJK font")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    sources = list(load_tables(seed_index)["documents"]["text"])
    with running_app(seed_index) as url, browser_page() as page:
        page.goto(url)
        expect(chat_input(page)).to_be_visible(timeout=120_000)  # the first page run loads the engine

        answer = ask(page, "湘潭县信访救助支出多少", "519.69万元", timeout_ms=120_000)
        answer.locator("summary").filter(has_text=re.compile(r"\[1\] ")).first.click()
        quote = page.locator(".qa-source mark").first
        expect(quote).to_be_visible(timeout=15_000)
        text = quote.text_content() or ""
        assert text.strip(), "the highlighted quote is empty"
        assert any(text in source for source in sources), f"quote not in any stored source: {text!r}"
        page.screenshot(path=str(SCREENSHOT), full_page=True)

        ask(page, "那2023年呢？", "284.14万元", timeout_ms=60_000)
