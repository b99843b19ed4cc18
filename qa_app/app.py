"""Streamlit browser for the built index: figures and reports, before question answering lands.

Run with `make run` (builds the index of corpus/ first). Document text is only ever shown through
st.dataframe / st.text, which escape it: nothing from a report is rendered as HTML or markdown.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import streamlit as st

from qa_app.config import load_settings
from qa_app.index import IndexUnavailable, load_tables

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: str) -> str:
    """Text from a report as a label Streamlit will not read as markdown or HTML."""
    return _MARKDOWN.sub(r"\\\1", text)


@st.cache_resource(show_spinner="Loading the index…")
def tables(index_dir: str, built_at: str) -> dict[str, pd.DataFrame]:
    """Loaded once per process and per build (the build time is part of the cache key)."""
    return load_tables(Path(index_dir))


def main() -> None:
    st.set_page_config(page_title="绩效报告问答", layout="wide")
    settings = load_settings()
    manifest_path = settings.index_dir / "manifest.json"
    if not manifest_path.exists():
        st.error(f"No index in {settings.index_dir}. Run `qa-app build` (or `make run`) first.")
        return
    manifest = json.loads(manifest_path.read_text("utf-8"))
    try:
        data = tables(str(settings.index_dir), manifest.get("built_at", ""))
    except IndexUnavailable as exc:
        st.error(str(exc))
        return
    reports, figures, chunks = data["reports"], data["figures"], data["chunks"]

    with st.sidebar:
        st.header("Index")
        st.text(
            f"{len(data['documents'])} files · {len(reports)} reports\n{len(chunks)} sections · "
            f"{len(figures)} figures\nbuilt {manifest.get('built_at', '?')}"
        )
        for failure in manifest.get("failures", []):
            st.warning(plain(f"{failure['doc']}: {failure['reason']}"))

    st.title("绩效自评报告")
    tab_figures, tab_reports = st.tabs(["Figures", "Reports"])
    with tab_figures:
        orgs = sorted(o for o in figures["org"].dropna().unique() if o)
        years = sorted(int(y) for y in figures["year"].dropna().unique())
        col1, col2, col3 = st.columns(3)
        org = col1.multiselect("Organisation", orgs, key="org")
        year = col2.multiselect("Year", years, key="year")
        metric = col3.text_input("Metric contains", key="metric")
        shown = figures
        if org:
            shown = shown[shown["org"].isin(org)]
        if year:
            shown = shown[shown["year"].isin(year)]
        if metric.strip():
            shown = shown[shown["metric"].str.contains(metric.strip(), regex=False)]
        columns = ["org", "year", "period", "metric", "value", "unit", "text", "section", "doc"]
        st.caption(f"{len(shown)} figures")
        st.dataframe(shown[columns], hide_index=True)
        st.download_button(
            "Download CSV", shown[columns].to_csv(index=False).encode("utf-8-sig"), "figures.csv", "text/csv"
        )
    with tab_reports:
        counts = chunks.groupby("report_id").size().rename("sections")
        fig_counts = figures.groupby("report_id").size().rename("figures")
        listing = reports.join(counts, on="report_id").join(fig_counts, on="report_id").fillna(0)
        st.dataframe(
            listing[["doc", "org", "region", "year", "type", "title", "sections", "figures"]],
            hide_index=True,
        )
        titles = dict(zip(reports["report_id"], reports["title"], strict=True))
        chosen = st.selectbox("Read a report", list(titles), format_func=lambda rid: titles[rid], key="report")
        if chosen:
            for row in chunks[chunks["report_id"] == chosen].itertuples():
                with st.expander(plain(row.section) or "(opening)"):
                    st.text(row.text)


main()
