"""The features figures are ranked by: character grams of labels, their overlap with the question, how
rare the shared bigrams are among the corpus's labels, and the score that weighs them with the label's
embedding, the unit, the period and the section's retrieval score. Pure functions of their arguments; the
weights are `Ranking` (qa_app.config)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from qa_app.config import Ranking
from qa_app.lexicon import load, ordered
from qa_app.search.query import BUDGET_SYNONYMS, Query
from qa_app.text.normalize import normalize
from qa_app.text.tokens import CJK_RUN

_CONCEPTS = [tuple(c["forms"]) for c in load("budget_concepts").get("concepts", [])]
_SET_APART = tuple(load("budget_concepts")["set_apart"])
_FLOWS = re.compile(ordered(load("budget_concepts")["flows"]))

_MEASURES = load("budget_concepts")["measures"]
_NOT_MEASURES = re.compile(ordered(_MEASURES["not_measures"]))
_MEASURE = re.compile(f"({ordered(_MEASURES['budget'])})|({ordered(_MEASURES['actual'])})")

# A budget name or rate stays whole (预算执行率); a measure or time word elsewhere is read past.
_PAST_HEAD = re.compile(
    f"({ordered(_MEASURES['not_measures'])})|"
    + ordered(_MEASURES["budget"] + _MEASURES["actual"] + _MEASURES["not_heads"])
)

_SHARE = load("figure_words")["labels"]["share"]
_SHARE_UNITS = ("%", "个百分点")
# Each other name or wording of a figure → its first name ("总支出", "支出总额" → "支出合计"), longest first.
_FIRST_NAME = {w: names[0] for names, wordings in BUDGET_SYNONYMS for w in (*names[1:], *wordings) if w != names[0]}
_OTHER_NAME = re.compile("|".join(map(re.escape, sorted(_FIRST_NAME, key=len, reverse=True))))
_SHARE_ASKED = re.compile(ordered(load("question_words")["units"]["share_wordings"]))
_GENERIC_END = re.compile(f"(?:{ordered(_MEASURES['generic_heads'])})$")

_FILLER = set("的了在是为和与及其之")
_QUOTE_STOPS = "。；;！？!?\n\t"


def grams(text: str, unigram_weight: float = Ranking.unigram_weight) -> dict[str, float]:
    """Character bigrams of each CJK run (weight 1) and single characters (`unigram_weight`, fillers left out)."""
    out: dict[str, float] = {}
    for run in CJK_RUN.findall(text):
        for c in run:
            if c not in _FILLER:
                out[c] = unigram_weight
        for i in range(len(run) - 1):
            out[run[i : i + 2]] = 1.0
    return out


def overlap(query: dict[str, float], label: dict[str, float], ranking: Ranking) -> float:
    """How much of the question's metric the label covers, with a little credit for a label that is exact."""
    if not query or not label:
        return 0.0
    shared = sum(w for g, w in query.items() if g in label)
    return ranking.cover_query * shared / sum(query.values()) + ranking.cover_label * shared / sum(label.values())


def bigram_set(text: str) -> set[str]:
    return {g for g in grams(text) if len(g) == 2}


@dataclass(frozen=True)
class Rarity:
    """How rare each bigram is among the corpus's metric labels (IDF): 支出 and 经费 are everywhere, 三公 and
    救助 are not. A bigram no label has counts as the rarest."""

    idf: dict[str, float]
    unseen: float

    @classmethod
    def of_labels(cls, labels: Iterable[str]) -> Rarity:
        df: dict[str, int] = {}
        labels = list(labels)
        for label in labels:
            for g in bigram_set(label):
                df[g] = df.get(g, 0) + 1
        idf = {g: math.log((len(labels) + 1) / (n + 1)) + 1 for g, n in df.items()}
        return cls(idf, max(idf.values(), default=1.0))

    def weight(self, bigrams: Iterable[str]) -> float:
        """The bigrams' summed rarity, exactly (fsum): a set's order follows the process's string hashing, and
        a plain sum in that order made a label's likeness to itself 1.0000000000000002 in some processes."""
        return math.fsum(self.idf.get(g, self.unseen) for g in bigrams)


def named_concepts(metric: str) -> list[tuple[str, ...]]:
    """The budget concepts (lexicon/budget_concepts.toml) a metric names, each as the forms it may take."""
    return [forms for forms in _CONCEPTS if any(form in metric for form in forms)]


def measure_word(label: str) -> str:
    """The last measure word of a label ("决算" of "三公经费支出决算"), "" when it names none."""
    found = list(_MEASURE.finditer(_NOT_MEASURES.sub("|", label)))
    return found[-1].group() if found else ""


def measure(label: str) -> str:
    """What a label measures, by its last measure word: "budget", "actual", or "" when it names none."""
    word = measure_word(label)
    return "" if not word else "budget" if _MEASURE.fullmatch(word).group(1) else "actual"


def head(metric: str) -> str:
    """The metric's head: its last three characters once measure and time words are read past ("总投资" of
    "项目计划总投资", "收入总计" → "总计"). Chinese puts the thing measured last; what precedes only narrows it."""
    runs = [r for r in CJK_RUN.findall(_PAST_HEAD.sub(lambda m: m.group(1) or "", metric)) if len(r) >= 2]
    if not runs:
        return ""
    core = runs[-1]
    while (shorter := _GENERIC_END.sub("", core)) != core and len(shorter) >= 2:
        core = shorter
    return core[-3:]


def head_fit(head_: str, label: str, asked: dict[str, float]) -> float:
    """The share of the head's bigrams the label holds (1 for "公务用车购置费" asked, ½ for "…购置及运行维护费"),
    when the label also shares something else with the question: a bare "支出" holds every head there is."""
    want, have = bigram_set(head_), bigram_set(label)
    if not want or not (have - want) & asked.keys():
        return 0.0
    return len(want & have) / len(want)


def flow(metric: str) -> str:
    """The last money flow a metric names (收入, 支出, 调入 …), "" when none."""
    found = _FLOWS.findall(metric)
    return found[-1] if found else ""


def other_flow(asked: str, label: str) -> bool:
    """The label names a flow, and not the one asked: 调入 is no 收入."""
    return bool(asked) and asked not in label and bool(_FLOWS.search(label))


def share_fit(query: Query, label: str, unit: str, ranking: Ranking) -> float:
    """A share of something ("…占…的比重", in %) does not answer a question that asks for no share."""
    asks_share = _SHARE in query.norm or "%" in query.units
    return ranking.share_unasked if unit in _SHARE_UNITS and _SHARE in label and not asks_share else 0.0


def measure_fit(asked: str, found: str, ranking: Ranking) -> float:
    """The other side of what was asked never answers (`Ranking.measure_other`); when nothing was asked, a
    budget figure stands behind what was done (`Ranking.measure_budget_unasked`)."""
    if asked:
        return ranking.measure_other if found and found != asked else 0.0
    return ranking.measure_budget_unasked if found == "budget" else 0.0


def anchoring(query: Query, rarity: Rarity) -> Callable[[str], float]:
    """How firmly a label names what was asked: the larger share of bigrams shared, of the question's
    metric or of the label ("来信" in "群众来信"), weighted by rarity, for the metric as worded and for the
    budget names its everyday words stand for ("开会花了" → "会议费"). Below `Ranking.anchor` a figure is
    never an answer: a label that merely sounds close (公务接待费 for 差旅费) or shares only common words
    (人事代理经费支出 for 三公经费支出) is not one. The question's side is read once, for all its candidates.
    """
    asked = [(q, rarity.weight(q)) for q in map(bigram_set, (query.metric, query.terms[len(query.metric) :])) if q]
    # A share asked ("基本支出所占比重") is anchored by what it is the share of, against a share label's own
    # (the "基本支出" of "基本支出占总支出"), the words of the two wordings aside.
    share_of = (
        bigram_set(_SHARE_ASKED.split(query.metric, maxsplit=1)[0]) if _SHARE_ASKED.search(query.metric) else set()
    )
    share_weight = rarity.weight(share_of) if share_of else 0.0

    named = one_name(query.metric)  # 总支出 asked, "全年支出" written: both name 支出合计, and nothing more

    def anchored_label(label: str) -> float:
        lab = bigram_set(label)
        best = 0.0
        if lab:
            for q, q_weight in asked:
                shared = rarity.weight(q & lab)
                best = max(best, shared / q_weight, shared / rarity.weight(lab))
            if one_name(label) == named:
                best = 1.0
        if share_weight and _SHARE in label and (own := bigram_set(label.partition(_SHARE)[0])):
            shared = rarity.weight(share_of & own)
            best = max(best, min(shared / share_weight, shared / rarity.weight(own)))
        return best

    return anchored_label


def anchored(query: Query, label: str, rarity: Rarity) -> float:
    """`anchoring` for one label."""
    return anchoring(query, rarity)(label)


def one_name(label: str) -> str:
    """The label with each budget name written as its first name (budget_concepts.toml `synonyms`)."""
    return _OTHER_NAME.sub(lambda m: _FIRST_NAME[m.group()], label) if _FIRST_NAME else label


def likeness(a: str, b: str, rarity: Rarity) -> float:
    """How much of label `a` label `b` repeats, by rarity: one metric in different reports
    ("信访救助支出", "信访救助基金·实际支出"; "…占总支出", "…占支出总额": one name of a figure for all its
    names), but not a generic "支出" for "基本支出"."""
    x, y = bigram_set(one_name(a)), bigram_set(one_name(b))
    if not x or not y:
        return float(a == b)
    return rarity.weight(x & y) / rarity.weight(x)


def quote_span(text: str, quote_start: int, quote_end: int, start: int, end: int, max_quote: int) -> tuple[int, int]:
    """The figure's sentence; a long table cell or paragraph is cut to the sentence that holds the figure."""
    if quote_end - quote_start <= max_quote:
        return quote_start, quote_end
    left = max(text.rfind(c, quote_start, start) for c in _QUOTE_STOPS)
    right = [i for i in (text.find(c, end, quote_end) for c in _QUOTE_STOPS) if i >= 0]
    return (left + 1 if left >= quote_start else quote_start), (min(right) + 1 if right else quote_end)


# The figures table's columns a candidate carries through ranking and composing (`Scored`).
CANDIDATE_COLUMNS = (
    "doc", "report_id", "chunk_id", "org", "year", "period", "value", "text", "unit", "metric", "section",
    "start", "end", "quote_start", "quote_end", "metric_row", "ocr_page",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Scored:
    """A candidate figure that names what was asked, with its score and quote span: one row of the figures
    table (`row`, with the CANDIDATE_COLUMNS it needs) as plain values; `year` is None when unknown."""

    row: int
    doc: str
    report_id: str
    org: str
    year: int | None
    period: str
    value: float
    text: str
    unit: str
    metric: str
    section: str
    start: int
    quote_from: int
    quote_to: int
    ocr_page: int
    score: float


def figure_scores(
    figs: dict[str, list],
    rows: Sequence[int],
    query: Query,
    metric_cos: Callable[[], np.ndarray],
    section_score: dict[str, float],
    texts: dict[str, str],
    rarity: Rarity,
    ranking: Ranking,
) -> list[Scored]:
    """The candidate figures that name what was asked (see `anchored`), scored, best first.

    `figs` holds the candidates' CANDIDATE_COLUMNS as lists (a few dozen rows: plain Python and numpy, no
    frame); `rows` their rows in the figures table. `metric_cos()` gives the cosine of the question's metric
    with every metric label of the corpus; it is called only when a figure is left to score, so a question
    none of whose candidates is anchored never embeds its metric. The semantic feature is 1 for the label
    nearest to the question anywhere in the corpus and falls to 0 `Ranking.semantic_band` below it: what
    counts is whether this figure measures the concept the question names, which is not the case when the
    nearest concept exists only in other reports. Ties keep the candidates' order, newest year first.
    """
    r = ranking
    metric, doc = figs["metric"], figs["doc"]
    anchored_label = anchoring(query, rarity)
    keep = [i for i, m in enumerate(metric) if anchored_label(m) >= r.anchor]
    apart = [w for w in _SET_APART if w not in query.norm]
    if apart:  # "采购执行率" for "预算执行率": a word the question does not say makes it another metric
        keep = [i for i in keep if not any(w in metric[i] for w in apart)]
    if not keep:
        return []
    spans = {
        i: quote_span(texts[doc[i]], figs["quote_start"][i], figs["quote_end"][i], figs["start"][i], figs["end"][i],
                      r.max_quote)
        for i in keep
    }  # fmt: skip
    concepts = named_concepts(query.metric)
    if concepts:  # each concept the question names is named by the figure's label, sentence or section

        def named(i: int) -> bool:
            context = f"{metric[i]} {normalize(texts[doc[i]][slice(*spans[i])]).text} {figs['section'][i]}"
            return all(any(f in context for f in forms) for forms in concepts)

        keep = [i for i in keep if named(i)]
        if not keep:
            return []
    qgrams = grams(query.terms, r.unigram_weight)
    label_match = [overlap(qgrams, grams(metric[i], r.unigram_weight), r) for i in keep]
    # The sentence, or the heading it stands under with the label: "普通小学" under "各类学校生均…经费增长情况".
    sentence_match = [
        max(
            overlap(qgrams, grams(texts[doc[i]][slice(*spans[i])], r.unigram_weight), r),
            overlap(qgrams, grams(f"{figs['section'][i].rpartition(' › ')[2]} {metric[i]}", r.unigram_weight), r),
        )
        for i in keep
    ]
    label_cos = metric_cos()
    metric_rows = np.asarray([figs["metric_row"][i] for i in keep], np.int64)
    top = float(label_cos.max()) if len(label_cos) else 0.0
    cos = np.where(metric_rows >= 0, label_cos[np.maximum(metric_rows, 0)], 0.0)
    semantic = np.clip(1 - (top - cos) / r.semantic_band, 0, 1)
    passage = [section_score.get(figs["chunk_id"][i], 0.0) for i in keep]
    units = query.units
    unit_fit = [
        0.0 if not units else r.unit_exact if u == units[0] else r.unit_family if u in units else r.unit_other
        for u in (figs["unit"][i] for i in keep)
    ]
    asked = measure(query.metric)
    asked_head, asked_flow = head(query.metric), flow(query.metric)
    flow_fit = [r.flow_other if other_flow(asked_flow, metric[i]) else 0.0 for i in keep]
    head_fits = [r.w_head * head_fit(asked_head, metric[i], qgrams) for i in keep]
    measure_fits = [
        measure_fit(asked, measure(metric[i]), r) + share_fit(query, metric[i], figs["unit"][i], r) for i in keep
    ]
    period_fit = dict(r.change_fit if query.asks_change else r.period_penalty)
    period = [period_fit.get(figs["period"][i], 0.0) for i in keep]
    # float64 features and the float32 semantic one, summed in this order: the floats a frame's columns gave
    score = (
        r.w_label * np.asarray(label_match, np.float64)
        + r.w_sentence * np.asarray(sentence_match, np.float64)
        + r.w_semantic * semantic
        + r.w_passage * np.asarray(passage, np.float64)
        + np.asarray(unit_fit, np.float64)
        + np.asarray(measure_fits, np.float64)
        + np.asarray(period, np.float64)
        + np.asarray(head_fits, np.float64)
        + np.asarray(flow_fit, np.float64)
    )
    newest = np.asarray([figs["year"][i] or 0 for i in keep], np.int64)
    order = np.lexsort((-newest, -score))  # stable: score, then year, both descending
    return [
        Scored(rows[i], doc[i], figs["report_id"][i], figs["org"][i], figs["year"][i], figs["period"][i],
               figs["value"][i], figs["text"][i], figs["unit"][i], metric[i], figs["section"][i], figs["start"][i],
               *spans[i], figs["ocr_page"][i], float(score[k]))
        for k, i in ((int(k), keep[k]) for k in order)
    ]  # fmt: skip
