"""Drive the real app in a real browser: a Streamlit server on a free port, and headless Debian Chromium.

Shared by tests/test_e2e_browser.py and bench/app_first_answer.py. Chromium comes from Debian
(/usr/bin/chromium, installed by `make test`), never from `playwright install`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Locator, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps dialling out, and this machine's network refuses it.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 900}
# qa_app.ui.app.PLACEHOLDER (importing app.py would run the app)
PLACEHOLDER = "输入问题，例如：湘潭县信访救助支出多少"
CHAT_INPUT = '[data-testid="stChatInputTextArea"]'
MESSAGE = '[data-testid="stChatMessage"]'
ASSISTANT_AVATAR = '[data-testid="stChatMessageAvatarAssistant"]'
# Streamlit's own e2e tests wait on this attribute: the script run is over and the page is complete.
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.status == 200 and r.read().strip() == b"ok"
    except OSError:
        return False


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text("utf-8", errors="replace").splitlines()[-lines:])


@contextmanager
def running_app(
    index_dir: Path, port: int | None = None, corpus_dir: Path | None = None, timeout_s: float = 90.0
) -> Iterator[str]:
    """Run `streamlit run qa_app/ui/app.py` over `index_dir`; yield its URL once healthy, stop it on exit.

    The server's output goes to tests/artifacts/streamlit-<port>.log, whose tail is in the error should the
    server die or not answer within `timeout_s`.
    """
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / f"streamlit-{port}.log"
    env = {**os.environ, "QA_INDEX": str(index_dir), "TQDM_DISABLE": "1"}
    if corpus_dir is not None:
        env["QA_CORPUS"] = str(corpus_dir)
    cmd = [sys.executable, "-m", "streamlit", "run", "qa_app/ui/app.py", "--server.port", str(port),
           "--server.headless", "true", "--browser.gatherUsageStats", "false"]  # fmt: skip
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout_s
            while not _healthy(url):
                if proc.poll() is not None:
                    raise RuntimeError(f"streamlit exited with {proc.returncode}; {log_path}:\n{_tail(log_path)}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{url} not healthy after {timeout_s:.0f} s; {log_path}:\n{_tail(log_path)}")
                time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def browser_page() -> Iterator[Page]:
    """A page of headless Debian Chromium (fresh profile, 1280×900, zh-CN), closed on exit."""
    if not CHROMIUM.exists():
        raise FileNotFoundError(f"{CHROMIUM} is missing: run `make test`, which installs Debian chromium")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
            yield context.new_page()
        finally:
            browser.close()


def chat_input(page: Page) -> Locator:
    """The chat input's text area (by placeholder, else by test id)."""
    return page.get_by_placeholder(PLACEHOLDER).or_(page.locator(CHAT_INPUT)).first


def wait_idle(page: Page, timeout_ms: float = 60_000) -> None:
    """Wait until no script run is under way (a new submission would interrupt a run before it ends)."""
    expect(page.locator(IDLE)).to_be_attached(timeout=timeout_ms)


def assistant_messages(page: Page) -> Locator:
    """Every assistant chat message on the page, in order."""
    return page.locator(MESSAGE).filter(has=page.locator(ASSISTANT_AVATAR))


def ask(page: Page, question: str, expect_text: str, timeout_ms: float = 60_000) -> Locator:
    """Submit `question` in the chat input; wait until the new assistant message shows `expect_text`.

    Returns that message once the script run is over. Only the message after those already on the page
    counts, so an earlier answer with the same text does not satisfy the wait.
    """
    box = chat_input(page)
    expect(box).to_be_editable(timeout=timeout_ms)
    wait_idle(page, timeout_ms)
    before = assistant_messages(page).count()
    box.fill(question)
    box.press("Enter")
    answer = assistant_messages(page).nth(before)
    expect(answer.get_by_text(expect_text).first).to_be_visible(timeout=timeout_ms)
    wait_idle(page, timeout_ms)
    return answer
