"""Cross-validation of the ranking weights and the answer threshold on all development sets together.

Usage: .venv/bin/python bench/cross_validate.py [--matrix FILE] [--workers N] [--round2] [--report-only]
                                                [--sets NAME=QUESTIONS:INDEX,…] [--folds 5] [--repeats 10]

Every question of every set (dev, probe, dialogues on the seed index; realworld; the synthetic archive) is
asked once per candidate configuration: the defaults of `Ranking` and `Settings.min_figure_score`, and each
field moved a few steps around its default, one at a time (a coordinate neighbourhood). Which questions
each configuration gets right is an outcome matrix, cached in FILE (bench/results/cv_matrix.json) and
extended, never recomputed, by a later run with more candidates (each entry says its commit: delete the
file after a change of the code). From it, cheaply: k-fold cross-validation
stratified by set (each fold picks the configuration best on its training questions, ties to the default,
then to the one nearest it, and is scored on its held-out questions against the default), leave-one-set-out,
and each field's sensitivity (all sets' accuracy per value, questions gained and lost against the default).
`--round2` adds a second coordinate round: the first round's best configuration, with each single move that
changed some answer and did not lose on all sets applied on top of it.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import random
import subprocess
import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from qa_app.config import Ranking, Settings
from qa_app.embed import get_embedder
from qa_app.embed.base import Embedder
from qa_app.engine import Engine
from qa_app.evaluate import evaluate, read_questions
from qa_app.store.loader import Index, load_index

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "eval"
SETS = (
    f"dev={ROOT / 'tests/data/dev_questions.jsonl'}:/tmp/cv_seed",
    f"probe={ROOT / 'tests/data/probe_questions.jsonl'}:/tmp/cv_seed",
    f"dialogues={SHARED / 'dev_dialogues.jsonl'}:/tmp/cv_seed",
    f"realworld={SHARED / 'realworld/questions.jsonl'}:/tmp/cv_rw",
    "synthetic=/tmp/syn40/questions.jsonl:/tmp/cv_syn",
)
MATRIX = ROOT / "bench" / "results" / "cv_matrix.json"

# Moves around each default, one field at a time: multiples of the default for the weights (0 too for the
# small ones: does the feature matter at all?), absolute steps for the threshold, the anchor and the gates.
SCALE_MAIN = (0.5, 0.75, 1.25, 1.5)
SCALE_SMALL = (0.0, 0.5, 1.5, 2.0)
SCALE_PAIR = (0.5, 1.5)
NEIGHBOURS: dict[str, tuple[str, Sequence[float]]] = {
    "w_label": ("scale", SCALE_MAIN),
    "w_semantic": ("scale", SCALE_MAIN),
    "w_sentence": ("scale", SCALE_SMALL),
    "w_passage": ("scale", SCALE_SMALL),
    "w_head": ("scale", SCALE_SMALL),
    "semantic_band": ("scale", (0.5, 0.75, 1.5, 2.0)),
    "anchor": ("set", (0.4, 0.45, 0.55, 0.6)),
    "min_figure_score": ("set", (0.40, 0.44, 0.52, 0.56)),
    "measure_budget_unasked": ("set", (0.0, -0.025, -0.1, -0.2)),
    "share_unasked": ("set", (0.0, -0.15, -0.5, -1.0)),
    "unit_exact": ("scale", SCALE_PAIR),
    "unit_family": ("scale", SCALE_PAIR),
    "unit_other": ("set", (-0.3, -0.5)),
    "measure_other": ("set", (-0.5,)),
    "flow_other": ("set", (-0.5,)),
    "unigram_weight": ("scale", SCALE_PAIR),
    "period_penalty.previous": ("scale", SCALE_PAIR),
    "period_penalty.change": ("scale", SCALE_PAIR),
    "change_fit.current": ("scale", SCALE_PAIR),
    "change_fit.change": ("scale", SCALE_PAIR),
}
# Label overlap's two shares move together: they weigh one thing against the other.
COVER = ((0.7, 0.3), (0.9, 0.1))

Changes = dict[str, float]


# --- configurations ------------------------------------------------------------------------------------


def default_value(key: str, settings: Settings) -> float:
    """The default of a candidate key: a Settings field, a Ranking field, or one period of a period table."""
    if key == "min_figure_score":
        return settings.min_figure_score
    field, _, period = key.partition(".")
    value = getattr(settings.ranking, field)
    return dict(value)[period] if period else value


def configure(settings: Settings, changes: Changes) -> Settings:
    """`settings` with the candidate's changes applied (period tables stay (period, value) tuples)."""
    ranking = settings.ranking
    for key, value in changes.items():
        if key == "min_figure_score":
            settings = replace(settings, min_figure_score=value)
            continue
        field, _, period = key.partition(".")
        if period:
            value = tuple((p, value if p == period else v) for p, v in getattr(ranking, field))
        ranking = replace(ranking, **{field: value})
    return replace(settings, ranking=ranking)


def name_of(changes: Changes) -> str:
    return ",".join(f"{k}={v:g}" for k, v in sorted(changes.items())) or "default"


def neighbourhood(settings: Settings, fields: set[str] | None = None) -> list[Changes]:
    """The defaults and every one-field move of NEIGHBOURS (and the cover pairs), or of `fields` only;
    duplicates of the default dropped."""
    candidates: list[Changes] = [{}]
    for key, (how, steps) in NEIGHBOURS.items():
        if fields is not None and key not in fields:
            continue
        base = default_value(key, settings)
        for step in steps:
            value = round(base * step if how == "scale" else step, 6)
            if value != base:
                candidates.append({key: value})
    r = settings.ranking
    if fields is None or "cover" in fields:
        candidates += [
            {"cover_query": q, "cover_label": lab} for q, lab in COVER if (q, lab) != (r.cover_query, r.cover_label)
        ]
    return candidates


def distance(changes: Changes, settings: Settings) -> float:
    """How far a candidate moves from the defaults: relative steps summed (for ties: the nearest wins)."""
    total = 0.0
    for key, value in changes.items():
        base = default_value(key, settings)
        total += abs(value - base) / (abs(base) if base else 0.1)
    return total


# --- evaluation ------------------------------------------------------------------------------------------


class MemoEmbedder:
    """The embedder with its query vectors kept: every configuration asks the same questions, and embedding
    them is half of a question's time."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder, self.id, self.dim = embedder, embedder.id, embedder.dim
        self.cache: dict[tuple[str, ...], np.ndarray] = {}

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        key = tuple(texts)
        if key not in self.cache:
            self.cache[key] = self.embedder.encode_queries(texts)
        return self.cache[key].copy()

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.embedder.encode_passages(texts)


# The loaded sets, set before workers fork so that they share the indexes and the query vectors.
_LOADED: list[tuple[str, list[dict], Index, Settings]] = []
_EMBEDDER: MemoEmbedder | None = None


def load(specs: Sequence[str]) -> list[tuple[str, list[dict], Index, Settings]]:
    """Each set's questions, index and settings; an index shared by several sets is loaded once."""
    indexes: dict[str, Index] = {}
    loaded = []
    for spec in specs:
        name, _, rest = spec.partition("=")
        questions, _, index = rest.rpartition(":")
        settings = Settings(index_dir=Path(index))
        if index not in indexes:
            indexes[index] = load_index(settings.index_dir, settings.embedder)
        loaded.append((name, read_questions(Path(questions)), indexes[index], settings))
    return loaded


def outcomes(changes: Changes) -> tuple[str, str, float, dict[str, str]]:
    """One configuration over every set: its name, a 0/1 string over all questions in order, the seconds it
    took, and why each failed question failed."""
    start = time.perf_counter()
    bits, reasons = [], {}
    for name, items, index, settings in _LOADED:
        engine = Engine(index, _EMBEDDER, configure(settings, changes))
        for item, o in zip(items, evaluate(items, lambda q, h, e=engine: e.ask(q, h), index.texts), strict=True):
            bits.append("1" if o.ok else "0")
            if not o.ok:
                reasons[f"{name}:{item.get('id', '')}"] = o.reason
    return name_of(changes), "".join(bits), time.perf_counter() - start, reasons


def commit() -> str:
    run = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return run.stdout.strip()


def run_matrix(path: Path, specs: Sequence[str], candidates: list[Changes], workers: int) -> dict:
    """The outcome matrix for `candidates`, evaluating only those the cached file lacks (saved after each);
    a cache made with other defaults or other questions is started afresh."""
    questions = [[name, item.get("id", ""), item.get("kind", "")] for name, items, _, _ in _LOADED for item in items]
    defaults = {"min_figure_score": Settings().min_figure_score, **asdict(Ranking())}
    matrix = json.loads(path.read_text("utf-8")) if path.exists() else {}
    if matrix.get("questions") != questions or matrix.get("defaults") != json.loads(json.dumps(defaults)):
        matrix = {"questions": questions, "defaults": defaults, "sets": list(specs), "configs": {}}
    todo = [c for c in candidates if name_of(c) not in matrix["configs"]]
    # The defaults first, in this process: their run embeds every question once for all configurations.
    todo.sort(key=lambda c: bool(c))
    if todo and not todo[0]:
        todo = todo[1:]
        record(matrix, {}, outcomes({}), path)
    if not todo:
        return matrix
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for changes, result in zip(todo, pool.imap(outcomes, todo), strict=True):
            record(matrix, changes, result, path)
    return matrix


def record(matrix: dict, changes: Changes, result: tuple[str, str, float, dict[str, str]], path: Path) -> None:
    name, bits, seconds, reasons = result
    matrix["configs"][name] = {"changes": changes, "ok": bits, "seconds": round(seconds, 1), "commit": commit()}
    if not changes:
        matrix["default_reasons"] = reasons
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(matrix, ensure_ascii=False, indent=1), "utf-8")
    tmp.replace(path)
    print(f"  {name}: {bits.count('1')}/{len(bits)} in {seconds:.0f} s", flush=True)


# --- cross-validation from the matrix --------------------------------------------------------------------


def folds(sets: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Each question's fold: within each set the questions are shuffled (seeded) and dealt out in turn, so
    every fold holds a fifth of every set."""
    fold = np.zeros(len(sets), dtype=int)
    rng = random.Random(seed)
    for name in dict.fromkeys(sets):
        rows = [i for i, s in enumerate(sets) if s == name]
        rng.shuffle(rows)
        for n, i in enumerate(rows):
            fold[i] = n % k
    return fold


def select(ok: np.ndarray, train: np.ndarray, order: list[int]) -> int:
    """The configuration right on most training questions; `order` (default first, then by distance from it)
    breaks ties."""
    scores = ok[:, train].sum(axis=1)
    best = scores.max()
    return next(c for c in order if scores[c] == best)


def sign_test(gained: int, lost: int) -> float:
    """Two-sided exact sign test of gained against lost questions (McNemar's exact test)."""
    n = gained + lost
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(gained, lost) + 1)) / 2**n
    return min(1.0, 2 * tail)


def report(matrix: dict, k: int, repeats: int, only: set[str] | None = None) -> None:
    settings = Settings()
    configs = {n: c for n, c in matrix["configs"].items() if only is None or n in only}
    names = list(configs)
    ok = np.array([[b == "1" for b in configs[n]["ok"]] for n in names])
    sets = np.array([q[0] for q in matrix["questions"]])
    set_names = list(dict.fromkeys(sets))
    default = names.index("default")
    order = sorted(range(len(names)), key=lambda c: (c != default, distance(configs[names[c]]["changes"], settings)))
    total = ok.sum(axis=1)
    per_set = {s: ok[:, sets == s].sum(axis=1) for s in set_names}
    size = {s: int((sets == s).sum()) for s in set_names}

    def counts(c: int) -> str:
        return " ".join(f"{s} {per_set[s][c]}/{size[s]}" for s in set_names)

    commits = sorted({c.get("commit", "?") for c in configs.values()})
    print(f"\n{len(names)} configurations × {ok.shape[1]} questions (commit {', '.join(commits)})")
    if len(commits) > 1:
        print("  warning: configurations evaluated on different commits (delete the matrix to start afresh)")
    print(f"default: {total[default]}/{ok.shape[1]} ({counts(default)})")
    best_all = select(ok, np.ones(ok.shape[1], bool), order)
    print(f"best on all sets: {names[best_all]}: {total[best_all]}/{ok.shape[1]} ({counts(best_all)})")

    print(f"\n## {k}-fold cross-validation stratified by set (seed 0; held-out right / questions)")
    print("fold | selected | train sel/def | held-out selected | held-out default | Δ")
    held = {"sel": np.zeros(ok.shape[1], bool), "def": np.zeros(ok.shape[1], bool)}
    fold = folds(sets, k, 0)
    for f in range(k):
        test = fold == f
        chosen = select(ok, ~test, order)
        held["sel"][test], held["def"][test] = ok[chosen, test], ok[default, test]
        n = int(test.sum())
        s, d = int(ok[chosen, test].sum()), int(ok[default, test].sum())
        train_s, train_d = int(ok[chosen, ~test].sum()), int(ok[default, ~test].sum())
        print(f"{f} | {names[chosen]} | {train_s}/{train_d} | {s}/{n} {s / n:.1%} | {d}/{n} {d / n:.1%} | {s - d:+d}")
    print("held out, pooled over the folds (each question held out once), selected vs default:")
    for s in [*set_names, "all"]:
        rows = np.ones(ok.shape[1], bool) if s == "all" else sets == s
        sel, dft, n = int(held["sel"][rows].sum()), int(held["def"][rows].sum()), int(rows.sum())
        print(f"  {s:10s} {sel}/{n} {sel / n:.1%} vs {dft}/{n} {dft / n:.1%} ({sel - dft:+d})")

    deltas, picks = [], {}
    held_sel = np.zeros(ok.shape[1])  # times each question was right when held out, over the repeats
    for seed in range(repeats):
        fold = folds(sets, k, seed)
        for f in range(k):
            test = fold == f
            chosen = select(ok, ~test, order)
            picks[names[chosen]] = picks.get(names[chosen], 0) + 1
            deltas.append(int(ok[chosen, test].sum()) - int(ok[default, test].sum()))
            held_sel[test] += ok[chosen, test]
    wins, losses = sum(d > 0 for d in deltas), sum(d < 0 for d in deltas)
    print(
        f"{repeats} repeats × {k} folds: held-out Δ (selected − default) mean {np.mean(deltas):+.2f} questions per "
        f"fold (of ~{ok.shape[1] // k}), sum {sum(deltas):+d} over {repeats} passes; "
        f"selected better in {wins}, worse in {losses}, equal in {len(deltas) - wins - losses} folds"
    )
    print("  selected: " + ", ".join(f"{n} ×{c}" for n, c in sorted(picks.items(), key=lambda x: -x[1])))
    print(f"  held-out accuracy, mean of the {repeats} repeats, selected vs default:")
    for s in [*set_names, "all"]:
        rows = np.ones(ok.shape[1], bool) if s == "all" else sets == s
        sel, dft, n = held_sel[rows].sum() / repeats, int(ok[default, rows].sum()), int(rows.sum())
        print(f"    {s:10s} {sel:.1f}/{n} {sel / n:.1%} vs {dft}/{n} {dft / n:.1%} ({sel - dft:+.1f})")

    print("\n## Leave one set out (fit on the others, test on it)")
    print("held-out set | selected | held-out selected | held-out default | Δ")
    for s in set_names:
        test = sets == s
        chosen = select(ok, ~test, order)
        sel, dft, n = int(ok[chosen, test].sum()), int(ok[default, test].sum()), int(test.sum())
        print(f"{s} | {names[chosen]} | {sel}/{n} {sel / n:.1%} | {dft}/{n} {dft / n:.1%} | {sel - dft:+d}")

    print("\n## Sensitivity: all sets per value (gained / lost questions against the default, sign test p)")
    fields: dict[str, list[int]] = {}
    for c, n in enumerate(names):
        if c != default:
            fields.setdefault(",".join(sorted(configs[n]["changes"])), []).append(c)
    for field, rows in fields.items():
        base = ", ".join(f"{default_value(key, settings):g}" for key in field.split(","))
        print(f"{field} (default {base}: {total[default]})")
        for c in sorted(rows, key=lambda c: sorted(configs[names[c]]["changes"].items())):
            gained = int((ok[c] & ~ok[default]).sum())
            lost = int((~ok[c] & ok[default]).sum())
            value = ", ".join(f"{v:g}" for _, v in sorted(configs[names[c]]["changes"].items()))
            flips = ""
            if gained + lost:
                qs = matrix["questions"]
                ids = [f"+{qs[i][1]}" for i in np.flatnonzero(ok[c] & ~ok[default])]
                ids += [f"-{qs[i][1]}" for i in np.flatnonzero(~ok[c] & ok[default])]
                flips = " [" + " ".join(ids[:12]) + (" …" if len(ids) > 12 else "") + "]"
            print(
                f"  {value:>12s}: {total[c]} ({total[c] - total[default]:+d}; +{gained} −{lost}, "
                f"p {sign_test(gained, lost):.2f}) {counts(c)}{flips}"
            )


def round2(matrix: dict) -> list[Changes]:
    """A second coordinate round: the first round's best configuration on all sets, with each single move of
    another field applied on top of it that changed some answer and lost nothing on all sets (a move that
    changed no answer around the defaults is flat there). Empty when the defaults are best."""
    settings = Settings()
    configs = matrix["configs"]
    singles = {
        n: c
        for n, c in configs.items()
        if len(c["changes"]) <= 1 or set(c["changes"]) == {"cover_query", "cover_label"}
    }
    score = {n: c["ok"].count("1") for n, c in singles.items()}
    top = max(score.values())
    best = min((n for n in singles if score[n] == top), key=lambda n: distance(singles[n]["changes"], settings))
    if best == "default":
        return []
    centre = singles[best]["changes"]
    flat = singles["default"]["ok"]
    moves = [c["changes"] for n, c in singles.items() if c["ok"] != flat and score[n] >= score["default"]]
    return [centre] + [{**centre, **m} for m in moves if not set(m) & set(centre)]


def main() -> None:
    global _LOADED, _EMBEDDER
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matrix", type=Path, default=MATRIX)
    parser.add_argument("--sets", default=",".join(SETS), help="NAME=QUESTIONS:INDEX, comma-separated")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=10, help="fold assignments (seeds) averaged")
    parser.add_argument("--fields", help="only these fields' moves (comma-separated; cover for the pair)")
    parser.add_argument("--round2", action="store_true", help="also a second coordinate round from the best")
    parser.add_argument("--report-only", action="store_true", help="no evaluation: report the cached matrix")
    args = parser.parse_args()
    specs = args.sets.split(",")
    fields = set(args.fields.split(",")) if args.fields else None
    if args.report_only:
        matrix = json.loads(args.matrix.read_text("utf-8"))
    else:
        start = time.perf_counter()
        _LOADED = load(specs)
        _EMBEDDER = MemoEmbedder(get_embedder(Settings().embedder))
        first = neighbourhood(Settings(), fields)
        print(f"round 1: {len(first)} configurations, {sum(len(i) for _, i, _, _ in _LOADED)} questions", flush=True)
        matrix = run_matrix(args.matrix, specs, first, args.workers)
        if args.round2 and (second := round2(matrix)):
            print(f"round 2: {len(second)} configurations around {name_of(second[0])}", flush=True)
            matrix = run_matrix(args.matrix, specs, first + second, args.workers)
        print(f"evaluated in {time.perf_counter() - start:.0f} s", flush=True)
    first_names = {name_of(c) for c in neighbourhood(Settings(), fields)}
    report(matrix, args.folds, args.repeats, only=first_names)
    if set(matrix["configs"]) - first_names:
        print("\n# With the second round's candidates (chosen on all questions: the held-out figures flatter them)")
        report(matrix, args.folds, args.repeats)


if __name__ == "__main__":
    main()
