"""The page around the answers: print layout, the copy button, the input focused on load.

Print (Ctrl+P or ⋮ → Print): no sidebar, header, chat input or buttons; every citation open (expanders are
<details>, opened by CSS and before printing); tables and charts whole, not cut at the frame's edge.
The two small scripts are st.components.v2 components (they run in the page, not in an iframe): their
text comes in `data` and is set as text, never parsed as HTML.
"""

from __future__ import annotations

import streamlit as st

CSS = """
<style>
.qa-table { border-collapse: collapse; font-size: 0.9rem; margin: 0.25rem 0 0.5rem; }
.qa-table th, .qa-table td { border: 1px solid #ccc; padding: 0.2rem 0.45rem; vertical-align: top; }
.qa-table th { background: #f4f4f4; font-weight: 600; }
.qa-table .qa-short { white-space: nowrap; }
.qa-table mark, .qa-source mark { background: #ffe066; padding: 0 0.1rem; }
.qa-small { color: #888; font-size: 0.75rem; }
.qa-swipe { display: none; color: #888; font-size: 0.75rem; }
@media (max-width: 640px) { .qa-swipe { display: block; } }
/* the conversation's buttons stay one row on a phone, where Streamlit stacks a row's elements */
.st-key-qa-actions { display: flex !important; flex-direction: row !important; flex-wrap: wrap; gap: 0.5rem; }
.st-key-qa-actions > div { width: auto !important; flex: 0 0 auto !important; }
/* Streamlit's uploader speaks English and no setting changes it: its words are replaced here (the limits are
   said in Chinese under it, by the upload view) */
[data-testid="stFileUploaderDropzoneInstructions"] { display: none; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] { display: none; }
[data-testid="stFileUploaderDropzone"] button::after { content: "选择文件（或拖到这里）"; }
@media print {
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header, [data-testid="stHeader"],
  [data-testid="stToolbar"], [data-testid="stBottom"], [data-testid="stChatInput"], .stButton,
  [data-testid="stDownloadButton"], [data-testid="stExpanderToggleIcon"], .qa-no-print,
  [data-testid="stElementToolbar"] { display: none !important; }
  [data-testid="stMain"], [data-testid="stMainBlockContainer"], .block-container
    { max-width: 100% !important; padding: 0 !important; overflow: visible !important; }
  details::details-content { content-visibility: visible !important; display: block !important; }
  [data-testid="stExpanderDetails"] { display: block !important; visibility: visible !important;
    height: auto !important; }
  [data-testid="stChatMessage"], .qa-table, [data-testid="stVegaLiteChart"] { break-inside: avoid; }
  [data-testid="stDataFrame"], [data-testid="stDataFrame"] * { max-height: none !important;
    overflow: visible !important; }
  .qa-table-wrap { overflow: visible !important; }
  .qa-swipe { display: none !important; }
}
</style>
"""

_COPY_JS = """
export default function(component) {
  const { data, parentElement } = component;
  const button = parentElement.querySelector("button");
  button.onclick = async () => {
    const text = data.text;
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {  // not a secure origin (the app opened by a LAN address): the old way
      const area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    button.textContent = "已复制";
    setTimeout(() => { button.textContent = data.label; }, 1500);
  };
  button.textContent = data.label;
}
"""
_COPY_CSS = """
button { font: inherit; font-size: 0.85rem; padding: 0.15rem 0.6rem; border: 1px solid #ccc; border-radius: 0.4rem;
  background: white; cursor: pointer; }
button:hover { border-color: #b22222; color: #b22222; }
@media print { button { display: none; } }
"""
_FOCUS_JS = """
export default function(component) {
  let tries = 0;
  const focus = () => {  // the chat input is drawn after this component: wait for it a little
    const box = document.querySelector('[data-testid="stChatInputTextArea"]');
    const busy = document.activeElement && document.activeElement !== document.body;
    if (box && !busy) { box.focus(); } else if (!box && tries++ < 40) { setTimeout(focus, 100); }
  };
  focus();
  window.onbeforeprint = () => document.querySelectorAll("details").forEach((d) => { d.open = true; });
}
"""


@st.cache_resource
def _components():
    copy = st.components.v2.component(
        "qa_copy", html='<button class="qa-copy" type="button"></button>', css=_COPY_CSS, js=_COPY_JS
    )
    focus = st.components.v2.component("qa_focus", js=_FOCUS_JS)
    return copy, focus


def style() -> None:
    st.html(CSS)


def copy_button(text: str, key: str, label: str = "复制") -> None:
    """A button that puts `text` on the clipboard."""
    copy, _ = _components()
    copy(data={"text": text, "label": label}, key=key, width="content")


def focus_input(key: str) -> None:
    """Put the cursor in the chat input (on load, and after each answer), unless the sidebar has it."""
    _, focus = _components()
    focus(key=key, width="content", height=0)
