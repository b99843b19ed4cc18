"""The app as an official uses it in a meeting, in headless Debian Chromium over the seed index (no mocks).

A citation names organisation and year, a table quote shows its header, a reload (and a new browser) keeps
the conversation, the Excel and Word exports hold the figure and its quote, a time series is charted, and
the input has the focus on load. Leaves screenshots at 1400×1000 and 390×844 in tests/artifacts/.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx
import openpyxl
import pytest
from browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ask, chat_input, running_app, wait_idle
from playwright.sync_api import Page, expect, sync_playwright

DESKTOP = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}


def citation(answer, n: int):
    """The n-th citation of an answer (an expander labelled "[n] …"), opened."""
    details = answer.locator('[data-testid="stExpander"]').filter(has_text=re.compile(rf"\[{n}\] ")).first
    details.locator("summary").click()
    expect(details.locator('[data-testid="stExpanderDetails"]')).to_be_visible(timeout=15_000)
    return details


def download(page: Page, label: str) -> bytes:
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=label).click()
    return Path(info.value.path()).read_bytes()


def test_meeting_citations_reload_exports_chart(seed_index: Path, tmp_path: Path, monkeypatch) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian chromium and a CJK font")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("QA_CONVERSATIONS", str(tmp_path / "conversations.sqlite3"))
    with running_app(seed_index) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN", accept_downloads=True)
        page = context.new_page()
        page.goto(url)
        expect(chat_input(page)).to_be_visible(timeout=120_000)
        wait_idle(page)
        expect(chat_input(page)).to_be_focused(timeout=15_000)  # the input has the focus on load
        page.screenshot(path=str(ARTIFACTS / "meeting-desktop-help.png"))

        answer = ask(page, "湘潭县信访救助支出多少", "519.69万元", timeout_ms=120_000)
        first = citation(answer, 1)
        where = first.locator(".qa-where").inner_text()
        assert "湘潭县信访局" in where and "2024年" in where and "2024年度部门整体支出绩效评价报告" in where
        assert first.locator(".qa-source mark").inner_text() == "519.69万元"
        second = citation(answer, 2)
        assert "2023年" in second.locator(".qa-where").inner_text()
        header = second.locator(".qa-table th")
        expect(header.filter(has_text="实际支出（万元）")).to_be_visible()
        assert second.locator(".qa-table mark").all_inner_texts() == ["284.14"]
        # the opened citation leaves the input where it was, uncovered
        box, body = chat_input(page).bounding_box(), second.bounding_box()
        assert box and body and (body["y"] + body["height"] <= box["y"] or body["y"] >= box["y"] + box["height"])
        page.screenshot(path=str(ARTIFACTS / "meeting-desktop-citation.png"))
        # the copy button puts the figure with its organisation, year and source on the clipboard
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
        answer.get_by_role("button", name="复制回答和出处").click()
        expect(answer.get_by_role("button", name="已复制")).to_be_visible(timeout=10_000)
        copied = page.evaluate("navigator.clipboard.readText()")
        assert all(part in copied for part in ("519.69万元", "湘潭县信访局", "2024", "信访救助支出519.69万元"))

        ask(page, "湘潭县历年信访救助支出", "284.14", timeout_ms=60_000)
        chart = page.locator('[data-testid="stVegaLiteChart"]').last
        expect(chart).to_be_visible(timeout=30_000)
        # the drawn chart (Vega's SVG) runs the years, in order, along its x axis
        expect(chart.locator("svg [aria-label^='X-axis']")).to_have_attribute(
            "aria-label", re.compile(r"X-axis titled '年度' .*: 2023年, 2024年$"), timeout=15_000
        )
        page.wait_for_timeout(1000)
        page.screenshot(path=str(ARTIFACTS / "meeting-desktop-series.png"))
        conversation = page.url
        assert re.search(r"[?&]c=[\w-]{8,}", conversation)

        book = openpyxl.load_workbook(io.BytesIO(download(page, "导出Excel")))
        values = [dict(zip(*(r for r in [next(book["数字"].iter_rows(values_only=True))]), r, strict=True))
                  for r in list(book["数字"].iter_rows(values_only=True))[1:]]  # fmt: skip
        assert any(v["数值"] == 519.69 and "信访救助支出519.69万元" in v["引文"] for v in values)
        word = docx.Document(io.BytesIO(download(page, "导出Word")))
        text = "\n".join(p.text for p in word.paragraphs)
        assert "信访救助支出519.69万元" in text and "519.69万元" in {c.text for t in word.tables for r in t.rows
                                                                   for c in r.cells}  # fmt: skip

        page.emulate_media(media="print")
        page.screenshot(path=str(ARTIFACTS / "meeting-desktop-print.png"), full_page=True)
        expect(page.locator('[data-testid="stSidebar"]')).to_be_hidden()
        expect(page.locator('[data-testid="stChatInput"]')).to_be_hidden()
        page.emulate_media(media="screen")

        page.reload()  # F5
        expect(page.get_by_text("519.69万元").first).to_be_visible(timeout=60_000)
        expect(page.get_by_text("湘潭县历年信访救助支出").first).to_be_visible()
        context.close()

        # A browser restart: a new profile (no cookies, no storage) opening the same link.
        phone = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True).new_page()
        phone.goto(conversation)
        expect(phone.get_by_text("519.69万元").first).to_be_visible(timeout=60_000)
        wait_idle(phone)
        expect(phone.locator('[data-testid="stSkeleton"]')).to_have_count(0, timeout=30_000)  # drawn, not placeholders
        expect(phone.get_by_role("button", name="导出Excel")).to_be_visible()
        phone.screenshot(path=str(ARTIFACTS / "meeting-phone-conversation.png"))
        answer = ask(phone, "那2023年呢？", "284.14万元", timeout_ms=60_000)  # follows up on the stored turns
        citation(answer, 1)
        phone.wait_for_timeout(500)
        phone.screenshot(path=str(ARTIFACTS / "meeting-phone-citation.png"))
        # the three buttons under the conversation stand in one row on the phone, not stacked
        row = phone.locator(".st-key-qa-actions")
        expect(row.get_by_role("button", name="清空对话")).to_be_visible()
        # read at one instant: the chat may still be scrolling to its end
        tops = row.evaluate(
            "e => [...e.querySelectorAll('button')].filter(b => b.offsetHeight)"  # not the tooltip's hidden copy
            ".map(b => [b.innerText, b.getBoundingClientRect().top])"
        )
        assert {t for _, t in tops} == {tops[0][1]}, tops
        assert {n for n, _ in tops} >= {"导出Excel", "导出Word", "清空对话"}, tops
        phone.get_by_role("button", name="清空对话").scroll_into_view_if_needed()
        phone.screenshot(path=str(ARTIFACTS / "meeting-phone-buttons.png"))
        browser.close()
