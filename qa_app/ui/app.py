"""The chat app: ask in Chinese, see the exact figure, open its source in one click.

Views (sidebar): 问答 (the chat), 数字 (the figures table, CSV and Excel), 报告 (the corpus, read section by
section), 添加报告 (upload). The sidebar's 单位 / 年度 filters restrict every search and every table. The
engine (index and embedder) loads once per process and per build (st.cache_resource, keyed by the
manifest's time stamp): a question never reloads it, and a finished rebuild is picked up by the next run.

The conversation is kept server-side (qa_app.ui.conversation) under the id in the URL, so a reload or a
browser restart shows it again. Each citation opens in place (an expander: it never covers the input) and names
the report, organisation, year and section (qa_app.ui.sources); the whole conversation exports to Excel and
Word (qa_app.ui.exports); the page prints without its controls (qa_app.ui.page).

Nothing from a report or a question is rendered as HTML or markdown: labels go through `view.plain`,
source text through `view.sentence_html` / `view.table_html` / `view.text_html` (escaped), tables through
st.dataframe. Run with `make run`, or `streamlit run qa_app/ui/app.py` after `qa-app build`.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from qa_app.answer.contract import Answer
from qa_app.build import SUFFIXES, BuildError, BuildReport, build_index, safe_name, save_upload
from qa_app.config import Settings, load_settings
from qa_app.corrections import FILE_NAME, CorrectionError, checked, read_corrections, save_correction
from qa_app.embed import get_embedder
from qa_app.embed.base import EmbedderUnavailable
from qa_app.engine import Engine
from qa_app.readers.base import IngestError
from qa_app.sandbox import process_file
from qa_app.search.retrieve import Within
from qa_app.store.backends import index_stamp, open_index
from qa_app.store.manifest import IndexUnavailable
from qa_app.ui.charts import answer_chart
from qa_app.ui.conversation import ConversationStore, Turn, new_id, valid_id
from qa_app.ui.exports import DOCX, XLSX, Exchange, conversation_excel, conversation_word, copy_text
from qa_app.ui.figure_table import figures_table, report_link
from qa_app.ui.page import copy_button, focus_input, style
from qa_app.ui.refusals import chinese_reason
from qa_app.ui.sources import Source, sources
from qa_app.ui.view import (
    citation_label,
    documents_frame,
    figure_headline,
    figures_frame,
    plain,
    sentence_html,
    source_heading,
    table_html,
    text_html,
    to_csv,
    to_excel,
)

VIEWS = ("问答", "数字", "报告", "添加报告")
PLACEHOLDER = "输入问题，例如：湘潭县信访救助支出多少"
# First questions that work on their own (a follow-up such as 那2023年呢？ is explained, not offered).
EXAMPLES = ("湘潭县信访救助支出多少", "湘潭县历年信访救助支出", "各信访局2024年基本支出", "存在的问题有哪些")
FOLLOW_UPS = (
    "接着问时可以只说变化的部分：“那2023年呢？”“岳阳市呢？”沿用上一问的单位、年度和指标；"
    "回答会注明沿用了什么，也可以点“不沿用上文，单独回答”。"
)
STAGES = {
    "reading reports": "读取报告",
    "embedding sections": "向量化段落",
    "embedding metric labels": "向量化指标",
    "indexing": "建立索引",
}
UPLOAD_TYPES = [suffix.lstrip(".") for suffix in SUFFIXES]
XLSX_NAME, DOCX_NAME = "对话记录.xlsx", "对话记录.docx"
# A browser table of a whole archive's figures (millions of rows) would stall the page; the downloads hold all.
MAX_ROWS_SHOWN = 10_000


@st.cache_resource(max_entries=2, show_spinner="正在加载索引和模型…")
def engine_for(index_dir: str, embedder: str, built: int) -> Engine:
    """One engine per index build; `built` (the manifest's mtime, or the database's generation) makes a rebuilt
    index a new entry."""
    settings = load_settings().with_overrides(index_dir=Path(index_dir), embedder=embedder)
    engine = Engine(open_index(settings), get_embedder(embedder), settings)
    # Pay here, behind the loading spinner, what the first question would otherwise wait for: jieba's
    # dictionary, the first query embedding, and the chart library of multi-figure answers.
    import altair  # noqa: F401

    engine.ask(EXAMPLES[0])
    return engine


def build_with_progress(settings: Settings) -> BuildReport:
    """A build with a progress bar; the previous index keeps answering until the new one is swapped in."""
    bar = st.progress(0.0, text="准备建立索引…")

    def progress(stage: str, done: int, total: int) -> None:
        bar.progress(min(done / total, 1.0) if total else 1.0, text=f"{STAGES.get(stage, stage)} {done}/{total}")

    report = build_index(settings, progress, waiting=lambda: bar.progress(0.0, text="等待另一个建索引任务完成…"))
    bar.empty()
    return report


def ask_safely(engine: Engine, question: str, history: list[str], within: Within) -> Answer:
    """Any question gets an answer on screen, never a traceback."""
    try:
        return engine.ask(question, history, within)
    except Exception as exc:  # shown as an answer that says it failed, like the CLI does
        return Answer(question, False, f"无法回答这个问题（内部错误：{type(exc).__name__}）。")


# --- the chat ------------------------------------------------------------------------------------------------


def show_source(engine: Engine, source: Source, key: str) -> None:
    """One citation, opened in place: whose report, which section, the sentence and the table row as read."""
    text = engine.index.texts.get(source.citation.doc, "")
    with st.expander(citation_label(source), expanded=False):
        st.html(source_heading(source))
        if source.sentence is not None:
            st.html(sentence_html(text, source.sentence))
        if source.table is not None:
            if source.sentence is not None:
                st.caption("表格中的同一数字：")
            st.html(table_html(source.table))
        left, right = st.columns([1, 3], vertical_alignment="center")
        if source.report is not None:
            link = report_link(source.report.report_id, source.citation.start, st.query_params.get("c", ""))
            left.link_button("在报告中查看", link, type="tertiary")
        right.caption(plain(f"文件 {source.citation.doc} · 字符 {source.citation.start}–{source.citation.end}"))


def show_answer(engine: Engine, answer: Answer, key: str, cited: list[Source]) -> None:
    if answer.found and answer.figures:
        label, value = figure_headline(answer)
        lead = answer.figures[0]
        st.metric(plain(label), value, delta={"down": "减少", "up": "增加"}.get(lead.direction), delta_color="off")
        st.markdown(plain(answer.answer))
        if len({(f.org, f.year) for f in answer.figures}) > 1:
            st.dataframe(figures_frame(answer), hide_index=True)
            chart = answer_chart(answer)
            if chart is not None:
                st.altair_chart(chart, key=f"{key}-chart")
    elif answer.found:
        st.markdown(plain(answer.answer))
    else:
        st.warning(plain(answer.answer), icon="🔍")
    for source in cited:
        show_source(engine, source, f"{key}-cite-{source.n}")
    if answer.passages:
        title = "相关段落" if answer.found else "最接近的段落"
        with st.expander(f"{title}（{len(answer.passages)}）", expanded=not answer.found):
            for p in answer.passages:
                st.caption(plain(f"{p.title} › {p.section or '（开头）'} · 相关度 {p.score:.2f}"))
                st.html(text_html(p.text))


def help_panel(engine: Engine) -> None:
    """What to ask, what is loaded, how follow-ups work: the first thing a new user sees."""
    st.subheader("可以这样问（点一下即提问）", divider=False)
    cols = st.columns(len(EXAMPLES))
    for k, (col, example) in enumerate(zip(cols, EXAMPLES, strict=True)):
        col.button(example, key=f"example-{k}", on_click=st.session_state.__setitem__, args=("asked", example))
    reports = engine.index.reports
    orgs = sorted(o for o in reports["org"].dropna().unique() if o)
    years = sorted({int(y) for y in reports["year"].dropna()})
    st.caption(plain(f"已载入 {len(reports)} 份报告，{len(orgs)} 个单位：" + "、".join(orgs)))
    st.caption(plain("年度：" + "、".join(f"{y}年" for y in years)))
    st.caption(plain(FOLLOW_UPS))


def conversation_id() -> str:
    """The conversation of this page: the id in the URL (`?c=…`), or a new one put there."""
    cid = st.query_params.get("c")
    if not valid_id(cid):
        cid = new_id()
        st.query_params["c"] = cid
    return cid


def new_conversation() -> None:
    st.query_params["c"] = new_id()


def chat_view(engine: Engine, within: Within, store: ConversationStore) -> None:
    cid = conversation_id()
    turns = store.turns(cid)
    if not turns:
        help_panel(engine)

    def drop_context(i: int) -> None:  # the same question again, asked on its own
        store.replace(cid, i, ask_safely(engine, turns[i].question, [], within))

    exchanges: list[Exchange] = []

    def show_turn(i: int, turn: Turn) -> None:
        cited = sources(turn.answer, engine.index, engine.settings.ranking.max_quote)
        exchange = Exchange(turn, cited, engine.index.texts)
        exchanges.append(exchange)
        with st.chat_message("user"):
            st.text(turn.question)
        with st.chat_message("assistant"):
            show_answer(engine, turn.answer, f"turn{i}", cited)
            copy_button(copy_text(exchange), key=f"turn{i}-copy", label="复制回答和出处")
            if turn.answer.context:
                st.button("不沿用上文，单独回答", key=f"turn{i}-drop", on_click=drop_context, args=(i,))

    for i, turn in enumerate(turns):
        show_turn(i, turn)
    question = st.chat_input(PLACEHOLDER, max_chars=engine.settings.max_question_chars * 4)
    question = question if question is not None else st.session_state.pop("asked", None)
    if question is not None:
        # Stored before it is drawn: a next question sent mid-drawing restarts the script, and must not lose it.
        answer = ask_safely(engine, question, [t.question for t in turns], within)
        store.append(cid, question, answer)
        turns.append(Turn(question, answer, datetime.now().timestamp()))
        show_turn(len(turns) - 1, turns[-1])
    focus_input("focus")
    if turns:
        zone = ZoneInfo(engine.settings.display_timezone)
        row = st.container(horizontal=True, key="qa-actions")  # one row on a phone too (page.CSS; columns stack)
        row.download_button("导出Excel", lambda: conversation_excel(exchanges, zone), XLSX_NAME, XLSX,
                            on_click="ignore", key="export-xlsx")  # fmt: skip
        row.download_button("导出Word", lambda: conversation_word(exchanges, zone), DOCX_NAME, DOCX,
                            on_click="ignore", key="export-docx")  # fmt: skip
        row.button("清空对话", key="clear", on_click=new_conversation, help="开始新的对话；原对话仍保存在它的链接下")


# --- figures, documents, upload ------------------------------------------------------------------------------


def figures_view(engine: Engine, within: Within) -> None:
    metric = st.text_input("指标包含", key="metric", placeholder="例如：基本支出")
    index = engine.index
    rows = engine.figures_within(within)
    if metric.strip():
        rows = rows[rows["metric"].str.contains(metric.strip(), regex=False, na=False)]
    table = figures_table(rows, index.reports, index.texts, engine.settings.ranking.max_quote,
                          st.query_params.get("c", ""))  # fmt: skip
    shown = f"，显示前 {MAX_ROWS_SHOWN:,} 个，下载包含全部" if len(table) > MAX_ROWS_SHOWN else ""
    merged = len(rows) - len(table)
    note = f"（正文和表格中的同一数字合为一行，共 {merged} 个）" if merged else ""
    st.caption(f"{len(table):,} 个数字" + ("（按侧栏所选单位、年度）" if within else "") + note + shown)
    st.dataframe(
        table.head(MAX_ROWS_SHOWN),
        hide_index=True,
        column_config={
            "查看": st.column_config.LinkColumn("查看", display_text="打开报告"),
            "数值": st.column_config.NumberColumn("数值", format="%.2f"),
            "年度": st.column_config.NumberColumn("年度", format="%d"),
        },
    )
    download = table.drop(columns="查看")
    left, right = st.columns(2)
    left.download_button("下载 CSV", lambda: to_csv(download), "数字.csv", "text/csv", on_click="ignore", key="csv")
    right.download_button("下载 Excel", lambda: to_excel(download), "数字.xlsx", XLSX, on_click="ignore", key="xlsx")


def documents_view(engine: Engine, within: Within, settings: Settings) -> None:
    index = engine.index
    corrections_panel(engine, settings)
    listing = within.keep(
        documents_frame(index.documents, index.reports, index.reads.counts()).rename(
            columns={"单位": "org", "年度": "year"}
        )
    ).rename(columns={"org": "单位", "year": "年度"})
    st.dataframe(listing.drop(columns="report_id"), hide_index=True)
    titles = dict(zip(listing["report_id"], listing["报告"], strict=True))
    if not titles:
        return
    if st.session_state.get("report") not in titles:
        st.session_state.pop("report", None)
    chosen = st.selectbox("阅读报告", list(titles), format_func=lambda rid: titles[rid], key="report")
    at = st.session_state.get("at") if st.session_state.get("at_report") == chosen else None
    chunks = index.reads.report_sections(chosen)
    text = index.texts.get(str(chunks["doc"].iloc[0]), "") if len(chunks) else ""
    # A section may span several chunks (which overlap): show the section's own text once, in order.
    spans = chunks.groupby("section", sort=False).agg(start=("start", "min"), end=("end", "max"))
    for section, row in spans.sort_values("start").iterrows():
        here = at is not None and int(row["start"]) <= at < int(row["end"])
        with st.expander(("📍 " if here else "") + (plain(section) or "（开头）"), expanded=here):
            st.html(text_html(text[int(row["start"]) : int(row["end"])]))


def corrections_panel(engine: Engine, settings: Settings) -> None:
    """A form for each report read without an organisation or a year (and each one corrected before).

    Saved into the corpus's 报告信息.toml (qa_app.corrections), then the index is rebuilt as after an upload:
    only that file is read again, and the name reaches the 单位 filter, the catalog and retrieval.
    """
    log: list[tuple[str, str]] = st.session_state.setdefault("correction_log", [])
    for kind, message in reversed(log):
        (st.success if kind == "ok" else st.error)(plain(message), icon="✅" if kind == "ok" else "⛔")
    try:
        corrected = read_corrections(settings.corpus_dir)
    except ValueError as exc:
        st.error(plain(f"{FILE_NAME} 无法读取，请改正或删除它：{exc}"))
        return
    reports = engine.index.reports
    missing = (reports["org"].fillna("") == "") | reports["year"].isna()
    shown = reports[missing | reports["doc"].isin(corrected) | reports["report_id"].isin(corrected)]
    if shown.empty:
        return
    per_file = reports.groupby("doc").size()
    label = f"补充单位和年度（{int(missing.sum())} 份报告缺少单位或年度）" if missing.any() else "已补充的单位和年度"
    with st.expander(label, expanded=bool(missing.any())):
        st.caption(
            plain(
                f"读取时没有找到的单位或年度可在这里填写：保存到语料目录的 {FILE_NAME}，"
                "并重新建立索引（只重新读取这份报告的文件）。"
            )
        )
        for row in shown.itertuples(index=False):
            rid = row.report_id
            # A file of one report is corrected as a whole; one report of several by its id ("name#n").
            key = row.doc if per_file[row.doc] == 1 else rid
            year = "" if pd.isna(row.year) else str(int(row.year))
            with st.form(f"correct-{rid}", border=True):
                st.caption(plain(f"{row.title} · 文件 {row.doc}"))
                left, right = st.columns([3, 1])
                org_text = left.text_input("单位", row.org or "", 80, f"org-{rid}", placeholder="例如：湘潭县信访局")
                year_text = right.text_input("年度", year, 8, f"year-{rid}", placeholder="例如：2024")
                if st.form_submit_button("保存"):
                    save_and_rebuild(settings, key, org_text, year_text, log)


def save_and_rebuild(settings: Settings, key: str, org: str, year: str, log: list[tuple[str, str]]) -> None:
    """Check what was typed, save it beside the corpus, rebuild; the outcome is said in Chinese."""
    try:
        correction = checked(org, year)
    except CorrectionError as exc:
        st.error(plain(f"未保存：{exc}"), icon="⛔")
        return
    save_correction(settings.corpus_dir, key, correction)
    try:
        report = build_with_progress(settings)
    except Exception as exc:  # the correction is saved; the previous index keeps answering
        why = f"{type(exc).__name__}：{chinese_reason(str(exc))}"
        log.append(("error", f"已保存，但建立索引失败（{why}），原索引仍可使用。"))
    else:
        again = "、".join(r.doc.name for r in report.read) or "无"
        what = f"{key} 的单位为 {correction.org}，年度为 {correction.year}年"
        log.append(("ok", f"已保存：{what}；索引已更新（重新读取：{again}）。"))
    st.rerun()


def upload_view(settings: Settings) -> None:
    limit_mb = int(st.get_option("server.maxUploadSize"))
    kinds = "、".join(f".{t}" for t in UPLOAD_TYPES)
    st.caption(f"支持 {kinds}，每个文件不超过 {limit_mb} MB。文件保存到语料目录，建立索引后即可提问。")
    # Any file is taken, so that one of another type is refused here with a reason rather than by a bare ⓘ; the
    # uploader is then emptied (a new key), so a refused file does not stay in its list looking accepted.
    round_ = st.session_state.setdefault("upload_round", 0)
    files = st.file_uploader("添加报告", accept_multiple_files=True, key=f"upload-{round_}")
    log: list[tuple[str, str]] = st.session_state.setdefault("upload_log", [])
    saved = []
    for f in files or []:
        try:
            suffix = Path(f.name).suffix.lower()
            if suffix not in SUFFIXES:
                raise IngestError(f"unsupported file type {suffix or '(none)'}")
            data = f.getvalue()
            check_readable(f.name, data, settings)
            path = save_upload(settings.corpus_dir, f.name, data, limit_mb * 1024 * 1024)
            saved.append(path.name)
        except (ValueError, OSError, IngestError) as exc:
            log.append(("error", f"{f.name}：已拒绝，{chinese_reason(str(exc))}"))
    if saved:
        try:
            report = build_with_progress(settings)
        except Exception as exc:  # the previous index is untouched and keeps answering
            log.append(("error", f"建立索引失败（{type(exc).__name__}：{chinese_reason(str(exc))}），原索引仍可使用。"))
        else:
            log.extend(upload_outcome(report, saved))
    if files:
        st.session_state["upload_round"] = round_ + 1
        st.rerun()  # the sidebar and the chat pick up the new index; the uploader starts empty
    for kind, message in reversed(log):
        (st.success if kind == "ok" else st.error)(plain(message), icon="✅" if kind == "ok" else "⛔")


def check_readable(name: str, data: bytes, settings: Settings) -> None:
    """Read an upload before it joins the corpus, so an unreadable file is refused with its reason.

    `process_file` reads in the reading child under the bounds of qa_app.readers.bounds: an upload that unpacks
    to gigabytes is refused there, and this process (every session of the app) never holds it.
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / safe_name(name)
        path.write_bytes(data)
        try:
            process_file(path, settings, path.name)
        except IngestError:
            raise
        except Exception as exc:  # a reader bug on one upload is that upload's refusal, not the app's error
            raise IngestError(f"无法处理（{type(exc).__name__}: {exc}）") from exc


def upload_outcome(report: BuildReport, saved: list[str]) -> list[tuple[str, str]]:
    read = {r.doc.name: r for r in report.read}
    failed = {f.doc: f.reason for f in report.failures}
    out = []
    for name in saved:
        if name in read:
            r = read[name]
            who = "；".join(f"{rep.org or '单位不详'} {rep.year or '年度不详'} {rep.type}" for rep in r.reports)
            hint = "可在“报告”页补充单位和年度。" if any(not rep.org or rep.year is None for rep in r.reports) else ""
            out.append(("ok", f"{name}：已加入（{who}；{len(r.chunks)} 段，{len(r.figures)} 个数字）{hint}"))
        elif name in failed:
            out.append(("error", f"{name}：已拒绝，{chinese_reason(failed[name])}"))
        else:
            out.append(("ok", f"{name}：与已有文件相同，索引未变"))
    return out


# --- the page ------------------------------------------------------------------------------------------------


def sidebar(engine: Engine) -> tuple[str, Within]:
    index = engine.index
    with st.sidebar:
        view = st.radio("视图", VIEWS, key="view", horizontal=True)
        st.subheader("范围")
        orgs = sorted(o for o in index.reports["org"].dropna().unique() if o)
        years = sorted({int(y) for y in index.reports["year"].dropna()}, reverse=True)
        chosen_orgs = st.multiselect("单位", orgs, key="orgs", placeholder="全部单位")
        chosen_years = st.multiselect("年度", years, key="years", placeholder="全部年度")
        st.subheader("索引")
        manifest = index.manifest
        st.caption(
            plain(
                f"{len(index.documents)} 个文件 · {len(index.reports)} 份报告 · {index.reads.sections_count} 段 · "
                f"{index.reads.figures_count} 个数字"
            )
        )
        built = built_time(manifest.get("built_at", ""), engine.settings.display_timezone)
        st.caption(plain(f"模型 {manifest['embedder']['id']} · 建于 {built}"))
        for failure in manifest.get("failures", []):
            st.warning(plain(f"未读取 {failure['doc']}：{chinese_reason(failure['reason'])}"))
    return view, Within(frozenset(chosen_orgs), frozenset(int(y) for y in chosen_years))


def built_time(stamp: str, zone: str) -> str:
    """The build time in the readers' zone ("2026-12-03 13:35（北京时间）"); the manifest's as written otherwise."""
    try:
        when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z").astimezone(ZoneInfo(zone))
    except ValueError:
        return stamp or "时间不详"
    return when.strftime("%Y-%m-%d %H:%M") + ("（北京时间）" if zone == "Asia/Shanghai" else f"（{zone}）")


def open_link() -> None:
    """A link into the app (`?report=…&at=…`, from a citation or the 数字 table) opens the 报告 view there."""
    rid, at = st.query_params.get("report"), st.query_params.get("at", "")
    if rid:
        st.session_state.update(view="报告", report=rid, at_report=rid, at=int(at) if at.isdigit() else None)
        del st.query_params["report"]
        if "at" in st.query_params:
            del st.query_params["at"]


def no_index(settings: Settings, reason: str) -> None:
    what = plain(chinese_reason(reason))
    st.error(f"还没有可用的索引：{what}。  \n在终端运行 `qa-app build`（或 `make run`），或在此建立索引。")
    if st.button("建立索引", key="build"):
        try:
            build_with_progress(settings)
        except (OSError, EmbedderUnavailable, BuildError) as exc:
            st.error(plain(chinese_reason(str(exc))))
            return
        st.rerun()


def main() -> None:
    st.set_page_config(page_title="绩效报告问答", page_icon="📊", layout="wide", menu_items={})
    style()
    settings = load_settings()
    st.title("绩效自评报告问答")
    try:
        stamp = index_stamp(settings)
        if not stamp:
            raise IndexUnavailable(f"no index in {settings.index_dir}")
        engine = engine_for(str(settings.index_dir.resolve()), settings.embedder, stamp)
    except (IndexUnavailable, EmbedderUnavailable) as exc:
        no_index(settings, str(exc))
        return
    open_link()
    view, within = sidebar(engine)
    if view == "问答":
        chat_view(engine, within, ConversationStore(settings.conversations))
    elif view == "数字":
        figures_view(engine, within)
    elif view == "报告":
        documents_view(engine, within, settings)
    else:
        upload_view(settings)


main()
